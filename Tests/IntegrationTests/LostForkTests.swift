import Foundation
import Testing

extension StressTests {
    /// Protection inherited through a fork whose event was lost in an overflow.
    @Suite(.serialized, .enabled(if: Harness.rootTestsEnabled), .scenario)
    struct LostForkTests {
        @Test func aForkLostInAnOverflowIsFoundThroughItsProtectedParent() throws {
            let scenario = Scenario.current
            let name = Harness.uniqueName("o")
            let config = try scenario.writeConfig("\(name) -5\n")
            // A receive buffer a few events fill; a dry run, so the ledger holds the grant that this
            // machine's kernel (without CAP_SYS_RESOURCE) would refuse.
            let agent = try scenario.startAgent(config: config, arguments: ["-v", "--dry-run", "--receive-buffer", "4096"])
            let nobody = try Harness.uid(of: "nobody")
            let daemon = try scenario.spawn(name, ["forkdrop", "usr1", "\(nobody)", "120"])
            #expect(agent.waitForLog("would adjust (dry run)", "pid=\(daemon.pid)", "new=-294"), "log:\n\(agent.log)")
            agent.send(SIGSTOP)
            // Fill the stopped agent's socket, then fork: the child's fork and uid events are lost.
            let storm = try scenario.spawn(Harness.uniqueName("f"), ["forks", "2000"])
            #expect(storm.waitForLine(prefix: "done ", seconds: 120) == "2000")
            kill(daemon.pid, SIGUSR1)
            let child = try #require(daemon.waitForLine(prefix: "child ").flatMap { Int32($0) })
            scenario.trackDescendant(child)
            #expect(daemon.waitForLine(prefix: "dropped ") != nil)
            agent.send(SIGCONT)
            #expect(agent.waitForLog("sweep finished", "reason=overflow", seconds: 60), "log:\n\(agent.log.suffix(3000))")
            #expect(
                agent.waitForLog("would take back protection (dry run)", "event=sweep", "pid=\(child)", "not a system account"),
                "log:\n\(agent.log.suffix(3000))")
            #expect(agent.stop() == 0)
        }
    }
}
