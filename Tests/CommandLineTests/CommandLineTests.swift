import ArgumentParser
import Testing

@testable import oom_adjust

/// The command line, parsed in-process: what each option means, what a bad value says, and the help
/// text administrators read. Nothing here touches /proc or the proc connector.
@Suite struct CommandLineTests {
    /// The message argument-parser prints for `arguments`, or nil when they parse.
    static func complaint(_ arguments: [String]) -> String? {
        do {
            _ = try OOMAdjust.parseAsRoot(arguments)
            return nil
        } catch {
            return OOMAdjust.fullMessage(for: error)
        }
    }

    @Test func theRulesFilesDefaultToTheCronScriptsAndTheDropInDirectoryBesideIt() throws {
        let check = try #require(try OOMAdjust.parseAsRoot(["check"]) as? OOMAdjust.Check)
        #expect(check.ruleFiles.path == "/etc/oom_adjust.conf")
        #expect(check.ruleFiles.dropInDirectory == nil)
        let run = try #require(try OOMAdjust.parseAsRoot(["run", "--config", "/tmp/a.conf", "--config-dir", "/tmp/a.d"]) as? OOMAdjust.Run)
        #expect(run.ruleFiles.loader.configPath == "/tmp/a.conf")
        #expect(run.ruleFiles.dropInDirectory == "/tmp/a.d")
        #expect(run.realtimePriority == nil && run.receiveBuffer == nil && !run.enforcement.dryRun && !run.enforcement.verbose)
    }

    @Test(arguments: [
        (["run", "--realtime-priority", "0"], "--realtime-priority must be a SCHED_FIFO priority from 1 to 99"),
        (["run", "--realtime-priority", "100"], "--realtime-priority must be a SCHED_FIFO priority from 1 to 99"),
        (["run", "--receive-buffer", "100"], "--receive-buffer must be from 4096 to 1073741824 bytes"),
        (["run", "--metrics-interval", "0.01"], "--metrics-interval must be from 0.1 to 3600 seconds"),
        (["run", "--metrics-file", "/tmp/"], "--metrics-file needs a file path"),
        (["check", "--config", ""], "--config needs a path, e.g. --config /etc/oom_adjust.conf"),
        (["status", "--config-dir", ""], "--config-dir needs a directory"),
        (["explain", "0"], "PID must be a positive process ID"),
        (["explain", "sshd"], "The value 'sshd' is invalid for '<pid>'"),
        (["probe", "--metrics-file", "/run/x.prom", "--max-age", "0"], "--max-age must be from 1 to 86400 seconds"),
        (["once", "--no-such-option"], "Unknown option '--no-such-option'"),
    ])
    func aBadValueIsRefusedWithWhatToGive(_ arguments: [String], _ expected: String) {
        let message = Self.complaint(arguments)
        #expect(message?.contains(expected) == true, "\(arguments): \(message ?? "parsed")")
    }

    @Test func everyCommandIsListedInTheTopLevelHelp() {
        let help = OOMAdjust.helpMessage()
        for command in ["run", "once", "check", "status", "explain", "probe", "rank"] {
            #expect(help.contains("  \(command) "), "no \(command) in:\n\(help)")
        }
    }

    /// The same option group, with the same words, in every command that reads the rules.
    @Test func everyCommandThatReadsTheRulesTakesTheSameOptions() {
        let commands: [ParsableCommand.Type] = [
            OOMAdjust.Run.self, OOMAdjust.Once.self, OOMAdjust.Check.self, OOMAdjust.Status.self, OOMAdjust.Explain.self,
            OOMAdjust.Rank.self,
        ]
        for command in commands {
            let help = OOMAdjust.helpMessage(for: command, columns: 200)
            #expect(help.contains("--config <path>") && help.contains("The rules file."), "\(command):\n\(help)")
            #expect(help.contains("--config-dir <dir>"), "\(command):\n\(help)")
        }
    }

    @Test func runsHelpGroupsTheServiceOptionsAndNamesTheSignals() {
        let help = OOMAdjust.helpMessage(for: OOMAdjust.Run.self, columns: 200)
        #expect(help.contains("SERVICE OPTIONS:"), "\(help)")
        #expect(help.contains("--metrics-file <path>"), "\(help)")
        #expect(help.contains("--realtime-priority"), "\(help)")
        #expect(help.contains("SIGHUP re-reads the"), "\(help)")
    }

    /// Path options complete as files or directories in the shells' completion scripts.
    @Test func pathOptionsCompleteAsFiles() throws {
        let bash = OOMAdjust.completionScript(for: .bash)
        for (option, kind) in [("--config", "-f"), ("--config-dir", "-d"), ("--metrics-file", "-f")] {
            #expect(bash.contains("'\(option)')\n        __oom-adjust_add_completions \(kind)\n"), "\(option) does not complete with \(kind)")
        }
    }
}
