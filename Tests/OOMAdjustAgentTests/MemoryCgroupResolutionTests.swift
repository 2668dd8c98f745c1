@testable import OOMAdjustLinux
import Testing

/// What `rank --cgroup PATH` takes PATH to be, against the hierarchies mountinfo lists.
@Suite struct MemoryCgroupResolutionTests {
    /// A machine with both hierarchies, memory on v1 (this one), and a pure cgroup v2 machine.
    static let hybrid = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """
    static let unified = """
        29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
        """

    static func mounts(_ text: String, v2Controllers: [String] = ["memory", "pids"]) -> [MemoryCgroup.Mount] {
        MemoryCgroup.mounts(in: text, controllersOfV2: { _ in v2Controllers })
    }

    @Test func mountinfoGivesEachHierarchyAndItsControllers() {
        let mounts = Self.mounts(Self.hybrid, v2Controllers: ["hugetlb"])
        #expect(mounts == [
            .init(point: "/sys/fs/cgroup/cpu", version: 1, controllers: ["cpu"]),
            .init(point: "/sys/fs/cgroup/memory", version: 1, controllers: ["memory"]),
            .init(point: "/sys/fs/cgroup/systemd", version: 1, controllers: ["name=systemd"]),
            .init(point: "/sys/fs/cgroup/unified", version: 2, controllers: ["hugetlb"]),
        ])
        #expect(MemoryCgroup.unescapedMountPath("/mnt/with\\040space") == "/mnt/with space")
    }

    @Test func aDirectoryIsTakenAsItIsAndAPathIsFoundInTheMemoryHierarchy() throws {
        let mounts = Self.mounts(Self.hybrid, v2Controllers: ["hugetlb"])
        let directory = try MemoryCgroup.resolve("/sys/fs/cgroup/memory/batch/", mounts: mounts, isDirectory: { _ in true })
        #expect(directory == MemoryCgroup(directory: "/sys/fs/cgroup/memory/batch", path: "/batch", version: 1, hasMemoryController: true))
        // The path a kill report prints: looked up in the v1 memory hierarchy, where memory is here.
        let path = try MemoryCgroup.resolve("/process_api/x/../y", mounts: mounts, isDirectory: { $0 == "/sys/fs/cgroup/memory/process_api/y" })
        #expect(path.directory == "/sys/fs/cgroup/memory/process_api/y" && path.path == "/process_api/y" && path.version == 1)
        // On v2 without the memory controller there: accepted, and said so.
        let v2 = try MemoryCgroup.resolve("/sys/fs/cgroup/unified/svc", mounts: mounts, isDirectory: { _ in true })
        #expect(v2.version == 2 && v2.path == "/svc" && !v2.hasMemoryController)
        // A pure v2 machine: a path is looked up under the one hierarchy.
        let pure = try MemoryCgroup.resolve("/system.slice", mounts: Self.mounts(Self.unified), isDirectory: { _ in true })
        #expect(pure.directory == "/sys/fs/cgroup/system.slice" && pure.version == 2)
        let root = try MemoryCgroup.resolve("/sys/fs/cgroup", mounts: Self.mounts(Self.unified), isDirectory: { _ in true })
        #expect(root.path == "/" && root.hasMemoryController)
    }

    @Test(arguments: [
        ("batch", "--cgroup needs an absolute path"),
        ("/sys/fs/cgroup/cpu/batch", "is in the cgroup v1 hierarchy of cpu, not the memory one; memory cgroups are under /sys/fs/cgroup/memory"),
        ("/sys/fs/cgroup/memory/nosuch", "no such cgroup: /sys/fs/cgroup/memory/nosuch is not a directory"),
        ("/nosuch", "no such cgroup: neither /nosuch nor /sys/fs/cgroup/memory/nosuch is a cgroup directory"),
    ])
    func aWrongCgroupIsRefusedWithWhatToGive(_ argument: String, _ message: String) {
        let mounts = Self.mounts(Self.hybrid, v2Controllers: ["hugetlb"])
        #expect(throws: CgroupProblem.self) {
            try MemoryCgroup.resolve(argument, mounts: mounts, isDirectory: { _ in false })
        }
        do {
            _ = try MemoryCgroup.resolve(argument, mounts: mounts, isDirectory: { _ in false })
        } catch {
            #expect(error.description.contains(message), "\(error)")
        }
    }

    @Test func meminfoGivesRAMAndSwapInPages() throws {
        let memory = try #require(SystemMemory(meminfo: "MemTotal:       24683584 kB\nMemFree:  1 kB\nSwapTotal:       1048576 kB\n", pageKiB: 4))
        #expect(memory == SystemMemory(ramPages: 6_170_896, swapPages: 262_144, pageKiB: 4))
        #expect(memory.domainSize.totalPages == 6_170_896 + 262_144)
        #expect(SystemMemory(meminfo: "nothing useful\n", pageKiB: 4) == nil)
    }
}
