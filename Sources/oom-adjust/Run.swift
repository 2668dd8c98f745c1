import ArgumentParser
import Glibc
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

        @OptionGroup var config: ConfigOptions
        @OptionGroup var enforcement: EnforcementOptions

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
            let loader = RuleLoader(configPath: config.config)
            let loaded = try loadOrExit(loader, logger: logger)
            let procRoot = try openProc(logger: logger)
            let connector: ProcConnector
            do {
                connector = try ProcConnector()
                try connector.subscribe()
            } catch {
                logger.error("cannot receive process events", metadata: ["reason": "\(error)"])
                throw ExitStatus.failure
            }
            logger.info(
                "subscribed to process events",
                metadata: [
                    "config": "\(config.config)", "rules": "\(loaded.rules.rules.count)",
                    "receive_buffer_bytes": "\(connector.receiveBufferBytes)",
                    "dry_run": "\(enforcement.dryRun)",
                ])
            let agent = Agent(
                loader: loader, rules: loaded.rules, procRoot: procRoot, dryRun: enforcement.dryRun, logger: logger)
            do {
                try agent.run(connector: connector, signals: signals)
            } catch {
                logger.error("the event loop failed", metadata: ["errno": "\(error)"])
                throw ExitStatus.failure
            }
            connector.unsubscribe()
        }
    }
}
