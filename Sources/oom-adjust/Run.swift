import ArgumentParser
import Glibc
import Logging
import OOMAdjustAgent
import OOMAdjustLinux
import OOMAdjustVersion

extension OOMAdjust {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enforce the rules as processes start, in the foreground (the systemd service).",
            discussion: """
                Subscribes to the kernel's process events, sweeps /proc once, then adjusts every \
                process that execs, forks or renames itself into a rule. SIGHUP re-reads the \
                configuration (a broken one keeps the old rules); SIGUSR1 logs the counters; SIGTERM \
                and SIGINT exit 0.
                """
        )

        @OptionGroup var config: ConfigOptions
        @OptionGroup var enforcement: EnforcementOptions
        @OptionGroup(title: "Service options") var service: ServiceOptions

        @Option(
            name: .long,
            help: ArgumentHelp(
                "Run under SCHED_FIFO at this priority (1-99) with all memory locked, so a busy machine cannot delay the agent. Needs CAP_SYS_NICE and CAP_IPC_LOCK.",
                valueName: "priority"))
        var realtimePriority: Int?

        /// For tests that must overflow the socket on purpose: a small buffer overflows after a few events
        /// instead of tens of thousands. Hidden because a production agent wants the default.
        @Option(
            name: .long,
            help: ArgumentHelp(
                "Ask for this socket receive buffer (the kernel doubles it) instead of 8 MiB. A small one makes the socket overflow, which the agent survives with a sweep: for testing.",
                valueName: "bytes", visibility: .hidden))
        var receiveBuffer: Int32?

        func validate() throws {
            if let bytes = receiveBuffer, !(4096...(1 << 30)).contains(bytes) {
                throw ValidationError(
                    "--receive-buffer must be from 4096 to 1073741824 bytes, e.g. --receive-buffer 65536 (leave it out for the default of 8 MiB); got \(bytes)"
                )
            }
            if let priority = realtimePriority, !RealtimeScheduling.priorities.contains(priority) {
                throw ValidationError(
                    "--realtime-priority must be a SCHED_FIFO priority from 1 to 99, e.g. --realtime-priority 10 (stay below 50, where the kernel runs threaded interrupt handlers); got \(priority)"
                )
            }
        }

        func run() throws {
            LineLogHandler.bootstrap(verbose: enforcement.verbose)
            let logger = Logger(label: "oom-adjust")
            // Block the signals before anything else, so none arrives before the loop can read it.
            let signals: SignalChannel
            do {
                signals = try SignalChannel([SIGTERM, SIGINT, SIGHUP, SIGUSR1])
            } catch {
                logger.error("cannot set up signal handling", metadata: ["errno": "\(error)"])
                throw ExitStatus.failure
            }
            let loader = config.loader
            let procRoot = try openProc(logger: logger)
            let loaded = try loadOrExit(loader, procRoot: procRoot, logger: logger)
            let connector: ProcConnector
            do {
                connector = try ProcConnector(receiveBufferBytes: receiveBuffer ?? ProcConnector.defaultReceiveBufferBytes)
                try connector.subscribe()
            } catch {
                logger.error("cannot receive process events", metadata: ["reason": "\(error)"])
                throw ExitStatus.failure
            }
            logger.info(
                "subscribed to process events",
                metadata: [
                    "version": "\(BuildVersion.string)",
                    "config": "\(config.config)", "rules": "\(loaded.rules.rules.count)",
                    "receive_buffer_bytes": "\(connector.receiveBufferBytes)",
                    "dry_run": "\(enforcement.dryRun)",
                ])
            // Before the start-up sweep, so that the sweep and every event after it run in real time.
            if let priority = realtimePriority {
                try enterRealtime(priority: priority, logger: logger)
            }
            let agent = Agent(
                loader: loader, rules: loaded.rules, procRoot: procRoot, dryRun: enforcement.dryRun, logger: logger)
            agent.killWatch = KillWatch.open(logger: logger)
            do {
                try agent.run(connector: connector, signals: signals, duties: service.makeDuties(logger: logger))
            } catch {
                logger.error("the event loop failed", metadata: ["errno": "\(error)"])
                throw ExitStatus.failure
            }
            connector.unsubscribe()
        }
    }
}

/// Switches to SCHED_FIFO and locks memory, or logs which capability or limit is missing and exits 1.
private func enterRealtime(priority: Int, logger: Logger) throws {
    do {
        try RealtimeScheduling.setFIFO(priority: priority)
    } catch {
        var metadata: Logger.Metadata = ["priority": "\(priority)", "errno": "\(error)"]
        if let limit = try? RealtimeScheduling.priorityLimit() { metadata["rlimit_rtprio"] = "\(limit)" }
        if error == .notPermitted {
            logger.error(
                "cannot switch to SCHED_FIFO: the agent lacks CAP_SYS_NICE and RLIMIT_RTPRIO is below the priority (or its cgroup has no real-time budget); grant CAP_SYS_NICE (systemd: CapabilityBoundingSet=, plus AmbientCapabilities= when not root) or raise LimitRTPRIO=, or drop --realtime-priority",
                metadata: metadata)
        } else {
            logger.error("cannot switch to SCHED_FIFO", metadata: metadata)
        }
        throw ExitStatus.failure
    }
    do {
        try RealtimeScheduling.lockMemory()
    } catch {
        var metadata: Logger.Metadata = ["errno": "\(error)"]
        if let limit = try? RealtimeScheduling.memoryLockLimit() {
            metadata["rlimit_memlock"] = limit == UInt64.max ? "infinity" : "\(limit)"
        }
        switch error {
        case .notPermitted:
            logger.error(
                "cannot lock the agent's memory: it lacks CAP_IPC_LOCK and RLIMIT_MEMLOCK is 0; grant CAP_IPC_LOCK (systemd: CapabilityBoundingSet=, plus AmbientCapabilities= when not root) or raise LimitMEMLOCK=, or drop --realtime-priority",
                metadata: metadata)
        case .noMemory:
            logger.error(
                "cannot lock the agent's memory: it lacks CAP_IPC_LOCK and RLIMIT_MEMLOCK is smaller than what it maps; grant CAP_IPC_LOCK (systemd: CapabilityBoundingSet=, plus AmbientCapabilities= when not root) or raise LimitMEMLOCK= (infinity), or drop --realtime-priority",
                metadata: metadata)
        default:
            logger.error("cannot lock the agent's memory", metadata: metadata)
        }
        throw ExitStatus.failure
    }
    logger.info("running in real time", metadata: ["policy": "SCHED_FIFO", "priority": "\(priority)", "memory": "locked"])
}
