import Foundation
import Testing

/// The running agent against the real proc connector: sweep, exec, fork, rename, signals.
@Suite(.serialized, .enabled(if: Harness.rootTestsEnabled), .scenario)
struct AgentEventTests {
    @Test func startUpSweepFixesAProcessThatWasAlreadyRunning() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("s")
        let early = try scenario.spawn(name, ["sleep", "60"])
        #expect(early.score == 0)
        let config = try scenario.writeConfig("\(name) score=300\n")
        let agent = try scenario.startAgent(config: config)
        #expect(Harness.waitUntil { early.score == 300 }, "log:\n\(agent.log)")
        #expect(agent.count("adjusted", "event=sweep", "pid=\(early.pid)", "rule=\(config):1", "old=0", "new=300") == 1)
        #expect(agent.stop() == 0)
    }

    @Test func anExecedProcessIsAdjustedAndTraced() throws {
        let scenario = Scenario.current
        let starter = Harness.uniqueName("a")
        let name = Harness.uniqueName("e")
        let config = try scenario.writeConfig("# a comment\n\n\(name) 5   # legacy scale\n")
        let agent = try scenario.startAgent(config: config)
        // The process starts under a name no rule knows and only later execs the matching program, so
        // the exec event alone can be what adjusts it.
        let target = try scenario.program(named: name)
        let process = try scenario.spawn(starter, ["exec", "usr1", target, "sleep", "60"])
        #expect(process.score == 0)
        kill(process.pid, SIGUSR1)
        #expect(process.waitForLine(prefix: "ready ") != nil)
        // Legacy 5 is oom_score_adj 294, as the kernel converts an oom_adj write.
        #expect(Harness.waitUntil { process.score == 294 }, "log:\n\(agent.log)")
        #expect(agent.waitForLog("adjusted", "event=exec", "pid=\(process.pid)", "comm=\(name)", "rule=\(config):3", "old=0", "new=294", "latency_us="))
        #expect(agent.stop() == 0)
    }

    @Test func aForkOnlyChildIsAdjusted() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("f")
        let config = try scenario.writeConfig("\(name) score=310\n")
        let agent = try scenario.startAgent(config: config)
        // Once the agent has adjusted the parent, put it back to 0 by hand, then let it fork: the child
        // inherits 0, and only the agent's handling of the fork event can give it 310.
        let parent = try scenario.spawn(name, ["fork", "usr1", "60"])
        #expect(Harness.waitUntil { parent.score == 310 })
        try Harness.setScore(0, of: parent.pid)
        kill(parent.pid, SIGUSR1)
        let childLine = try #require(parent.waitForLine(prefix: "child "))
        let child = try #require(Int32(childLine))
        scenario.trackDescendant(child)
        #expect(Harness.waitUntil { Harness.score(of: child) == 310 }, "log:\n\(agent.log)")
        #expect(agent.waitForLog("adjusted", "event=fork", "pid=\(child)", "old=0", "new=310"))
        // No event concerned the parent since: it keeps the value it was given by hand.
        #expect(parent.score == 0)
        #expect(agent.stop() == 0)
    }

    @Test func aRenamedProcessIsMatchedAgainAndKeepsItsValueWhenItNoLongerMatches() throws {
        let scenario = Scenario.current
        let before = Harness.uniqueName("b")
        let after = Harness.uniqueName("r")
        let later = Harness.uniqueName("x")
        let config = try scenario.writeConfig("\(after) score=320\n")
        let agent = try scenario.startAgent(config: config)
        let process = try scenario.spawn(before, ["rename", after, "60"])
        #expect(process.waitForLine(prefix: "renamed") != nil)
        #expect(Harness.waitUntil { process.score == 320 }, "log:\n\(agent.log)")
        #expect(agent.waitForLog("adjusted", "event=comm", "pid=\(process.pid)", "comm=\(after)", "new=320"))

        // A second rename to a name no rule knows leaves the value alone. It comes once the exec under
        // the matching name has been handled; and a process started after it is handled after its event,
        // so once that one has its value the agent has seen the rename too.
        let renamer = try scenario.spawn(after, ["rename", later, "60", "usr1"])
        #expect(Harness.waitUntil { renamer.score == 320 })
        kill(renamer.pid, SIGUSR1)
        #expect(renamer.waitForLine(prefix: "renamed") != nil)
        let marker = try scenario.spawn(after, ["sleep", "60"])
        #expect(Harness.waitUntil { marker.score == 320 }, "log:\n\(agent.log)")
        #expect(renamer.score == 320)
        #expect(agent.stop() == 0)
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func aStopSignalEndsTheAgentWithStatusZero(signal: Int32) throws {
        let scenario = Scenario.current
        let config = try scenario.writeConfig("\(Harness.uniqueName("t")) score=1\n")
        let agent = try scenario.startAgent(config: config)
        #expect(agent.stop(with: signal) == 0)
        #expect(agent.waitForLog("stopping", signal == SIGTERM ? "SIGTERM" : "SIGINT"))
    }

    @Test func outsideTheInitialNamespacesTheAgentFailsWithAClearMessage() throws {
        let scenario = Scenario.current
        let config = try scenario.writeConfig("\(Harness.uniqueName("n")) score=1\n")
        // In a new user and PID namespace the kernel ignores the subscription: no ack ever comes.
        let result = try Harness.run(
            "/usr/bin/unshare", ["--user", "--map-root-user", "--pid", "--fork", Harness.agentBinary, "run", "--config", config])
        #expect(result.status == 1)
        #expect(result.stderr.contains("CAP_NET_ADMIN"), "stderr: \(result.stderr)")
        #expect(result.stderr.contains("PID namespace"), "stderr: \(result.stderr)")
    }
}
