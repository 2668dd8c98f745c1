import Foundation
import Testing

extension StressTests {
    /// The agent keeps no per-process state: its memory and descriptors stay flat however many
    /// processes come and go, and a sweep survives a crowd that dies under it.
    @Suite(.serialized, .enabled(if: Harness.rootTestsEnabled), .scenario)
    struct ResourceTests {
        @Test func memoryAndDescriptorsStayFlatOverAFloodOfProcessEvents() throws {
            let scenario = Scenario.current
            let config = try scenario.writeConfig("\(Harness.uniqueName("r")) score=100\n")
            let agent = try scenario.startAgent(config: config, arguments: [])
            let forker = Harness.uniqueName("p")

            /// Fork events, as many as `count`: each from a process that exits at once (see testproc forks).
            func flood(_ count: Int) throws -> Double {
                let start = StressTests.monotonicSeconds()
                let storm = try scenario.spawn(forker, ["forks", "\(count)"])
                #expect(storm.waitForLine(prefix: "done ", seconds: Harness.deadline(count, each: 0.002)) == "\(count)")
                // Let the agent drain its socket before it is measured.
                #expect(Harness.waitUntil(seconds: 120) { NetlinkForgery.connectorSocket(of: agent.pid)?.queuedBytes == 0 })
                return StressTests.monotonicSeconds() - start
            }

            // Warm up: whatever the allocator and the runtime keep after a first storm is not a leak.
            _ = try flood(20_000)
            let before = agent.counters()
            let rssBefore = try #require(Harness.residentKiB(of: agent.pid))
            let fdsBefore = try #require(Harness.openDescriptorCount(of: agent.pid))

            // 200,000 in CI; scripts/soak.sh runs the full million (OOM_ADJUST_STRESS_SCALE=5).
            let count = 200_000 * StressTests.scale
            let seconds = try flood(count)
            let after = agent.counters()
            let rssAfter = try #require(Harness.residentKiB(of: agent.pid))
            let fdsAfter = try #require(Harness.openDescriptorCount(of: agent.pid))

            let handled = (after["events_fork"] ?? 0) - (before["events_fork"] ?? 0)
            let overflows = (after["overflows"] ?? 0) - (before["overflows"] ?? 0)
            // Without overflows the agent saw every one of them (and more: the rest of the machine).
            #expect(overflows > 0 || handled >= count, "handled \(handled) of \(count) fork events")
            #expect(handled >= count / 2, "the agent must really have handled the flood: \(handled) of \(count)")
            #expect(fdsAfter == fdsBefore, "open descriptors: \(fdsBefore) before, \(fdsAfter) after")
            // A leak of even 4 bytes an event would be 800 KiB here.
            #expect(rssAfter - rssBefore < 512, "RSS grew from \(rssBefore) KiB to \(rssAfter) KiB over \(handled) events")
            print(
                "flood: \(count) forks in \(String(format: "%.1f", seconds)) s; the agent handled \(handled) fork events (overflows \(overflows)); RSS \(rssBefore) KiB -> \(rssAfter) KiB; open fds \(fdsBefore) -> \(fdsAfter)"
            )
            #expect(agent.stop() == 0)
        }

        @Test func sweepsOverTenThousandProcessesFinishWithoutErrorWhileTheyDie() throws {
            let scenario = Scenario.current
            let name = Harness.uniqueName("d")
            let children = try scenario.spawnCrowd(name, count: 10_000, seconds: 600).children
            #expect(children.count == 10_000)
            // What a sweep over the crowd may take, at most: it examines and writes every one of them.
            let sweepSeconds = Harness.deadline(children.count, each: 0.003)

            // The start-up sweep meets all of them.
            let config = try scenario.writeConfig("\(name) score=700\n")
            let agent = try scenario.startAgent(config: config, arguments: [], startupSeconds: sweepSeconds)
            let startup = try #require(agent.lines(containing: "sweep finished", "reason=start-up").first)
            #expect(Int(StressTests.field("processes", in: startup) ?? "") ?? 0 > 10_000, "\(startup)")
            #expect(Int(StressTests.field("adjusted", in: startup) ?? "") ?? 0 >= 10_001, "\(startup)")
            #expect(StressTests.field("failed", in: startup) == "0", "\(startup)")
            #expect(children.allSatisfy { Harness.score(of: $0) == 700 })

            // Then sweeps (one per reload, alternating values so each writes) while the crowd is killed
            // a hundred at a time: processes vanish between the listing and the open, read or write.
            let killer = Thread {
                for batch in stride(from: 0, to: children.count, by: 100) {
                    for pid in children[batch..<min(batch + 100, children.count)] { kill(pid, SIGKILL) }
                    usleep(5_000)
                }
            }
            killer.start()
            var sweeps = 0
            while !children.allSatisfy({ kill($0, 0) != 0 }) && sweeps < 200 {
                try scenario.writeConfig("\(name) score=\(sweeps % 2 == 0 ? 710 : 700)\n")
                agent.send(SIGHUP)
                sweeps += 1
                #expect(
                    Harness.waitUntil(seconds: sweepSeconds) { agent.count("sweep finished", "reason=reload") == sweeps },
                    "log:\n\(agent.log.suffix(2000))")
            }
            let summaries = agent.lines(containing: "sweep finished", "reason=reload")
            for summary in summaries {
                #expect(StressTests.field("failed", in: summary) == "0", "\(summary)")
            }
            let counters = agent.counters()
            #expect(counters["failed"] == 0, "counters: \(counters)")
            #expect(agent.count("cannot list /proc") == 0 && agent.count("cannot examine or adjust process") == 0)
            print(
                "crowd: the start-up sweep met \(StressTests.field("processes", in: startup) ?? "?") processes in \(StressTests.field("duration_ms", in: startup) ?? "?") ms; \(sweeps) sweeps while 10,000 were killed: processes per sweep \(summaries.compactMap { StressTests.field("processes", in: $0) }.joined(separator: ",")); gone=\(counters["gone"] ?? -1) failed=\(counters["failed"] ?? -1)"
            )
            #expect(agent.stop() == 0)
        }
    }
}
