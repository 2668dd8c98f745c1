import Foundation
import Testing

/// SIGHUP: new rules apply to running processes; a broken file keeps the old ones.
@Suite(.serialized, .enabled(if: Harness.rootTestsEnabled), .scenario)
struct ReloadTests {
    @Test func aReloadAppliesNewRulesAndABrokenReloadKeepsTheOldOnes() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("h")
        let config = try scenario.writeConfig("\(name) score=100\n")
        let agent = try scenario.startAgent(config: config)
        let first = try scenario.spawn(name, ["sleep", "60"])
        #expect(Harness.waitUntil { first.score == 100 })

        try scenario.writeConfig("# reworded\n\(name) score=200\n")
        agent.send(SIGHUP)
        #expect(Harness.waitUntil { first.score == 200 }, "log:\n\(agent.log)")
        #expect(agent.waitForLog("config reloaded", "rules=1"))
        #expect(agent.waitForLog("sweep finished", "reason=reload"))

        try scenario.writeConfig("\(name) score=250\n\(name) twelve\nother\n")
        agent.send(SIGHUP)
        #expect(agent.waitForLog("config reload failed; keeping the previous rules", "errors=2"))
        #expect(agent.waitForLog("config error", "\(config):2:"))
        #expect(agent.waitForLog("config error", "\(config):3:"))
        // The previous rules (score=200) still apply, to old and new processes alike.
        let second = try scenario.spawn(name, ["sleep", "60"])
        #expect(Harness.waitUntil { second.score == 200 }, "log:\n\(agent.log)")
        #expect(first.score == 200)
        #expect(agent.stop() == 0)
    }
}
