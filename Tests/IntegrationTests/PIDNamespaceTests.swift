import Foundation
import Testing

/// The kubelet/agent split against the real kernel: a process in a PID namespace of its own (made with
/// unshare(1), as a container runtime makes one) is left alone by a rule without cgroup=, and adjusted
/// by a rule that names its cgroup; a host process with the same name is adjusted either way.
@Suite(.serialized, .enabled(if: Harness.rootTestsEnabled), .scenario)
struct PIDNamespaceTests {
    /// A copy of the test program under `name`, as PID 1 of a new PID namespace; returns its PID as the
    /// host sees it. --kill-child: when unshare dies, so does the namespace.
    static func spawnInOwnPIDNamespace(_ name: String, in scenario: Scenario) throws -> Int32 {
        let unshare = try scenario.spawn(
            executable: "/usr/bin/unshare", ["--pid", "--fork", "--kill-child", try scenario.program(named: name), "sleep", "60"])
        let child = try #require(Harness.children(of: unshare.pid).first, "unshare has no child")
        scenario.trackDescendant(child)
        let own = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(child)/ns/pid")
        let mine = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid")
        #expect(own != mine, "the child should be in a PID namespace of its own")
        return child
    }

    @Test func theAgentLeavesAnotherPIDNamespaceToItsRuntimeUnlessTheRuleNamesTheCgroup() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("n")
        let config = try scenario.writeConfig("\(name) score=300\n")
        let agent = try scenario.startAgent(config: config)
        // Both exec after the agent subscribed, the contained one first: events are handled in order, so
        // once the host process has its value, the contained one's exec has been decided too.
        let contained = try Self.spawnInOwnPIDNamespace(name, in: scenario)
        let host = try scenario.spawn(name, ["sleep", "60"])
        #expect(Harness.waitUntil { host.score == 300 }, "log:\n\(agent.log)")
        #expect(agent.waitForLog(" adjusted event=", " pid=\(host.pid) ", "new=300"), "log:\n\(agent.log)")
        #expect(Harness.score(of: contained) == 0)
        #expect(agent.lines(containing: "pid=\(contained) ").isEmpty, "log:\n\(agent.log)")
        #expect(agent.stop() == 0)

        let explained = try Harness.run(Harness.agentBinary, ["explain", "\(contained)", "--config", config])
        #expect(explained.status == 0, "\(explained.stderr)")
        #expect(explained.stdout.contains("  pid ns   another (a container's)\n"), "\(explained.stdout)")
        #expect(explained.stdout.contains("matches, but it is in another PID namespace than the host's"), "\(explained.stdout)")
        #expect(explained.stdout.contains("no rule applies: a container's process is left to its container runtime"))
        let hostExplained = try Harness.run(Harness.agentBinary, ["explain", "\(host.pid)", "--config", config])
        #expect(hostExplained.stdout.contains("  pid ns   the host's\n"), "\(hostExplained.stdout)")

        // Naming the cgroup reaches into the namespace; the sweep finds it.
        let reaching = try scenario.writeConfig("\(name) score=310 cgroup=/**\n", name: "reaching.conf")
        let once = try Harness.run(Harness.agentBinary, ["once", "--config", reaching, "-v"])
        #expect(once.status == 0, "\(once.stderr)")
        #expect(Harness.score(of: contained) == 310)
        #expect(host.score == 310)
    }

    /// `run` in a network namespace of its own (the kernel refuses the subscription) or a PID namespace
    /// of its own (the kernel never acks) exits 1 with a message that names all three namespaces and says
    /// what to set, for podman or docker and for Kubernetes.
    @Test(arguments: [
        (["--net"], "Connection refused (ECONNREFUSED), as in a network namespace of its own"),
        (["--pid", "--fork"], "did not acknowledge the process-event subscription within 2000 ms, as outside the initial user or PID namespace"),
    ])
    func runOutsideTheHostsNamespacesSaysWhatToSet(_ namespaces: [String], _ symptom: String) throws {
        let scenario = Scenario.current
        let config = try scenario.writeConfig("\(Harness.uniqueName("r")) score=300\n")
        let result = try Harness.run("/usr/bin/unshare", namespaces + [Harness.agentBinary, "run", "--config", config])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains(symptom), "\(result.stderr)")
        for needed in [
            "initial user, PID and network namespaces", "--pid=host --network=host", "hostPID: true and hostNetwork: true",
        ] {
            #expect(result.stderr.contains(needed), "\(needed) missing from: \(result.stderr)")
        }
    }
}
