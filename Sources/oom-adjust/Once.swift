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

        @OptionGroup var config: ConfigOptions
        @OptionGroup var enforcement: EnforcementOptions

        func run() throws {
            LineLogHandler.bootstrap(verbose: enforcement.verbose)
            let logger = Logger(label: "oom-adjust")
            let loader = config.loader
            let procRoot = try openProc(logger: logger)
            let loaded = try loadOrExit(loader, procRoot: procRoot, logger: logger)
            let agent = Agent(loader: loader, rules: loaded.rules, procRoot: procRoot, dryRun: enforcement.dryRun, logger: logger)
            let summary = agent.sweep(reason: "once", warningAboutReach: true)
            if summary.outcomes[.denied] > 0 { throw ExitStatus.writesDenied }
            if summary.outcomes[.failed] > 0 { throw ExitStatus.failure }
        }
    }
}

/// Loads the rules, logging every error and warning; an invalid configuration ends the command.
func loadOrExit(_ loader: RuleLoader, procRoot: ProcRoot, logger: Logger) throws -> RuleLoader.Loaded {
    switch loader.load() {
    case .failure(let failure):
        for diagnostic in failure.diagnostics {
            logger.error("config error", metadata: ["diagnostic": "\(diagnostic)"])
        }
        if failure.isTransient {
            logger.error(
                "the configuration names accounts that cannot be resolved (yet); nothing was changed; exiting for the service manager to try again once the directory service answers",
                metadata: ["config": "\(loader.configPath)"])
            throw ExitStatus.accountsUnresolved
        }
        logger.error("the configuration is invalid; nothing was changed", metadata: ["config": "\(loader.configPath)"])
        throw ExitStatus.configInvalid
    case .success(let loaded):
        for warning in loaded.warnings {
            logger.warning("config warning", metadata: ["diagnostic": "\(warning)"])
        }
        return loaded
    }
}

func openProc(logger: Logger) throws -> ProcRoot {
    do {
        return try ProcRoot()
    } catch {
        logger.error("cannot open /proc", metadata: ["errno": "\(error)"])
        throw ExitStatus.failure
    }
}
