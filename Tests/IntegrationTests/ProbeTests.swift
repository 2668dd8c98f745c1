import Foundation
import Testing

/// `oom-adjust probe`, the liveness check of the container image and the DaemonSet: fresh while a
/// running agent rewrites its metrics file, failing with the file's age once it stops.
@Suite(.serialized, .enabled(if: Harness.rootTestsEnabled), .scenario)
struct ProbeTests {
    @Test func aRunningAgentsMetricsFileIsFreshAndAStaleOrMissingOneFails() throws {
        let scenario = Scenario.current
        let metrics = scenario.directory.appendingPathComponent("oom_adjust.prom").path
        let missing = try Harness.run(Harness.agentBinary, ["probe", "--metrics-file", metrics])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("\(metrics): No such file or directory; the agent has not written it yet"), "\(missing.stderr)")

        let config = try scenario.writeConfig("\(Harness.uniqueName("h")) score=300\n")
        let agent = try scenario.startAgent(config: config, arguments: ["--metrics-file", metrics, "--metrics-interval", "0.2"])
        #expect(Harness.waitUntil { FileManager.default.fileExists(atPath: metrics) })
        let fresh = try Harness.run(Harness.agentBinary, ["probe", "--metrics-file", metrics, "--max-age", "30"])
        #expect(fresh.status == 0, "\(fresh.stderr)")
        #expect(fresh.stdout.hasPrefix("\(metrics): written "))
        #expect(agent.stop() == 0)

        // The agent is gone; its file ages. Two minutes old is stale for --max-age 60.
        var times = [timeval(tv_sec: time(nil) - 120, tv_usec: 0), timeval(tv_sec: time(nil) - 120, tv_usec: 0)]
        #expect(utimes(metrics, &times) == 0)
        let stale = try Harness.run(Harness.agentBinary, ["probe", "--metrics-file", metrics, "--max-age", "60"])
        #expect(stale.status == 1)
        #expect(stale.stderr.contains("was last written 12"), "\(stale.stderr)")
        #expect(stale.stderr.contains("more than --max-age 60 s: the agent's event loop is stuck, or the agent is gone"), "\(stale.stderr)")

        let bad = try Harness.run(Harness.agentBinary, ["probe", "--metrics-file", metrics, "--max-age", "0"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--max-age must be from 1 to 86400 seconds"), "\(bad.stderr)")
    }
}
