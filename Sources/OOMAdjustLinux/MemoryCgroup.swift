import Glibc
import OOMAdjustCore
import SystemPackage

/// A cgroup whose processes a memory-cgroup OOM would choose from: its own and those of every cgroup
/// below it (mem_cgroup_scan_tasks). Either the cgroup v1 memory hierarchy or the unified v2 one.
public struct MemoryCgroup: Sendable, Equatable {
    /// The cgroup's directory in the mounted hierarchy.
    public let directory: String
    /// Its path inside the hierarchy, as /proc/PID/cgroup and the kernel's kill reports name it.
    public let path: String
    /// 1 or 2.
    public let version: Int
    /// Whether the memory controller governs this cgroup: always on v1's memory hierarchy; on v2 only
    /// where it is enabled (the cgroup has `memory.max`, or is the root of a hierarchy that has it).
    public let hasMemoryController: Bool

    /// A cgroup hierarchy from /proc/self/mountinfo.
    struct Mount: Equatable {
        let point: String
        let version: Int
        /// For v1: the controllers it carries; for v2: those enabled at its root.
        let controllers: [String]
    }

    /// What `--cgroup` names: a directory under a mounted hierarchy (`/sys/fs/cgroup/memory/a/b`), or a
    /// path inside the memory hierarchy (`/a/b`, as kill reports and /proc/PID/cgroup print it).
    public static func resolve(_ argument: String) throws(CgroupProblem) -> MemoryCgroup {
        guard let mountinfo = readText("/proc/self/mountinfo", limit: 1 << 20) else {
            throw CgroupProblem("cannot read /proc/self/mountinfo to find the cgroup hierarchies")
        }
        return try resolve(argument, mounts: mounts(in: mountinfo), isDirectory: isDirectory)
    }

    static func resolve(_ argument: String, mounts: [Mount], isDirectory: (String) -> Bool) throws(CgroupProblem) -> MemoryCgroup {
        let cleaned = normalized(argument)
        guard cleaned.hasPrefix("/") else {
            throw CgroupProblem("--cgroup needs an absolute path, e.g. --cgroup /sys/fs/cgroup/memory/batch or --cgroup /system.slice/ssh.service; got \(argument)")
        }
        // The deepest mount point the path is under, if any.
        let containing = mounts.filter { cleaned == $0.point || cleaned.hasPrefix($0.point == "/" ? "/" : $0.point + "/") }
            .max { $0.point.count < $1.point.count }
        if let mount = containing, mount.point != "/" {
            if mount.version == 1 && !mount.controllers.contains("memory") {
                let memory = mounts.first { $0.version == 1 && $0.controllers.contains("memory") }
                throw CgroupProblem(
                    "\(argument) is in the cgroup v1 hierarchy of \(mount.controllers.joined(separator: ",")), not the memory one\(memory.map { "; memory cgroups are under \($0.point)" } ?? "")")
            }
            guard isDirectory(cleaned) else { throw CgroupProblem("no such cgroup: \(argument) is not a directory") }
            let inner = String(cleaned.dropFirst(mount.point.count))
            return MemoryCgroup(
                directory: cleaned, path: inner.isEmpty ? "/" : inner, version: mount.version,
                hasMemoryController: mount.version == 1 || (inner.isEmpty ? mount.controllers.contains("memory") : isFile(cleaned + "/memory.max")))
        }
        // A path inside the hierarchy: the v1 memory one where it exists, else the unified one.
        guard let mount = mounts.first(where: { $0.version == 1 && $0.controllers.contains("memory") }) ?? mounts.first(where: { $0.version == 2 })
        else { throw CgroupProblem("no cgroup hierarchy is mounted (no cgroup2, and no cgroup v1 with the memory controller, in /proc/self/mountinfo)") }
        let directory = cleaned == "/" ? mount.point : mount.point + cleaned
        guard isDirectory(directory) else {
            throw CgroupProblem("no such cgroup: neither \(argument) nor \(directory) is a cgroup directory; give the directory, e.g. \(mount.point)/NAME, or the path as /proc/PID/cgroup shows it")
        }
        return MemoryCgroup(
            directory: directory, path: cleaned, version: mount.version,
            hasMemoryController: mount.version == 1 || (cleaned == "/" ? mount.controllers.contains("memory") : isFile(directory + "/memory.max")))
    }

    /// The cgroup hierarchies mounted, from mountinfo lines:
    /// `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ... - FSTYPE SOURCE SUPEROPTIONS`.
    static func mounts(in mountinfo: String, controllersOfV2: (String) -> [String] = { point in
        (readText(point + "/cgroup.controllers", limit: 4096) ?? "").split(whereSeparator: \.isWhitespace).map(String.init)
    }) -> [Mount] {
        mountinfo.split(separator: "\n").compactMap { line -> Mount? in
            let halves = line.split(separator: " - ", maxSplits: 1, omittingEmptySubsequences: false)
            guard halves.count == 2 else { return nil }
            let before = halves[0].split(separator: " ")
            let after = halves[1].split(separator: " ")
            guard before.count >= 5, after.count >= 1 else { return nil }
            let point = unescapedMountPath(String(before[4]))
            switch after[0] {
            case "cgroup2": return Mount(point: point, version: 2, controllers: controllersOfV2(point))
            case "cgroup":
                let options = after.count >= 3 ? after[2].split(separator: ",").map(String.init) : []
                return Mount(point: point, version: 1, controllers: options.filter { $0 != "rw" && $0 != "ro" })
            default: return nil
            }
        }
    }

    /// mountinfo writes space, tab, newline and backslash in paths as octal escapes (`\040`).
    static func unescapedMountPath(_ text: String) -> String {
        var bytes: [UInt8] = []
        let raw = Array(text.utf8)
        var index = 0
        while index < raw.count {
            if raw[index] == UInt8(ascii: "\\"), index + 3 < raw.count,
                let value = UInt8(String(decoding: raw[(index + 1)...(index + 3)], as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(raw[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == ".." { if !parts.isEmpty { parts.removeLast() } } else { parts.append(part) }
        }
        return path.hasPrefix("/") ? "/" + parts.joined(separator: "/") : parts.joined(separator: "/")
    }

    // MARK: Members

    /// Every process in this cgroup and below, each once: `cgroup.procs` of every directory in the subtree.
    public func members() throws(Errno) -> [Int32] {
        var seen = Set<Int32>()
        var pending = [directory]
        while let next = pending.popLast() {
            // A cgroup removed during the walk took its processes with it: not an error below the top.
            let procs: String
            switch readFilePrefix(AT_FDCWD, next + "/cgroup.procs", limit: 1 << 26) {
            case .success(let bytes): procs = String(decoding: bytes, as: UTF8.self)
            case .failure(let error):
                if next == directory { throw error }
                continue
            }
            for line in procs.split(separator: "\n") { if let pid = Int32(line) { seen.insert(pid) } }
            pending += Self.subdirectories(of: next)
        }
        return seen.sorted()
    }

    static func subdirectories(of path: String) -> [String] {
        guard let stream = try? DirectoryStream(path: path), case .success(let entries) = stream.entries() else { return [] }
        return entries.filter(\.isDirectory).map { path + "/" + String(decoding: $0.name, as: UTF8.self) }
    }

    // MARK: Limits

    /// What a memory-cgroup OOM here would measure oom_score_adj against; nil when the cgroup cannot
    /// run out of memory by itself (no memory controller, or no limit of its own).
    public func domainSize(machine: SystemMemory) -> OOMDomainSize? {
        guard hasMemoryController else { return nil }
        let pageBytes = machine.pageKiB * 1024
        func pages(_ file: String) -> Int?? {
            guard let text = Self.readText(directory + "/" + file, limit: 64)?.trimmingWhitespace else { return nil }
            if text == "max" { return .some(nil) }
            guard let bytes = UInt64(text) else { return nil }
            // v1 writes "max" as PAGE_COUNTER_MAX pages in bytes, rounded down to a page.
            return .some(bytes >= UInt64(Int.max / pageBytes) * UInt64(pageBytes) ? nil : Int(bytes) / pageBytes)
        }
        let limit: Int?
        let swap: OOMDomainSize.SwapLimit
        if version == 1 {
            guard let value = pages("memory.limit_in_bytes") else { return nil }
            limit = value
            if let combined = pages("memory.memsw.limit_in_bytes") { swap = .combined(pages: combined) } else { swap = .separate(pages: nil) }
        } else {
            guard let value = pages("memory.max") else { return nil }
            limit = value
            swap = .separate(pages: pages("memory.swap.max") ?? nil)
        }
        guard let limit else { return nil }
        let swappiness = Self.readText(directory + "/memory.swappiness", limit: 16).flatMap { Int($0.trimmingWhitespace) }
            ?? Self.readText("/proc/sys/vm/swappiness", limit: 16).flatMap { Int($0.trimmingWhitespace) } ?? 60
        return .memoryCgroup(
            limitPages: limit, swap: swap, swappiness: swappiness, totalSwapPages: machine.swapPages, pageKiB: machine.pageKiB)
    }

    // MARK: Files

    /// The first `limit` bytes of the file at `path`, as text; nil when it cannot be read.
    static func readText(_ path: String, limit: Int) -> String? {
        (try? readFilePrefix(AT_FDCWD, path, limit: limit).get()).map { String(decoding: $0, as: UTF8.self) }
    }

    static func isDirectory(_ path: String) -> Bool { fileType(path) == S_IFDIR }

    static func isFile(_ path: String) -> Bool { fileType(path) == S_IFREG }

    /// stat(2)'s S_IFMT bits for `path`, nil when it cannot be stat'ed.
    private static func fileType(_ path: String) -> mode_t? {
        var info = stat()
        guard case .success = nothingOrErrno({ stat(path, &info) }) else { return nil }
        return info.st_mode & S_IFMT
    }
}

/// Why `--cgroup` cannot be used, in a sentence that says what to give instead.
public struct CgroupProblem: Error, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The machine's memory as the OOM killer counts it: RAM and swap in pages, from /proc/meminfo
/// (MemTotal and SwapTotal are totalram_pages and total_swap_pages, in KiB).
public struct SystemMemory: Sendable, Equatable {
    public let ramPages: Int
    public let swapPages: Int
    public let pageKiB: Int

    public init(ramPages: Int, swapPages: Int, pageKiB: Int) {
        self.ramPages = ramPages
        self.swapPages = swapPages
        self.pageKiB = pageKiB
    }

    /// Parses /proc/meminfo; nil without MemTotal.
    public init?(meminfo: String, pageKiB: Int) {
        func kibibytes(_ key: String) -> Int? {
            guard let line = meminfo.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return nil }
            return Int(line.dropFirst(key.count + 1).split(separator: " ").first ?? "")
        }
        guard let ram = kibibytes("MemTotal"), pageKiB > 0 else { return nil }
        self.init(ramPages: ram / pageKiB, swapPages: (kibibytes("SwapTotal") ?? 0) / pageKiB, pageKiB: pageKiB)
    }

    /// A global OOM's measure: all RAM plus all swap.
    public var domainSize: OOMDomainSize { .machine(ramPages: ramPages, swapPages: swapPages, pageKiB: pageKiB) }
}

extension ProcRoot {
    /// The machine's memory, from `meminfo` in this /proc.
    public func systemMemory() throws(Errno) -> SystemMemory {
        let text = String(decoding: try readFilePrefix(descriptor, "meminfo", limit: 8192).get(), as: UTF8.self)
        guard let memory = SystemMemory(meminfo: text, pageKiB: Int(sysconf(Int32(_SC_PAGESIZE))) / 1024) else {
            throw Errno.illegalByteSequence
        }
        return memory
    }
}

extension String {
    var trimmingWhitespace: String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
