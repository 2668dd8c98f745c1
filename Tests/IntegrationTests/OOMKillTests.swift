import Foundation
import Testing

extension StressTests {
    /// A real OOM kill in a memory cgroup of our own: the kernel picks its victim by oom_score_adj, so
    /// with the agent's rules in force the "kill first" process dies, and without them the largest does.
    @Suite(.serialized, .enabled(if: Harness.rootTestsEnabled))
    struct OOMKillTests {
        static let limitMiB = 128

        enum Victim: String { case small, large, none, both }

        /// One round: a large process (60 MiB, growing by 40) with a neutral rule and a small one
        /// (30 MiB) with score=1000, in a 128 MiB cgroup; then the large one grows past the limit.
        static func round(in cgroup: MemoryCgroup, scenario: Scenario, large: String, small: String, agent: AgentProcess?)
            throws -> Victim
        {
            let kills = cgroup.oomKills
            let big = try scenario.spawn(executable: try scenario.program(named: large), ["alloc", "60", "60", "40"], cgroupProcs: cgroup.procs)
            let little = try scenario.spawn(executable: try scenario.program(named: small), ["alloc", "30", "60"], cgroupProcs: cgroup.procs)
            defer {
                for process in [big, little] where process.process.isRunning { kill(process.pid, SIGKILL) }
                big.process.waitUntilExit()
                little.process.waitUntilExit()
            }
            #expect(cgroup.members.sorted() == [big.pid, little.pid].sorted())
            if let agent {
                #expect(Harness.waitUntil { little.score == 1000 }, "log:\n\(agent.log)")
                #expect(agent.waitForLog("pid=\(big.pid) ", "comm=\(large)", "new=0"), "log:\n\(agent.log)")
            } else {
                #expect(little.score == 0 && big.score == 0)
            }
            kill(big.pid, SIGUSR1)
            let grew = big.waitForLine(prefix: "grew ", seconds: 30)
            // The growth either ends ("grew 100") or kills someone: give the kernel's verdict a moment (and
            // Foundation, on a busy machine, the time to notice the exit).
            Harness.waitUntil(seconds: 30) { !big.process.isRunning || !little.process.isRunning }
            usleep(200_000)
            let killedLarge = !big.process.isRunning
            let killedSmall = !little.process.isRunning
            for (process, dead) in [(big, killedLarge), (little, killedSmall)] where dead {
                process.process.waitUntilExit()
                #expect(process.process.terminationReason == .uncaughtSignal && process.process.terminationStatus == SIGKILL)
            }
            #expect(cgroup.oomKills == kills + ((killedLarge ? 1 : 0) + (killedSmall ? 1 : 0)), "OOM kills counted by the cgroup")
            if killedLarge { #expect(grew == nil) } else { #expect(grew == "100") }
            switch (killedLarge, killedSmall) {
            case (true, true): return .both
            case (true, false): return .large
            case (false, true): return .small
            case (false, false): return Victim.none
            }
        }

        @Test(.privileged) func theKernelKillsWhatOurRulesSayAndTheLargestWithoutThem() throws {
            guard Harness.oomTestIsSafe() else { return }
            guard let cgroup = try MemoryCgroup.ofThisTest("oa-oom", limitMiB: Self.limitMiB) else { return }
            let scenario = try Scenario()
            defer {
                scenario.cleanUp()
                cgroup.remove()
            }
            let large = Harness.uniqueName("L")
            let small = Harness.uniqueName("S")
            let config = try scenario.writeConfig("\(large) score=0\n\(small) score=1000\n")
            let rounds = 3 * StressTests.scale

            let agent = try scenario.startAgent(config: config)
            var withAgent: [Victim] = []
            for _ in 0..<rounds {
                withAgent.append(try Self.round(in: cgroup, scenario: scenario, large: large, small: small, agent: agent))
            }
            #expect(agent.stop() == 0)
            var withoutAgent: [Victim] = []
            for _ in 0..<rounds {
                withoutAgent.append(try Self.round(in: cgroup, scenario: scenario, large: large, small: small, agent: nil))
            }
            #expect(withAgent == Array(repeating: .small, count: rounds), "with the agent the score=1000 process must die, every time")
            #expect(withoutAgent == Array(repeating: .large, count: rounds), "without it the largest must die, every time")
            print("oom (cgroup v\(cgroup.version), \(Self.limitMiB) MiB): with the agent the kernel killed \(withAgent.map(\.rawValue)); without it \(withoutAgent.map(\.rawValue))")
        }
    }
}

/// A memory cgroup of this test's own: v1 (memory controller mounted on its own), a child of the one the
/// test runs in; or v2 (unified), a child of the root or else a sibling of ours.
final class MemoryCgroup {
    /// A cgroup named TAG-XXXXXXXX for one test, or nil (said on stdout) when this machine has no memory
    /// controller to make one in; in CI (OOM_ADJUST_REQUIRE_ALL_TESTS=1, which has one) that fails.
    static func ofThisTest(_ tag: String, limitMiB: Int) throws -> MemoryCgroup? {
        do {
            return try MemoryCgroup(name: "\(tag)-\(UUID().uuidString.prefix(8))", limitMiB: limitMiB)
        } catch {
            if ProcessInfo.processInfo.environment["OOM_ADJUST_REQUIRE_ALL_TESTS"] == "1" { throw error }
            print("skipped: no memory cgroup to test in: \(error)")
            return nil
        }
    }

    let path: String
    let version: Int
    var procs: String { path + "/cgroup.procs" }

    init(name: String, limitMiB: Int) throws {
        let bytes = "\(limitMiB << 20)"
        let ownCgroups = try String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8).split(separator: "\n")
        let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8).split(separator: "\n")
        // mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ... - FSTYPE SOURCE SUPEROPTIONS
        func mountPoint(fstype: String, superOption: String?) -> String? {
            for line in mounts {
                let halves = line.components(separatedBy: " - ")
                guard halves.count == 2 else { continue }
                let after = halves[1].split(separator: " ")
                guard after.first.map(String.init) == fstype else { continue }
                if let superOption, !(after.last?.split(separator: ",").contains(Substring(superOption)) ?? false) { continue }
                return String(halves[0].split(separator: " ")[4])
            }
            return nil
        }
        if let mount = mountPoint(fstype: "cgroup", superOption: "memory"),
            let own = ownCgroups.first(where: { $0.split(separator: ":", maxSplits: 2).dropFirst().first?.split(separator: ",").contains("memory") ?? false })
        {
            version = 1
            path = mount + String(own.split(separator: ":", maxSplits: 2)[2]) + "/" + name
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            try Self.write(bytes, to: path + "/memory.limit_in_bytes")
            // Swap counts too where the kernel accounts it: no escaping the limit into swap.
            if FileManager.default.fileExists(atPath: path + "/memory.memsw.limit_in_bytes") {
                try Self.write(bytes, to: path + "/memory.memsw.limit_in_bytes")
            }
        } else if let mount = mountPoint(fstype: "cgroup2", superOption: nil),
            let own = ownCgroups.first(where: { $0.hasPrefix("0::") })
        {
            version = 2
            func controllers(_ directory: String, _ file: String) -> [Substring] {
                ((try? String(contentsOfFile: directory + "/" + file, encoding: .utf8)) ?? "").split(whereSeparator: \.isWhitespace)
            }
            let ownPath = String(own.dropFirst(3))
            let parent: String
            if ownPath == "/" {
                // The root may hold processes and still enable controllers for its children.
                parent = mount
                if !controllers(parent, "cgroup.subtree_control").contains("memory") {
                    try Self.write("+memory", to: parent + "/cgroup.subtree_control")
                }
            } else if controllers(mount + ownPath, "cgroup.controllers").contains("memory") {
                // A sibling: our parent delegates memory already, and (no internal processes) a cgroup
                // with processes, like ours, cannot delegate it to a child of its own.
                parent = mount + String(ownPath[..<ownPath.lastIndex(of: "/")!]).replacingOccurrences(of: "//", with: "/")
            } else {
                throw HarnessError("the memory controller is not enabled for this cgroup (\(ownPath))")
            }
            path = parent + "/" + name
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            try Self.write(bytes, to: path + "/memory.max")
            if FileManager.default.fileExists(atPath: path + "/memory.swap.max") { try Self.write("0", to: path + "/memory.swap.max") }
        } else {
            throw HarnessError("no memory cgroup controller is mounted")
        }
    }

    static func write(_ text: String, to file: String) throws {
        guard let handle = FileHandle(forWritingAtPath: file) else { throw HarnessError("cannot open \(file)") }
        defer { try? handle.close() }
        try handle.write(contentsOf: Data(text.utf8))
    }

    /// The PIDs in the cgroup now.
    var members: [Int32] {
        ((try? String(contentsOfFile: procs, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { Int32($0) }
    }

    /// How many processes the kernel's OOM killer has killed in this cgroup.
    var oomKills: Int {
        let file = version == 1 ? "/memory.oom_control" : "/memory.events"
        let text = (try? String(contentsOfFile: path + file, encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("oom_kill ") }
        return line.flatMap { Int($0.dropFirst("oom_kill ".count)) } ?? -1
    }

    /// Kills whatever is left inside and removes the cgroup.
    func remove() {
        Harness.waitUntil(seconds: 10) {
            let left = members
            for pid in left { kill(pid, SIGKILL) }
            return left.isEmpty
        }
        Harness.waitUntil(seconds: 10) { rmdir(path) == 0 || errno == ENOENT }
    }
}
