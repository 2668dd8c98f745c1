import Foundation
import Testing

/// The kernel-side event mask and the socket filter against thread churn: creating a thread is a fork
/// event to the proc connector, and none of them may wake the agent.
@Suite(.serialized, .enabled(if: Harness.rootTestsEnabled))
struct ThreadFilterTests {
    @Test func tenThousandThreadsWakeTheAgentForNoneOfThem() throws {
        try Harness.requirePrivileges()
        let scenario = try Scenario()
        defer { scenario.cleanUp() }
        let name = Harness.uniqueName("t")
        let config = try scenario.writeConfig("\(name) score=330\n")
        let agent = try scenario.startAgent(config: config)

        // "ready" comes after all threads were created and joined; the process then sleeps long enough
        // to be checked, and cleanup kills it. First the same program without threads: what the spawn
        // itself and the rest of the machine send meanwhile, so that a busy host does not fail the test.
        let start = try #require(agent.counter("datagrams"), "log:\n\(agent.log)")
        let control = try scenario.spawn(name, ["threads", "0", "30"])
        let middle = try #require(agent.counter("datagrams"), "log:\n\(agent.log)")
        let process = try scenario.spawn(name, ["threads", "10000", "30"])
        let end = try #require(agent.counter("datagrams"), "log:\n\(agent.log)")

        // The agent was listening all along: it saw both processes exec.
        #expect(Harness.waitUntil { control.score == 330 && process.score == 330 }, "log:\n\(agent.log)")
        // Unfiltered, the threads alone would be 10,000 datagrams.
        let background = middle - start
        let withThreads = end - middle
        #expect(
            withThreads - background < 50,
            "datagrams: \(background) around the spawn without threads, \(withThreads) around the one with 10,000 threads")
        #expect(agent.stop() == 0)
    }
}
