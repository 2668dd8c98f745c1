import Foundation
import Testing

/// `once` and `check` run as whole processes, as an administrator or cron would run them.
@Suite(.serialized, .enabled(if: Harness.rootTestsEnabled), .scenario)
struct CommandTests {
    @Test func onceAdjustsRunningProcessesAndExitsZero() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("o")
        let process = try scenario.spawn(name, ["sleep", "60"])
        let config = try scenario.writeConfig("\(name) 10\n")
        let result = try Harness.run(Harness.agentBinary, ["once", "--config", config, "-v"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(process.score == 588)
        #expect(result.stderr.contains("adjusted event=sweep pid=\(process.pid) comm=\(name) rule=\(config):1 old=0 new=588"))
        // Run again: nothing to change, still success.
        let again = try Harness.run(Harness.agentBinary, ["once", "--config", config, "-v"])
        #expect(again.status == 0)
        #expect(again.stderr.contains("unchanged event=sweep pid=\(process.pid)"))
    }

    @Test func onceWithAnInvalidConfigWritesNothingAndExitsTwo() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("i")
        let process = try scenario.spawn(name, ["sleep", "60"])
        let config = try scenario.writeConfig("\(name) score=400\nbroken 99\n")
        let result = try Harness.run(Harness.agentBinary, ["once", "--config", config])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(config):2: error:"))
        #expect(process.score == 0)
    }

    @Test func dryRunDecidesButWritesNothing() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("d")
        let process = try scenario.spawn(name, ["sleep", "60"])
        let config = try scenario.writeConfig("\(name) score=410\n")
        let result = try Harness.run(Harness.agentBinary, ["once", "--dry-run", "-v", "--config", config])
        #expect(result.status == 0)
        #expect(result.stderr.contains("would adjust (dry run) event=sweep pid=\(process.pid)"))
        #expect(process.score == 0)
    }

    @Test func checkAcceptsTheShippedSampleAndReportsEveryError() throws {
        let sample = Harness.packageRoot.appendingPathComponent("etc/oom_adjust.conf").path
        let valid = try Harness.run(Harness.agentBinary, ["check", "--config", sample])
        #expect(valid.status == 0, "stderr: \(valid.stderr)")
        #expect(valid.stdout.contains("\(sample): 20 rule(s), valid"))
        // The one piece of advice about the rules themselves: sshd -17 is -1000, which no OOM killer will
        // ever pick. The rest are about what this machine has: services it does not run.
        let lines = valid.stderr.split(separator: "\n").map(String.init)
        #expect(lines.filter { !$0.contains("applies to nothing here") && !$0.contains("is installed and has none") } == [
            "\(sample):11: warning: `sshd -17` is oom_score_adj -1000: neither the global nor a cgroup OOM killer will ever pick such a process, even when it is the one leaking, and its children inherit the value; if you mean \"kill last\", write score=-999"
        ], "stderr: \(valid.stderr)")

        let scenario = try Scenario()
        defer { scenario.cleanUp() }
        let config = try scenario.writeConfig("sshd -18\nnamed\nmysqld score=-1001\nok 3 extra\n")
        let invalid = try Harness.run(Harness.agentBinary, ["check", "--config", config])
        #expect(invalid.status == 2)
        for line in 1...4 { #expect(invalid.stderr.contains("\(config):\(line): error:"), "stderr: \(invalid.stderr)") }
        #expect(invalid.stderr.contains("4 error(s)"))

        let missing = try Harness.run(Harness.agentBinary, ["check", "--config", scenario.directory.path + "/absent.conf"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("absent.conf: error: cannot open"))
        let directory = try Harness.run(Harness.agentBinary, ["check", "--config", scenario.directory.path])
        #expect(directory.status == 2)
        #expect(directory.stderr.contains("not a regular file"))
    }
}
