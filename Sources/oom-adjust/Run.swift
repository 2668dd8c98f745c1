import ArgumentParser
import Logging
import OOMAdjustAgent
import OOMAdjustLinux

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

        @OptionGroup var ruleFiles: ConfigOptions
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
            let settings = Startup.Settings(
                loader: ruleFiles.loader, receiveBufferBytes: receiveBuffer, realtimePriority: realtimePriority,
                dryRun: enforcement.dryRun)
            do {
                try Startup.runService(settings, logger: logger) { service.makeDuties(logger: logger) }
            } catch {
                throw ExitStatus.of(error)
            }
        }
    }
}
