import Foundation
import Testing

extension StressTests {
    /// The agent stopped while its socket overflows, killed and restarted, and racing a supervisor that
    /// respawns its worker: every matching process still ends up with its value.
    @Suite(.serialized, .enabled(if: Harness.rootTestsEnabled), .scenario)
    struct FaultTests {
        @Test func anOverflowWhileStoppedIsLoggedCountedAndHealedBySweeping() throws {
            let scenario = Scenario.current
            let names = (0..<4).map { Harness.uniqueName("v\($0)") }
            let config = try scenario.writeConfig(names.enumerated().map { "\($1) score=\(510 + 10 * $0)\n" }.joined())
            // The default receive buffer: 8 MiB, 16 MiB as the kernel counts, about 20,000 events.
            let agent = try scenario.startAgent(config: config)
            agent.send(SIGSTOP)

            // Two storms of 12,500 execs each: 50,000 events (a fork and an exec each), far beyond it.
            let execs = 12_500 * StressTests.scale
            let stormName = Harness.uniqueName("w")
            let stormStart = StressTests.monotonicSeconds()
            let storms = try (0..<2).map { _ in try scenario.spawn(stormName, ["spawn", "\(execs)", "/bin/true"]) }
            for storm in storms {
                #expect(storm.waitForLine(prefix: "done ", seconds: Harness.deadline(execs, each: 0.01)) == "\(execs)")
            }
            let stormSeconds = StressTests.monotonicSeconds() - stormStart

            // Then a few hundred matching processes, whose events find the socket full.
            var targets: [(pid: Int32, score: Int)] = []
            for (index, name) in names.enumerated() {
                let group = try scenario.spawnCrowd(name, count: 75, seconds: 300)
                #expect(group.children.count == 75)
                targets += ([group.parent.pid] + group.children).map { ($0, 510 + 10 * index) }
            }
            #expect(targets.allSatisfy { Harness.score(of: $0.pid) == 0 }, "the agent is stopped: nothing may have changed yet")

            agent.send(SIGCONT)
            let healed = StressTests.secondsUntil(seconds: 30) {
                targets.allSatisfy { Harness.score(of: $0.pid) == $0.score }
            }
            #expect(healed != nil, "not every matching process got its value; log:\n\(agent.log.suffix(4000))")
            #expect(agent.waitForLog("warning process events were lost: the socket overflowed; sweeping /proc"))
            #expect(agent.waitForLog("sweep finished", "reason=overflow"))
            let counters = agent.counters()
            #expect((counters["overflows"] ?? 0) >= 1, "counters: \(counters)")
            let bySweep = targets.filter { agent.count("adjusted", "event=sweep", "pid=\($0.pid) ") == 1 }.count
            print(
                "overflow: \(2 * execs) execs in \(String(format: "%.1f", stormSeconds)) s while the agent was stopped; \(targets.count) matching processes all had their values \(healed.map { String(format: "%.0f ms", $0 * 1000) } ?? "never") after SIGCONT (\(bySweep) set by the overflow sweep); overflows=\(counters["overflows"] ?? -1) datagrams=\(counters["datagrams"] ?? -1)"
            )
            #expect(agent.stop() == 0)
        }

        @Test func aSmallReceiveBufferOverflowsAfterAFewEvents() throws {
            let scenario = Scenario.current
            let name = Harness.uniqueName("t")
            let config = try scenario.writeConfig("\(name) score=520\n")
            let refused = try Harness.run(Harness.agentBinary, ["run", "--config", config, "--receive-buffer", "100"])
            #expect(refused.status == 64)
            #expect(refused.stderr.contains("--receive-buffer must be from 4096 to 1073741824 bytes"), "\(refused.stderr)")

            let agent = try scenario.startAgent(config: config, arguments: ["-v", "--receive-buffer", "4096"])
            #expect(agent.waitForLog("subscribed to process events", "receive_buffer_bytes=8192"), "log:\n\(agent.log)")
            agent.send(SIGSTOP)
            let storm = try scenario.spawn(Harness.uniqueName("w"), ["spawn", "200", "/bin/true"])
            #expect(storm.waitForLine(prefix: "done ", seconds: Harness.deadline(200, each: 0.01)) == "200")
            let late = try scenario.spawn(name, ["sleep", "60"])
            agent.send(SIGCONT)
            #expect(Harness.waitUntil { late.score == 520 }, "log:\n\(agent.log)")
            #expect(agent.waitForLog("process events were lost: the socket overflowed; sweeping /proc"))
            #expect(agent.count("adjusted", "event=sweep", "pid=\(late.pid) ") == 1, "its events were lost: the sweep set it")
            #expect((agent.counter("overflows") ?? 0) >= 1)
            #expect(agent.stop() == 0)
        }

        @Test func aRestartAfterKillNineFixesEverythingStartedWhileTheAgentWasDown() throws {
            let scenario = Scenario.current
            let names = (0..<3).map { Harness.uniqueName("c\($0)") }
            let config = try scenario.writeConfig(names.enumerated().map { "\($1) score=\(610 + 10 * $0)\n" }.joined())
            let first = try scenario.startAgent(config: config)
            let before = try scenario.spawn(names[0], ["sleep", "120"])
            #expect(Harness.waitUntil { before.score == 610 }, "log:\n\(first.log)")
            #expect(first.stop(with: SIGKILL) == 128 + SIGKILL)

            var targets: [(pid: Int32, score: Int)] = []
            for (index, name) in names.enumerated() {
                let group = try scenario.spawnCrowd(name, count: 20, seconds: 120)
                targets += ([group.parent.pid] + group.children).map { ($0, 610 + 10 * index) }
            }
            #expect(targets.count == 63)
            #expect(targets.allSatisfy { Harness.score(of: $0.pid) == 0 })

            // startAgent returns once the start-up sweep has logged its summary: by then it is done.
            let second = try scenario.startAgent(config: config)
            let missed = targets.filter { Harness.score(of: $0.pid) != $0.score }
            #expect(missed.isEmpty, "not fixed by the start-up sweep: \(missed); log:\n\(second.log)")
            for target in targets {
                #expect(second.count("adjusted", "event=sweep", "pid=\(target.pid) ", "new=\(target.score)") == 1)
            }
            #expect(before.score == 610)
            let summary = second.lines(containing: "sweep finished", "reason=start-up").first ?? ""
            print("restart: the start-up sweep fixed \(targets.count - missed.count) of \(targets.count) processes started while the agent was down: \(summary)")
            #expect(second.stop() == 0)
        }

        @Test func everyIncarnationOfARespawnedWorkerGetsItsValue() throws {
            let scenario = Scenario.current
            let worker = Harness.uniqueName("k")
            let config = try scenario.writeConfig("\(worker) score=640\n")
            let agent = try scenario.startAgent(config: config)
            let incarnations = 50 * StressTests.scale
            let supervisor = try scenario.spawn(
                Harness.uniqueName("u"), ["supervise", "\(incarnations)", try scenario.program(named: worker), "sleep", "120"])

            var pids: [Int32] = []
            var polled: [Double] = []
            for _ in 0..<incarnations {
                let line = try #require(supervisor.waitForLine(prefix: "worker "))
                let pid = try #require(Int32(line))
                scenario.trackDescendant(pid)
                pids.append(pid)
                // Measured from when this test read the supervisor's line: an upper bound, since the
                // agent may have been done before.
                let delay = StressTests.secondsUntil(seconds: 10) { Harness.score(of: pid) == 640 }
                #expect(delay != nil, "incarnation \(pids.count), pid \(pid), never got its value; log:\n\(agent.log.suffix(3000))")
                polled.append((delay ?? 10) * 1000)
                kill(pid, SIGKILL)
            }
            #expect(supervisor.waitForLine(prefix: "done") != nil)
            #expect(Set(pids).count == incarnations)

            // The agent's own measure: from the kernel's event to the write.
            let latencies = pids.compactMap { pid -> Double? in
                let line = agent.lines(containing: "adjusted", "pid=\(pid) ", "new=640").first
                return line.flatMap { StressTests.field("latency_us", in: $0) }.flatMap(Double.init)
            }
            #expect(latencies.count == incarnations, "every incarnation is adjusted once, with its latency; log:\n\(agent.log.suffix(3000))")
            print(
                "respawn: \(incarnations) incarnations; event-to-write latency \(StressTests.summary(latencies.map { $0 / 1000 }, unit: "ms")); seen by polling after the supervisor's line \(StressTests.summary(polled, unit: "ms"))"
            )
            #expect(agent.stop() == 0)
        }
    }
}
