import Foundation
import OOMAdjustCore
import Testing

/// `oom-adjust rank` against the real kernel: the order it prints is the one the kernel's own
/// /proc/PID/oom_score gives, each row's rule is the one that decides the process, and `--cgroup` keeps
/// exactly a cgroup's processes and those of the cgroups below it, on cgroup v1 and v2.
@Suite(.serialized, .enabled(if: Harness.rootTestsEnabled), .scenario)
struct RankTests {
    /// One row of `rank --json`, the documented keys and no others.
    struct Row {
        static let keys: Set<String> = [
            "rank", "points", "oom_score", "pid", "comm", "uid", "rss_kib", "swap_kib", "oom_score_adj", "rule", "desired",
            "state", "reason", "never_chosen",
        ]
        let fields: [String: Any]
        var pid: Int32 { Int32(fields["pid"] as! Int) }
        var rank: Int? { fields["rank"] as? Int }
        var points: Int? { fields["points"] as? Int }
        var oomScore: Int? { fields["oom_score"] as? Int }
        var rule: String? { fields["rule"] as? String }
        var state: String? { fields["state"] as? String }
    }

    static func rank(_ arguments: [String]) throws -> (rows: [Row], stderr: String) {
        let result = try Harness.run(Harness.agentBinary, ["rank", "--json", "--limit", "0"] + arguments)
        try #require(result.status == 0, "rank \(arguments): \(result.stderr)")
        let objects = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]], "\(result.stdout)")
        for object in objects { #expect(Set(object.keys) == Row.keys, "\(object)") }
        return (objects.map(Row.init), result.stderr)
    }

    /// RAM and swap in pages, as the kernel's global OOM measures them.
    static func machine() throws -> OOMDomainSize {
        let meminfo = try String(contentsOfFile: "/proc/meminfo", encoding: .utf8)
        func kib(_ key: String) -> Int {
            meminfo.split(separator: "\n").first { $0.hasPrefix(key + ":") }.flatMap { Int($0.split(separator: " ")[1]) } ?? 0
        }
        let pageKiB = Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
        return .machine(ramPages: kib("MemTotal") / pageKiB, swapPages: kib("SwapTotal") / pageKiB, pageKiB: pageKiB)
    }

    @Test func theOrderIsTheKernelsAndEveryRowNamesItsRule() throws {
        let scenario = Scenario.current
        let small = Harness.uniqueName("s")
        let large = Harness.uniqueName("l")
        let middle = Harness.uniqueName("m")
        let config = try scenario.writeConfig("\(small) score=500\n\(middle) score=0\n")
        let smallProcess = try scenario.spawn(small, ["alloc", "10", "60"])
        let largeProcess = try scenario.spawn(large, ["alloc", "40", "60"])
        let middleProcess = try scenario.spawn(middle, ["alloc", "20", "60"])
        try Harness.setScore(500, of: smallProcess.pid)
        let (rows, _) = try Self.rank(["--config", config])
        let ours = rows.filter { [smallProcess.pid, largeProcess.pid, middleProcess.pid].contains($0.pid) }
        // The small one's value outweighs any size here; then the larger before the smaller.
        #expect(ours.map(\.pid) == [smallProcess.pid, largeProcess.pid, middleProcess.pid], "\(ours.map(\.fields))")
        #expect(ours.map(\.rule) == ["\(config):1", nil, "\(config):2"])
        #expect(ours.map(\.state) == ["unchanged", "unmatched", "unchanged"])
        // The points are the kernel's: on the machine's scale they give exactly its oom_score (these
        // processes sit still, so the two reads agree).
        let machine = try Self.machine()
        for row in ours {
            #expect(row.oomScore == OOMRanking.oomScore(points: row.points, machine: machine), "\(row.fields)")
        }
        // Ranks count up from 1 with no gaps; the never-chosen come last, without one.
        let ranked = rows.compactMap(\.rank)
        #expect(ranked == Array(1...ranked.count))
        #expect(rows.prefix(ranked.count).allSatisfy { $0.rank != nil })
        #expect(rows.first { $0.pid == 1 }?.fields["never_chosen"] as? String == "init")
        // Kernel threads are left out.
        #expect(!rows.contains { $0.pid == 2 })

        let table = try Harness.run(Harness.agentBinary, ["rank", "--config", config, "--limit", "3"])
        #expect(table.status == 0)
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("As a global OOM would choose (measured against ") == true, "\(table.stdout)")
        #expect(lines.dropFirst().first?.split(separator: " ").map(String.init) == ["RANK", "OOM_SCORE", "PID", "COMM", "UID", "RSS", "ADJ", "RULE", "STATE", "NOTE"])
        #expect(lines.count == 5, "a heading, the header and --limit 3 rows: \(table.stdout)")
    }

    @Test func aV1CgroupIsRankedWithTheCgroupsBelowItAgainstItsLimit() throws {
        let scenario = Scenario.current
        guard let cgroup = try MemoryCgroup.ofThisTest("oa-rank", limitMiB: 128) else { return }
        let child = cgroup.path + "/inner"
        defer {
            // Processes first, then the inner cgroup, then ours: a cgroup with members or children stays.
            scenario.cleanUp()
            Harness.waitUntil { rmdir(child) == 0 || errno == ENOENT }
            cgroup.remove()
        }
        try FileManager.default.createDirectory(atPath: child, withIntermediateDirectories: false)
        let large = Harness.uniqueName("L")
        let small = Harness.uniqueName("S")
        let config = try scenario.writeConfig("\(small) score=300\n")
        let largeProcess = try scenario.spawn(executable: try scenario.program(named: large), ["alloc", "60", "60"], cgroupProcs: cgroup.procs)
        let smallProcess = try scenario.spawn(executable: try scenario.program(named: small), ["alloc", "20", "60"], cgroupProcs: child + "/cgroup.procs")
        try Harness.setScore(300, of: smallProcess.pid)
        let outsider = try scenario.spawn(Harness.uniqueName("o"), ["sleep", "60"])

        let (rows, _) = try Self.rank(["--config", config, "--cgroup", cgroup.path])
        #expect(Set(rows.map(\.pid)) == [largeProcess.pid, smallProcess.pid], "only the cgroup and the one below it: \(rows.map(\.fields))")
        #expect(!rows.contains { $0.pid == outsider.pid })
        // Against the machine, the small one's 300 outweighs 40 MiB; against 128 MiB (300 × 32 pages),
        // it does not, and a memory-cgroup OOM there takes the large one first.
        #expect(rows.map(\.pid) == [largeProcess.pid, smallProcess.pid], "\(rows.map(\.fields))")
        let (global, _) = try Self.rank(["--config", config])
        let globalOrder = global.map(\.pid).filter { [largeProcess.pid, smallProcess.pid].contains($0) }
        #expect(globalOrder == [smallProcess.pid, largeProcess.pid])
        let pageKiB = Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
        let smallRow = try #require(rows.first { $0.pid == smallProcess.pid })
        let resident = smallRow.fields["rss_kib"] as! Int
        // oom_badness against the cgroup: pages of memory plus 300 × (128 MiB in pages / 1000).
        let weight = 300 * ((128 << 10) / pageKiB / 1000)
        #expect(smallRow.points.map { $0 - weight >= resident / pageKiB && $0 - weight < resident / pageKiB + 1024 } == true, "\(smallRow.fields)")

        // The cgroup as the kernel's reports and /proc/PID/cgroup name it gives the same rows.
        let inner = try #require(cgroupPath(of: largeProcess.pid, version: cgroup.version))
        let (byPath, _) = try Self.rank(["--config", config, "--cgroup", inner])
        #expect(byPath.map(\.pid) == rows.map(\.pid))
        let table = try Harness.run(Harness.agentBinary, ["rank", "--config", config, "--cgroup", cgroup.path])
        #expect(table.stdout.hasPrefix("As a memory-cgroup OOM in \(inner) would choose (cgroup v\(cgroup.version), measured against its limit of 128.0 MiB): 2 processes"), "\(table.stdout)")
    }

    @Test func aV2CgroupIsRankedTooAndSaysWhenItCannotRunOutByItself() throws {
        let scenario = Scenario.current
        let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8).split(separator: "\n")
        guard let mount = mounts.first(where: { $0.contains(" - cgroup2 ") }).map({ String($0.split(separator: " ")[4]) }) else {
            Issue.record("no cgroup2 hierarchy is mounted")
            return
        }
        let directory = mount + "/oa-rank-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer {
            scenario.cleanUp()
            Harness.waitUntil { rmdir(directory) == 0 || errno == ENOENT }
        }
        let member = try scenario.spawn(executable: try scenario.program(named: Harness.uniqueName("v")), ["alloc", "5", "60"], cgroupProcs: directory + "/cgroup.procs")
        let (rows, stderr) = try Self.rank(["--config", try scenario.writeConfig(""), "--cgroup", directory])
        #expect(rows.map(\.pid) == [member.pid])
        let hasMemory = FileManager.default.fileExists(atPath: directory + "/memory.max")
        if hasMemory {
            #expect(stderr.isEmpty, "\(stderr)")
        } else {
            // Here the memory controller is on cgroup v1: ranked as a global OOM would, and said so.
            #expect(stderr.contains("cannot run out of memory by itself: the memory controller does not govern it (cgroup v2)"), "\(stderr)")
        }
        print("rank --cgroup on cgroup v2 (\(mount)): \(hasMemory ? "memory controller present" : "no memory controller there")")
    }

    @Test func whatRankCannotUseIsRefusedWithWhatToGive() throws {
        let scenario = Scenario.current
        let config = try scenario.writeConfig("")
        for (arguments, message) in [
            (["--cgroup", "batch"], "--cgroup needs an absolute path"),
            (["--cgroup", "/oa-no-such-cgroup-\(UUID().uuidString.prefix(6))"], "no such cgroup"),
            (["--limit=-1"], "--limit must be 0 (show all) or a positive number of rows"),
            (["--cgroup", ""], "--cgroup needs a cgroup"),
        ] {
            let result = try Harness.run(Harness.agentBinary, ["rank", "--config", config] + arguments)
            #expect(result.status == 64, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        let broken = try scenario.writeConfig("x score=2000\n", name: "broken.conf")
        let result = try Harness.run(Harness.agentBinary, ["rank", "--config", broken])
        #expect(result.status == 2 && result.stderr.contains("broken.conf:1: error"), "\(result.stderr)")
    }
}

/// The cgroup path of a process in the hierarchy of `version` (the memory one for v1), as the kernel
/// prints it.
func cgroupPath(of pid: Int32, version: Int) -> String? {
    let lines = ((try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)) ?? "").split(separator: "\n")
    let line = lines.first { line in
        let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        return version == 2 ? fields[0] == "0" : fields[1].split(separator: ",").contains("memory")
    }
    return line.map { String($0.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)[2]) }
}
