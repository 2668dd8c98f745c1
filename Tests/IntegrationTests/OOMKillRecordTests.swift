import Foundation
import Testing

extension StressTests {
    /// The prediction and the record, against real OOM kills in a memory cgroup of our own: `rank
    /// --cgroup` names the victim before the kill, the kernel kills it, and the agent's record of the
    /// kill names the same process and the rule that made it first, or says that no rule did.
    @Suite(.serialized, .enabled(if: Harness.rootTestsEnabled))
    struct OOMKillRecordTests {
        static let limitMiB = 128

        /// One kill: `grower` (60 MiB, then 40 more on SIGUSR1) and `other` (30 MiB) in the cgroup;
        /// `rank` must put `expectedFirst` first; then the growth makes the kernel kill it.
        struct Round {
            let grower: String
            let other: String
            /// true: the other one (a rule's score=900) is expected first; false: the grower, which no
            /// rule names, as the largest.
            let ruledVictim: Bool
        }

        /// Returns the victim's PID and the agent's record line.
        static func play(_ round: Round, in cgroup: MemoryCgroup, scenario: Scenario, agent: AgentProcess, config: String)
            throws -> (victim: Int32, record: String)
        {
            let grower = try scenario.spawn(executable: try scenario.program(named: round.grower), ["alloc", "60", "60", "40"], cgroupProcs: cgroup.procs)
            let other = try scenario.spawn(executable: try scenario.program(named: round.other), ["alloc", "30", "60"], cgroupProcs: cgroup.procs)
            defer {
                for process in [grower, other] where process.process.isRunning { kill(process.pid, SIGKILL) }
                grower.process.waitUntilExit()
                other.process.waitUntilExit()
            }
            if round.ruledVictim {
                #expect(Harness.waitUntil { other.score == 900 }, "log:\n\(agent.log)")
            } else {
                #expect(agent.waitForLog("pid=\(other.pid) ", "new=0"), "log:\n\(agent.log)")
            }
            let expected = round.ruledVictim ? other : grower

            // Before: the prediction.
            let ranking = try Harness.run(Harness.agentBinary, ["rank", "--config", config, "--cgroup", cgroup.path, "--json"])
            try #require(ranking.status == 0, "\(ranking.stderr)")
            let rows = try #require(JSONSerialization.jsonObject(with: Data(ranking.stdout.utf8)) as? [[String: Any]])
            let first = try #require(rows.first, "\(ranking.stdout)")
            #expect(first["pid"] as? Int == Int(expected.pid), "rank: \(ranking.stdout)")
            #expect(first["rule"] as? String == (round.ruledVictim ? "\(config):1" : nil), "rank: \(ranking.stdout)")

            // The kill.
            kill(grower.pid, SIGUSR1)
            #expect(Harness.waitUntil(seconds: 30) { !expected.process.isRunning }, "the kernel killed nobody")
            expected.process.waitUntilExit()
            #expect(expected.process.terminationReason == .uncaughtSignal && expected.process.terminationStatus == SIGKILL)

            // After: the record.
            let fragments = ["the OOM killer killed a process", "pid=\(expected.pid) ", "constraint=memcg"]
            #expect(agent.waitForLog(fragments[0], fragments[1], fragments[2], seconds: 30), "log:\n\(agent.log)")
            let records = agent.lines(containing: fragments[0], fragments[1])
            #expect(records.count == 1, "one record per kill: \(records)")
            return (expected.pid, records.first ?? "")
        }

        @Test(.privileged) func rankNamesTheVictimTheKernelKillsItAndTheRecordNamesTheRule() throws {
            guard Harness.oomTestIsSafe() else { return }
            guard let cgroup = try MemoryCgroup.ofThisTest("oa-kill", limitMiB: Self.limitMiB) else { return }
            let scenario = try Scenario()
            defer {
                scenario.cleanUp()
                cgroup.remove()
            }
            let ruled = Harness.uniqueName("R")
            let grower = Harness.uniqueName("G")
            let unruled = Harness.uniqueName("U")
            let bystander = Harness.uniqueName("B")
            let config = try scenario.writeConfig("\(ruled) score=900\n\(grower) score=0\n\(bystander) score=0\n")
            let metrics = scenario.directory.appendingPathComponent("oom_adjust.prom").path
            let agent = try scenario.startAgent(config: config, arguments: ["-v", "--metrics-file", metrics, "--metrics-interval", "0.2"])
            #expect(agent.count("watching the kernel log for OOM kills") == 1, "log:\n\(agent.log)")

            var victims: [Int32] = []
            let rounds = 3 * StressTests.scale
            for _ in 0..<rounds {
                let (victim, record) = try Self.play(Round(grower: grower, other: ruled, ruledVictim: true), in: cgroup, scenario: scenario, agent: agent, config: config)
                victims.append(victim)
                #expect(record.contains(" comm=\(ruled) ") && record.contains(" rule=\(config):1 "), "\(record)")
                #expect(record.contains(" oom_score_adj=900 ") && record.contains(" victim=ruled") && record.contains(" protected=no "), "\(record)")
                #expect(record.contains(" uid=0 ") && record.contains(" cgroup=/"), "\(record)")
                #expect(record.contains(" warning "), "\(record)")
            }
            // No rule for the victim: the largest, which no rule names, goes first.
            let (victim, record) = try Self.play(Round(grower: unruled, other: bystander, ruledVictim: false), in: cgroup, scenario: scenario, agent: agent, config: config)
            victims.append(victim)
            #expect(record.contains(" comm=\(unruled) ") && record.contains(" rule=\"no rule\" ") && record.contains(" victim=unruled"), "\(record)")

            // The counters and the metrics file.
            // Other tests on the machine may kill processes of their own meanwhile: those are unruled too.
            func unruledCount(_ text: String) -> Int {
                text.split(separator: "\n").first { $0.hasPrefix("oom_adjust_oom_kills_total{victim=\"unruled\"} ") }
                    .flatMap { Int($0.split(separator: " ")[1]) } ?? 0
            }
            #expect(Harness.waitUntil {
                let text = (try? String(contentsOfFile: metrics, encoding: .utf8)) ?? ""
                return text.contains("oom_adjust_oom_kills_total{victim=\"ruled\"} \(rounds)\n") && unruledCount(text) >= 1
                    && text.contains("oom_adjust_oom_kills_total{victim=\"protected\"} 0\n") && text.contains("oom_adjust_oom_kills_watched 1\n")
            }, "metrics:\n\((try? String(contentsOfFile: metrics, encoding: .utf8)) ?? "")")
            #expect(agent.stop() == 0)

            // `status` names the last kill from the kernel log.
            let status = try Harness.run(Harness.agentBinary, ["status", "--config", config])
            #expect(status.stdout.contains("Last OOM kill: "), "\(status.stdout)")

            // A new agent starts at the end of the log: no old kill is reported as new.
            let fresh = try scenario.startAgent(config: config)
            let probe = try scenario.spawn(ruled, ["sleep", "60"])
            #expect(Harness.waitUntil { probe.score == 900 })
            #expect(fresh.count("the OOM killer killed a process") == 0, "log:\n\(fresh.log)")
            #expect(fresh.stop() == 0)
            print("oom kill records (cgroup v\(cgroup.version), \(Self.limitMiB) MiB): rank named and the kernel killed \(victims); the last record: \(record)")
        }
    }
}
