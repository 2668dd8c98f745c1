import ArgumentParser
import Logging
import OOMAdjustAgent
import OOMAdjustLinux

extension OOMAdjust {
    struct Once: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sweep every running process once, then exit: the drop-in for the old cron script.",
            discussion: """
                Exit statuses: 0 all matching processes have their values; 2 the configuration is \
                invalid and nothing was written; 3 the sweep finished but the kernel denied some \
                writes (lowering a value needs CAP_SYS_RESOURCE); 1 another failure.
                """
        )

        @OptionGroup var ruleFiles: ConfigOptions
        @OptionGroup var enforcement: EnforcementOptions

        func run() throws {
            LineLogHandler.bootstrap(verbose: enforcement.verbose)
            let logger = Logger(label: "oom-adjust")
            let summary: Agent.SweepSummary
            do {
                summary = try Startup.sweepOnce(loader: ruleFiles.loader, dryRun: enforcement.dryRun, logger: logger)
            } catch {
                throw ExitStatus.of(error)
            }
            if summary.outcomes[.denied] > 0 { throw ExitStatus.writesDenied }
            if summary.outcomes[.failed] > 0 { throw ExitStatus.failure }
        }
    }
}
