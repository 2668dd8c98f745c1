import Foundation
import Testing

extension StressTests {
    /// The ledger of granted protection holds only live processes: descendants of a protected daemon
    /// come and go, and it stays as small as what is alive.
    @Suite(.serialized, .enabled(if: Harness.rootTestsEnabled), .scenario)
    struct LedgerResourceTests {
        @Test func descendantsThatExitLeaveTheLedgerAndMemoryStaysFlat() throws {
            let scenario = Scenario.current
            let name = Harness.uniqueName("m")
            let config = try scenario.writeConfig("\(name) -5\n")
            // A dry run keeps the ledger as if the protective writes this machine refuses had been made.
            let agent = try scenario.startAgent(config: config, arguments: ["--dry-run"])
            let children = 2000
            var rss: [Int] = []
            var peaks: [Int] = []
            for round in 0..<(5 * StressTests.scale) {
                // A protected daemon, granted at its exec, forks a crowd that inherits the grant.
                let crowd = try scenario.spawnCrowd(name, count: children, seconds: 300)
                let daemon = crowd.parent
                var held = -1
                Harness.waitUntil(seconds: Harness.deadline(children, each: 0.005)) {
                    held = agent.counters()["protected_processes"] ?? -1
                    return held >= children + 1
                }
                peaks.append(held)
                // Every child was forked after the grant, so each holds it too.
                #expect(held >= children + 1, "round \(round): \(held) protected while \(children + 1) processes hold it")
                kill(daemon.pid, SIGUSR1)
                #expect(daemon.waitForLine(prefix: "reaped ", seconds: 120) != nil)
                // Exited processes leave it: the agent checks the ledger every few seconds while it holds
                // anything (it does not listen to exits).
                let settled = Harness.waitUntil(seconds: 60) { (agent.counters()["protected_processes"] ?? .max) < 64 }
                #expect(settled, "round \(round): \(agent.counters()["protected_processes"] ?? -1) still protected after every holder exited")
                rss.append(try #require(Harness.residentKiB(of: agent.pid)))
            }
            // The first round grows the dictionary to its working size; after that, nothing.
            #expect(rss.last! - rss[1] < 512, "RSS over the rounds: \(rss) KiB")
            print("ledger: \(rss.count) rounds of \(children) protected children; held at the peak \(peaks); agent RSS \(rss) KiB")
            #expect(agent.stop() == 0)
        }
    }
}
