import Foundation
import Testing

/// No local process can blind the agent, make a rule miss, or forge what administrators read: whole
/// command lines, hostile names and paths in every report, drop-ins read through their directory, and
/// cgroup patterns a delegated user cgroup cannot satisfy.
@Suite(.serialized, .enabled(if: Harness.rootTestsEnabled), .scenario)
struct ReportIntegrityTests {
    // MARK: Whole command lines

    @Test func aHundredKiBCommandLineIsMatchedWhole() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("j")
        // A Java service with a long classpath, the jar named at the end.
        let classpath = (0..<3000).map { "/opt/billing/lib/dependency-\($0).jar" }.joined(separator: ":")
        #expect(classpath.utf8.count > 100 << 10 && classpath.utf8.count < 128 << 10)
        let service = try scenario.spawn(name, ["sleep", "60", "-cp", classpath, "-jar", "/opt/billing/billing.jar"])
        #expect(Harness.readWhole("/proc/\(service.pid)/cmdline").utf8.count > 100 << 10)
        let config = try scenario.writeConfig("\(name) score=300 cmdline=\"* -jar /opt/billing/billing.jar*\"\n\(name) score=600\n")
        let once = try Harness.run(Harness.agentBinary, ["once", "--config", config, "-v"])
        #expect(once.status == 0, "\(once.stderr)")
        #expect(service.score == 300, "\(once.stderr)")
    }

    @Test func aCommandLineLongerThanTheLimitCountsAsUnreadableAndExplainSaysSo() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("k")
        let chunk = String(repeating: "x", count: 100 << 10)
        let service = try scenario.spawn(name, ["sleep", "60", chunk, chunk, "-jar", "/opt/billing/billing.jar"])
        let config = try scenario.writeConfig("\(name) score=-300 cmdline=\"* -jar /opt/billing/billing.jar*\"\n\(name) score=600\n")
        let explain = try Harness.run(Harness.agentBinary, ["explain", "\(service.pid)", "--config", config])
        #expect(explain.stdout.contains("cmdline  (longer than 131072 bytes: too long to match, so it counts as unreadable)"), "\(explain.stdout)")
        #expect(explain.stdout.contains("cannot be checked: the command line is longer than 131072 bytes"), "\(explain.stdout)")
        // Unreadable, not a mismatch: the protective rule is refused for it, and the kill-first one applies.
        #expect(explain.stdout.contains("its cmdline cannot be read"), "\(explain.stdout)")
        #expect(explain.stdout.contains("oom_score_adj 600 from \(config):2"), "\(explain.stdout)")
    }

    // MARK: Hostile names, paths and arguments

    @Test func hostileNamesPathsAndArgumentsForgeNoFieldAndNoLine() throws {
        let scenario = Scenario.current
        let prefix = String(Harness.uniqueName("h").prefix(7))
        // A comm with a newline, a quote, a terminal escape and a fake field: 14 bytes.
        let hostileComm = prefix + "\n\"\u{1B}n=-1"
        #expect(hostileComm.utf8.count <= 15)
        // A directory name with everything a path may hold, and an argument with a newline.
        let folder = "ev\"il x=1\n\u{1B}[31mred\u{202E}"
        let renamer = try scenario.program(named: prefix + "r", in: folder)
        let hostileArgument = "a\nFAKE line \"q\" c=d"
        let config = try scenario.writeConfig("\(prefix)* score=300\n")
        let agent = try scenario.startAgent(config: config)
        let renamed = try scenario.spawn(executable: renamer, ["rename", hostileComm, "60", hostileArgument])
        #expect(renamed.waitForLine(prefix: "renamed") != nil)
        #expect(Harness.waitUntil { renamed.score == 300 }, "log:\n\(agent.log)")
        #expect(agent.waitForLog("event=comm", "pid=\(renamed.pid)"), "log:\n\(agent.log)")
        // The kernel keeps the name whole, newline included, and so does the agent.
        #expect(Harness.readWhole("/proc/\(renamed.pid)/comm") == hostileComm + "\n")

        // The log: every line is one record, and the name is one quoted, escaped field.
        let log = agent.log
        for line in log.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            #expect(line.hasPrefix("20"), "a line that is not a record: \(line)")
        }
        #expect(!log.contains("\u{1B}"))
        #expect(log.contains("comm=\"\(prefix)\\n\\\"\\x1bn=-1\""), "log:\n\(log)")

        // status, as a table: one line per process, no raw control byte.
        let table = try Harness.run(Harness.agentBinary, ["status", "--config", config])
        #expect(table.status == 0)
        let rows = table.stdout.split(separator: "\n").filter { $0.contains("\(renamed.pid) ") }
        #expect(rows.count == 1, "status:\n\(table.stdout)")
        // Besides the rows, only the one line under them that names the last OOM kill.
        #expect(table.stdout.split(separator: "\n").allSatisfy { $0.hasPrefix("PID") || $0.first?.isNumber == true || $0.hasPrefix("Last OOM kill: ") }, "status:\n\(table.stdout)")
        #expect(table.stdout.split(separator: "\n").filter { $0.hasPrefix("Last OOM kill: ") }.count == 1, "status:\n\(table.stdout)")
        #expect(!table.stdout.contains("\u{1B}"))

        // status --json: the name comes back exactly as the kernel has it.
        let json = try Harness.run(Harness.agentBinary, ["status", "--config", config, "--json"])
        let objects = try #require(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]], "\(json.stdout)")
        let row = try #require(objects.first { ($0["pid"] as? Int) == Int(renamed.pid) }, "\(json.stdout)")
        #expect(row["comm"] as? String == hostileComm)
        #expect(!json.stdout.contains("\u{1B}") && !json.stdout.contains("\u{202E}"))

        // explain: one fact a line, whatever the exe path and the arguments hold.
        let explain = try Harness.run(Harness.agentBinary, ["explain", "\(renamed.pid)", "--config", config])
        let lines = explain.stdout.split(separator: "\n")
        #expect(!lines.contains { $0.hasPrefix("FAKE") || $0.hasPrefix("\"q\"") || $0.hasPrefix("n=-1") }, "explain:\n\(explain.stdout)")
        #expect(!explain.stdout.contains("\u{1B}") && !explain.stdout.contains("\u{202E}"))
        #expect(explain.stdout.contains("  comm     \(prefix)\\n\\\"\\x1bn=-1\n"), "explain:\n\(explain.stdout)")
        #expect(explain.stdout.contains("ev\\\"il x=1\\n\\x1b[31mred\\u{202e}/\(prefix)r"), "explain:\n\(explain.stdout)")
        #expect(explain.stdout.contains("a\\nFAKE line \\\"q\\\" c=d"), "explain:\n\(explain.stdout)")
        #expect(agent.stop() == 0)
    }

    // MARK: Drop-in files

    @Test func aDropInSwappedForASymlinkOrAFIFOIsRefused() throws {
        let scenario = Scenario.current
        let main = try scenario.writeConfig("\(Harness.uniqueName("m")) 5\n")
        let dropIns = scenario.directory.appendingPathComponent("oom_adjust.d").path
        try FileManager.default.createDirectory(atPath: dropIns, withIntermediateDirectories: false)
        chmod(dropIns, 0o755)
        // A root-owned, closed file elsewhere, which the trust check of its own would pass.
        let elsewhere = try scenario.writeConfig("\(Harness.uniqueName("e")) 7\n", name: "elsewhere.conf")
        try FileManager.default.createSymbolicLink(atPath: dropIns + "/10-link.conf", withDestinationPath: elsewhere)
        let linked = try Harness.run(Harness.agentBinary, ["check", "--config", main])
        #expect(linked.status == 2, "\(linked.stdout)\(linked.stderr)")
        #expect(linked.stderr.contains("\(dropIns)/10-link.conf: error: is a symbolic link; a drop-in must be a regular file"), "\(linked.stderr)")

        unlink(dropIns + "/10-link.conf")
        #expect(mkfifo(dropIns + "/20-fifo.conf", 0o644) == 0)
        // A FIFO nobody writes to must not hang the loader.
        let fifo = try Harness.run(Harness.agentBinary, ["check", "--config", main])
        #expect(fifo.status == 2)
        #expect(fifo.stderr.contains("\(dropIns)/20-fifo.conf: error: not a regular file"), "\(fifo.stderr)")
    }

    // MARK: cgroup patterns

    @Test(.privileged) func aDelegatedUserCgroupEndingInAServicesNameDoesNotMatchItsRule() throws {
        let hierarchy = try #require(CgroupHierarchy.writable(), "no writable cgroup hierarchy (v2, or v1 name=systemd)")
        let scenario = try Scenario()
        defer { scenario.cleanUp() }
        let name = Harness.uniqueName("s")
        let root = "oa-it-\(name)"
        let system = try hierarchy.makeGroup("\(root)/system.slice/\(name).service")
        defer { system.remove() }
        let delegated = try hierarchy.makeGroup("\(root)/user.slice/user-1000.slice/user@1000.service/app.slice/\(name).service")
        defer { delegated.remove() }
        let daemon = try scenario.spawn(name, ["sleep", "60"])
        let impostor = try scenario.spawn(name, ["sleep", "60"])
        try system.add(daemon.pid)
        try delegated.add(impostor.pid)
        defer {
            // Out of the groups before they are removed.
            for pid in [daemon.pid, impostor.pid] { kill(pid, SIGKILL) }
            daemon.process.waitUntilExit()
            impostor.process.waitUntilExit()
        }
        let config = try scenario.writeConfig("\(name) score=340 cgroup=/\(root)/*/\(name).service\n\(name) score=341 cgroup=/\(root)/user.slice/**\n")
        let once = try Harness.run(Harness.agentBinary, ["once", "--config", config])
        #expect(once.status == 0, "\(once.stderr)")
        #expect(daemon.score == 340)
        // `*` does not cross `/`: the delegated cgroup is no system service; the subtree rule takes it.
        #expect(impostor.score == 341)
        let check = try Harness.run(Harness.agentBinary, ["check", "--config", config])
        #expect(check.stderr.contains("\(config):1: warning: `cgroup=/\(root)/*/\(name).service`: `*`, `?` and `[...]` match within one component"), "\(check.stderr)")
    }

    // MARK: Accounts at boot

    @Test func anAccountThatDoesNotResolveYetExitsForARetryNotForGood() throws {
        let scenario = Scenario.current
        let config = try scenario.writeConfig("\(Harness.uniqueName("a")) score=5 user=oa-no-such-account\n")
        for command in ["run", "once"] {
            let result = try Harness.run(Harness.agentBinary, [command, "--config", config])
            #expect(result.status == 75, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("cannot be resolved (yet)"), "\(result.stderr)")
        }
        // Any other error beside it is the administrator's to fix: 2, as before.
        let broken = try scenario.writeConfig("\(Harness.uniqueName("a")) score=5 user=oa-no-such-account\nx 99\n")
        #expect(try Harness.run(Harness.agentBinary, ["once", "--config", broken]).status == 2)
    }
}
