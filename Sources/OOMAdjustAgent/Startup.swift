import Glibc
import Logging
import OOMAdjustCore
import OOMAdjustLinux
import OOMAdjustVersion

/// How the daemon starts, in the one order that loses no process: block the signals (so none arrives
/// before the loop reads it), open /proc, load the rules, subscribe to process events, go real-time, and
/// only then sweep (in `Agent.run`), so a process started meanwhile is seen by the sweep or by an event.
/// The CLI only parses options and maps a `Failure` to an exit status.
public enum Startup {
    /// Why the agent did not start or stopped with an error; each is logged where it happens.
    public enum Failure: Error, Equatable, Sendable {
        /// Outside the rules: signals, /proc, the proc connector, real time, the event loop.
        case setup
        /// The configuration is invalid; nothing was written.
        case configInvalid
        /// The configuration names accounts that do not resolve yet (directory service not answering).
        case accountsUnresolved
    }

    /// What `run` was asked to do.
    public struct Settings: Sendable {
        public var loader: RuleLoader
        public var receiveBufferBytes: Int32
        public var realtimePriority: Int?
        public var dryRun: Bool

        public init(loader: RuleLoader, receiveBufferBytes: Int32? = nil, realtimePriority: Int? = nil, dryRun: Bool = false) {
            self.loader = loader
            self.receiveBufferBytes = receiveBufferBytes ?? ProcConnector.defaultReceiveBufferBytes
            self.realtimePriority = realtimePriority
            self.dryRun = dryRun
        }
    }

    /// Runs the agent until SIGTERM or SIGINT. `makeDuties` is called once the agent is about to
    /// sweep, for the service manager's readiness, watchdog and metrics.
    public static func runService(_ settings: Settings, logger: Logger, makeDuties: () -> ServiceDuties?) throws(Failure) {
        let signals: SignalChannel
        do {
            signals = try SignalChannel([SIGTERM, SIGINT, SIGHUP, SIGUSR1])
        } catch {
            logger.error("cannot set up signal handling", metadata: ["errno": "\(error)"])
            throw .setup
        }
        let procRoot = try openProc(logger: logger)
        let loaded = try load(settings.loader, logger: logger)
        let connector: ProcConnector
        do {
            connector = try ProcConnector(receiveBufferBytes: settings.receiveBufferBytes)
            try connector.subscribe()
        } catch {
            logger.error("cannot receive process events", metadata: ["reason": "\(error)"])
            throw .setup
        }
        logger.info(
            "subscribed to process events",
            metadata: [
                "version": "\(BuildVersion.string)",
                "config": "\(settings.loader.configPath)", "rules": "\(loaded.rules.rules.count)",
                "receive_buffer_bytes": "\(connector.receiveBufferBytes)",
                "dry_run": "\(settings.dryRun)",
            ])
        // Before the start-up sweep, so that the sweep and every event after it run in real time.
        if let priority = settings.realtimePriority {
            try enterRealtime(priority: priority, logger: logger)
        }
        let agent = Agent(loader: settings.loader, rules: loaded.rules, procRoot: procRoot, dryRun: settings.dryRun, logger: logger)
        agent.killWatch = KillWatch.open(logger: logger)
        do {
            try agent.run(connector: connector, signals: signals, duties: makeDuties())
        } catch {
            logger.error("the event loop failed", metadata: ["errno": "\(error)"])
            throw .setup
        }
        connector.unsubscribe()
    }

    /// One sweep with the rules (`once`): what it found, for the exit status.
    public static func sweepOnce(loader: RuleLoader, dryRun: Bool, logger: Logger) throws(Failure) -> Agent.SweepSummary {
        let procRoot = try openProc(logger: logger)
        let loaded = try load(loader, logger: logger)
        let agent = Agent(loader: loader, rules: loaded.rules, procRoot: procRoot, dryRun: dryRun, logger: logger)
        return agent.sweep(reason: "once", warningAboutReach: true)
    }

    /// Loads the rules, logging every error and warning.
    static func load(_ loader: RuleLoader, logger: Logger) throws(Failure) -> RuleLoader.Loaded {
        switch loader.load() {
        case .failure(let failure):
            for diagnostic in failure.diagnostics {
                logger.error("config error", metadata: ["diagnostic": "\(diagnostic)"])
            }
            if failure.isTransient {
                logger.error(
                    "the configuration names accounts that cannot be resolved (yet); nothing was changed; exiting for the service manager to try again once the directory service answers",
                    metadata: ["config": "\(loader.configPath)"])
                throw .accountsUnresolved
            }
            logger.error("the configuration is invalid; nothing was changed", metadata: ["config": "\(loader.configPath)"])
            throw .configInvalid
        case .success(let loaded):
            for warning in loaded.warnings {
                logger.warning("config warning", metadata: ["diagnostic": "\(warning)"])
            }
            return loaded
        }
    }

    static func openProc(logger: Logger) throws(Failure) -> ProcRoot {
        do {
            return try ProcRoot()
        } catch {
            logger.error("cannot open /proc", metadata: ["errno": "\(error)"])
            throw .setup
        }
    }

    /// Switches to SCHED_FIFO and locks memory, or logs which capability or limit is missing.
    static func enterRealtime(priority: Int, logger: Logger) throws(Failure) {
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
            throw .setup
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
            throw .setup
        }
        logger.info("running in real time", metadata: ["policy": "SCHED_FIFO", "priority": "\(priority)", "memory": "locked"])
    }
}
