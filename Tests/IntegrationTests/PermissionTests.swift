import Foundation
import Testing

/// Protective (negative) values need CAP_SYS_RESOURCE. Without it the kernel answers EACCES, and the
/// agent must say so clearly, once per rule, and `once` must exit 3.
@Suite(.serialized, .enabled(if: Harness.rootTestsEnabled), .scenario)
struct PermissionTests {
    @Test func aRefusedLowerValueIsReportedOncePerRule() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("p")
        let config = try scenario.writeConfig("\(name) -3\n")
        let agent = try scenario.startAgent(config: config)
        let first = try scenario.spawn(name, ["sleep", "60"])
        let second = try scenario.spawn(name, ["sleep", "60"])
        if Harness.hasSysResource {
            print("note: this process has CAP_SYS_RESOURCE, so the kernel accepts the lower value; checking that instead of EACCES")
            #expect(Harness.waitUntil { first.score == -176 && second.score == -176 })
        } else {
            #expect(agent.waitForLog("denied by the kernel", "pid=\(second.pid)"), "log:\n\(agent.log)")
            #expect(agent.count("error", "CAP_SYS_RESOURCE", "rule=\(config):1", "errno=\"Permission denied\"") == 1)
            // Each look at a process is refused and counted (a new process is seen at its fork and at its
            // exec), but the error is logged once for the rule.
            #expect(agent.count("denied by the kernel", "pid=\(first.pid)", "new=-176") >= 1)
            #expect(first.score == 0)
            #expect((agent.counter("denied") ?? 0) >= 2)
        }
        #expect(agent.stop() == 0)
    }

    @Test func onceExitsThreeWhenTheKernelRefusesWrites() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("q")
        let process = try scenario.spawn(name, ["sleep", "60"])
        let config = try scenario.writeConfig("\(name) score=-5\n")
        let result = try Harness.run(Harness.agentBinary, ["once", "--config", config])
        if Harness.hasSysResource {
            print("note: this process has CAP_SYS_RESOURCE; the lower value is accepted")
            #expect(result.status == 0)
            #expect(process.score == -5)
        } else {
            #expect(result.status == 3, "stderr: \(result.stderr)")
            #expect(result.stderr.contains("CAP_SYS_RESOURCE"))
            #expect(result.stderr.contains("rule=\(config):1"))
            #expect(process.score == 0)
        }
    }
}
