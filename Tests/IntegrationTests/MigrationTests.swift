import Foundation
import Testing

/// Moving off the cron script on a current Debian: rules that protect nothing are named, a name reached
/// through a system symlink is trusted, and a missing CAP_SYS_RESOURCE is plain wherever one looks.
@Suite(.serialized, .enabled(if: Harness.rootTestsEnabled), .scenario)
struct MigrationTests {
    @Test func aRuleForAProgramThatIsNotInstalledIsWarnedAboutByCheckAtStartUpAndAfterAReload() throws {
        let scenario = Scenario.current
        let absent = Harness.uniqueName("n")
        let config = try scenario.writeConfig("\(absent) 10\nmysqld -1\n")
        let check = try Harness.run(Harness.agentBinary, ["check", "--config", config])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stderr.contains("\(config):1: warning: `\(absent)` matches no program in /usr/sbin, /usr/bin"), "\(check.stderr)")
        #expect(check.stderr.contains("and no running process: the rule applies to nothing here\n"), "\(check.stderr)")
        if !FileManager.default.fileExists(atPath: "/usr/sbin/mysqld") {
            #expect(check.stderr.contains("\(config):2: warning: `mysqld` matches no program"), "\(check.stderr)")
            #expect(check.stderr.contains("MariaDB's server is mariadbd"), "\(check.stderr)")
        }
        // A running process of that name is something to apply to.
        let running = try scenario.spawn(absent, ["sleep", "60"])
        let again = try Harness.run(Harness.agentBinary, ["check", "--config", config])
        #expect(!again.stderr.contains("`\(absent)` matches no program"), "\(again.stderr)")
        kill(running.pid, SIGKILL)
        running.process.waitUntilExit()

        let agent = try scenario.startAgent(config: config, arguments: [])
        #expect(agent.count("config warning", "\(config):1", "applies to nothing here") == 1, "log:\n\(agent.log)")
        agent.send(SIGHUP)
        // The warning comes from the reload's sweep, which met every process's comm.
        #expect(agent.waitForLog("sweep finished", "reason=reload"))
        #expect(agent.count("config warning", "\(config):1", "applies to nothing here") == 2, "log:\n\(agent.log)")
        #expect(agent.stop() == 0)
    }

    @Test func aNameReachedThroughARootOwnedSystemSymlinkIsTrustedAndOneInTmpIsNot() throws {
        let scenario = Scenario.current
        // A root-owned program, and a compatibility link of another name in a system directory, as
        // /usr/sbin/mysqld -> mariadbd is.
        let program = try scenario.program(named: Harness.uniqueName("p"), in: "sbin", owner: "root")
        let linkName = Harness.uniqueName("l")
        let systemLink = "/usr/local/sbin/\(linkName)"
        try FileManager.default.createSymbolicLink(atPath: systemLink, withDestinationPath: program)
        defer { unlink(systemLink) }
        let tmpName = Harness.uniqueName("t")
        let tmpLink = scenario.directory.appendingPathComponent(tmpName).path
        try FileManager.default.createSymbolicLink(atPath: tmpLink, withDestinationPath: program)
        let config = try scenario.writeConfig("\(linkName) -5\n\(tmpName) -5\n")
        let agent = try scenario.startAgent(config: config)

        let linked = try scenario.spawn(argv: try Harness.asUser("daemon") + [systemLink, "sleep", "60"])
        #expect(Harness.readWhole("/proc/\(linked.pid)/comm") == linkName + "\n")
        let explain = try Harness.run(Harness.agentBinary, ["explain", "\(linked.pid)", "--config", config])
        #expect(explain.stdout.contains("oom_score_adj -294 from \(config):1"), "explain: \(explain.stdout)")
        #expect(explain.stdout.contains("vouched for by the root-owned symlink \(systemLink)"), "explain: \(explain.stdout)")
        if Harness.hasSysResource {
            #expect(Harness.waitUntil { linked.score == -294 })
        } else {
            // Trusted: the agent tries, and the kernel refuses it without the capability.
            #expect(agent.waitForLog("denied by the kernel", "pid=\(linked.pid)", "new=-294"), "log:\n\(agent.log)")
        }
        #expect(agent.count("trust policy", "pid=\(linked.pid)") == 0)

        let viaTmp = try scenario.spawn(argv: try Harness.asUser("daemon") + [tmpLink, "sleep", "60"])
        #expect(
            agent.waitForLog("protection refused by the trust policy", "pid=\(viaTmp.pid)", "does not agree with its executable"),
            "log:\n\(agent.log)")
        #expect(agent.stop() == 0)
    }

    @Test func statusExplainAndTheStartUpLogReportAMissingCapability() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("c")
        let binary = try scenario.program(named: name, in: "sbin", owner: "root")
        let process = try scenario.spawn(executable: binary, ["sleep", "60"], user: "daemon")
        let config = try scenario.writeConfig("\(name) -5\n\(Harness.uniqueName("x")) score=-1\n")
        let status = try Harness.run(Harness.agentBinary, ["status", "--config", config, "--json"])
        let rows = try #require(JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]], "\(status.stdout)")
        let row = try #require(rows.first { ($0["pid"] as? Int) == Int(process.pid) }, "\(status.stdout)")
        let explain = try Harness.run(Harness.agentBinary, ["explain", "\(process.pid)", "--config", config])
        let once = try Harness.run(Harness.agentBinary, ["once", "--config", config])
        if Harness.hasSysResource {
            print("note: CAP_SYS_RESOURCE is present, so nothing is denied")
            #expect(row["state"] as? String == "unchanged" || row["state"] as? String == "differs")
            return
        }
        #expect(row["state"] as? String == "denied", "\(row)")
        #expect((row["reason"] as? String)?.contains("needs CAP_SYS_RESOURCE") == true, "\(row)")
        let table = try Harness.run(Harness.agentBinary, ["status", "--config", config])
        #expect(table.stdout.contains(" denied: lowering oom_score_adj below a process's floor needs CAP_SYS_RESOURCE"), "\(table.stdout)")
        #expect(explain.stdout.contains("but the kernel refuses it: lowering oom_score_adj below a process's floor needs CAP_SYS_RESOURCE"), "\(explain.stdout)")
        #expect(once.status == 3)
        #expect(once.stderr.contains("warning this agent lacks CAP_SYS_RESOURCE"), "\(once.stderr)")
        #expect(once.stderr.contains("protective_rules=2"), "\(once.stderr)")
    }
}
