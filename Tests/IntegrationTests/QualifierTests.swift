import Foundation
import Testing

/// Each qualifier picks the right process out of look-alikes that share its comm.
@Suite(.serialized, .enabled(if: Harness.rootTestsEnabled), .scenario)
struct QualifierTests {
    /// Runs `once` and returns the values of the given processes afterwards.
    func sweep(_ config: String) throws {
        let result = try Harness.run(Harness.agentBinary, ["once", "--config", config, "-v"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
    }

    @Test func exeSelectsTheBinaryByPath() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("x")
        let wanted = try scenario.spawn(executable: try scenario.program(named: name, in: "opt"), ["sleep", "60"])
        let other = try scenario.spawn(executable: try scenario.program(named: name, in: "usr"), ["sleep", "60"])
        try sweep(try scenario.writeConfig("\(name) score=300 exe=\(scenario.directory.path)/opt/\(name)\n"))
        #expect(wanted.score == 300)
        #expect(other.score == 0)
        // A glob: `*` does not cross `/`.
        try sweep(try scenario.writeConfig("\(name) score=301 exe=\(scenario.directory.path)/u*/\(name)\n"))
        #expect(other.score == 301)
        #expect(wanted.score == 300)
    }

    @Test func userSelectsTheAccount() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("u")
        let binary = try scenario.program(named: name)
        let asDaemon = try scenario.spawn(executable: binary, ["sleep", "60"], user: "daemon")
        let asRoot = try scenario.spawn(executable: binary, ["sleep", "60"])
        try sweep(try scenario.writeConfig("\(name) score=310 user=daemon\n"))
        #expect(asDaemon.score == 310)
        #expect(asRoot.score == 0)
        try sweep(try scenario.writeConfig("\(name) score=311 user=0\n"))
        #expect(asRoot.score == 311)
    }

    @Test func cmdlineSelectsByArguments() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("c")
        let wanted = try scenario.spawn(name, ["sleep", "61"])
        let other = try scenario.spawn(name, ["sleep", "60"])
        try sweep(try scenario.writeConfig("\(name) score=320 cmdline=\"*/\(name) sleep 61\"\n"))
        #expect(wanted.score == 320)
        #expect(other.score == 0)
    }

    @Test func parentSelectsByTheParentsName() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("p")
        // Parent and forked child share the comm; only the child's parent is called `name`.
        let parent = try scenario.spawn(name, ["fork", "0", "60"])
        let child = try #require(parent.waitForLine(prefix: "child ").flatMap { Int32($0) })
        scenario.trackDescendant(child)
        try sweep(try scenario.writeConfig("\(name) score=340 parent=\(name)\n"))
        #expect(Harness.score(of: child) == 340)
        #expect(parent.score == 0)
    }

    @Test(.privileged) func cgroupSelectsByControlGroup() throws {
        let hierarchy = try #require(CgroupHierarchy.writable(), "no writable cgroup hierarchy (v2, or v1 name=systemd)")
        let scenario = try Scenario()
        defer { scenario.cleanUp() }
        let name = Harness.uniqueName("g")
        let group = try hierarchy.makeGroup("oa-it-\(name)")
        defer { group.remove() }
        let inside = try scenario.spawn(name, ["sleep", "60"])
        let outside = try scenario.spawn(name, ["sleep", "60"])
        try group.add(inside.pid)
        try sweep(try scenario.writeConfig("\(name) score=330 cgroup=\(group.path)\n"))
        #expect(inside.score == 330)
        #expect(outside.score == 0)
        // Globs reach a whole subtree, as for a systemd slice.
        try sweep(try scenario.writeConfig("\(name) score=331 cgroup=\(group.path.dropLast(3))*\n"))
        #expect(inside.score == 331)
        #expect(outside.score == 0)
        kill(inside.pid, SIGKILL)
        inside.process.waitUntilExit()
    }

    @Test func theRunningAgentAppliesQualifiedRulesOnExec() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("q")
        let config = try scenario.writeConfig("\(name) score=350 exe=\(scenario.directory.path)/opt/\(name) cmdline=\"* sleep 60\"\n")
        let agent = try scenario.startAgent(config: config)
        let wanted = try scenario.spawn(executable: try scenario.program(named: name, in: "opt"), ["sleep", "60"])
        let wrongArguments = try scenario.spawn(executable: try scenario.program(named: name, in: "opt"), ["sleep", "59"])
        let wrongPath = try scenario.spawn(executable: try scenario.program(named: name, in: "usr"), ["sleep", "60"])
        #expect(Harness.waitUntil { wanted.score == 350 }, "log:\n\(agent.log)")
        #expect(agent.waitForLog("adjusted", "pid=\(wanted.pid)"))
        #expect(wrongArguments.score == 0)
        #expect(wrongPath.score == 0)
        #expect(agent.stop() == 0)
    }
}

/// A cgroup hierarchy this test may create a group in: the v2 unified one, else v1 name=systemd.
struct CgroupHierarchy {
    let mountPoint: String

    static func writable() -> CgroupHierarchy? {
        guard let mounts = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return nil }
        let lines = mounts.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        if let v2 = lines.first(where: { $0.count > 2 && $0[2] == "cgroup2" }) { return CgroupHierarchy(mountPoint: v2[1]) }
        if let systemd = lines.first(where: { $0.count > 3 && $0[2] == "cgroup" && $0[3].contains("name=systemd") }) {
            return CgroupHierarchy(mountPoint: systemd[1])
        }
        return nil
    }

    struct Group {
        let directory: String
        /// As /proc/PID/cgroup shows it.
        let path: String

        func add(_ pid: Int32) throws {
            try "\(pid)\n".write(toFile: directory + "/cgroup.procs", atomically: false, encoding: .utf8)
        }

        /// Removes this group and the parents `makeGroup` made for it, deepest first (each must be empty
        /// of processes by then).
        func remove() {
            var components = path.split(separator: "/")
            while !components.isEmpty && components.count >= createdFrom {
                rmdir(mountPoint + "/" + components.joined(separator: "/"))
                components.removeLast()
            }
        }

        let mountPoint: String
        /// How many leading components existed before (and stay).
        let createdFrom: Int
    }

    /// Makes the group at `name` (a relative path: `a` or `a/b/c`), with any parents it lacks.
    func makeGroup(_ name: String) throws -> Group {
        let components = name.split(separator: "/")
        var existing = 0
        for depth in 1...components.count {
            let directory = mountPoint + "/" + components.prefix(depth).joined(separator: "/")
            if mkdir(directory, 0o755) != 0 {
                guard errno == EEXIST, depth < components.count else { throw HarnessError("mkdir \(directory): errno \(errno)") }
                existing = depth
            }
        }
        return Group(directory: mountPoint + "/" + name, path: "/" + name, mountPoint: mountPoint, createdFrom: existing + 1)
    }
}
