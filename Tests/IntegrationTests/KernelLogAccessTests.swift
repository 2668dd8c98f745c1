import Foundation
import Testing

/// An agent that cannot read the kernel log says so once, at start-up, and enforces the rules as usual.
/// Two real ways to lose it: no CAP_SYSLOG (nor CAP_SYS_ADMIN, which the kernel also accepts) where
/// kernel.dmesg_restrict is 1, and a /dev without kmsg, as in a container or under PrivateDevices=.
@Suite(.serialized, .enabled(if: Harness.rootTestsEnabled))
struct KernelLogAccessTests {
    static func expectEnforcingWithoutTheKernelLog(launcher: [String], reason: String) throws {
        let scenario = try Scenario()
        defer { scenario.cleanUp() }
        let name = Harness.uniqueName("k")
        let config = try scenario.writeConfig("\(name) score=700\n")
        let agent = try scenario.startAgent(config: config, launcher: launcher)
        let process = try scenario.spawn(name, ["sleep", "60"])
        #expect(Harness.waitUntil { process.score == 700 }, "log:\n\(agent.log)")
        let warnings = agent.lines(containing: "warning cannot read the kernel log; OOM kills will not be reported, the rules are enforced as usual")
        #expect(warnings.count == 1, "log:\n\(agent.log)")
        #expect(warnings.first?.contains(reason) == true, "\(warnings)")
        #expect(agent.count("watching the kernel log") == 0)
        // Only at start-up: nothing more about it while it runs.
        agent.send(SIGHUP)
        #expect(agent.waitForLog("config reloaded"))
        #expect(agent.count("kernel log") == 1, "log:\n\(agent.log)")
        #expect(agent.stop() == 0)
    }

    @Test(.privileged) func withoutCapSyslogWhereDmesgIsRestricted() throws {
        let restrict = (try? String(contentsOfFile: "/proc/sys/kernel/dmesg_restrict", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard restrict == "1" else {
            // With dmesg_restrict=0 anyone may read the log and no capability is missing; the other test
            // still takes the log away.
            print("kernel.dmesg_restrict is \(restrict ?? "unreadable"): reading the kernel log needs no capability here")
            return
        }
        try Self.expectEnforcingWithoutTheKernelLog(
            launcher: ["/usr/bin/setpriv", "--bounding-set=-syslog,-sys_admin", "--"], reason: "errno=\"Operation not permitted\" hint=\"reading it needs CAP_SYSLOG")
    }

    @Test(.privileged) func withoutKmsgInDev() throws {
        // A mount namespace of the agent's own whose /dev is an empty tmpfs; the machine's is untouched.
        try Self.expectEnforcingWithoutTheKernelLog(
            launcher: ["/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", "mount -t tmpfs oa-empty-dev /dev && exec \"$0\" \"$@\""],
            reason: "there is no kernel log device here")
    }
}
