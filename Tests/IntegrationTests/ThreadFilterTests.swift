import Foundation
import Testing

/// The kernel-side event mask and the socket filter against thread churn: creating a thread is a fork
/// event to the proc connector, and none of them may wake the agent.
@Suite(.serialized, .enabled(if: Harness.rootTestsEnabled), .scenario)
struct ThreadFilterTests {
    @Test func tenThousandThreadsWakeTheAgentForNoneOfThem() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("t")
        let config = try scenario.writeConfig("\(name) score=330\n")
        let agent = try scenario.startAgent(config: config)

        let before = try counters(of: agent)
        // "ready" comes after all 10,000 threads were created and joined; the process then sleeps long
        // enough to be checked, and cleanup kills it.
        let process = try scenario.spawn(name, ["threads", "10000", "30"], readySeconds: Harness.deadline(10_000, each: 0.001))
        let after = try counters(of: agent)

        // The agent was listening all along: it saw this very process exec.
        #expect(Harness.waitUntil { process.score == 330 }, "log:\n\(agent.log)")
        // Every process the machine started meanwhile arrives too, as exec and process-fork events, so
        // on a busy host the datagram count alone says little. What the filter answers for is the rest:
        // datagrams that were no process event. Unfiltered, the threads alone would be 10,000 of them.
        func delta(_ key: String) -> Int { (after[key] ?? 0) - (before[key] ?? 0) }
        let datagrams = delta("datagrams")
        let processEvents = ["events_exec", "events_fork", "events_comm", "events_uid"].map(delta).reduce(0, +)
        #expect(
            datagrams - processEvents < 50,
            "\(datagrams) datagrams, of which \(processEvents) exec, process-fork, rename or uid events, while 10,000 threads came and went"
        )
        #expect(agent.stop() == 0)
    }

    /// Every counter of one SIGUSR1 report, so that the values belong to the same instant.
    private func counters(of agent: AgentProcess) throws -> [String: Int] {
        let values = agent.counters()
        for key in ["datagrams", "events_exec", "events_fork", "events_comm", "events_uid"] {
            _ = try #require(values[key], "no \(key) in the counters line; log:\n\(agent.log)")
        }
        return values
    }
}
