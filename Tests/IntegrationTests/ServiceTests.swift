import Foundation
import Testing

/// `run` as systemd runs it: sd_notify readiness, reload and stop notices, watchdog pings, the
/// metrics file, and journal priorities. A test socket stands in for systemd's NOTIFY_SOCKET.
@Suite(.serialized, .enabled(if: Harness.rootTestsEnabled), .scenario)
struct ServiceTests {
    /// Starts the agent with NOTIFY_SOCKET (and `extra` variables) pointing at a fresh listener.
    static func startNotifying(
        _ scenario: Scenario, config: String, abstract: Bool = false, extra: [String: String] = [:],
        arguments: [String] = []
    ) throws -> (AgentProcess, NotifyListener) {
        let listener = try NotifyListener(abstract: abstract, in: scenario.directory)
        var environment = Harness.cleanEnvironment
        environment["NOTIFY_SOCKET"] = listener.address
        environment.merge(extra) { $1 }
        let agent = try AgentProcess(config: config, arguments: arguments, environment: environment, in: scenario)
        return (agent, listener)
    }

    @Test(arguments: [false, true])
    func readyComesOnlyAfterTheStartUpSweepHasAppliedTheRules(abstractSocket: Bool) throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("n")
        // Running before the agent starts: only the start-up sweep can adjust it.
        let early = try scenario.spawn(name, ["sleep", "60"])
        let config = try scenario.writeConfig("\(name) score=321\n")
        let (agent, listener) = try Self.startNotifying(scenario, config: config, abstract: abstractSocket)

        let messages = listener.receive(until: "READY=1")
        // Read the moment READY=1 is in hand: the agent logs and writes before it notifies.
        let logAtReady = agent.log
        let scoreAtReady = early.score
        #expect(messages.count == 1, "READY=1 must be the first message: \(messages); log:\n\(agent.log)")
        let ready = try #require(messages.last)
        #expect(NotifyListener.assignments(ready).first == "READY=1")
        #expect(logAtReady.contains("sweep finished") && logAtReady.contains("reason=start-up"), "log:\n\(logAtReady)")
        #expect(scoreAtReady == 321)
        let status = try #require(NotifyListener.value(of: "STATUS", in: ready))
        #expect(status.hasPrefix("1 rule; 1 matching process at the last sweep ("), "\(status)")
        #expect(!ready.contains("WATCHDOG=1"), "no watchdog was asked for")

        #expect(agent.stop() == 0)
        let stopping = listener.receive(until: "STOPPING=1", seconds: 5)
        #expect(stopping.last.map { NotifyListener.assignments($0).contains("STOPPING=1") } == true, "\(stopping)")
    }

    @Test func aReloadIsAnnouncedWithItsMonotonicTimeAndEndsWithReadyAgain() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("r")
        let process = try scenario.spawn(name, ["sleep", "60"])
        let config = try scenario.writeConfig("\(name) score=111\n")
        let (agent, listener) = try Self.startNotifying(scenario, config: config)
        #expect(listener.receive(until: "READY=1").count == 1, "log:\n\(agent.log)")

        try scenario.writeConfig("\(name) score=222\n")
        let before = ServiceSupport.monotonicMicroseconds()
        agent.send(SIGHUP)
        let messages = listener.receive(until: "READY=1")
        let after = ServiceSupport.monotonicMicroseconds()
        let logAtReady = agent.log
        let scoreAtReady = process.score
        let reloading = try #require(messages.firstIndex { NotifyListener.assignments($0).contains("RELOADING=1") }, "\(messages)")
        #expect(reloading < messages.count - 1, "RELOADING=1 must come before READY=1: \(messages)")
        let stamp = try #require(NotifyListener.value(of: "MONOTONIC_USEC", in: messages[reloading]).flatMap { UInt64($0) })
        #expect(before <= stamp && stamp <= after, "MONOTONIC_USEC=\(stamp) outside [\(before), \(after)]")
        #expect(logAtReady.contains("config reloaded"), "READY=1 came before the reload finished; log:\n\(logAtReady)")
        #expect(scoreAtReady == 222, "READY=1 came before the reload sweep applied the new rules")

        // A broken file keeps the old rules, and the agent is ready again all the same.
        try scenario.writeConfig("\(name) score=333\n\(name)\n")
        agent.send(SIGHUP)
        let broken = listener.receive(until: "READY=1")
        #expect(broken.contains { NotifyListener.assignments($0).contains("RELOADING=1") }, "\(broken)")
        #expect(broken.last.map { NotifyListener.assignments($0).contains("READY=1") } == true, "\(broken)")
        #expect(agent.log.contains("config reload failed"))
        #expect(process.score == 222)
        #expect(agent.stop() == 0)
    }

    @Test func watchdogPingsComeEveryHalfIntervalFromTheLoopAndStopWhenItStops() throws {
        let scenario = Scenario.current
        let config = try scenario.writeConfig("\(Harness.uniqueName("w")) 5\n")
        let (agent, listener) = try Self.startNotifying(scenario, config: config, extra: ["WATCHDOG_USEC": "400000"])
        let ready = listener.receive(until: "READY=1")
        #expect(ready.last.map { NotifyListener.assignments($0).contains("WATCHDOG=1") } == true, "\(ready); log:\n\(agent.log)")

        // Every 200 ms: about 10 in two seconds; at least 6 leaves room for a loaded machine.
        let pings = listener.drain(seconds: 2).filter { NotifyListener.assignments($0.message).contains("WATCHDOG=1") }
        #expect(pings.count >= 6, "\(pings.count) pings in 2 s")
        #expect(pings.count <= 14, "\(pings.count) pings in 2 s: the loop is spinning")

        // A stopped loop sends nothing: this silence is what makes systemd restart a hung agent.
        agent.send(SIGSTOP)
        _ = listener.drain(seconds: 0.1)
        let whileStopped = listener.drain(seconds: 1)
        agent.send(SIGCONT)
        #expect(whileStopped.isEmpty, "\(whileStopped.map(\.message))")
        #expect(listener.receive(until: "WATCHDOG=1", seconds: 5).last?.contains("WATCHDOG=1") == true)
        #expect(agent.stop() == 0)
    }

    @Test func aWatchdogMeantForAnotherProcessIsIgnored() throws {
        let scenario = Scenario.current
        let config = try scenario.writeConfig("\(Harness.uniqueName("p")) 5\n")
        let (agent, listener) = try Self.startNotifying(
            scenario, config: config, extra: ["WATCHDOG_USEC": "200000", "WATCHDOG_PID": "1"])
        let ready = listener.receive(until: "READY=1")
        #expect(ready.count == 1 && !ready[0].contains("WATCHDOG=1"), "\(ready); log:\n\(agent.log)")
        #expect(listener.drain(seconds: 0.6).isEmpty)
        #expect(agent.stop() == 0)
    }

    @Test func theMetricsFileIsAlwaysWholeAndFollowsTheCounters() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("m")
        let config = try scenario.writeConfig("\(name) score=150\n")
        let metrics = scenario.directory.appendingPathComponent("metrics").path
        try FileManager.default.createDirectory(atPath: metrics, withIntermediateDirectories: true)
        let path = metrics + "/oom_adjust.prom"
        let agent = try scenario.startAgent(
            config: config, arguments: ["--metrics-file", path, "--metrics-interval", "0.1"])
        #expect(Harness.waitUntil { FileManager.default.fileExists(atPath: path) }, "log:\n\(agent.log)")
        let first = try String(contentsOfFile: path, encoding: .utf8)
        #expect(first.contains("oom_adjust_rules 1\n"))
        #expect(first.contains("oom_adjust_sweeps_total 1\n"))
        #expect(first.contains("# TYPE oom_adjust_processes_total counter\n"))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o644)

        _ = try scenario.spawn(name, ["sleep", "60"])
        #expect(
            Harness.waitUntil { ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").contains("oom_adjust_processes_total{outcome=\"adjusted\"} 1\n") },
            "log:\n\(agent.log)")
        let reloadsOK = "oom_adjust_reloads_total{result=\"ok\"} 1\n"
        agent.send(SIGHUP)
        #expect(Harness.waitUntil { ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").contains(reloadsOK) })

        // A reader polling as fast as it can never sees a partial file, across many replacements.
        var reads = 0
        // A freed inode number is soon reused, so a replacement is a new (inode, mtime) pair.
        var versions: Set<[Int]> = []
        var partial: [String] = []
        let deadline = Date().addingTimeInterval(2)
        while Date() < deadline {
            guard let data = FileManager.default.contents(atPath: path) else {
                partial.append("<missing>")
                continue
            }
            let text = String(decoding: data, as: UTF8.self)
            reads += 1
            if !(text.hasPrefix("# HELP oom_adjust_events_total ") && text.hasSuffix("oom_adjust_rules 1\n")) {
                partial.append(text)
            }
            var info = stat()
            if stat(path, &info) == 0 { versions.insert([Int(info.st_ino), info.st_mtim.tv_sec, info.st_mtim.tv_nsec]) }
        }
        #expect(partial.isEmpty, "\(partial.count) of \(reads) reads were not a whole file: \(partial.prefix(2))")
        #expect(versions.count >= 8, "only \(versions.count) replacements seen in 2 s at 0.1 s intervals")
        #expect(reads >= 100)

        #expect(agent.stop() == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: metrics) == ["oom_adjust.prom"], "a temporary file was left behind")
    }

    @Test func aMetricsFileInAMissingDirectoryIsRefusedBeforeStarting() throws {
        let result = try Harness.run(
            Harness.agentBinary,
            ["run", "--config", "/nonexistent.conf", "--metrics-file", "/nonexistent-oa-dir/m.prom"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("the directory of --metrics-file, /nonexistent-oa-dir/, does not exist"), "\(result.stderr)")
    }

    @Test func underTheJournalEveryLineCarriesItsSyslogPriority() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("j")
        let process = try scenario.spawn(name, ["sleep", "60"])
        // The second rule repeats the first: a warning.
        let config = try scenario.writeConfig("\(name) score=120\n\(name) score=130\n")
        var environment = Harness.cleanEnvironment
        environment["JOURNAL_STREAM"] = "8:12345"
        let result = try Harness.run(Harness.agentBinary, ["once", "-v", "--config", config], environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(process.score == 120)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(!lines.isEmpty)
        for line in lines {
            #expect(line.range(of: #"^<[0-7]>[^ <]"#, options: .regularExpression) != nil, "no priority prefix: \(line)")
        }
        #expect(lines.contains { $0.hasPrefix("<4>config warning ") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("<7>adjusted event=sweep pid=\(process.pid) ") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("<6>sweep finished ") }, "\(lines)")

        let broken = try scenario.writeConfig("\(name)\n", name: "broken.conf")
        let refused = try Harness.run(Harness.agentBinary, ["run", "--config", broken], environment: environment)
        #expect(refused.status == 2)
        #expect(refused.stderr.split(separator: "\n").contains { $0.hasPrefix("<3>config error ") }, "\(refused.stderr)")
    }

    /// Applied changes are logged after the write: at the moment the "adjusted" line is in the log, the
    /// process already has the value.
    @Test func anAdjustmentIsLoggedOnlyOnceItIsApplied() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("a")
        let config = try scenario.writeConfig("\(name) score=444\n")
        let agent = try scenario.startAgent(config: config)
        for _ in 0..<5 {
            let process = try scenario.spawn(name, ["sleep", "60"])
            #expect(agent.waitForLog("adjusted", "pid=\(process.pid) "), "log:\n\(agent.log)")
            #expect(process.score == 444)
        }
        #expect(agent.stop() == 0)
    }
}
