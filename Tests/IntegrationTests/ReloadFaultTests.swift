import Foundation
import Testing

extension StressTests {
    /// Reloads under fire: a hundred SIGHUPs during an exec storm, and every way a reload can be broken.
    @Suite(.serialized, .enabled(if: Harness.rootTestsEnabled), .scenario)
    struct ReloadFaultTests {
        @Test func aHundredReloadsDuringAnExecStormMissNoProcessAndEndOnTheLastRules() throws {
            let scenario = Scenario.current
            let name = Harness.uniqueName("h")
            let other = Harness.uniqueName("g")
            // Reload k sets score 300 + k; every tenth file is broken and must change nothing.
            func rules(_ k: Int) -> String {
                k % 10 == 4 ? "\(name) score=\(300 + k)\n\(other) twelve\n" : "\(name) score=\(300 + k)\n\(other) score=200\n"
            }
            let config = try scenario.writeConfig("\(name) score=299\n")
            let agent = try scenario.startAgent(config: config)
            let storm = try scenario.spawn(Harness.uniqueName("w"), ["spawn", "\(20_000 * StressTests.scale)", "/bin/true"])

            let reloads = 100 * StressTests.scale
            var processes: [TestProcess] = []
            var unseen: [Int32] = []
            for k in 0..<reloads {
                let last = k == reloads - 1
                try scenario.writeConfig(last ? "\(name) score=999\n\(other) score=200\n" : rules(k % 100))
                agent.send(SIGHUP)
                if k % 5 == 0 {
                    let process = try scenario.spawn(name, ["sleep", "120"])
                    processes.append(process)
                    // Missed would mean no rule ever applied to it: it keeps the 0 it was born with.
                    if !Harness.waitUntil(seconds: 10, { (process.score ?? 0) != 0 }) { unseen.append(process.pid) }
                }
                usleep(10_000)
            }
            #expect(unseen.isEmpty, "processes no rule was applied to: \(unseen); log:\n\(agent.log.suffix(4000))")
            // The signal sent after the last file was written makes a reload that reads it, however
            // many earlier SIGHUPs merged while one was pending.
            #expect(Harness.waitUntil(seconds: 20) { processes.allSatisfy { $0.score == 999 } }, "log:\n\(agent.log.suffix(4000))")
            let late = try scenario.spawn(name, ["sleep", "60"])
            #expect(Harness.waitUntil { late.score == 999 })
            let stormRunning = storm.process.isRunning
            kill(storm.pid, SIGKILL)

            #expect(agent.process.isRunning, "the agent died; log:\n\(agent.log.suffix(4000))")
            let counters = agent.counters()
            let ok = counters["reloads_ok"] ?? 0
            let failed = counters["reloads_failed"] ?? 0
            #expect(ok >= 1 && ok + failed <= reloads, "counters: \(counters)")
            #expect(agent.count("the event loop failed") == 0)
            #expect(agent.count("cannot list /proc") == 0)
            print(
                "reload storm: \(reloads) SIGHUPs (storm still running at the end: \(stormRunning)) made \(ok) reloads and \(failed) refused ones (signals merge while pending); \(processes.count + 1) processes started meanwhile, none missed, all on the last rules; sweeps=\(counters["sweeps"] ?? -1)"
            )
            #expect(agent.stop() == 0)
        }

        @Test func everyKindOfBrokenReloadKeepsTheRulesInForceAndNamesEveryError() throws {
            let scenario = Scenario.current
            let main = Harness.uniqueName("y")
            let extra = Harness.uniqueName("z")
            let dropIns = scenario.directory.appendingPathComponent("oom_adjust.d")
            try FileManager.default.createDirectory(at: dropIns, withIntermediateDirectories: true)
            chmod(dropIns.path, 0o755)
            let config = try scenario.writeConfig("\(main) score=150\n")
            let dropIn = try scenario.writeConfig("\(extra) score=160\n", name: "oom_adjust.d/50-extra.conf")
            let agent = try scenario.startAgent(config: config)
            let first = try scenario.spawn(main, ["sleep", "120"])
            let second = try scenario.spawn(extra, ["sleep", "120"])
            #expect(Harness.waitUntil { first.score == 150 && second.score == 160 }, "log:\n\(agent.log)")

            var refusals = 0
            /// Reloads, expects a refusal naming `errors`, and checks that the old rules still apply to
            /// new processes and that the running ones kept their values.
            func expectRefused(_ errors: [String], _ comment: Comment) throws {
                agent.send(SIGHUP)
                refusals += 1
                #expect(
                    Harness.waitUntil { agent.count("config reload failed; keeping the previous rules") == refusals },
                    comment)
                #expect(agent.lines(containing: "config reload failed").last?.contains("errors=\(errors.count)") == true, comment)
                for error in errors {
                    #expect(agent.count("config error", error) >= 1, "\(comment): no `\(error)` in the log:\n\(agent.log.suffix(3000))")
                }
                let newcomers = try [scenario.spawn(main, ["sleep", "60"]), scenario.spawn(extra, ["sleep", "60"])]
                #expect(Harness.waitUntil { newcomers[0].score == 150 && newcomers[1].score == 160 }, comment)
                #expect(first.score == 150 && second.score == 160, comment)
            }

            // Errors in both files, several in one line: each is logged with its PATH:LINE.
            try scenario.writeConfig("\(main) score=151\n\(main)-two 99\n")
            try scenario.writeConfig("# extra\n\(extra)\n\(extra) score=x y\n", name: "oom_adjust.d/50-extra.conf")
            try expectRefused(
                ["\(config):2: error: oom_adj value", "\(dropIn):2: error:", "\(dropIn):3: error: `score=x`", "\(dropIn):3: error: unexpected `y`"],
                "errors in two files")

            // A whole-file error: too big to be a config (it names the path, no line).
            try scenario.writeConfig("\(extra) score=161\n", name: "oom_adjust.d/50-extra.conf")
            try scenario.writeConfig(String(repeating: "# padding\n", count: 110_000))
            try expectRefused(["\(config): error: file is 1100000 bytes; a config may be at most 1048576 bytes"], "too big")

            // The main file is gone.
            try FileManager.default.removeItem(atPath: config)
            try expectRefused(["\(config): error: cannot open: No such file or directory"], "missing")

            // Anyone may write it, or it belongs to someone else: not trusted (StrictModes).
            try scenario.writeConfig("\(main) score=152\n")
            chmod(dropIn, 0o646)
            try expectRefused(["\(dropIn): error: writable by others (mode 0646); run chmod o-w \(dropIn)"], "world-writable drop-in")
            chmod(dropIn, 0o644)
            chown(config, 65534, 0)
            try expectRefused(["\(config): error: owned by uid 65534, not root; run chown root \(config)"], "owned by nobody")

            // Fixed: the new rules apply to everything running.
            chown(config, 0, 0)
            try scenario.writeConfig("\(main) score=170\n")
            try scenario.writeConfig("\(extra) score=180\n", name: "oom_adjust.d/50-extra.conf")
            agent.send(SIGHUP)
            #expect(agent.waitForLog("config reloaded", "rules=2"))
            #expect(Harness.waitUntil { first.score == 170 && second.score == 180 }, "log:\n\(agent.log.suffix(3000))")
            #expect(agent.counter("reloads_failed") == refusals)
            #expect(agent.stop() == 0)
        }
    }
}
