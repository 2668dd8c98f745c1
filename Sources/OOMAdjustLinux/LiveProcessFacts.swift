import CNetlink
import Glibc
import OOMAdjustCore

/// ProcessFacts read lazily from an open `/proc/PID` directory, which must outlive it. Each fact is read
/// at most once; a fact that cannot be read (the process exited, or hides it) is nil.
public struct LiveProcessFacts: ProcessFacts {
    let directory: CInt
    let procRoot: CInt
    public let comm: Comm
    private var executable: [UInt8]??
    private var file: ExecutableFile??
    private var commandLine: [UInt8]??
    private var uid: UInt32??
    private var cgroup: [UInt8]??
    private var parent: Comm??
    private var hostPIDNamespace: Bool??

    init(directory: CInt, procRoot: CInt, comm: Comm) {
        self.directory = directory
        self.procRoot = procRoot
        self.comm = comm
    }

    public mutating func executablePath() -> [UInt8]? {
        if let cached = executable { return cached }
        let value = withUnsafeTemporaryAllocation(byteCount: Int(PATH_MAX), alignment: 1) { buffer -> [UInt8]? in
            let count = readlinkat(directory, "exe", buffer.baseAddress!.assumingMemoryBound(to: CChar.self), buffer.count)
            return count > 0 ? Array(UnsafeRawBufferPointer(rebasing: buffer[..<count])) : nil
        }
        executable = .some(value)
        return value
    }

    public mutating func executableFile() -> ExecutableFile? {
        if let cached = file { return cached }
        var info = stat()
        // Following the exe link reaches the inode the process runs, even when its path was replaced.
        let value = fstatat(directory, "exe", &info, 0) == 0 ? ExecutableFile(ownerUID: info.st_uid, mode: info.st_mode) : nil
        file = .some(value)
        return value
    }

    public mutating func rawCommandLine() -> [UInt8]? {
        if let cached = commandLine { return cached }
        let value = readSmallFile(directory, "cmdline", limit: 4096)
        commandLine = .some(value)
        return value
    }

    public mutating func realUID() -> UInt32? {
        if let cached = uid { return cached }
        // "Uid:\t<real>\t<effective>\t<saved>\t<fs>"
        let value = readSmallFile(directory, "status", limit: 4096).flatMap { status -> UInt32? in
            guard let line = field(in: status, after: Array("\nUid:".utf8)) else { return nil }
            return UInt32(String(decoding: line.prefix { $0 != UInt8(ascii: "\t") && $0 != UInt8(ascii: " ") }, as: UTF8.self))
        }
        uid = .some(value)
        return value
    }

    public mutating func cgroupPath() -> [UInt8]? {
        if let cached = cgroup { return cached }
        let value = readSmallFile(directory, "cgroup", limit: 8192).flatMap { text -> [UInt8]? in
            let newline = Array("\n".utf8)
            let all = newline + text
            // The unified hierarchy's line is "0::PATH"; systemd's v1 tree is "N:name=systemd:PATH".
            return field(in: all, after: Array("\n0::".utf8)) ?? lineRest(in: all, containing: Array(":name=systemd:".utf8))
        }
        cgroup = .some(value)
        return value
    }

    public mutating func parentComm() -> Comm? {
        if let cached = parent { return cached }
        let value = readSmallFile(directory, "stat", limit: 1024).flatMap { stat -> Comm? in
            // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, so parse after the last ')'.
            guard let close = stat.lastIndex(of: UInt8(ascii: ")")) else { return nil }
            let fields = stat[(close + 1)...].split(separator: UInt8(ascii: " "))
            guard fields.count > 1, let ppid = Int32(String(decoding: fields[1], as: UTF8.self)), ppid > 0 else { return nil }
            // The parent is read by PID: should it have exited and its PID been reused just now, this
            // names the newcomer. A qualifier, never the write, depends on it.
            guard let parentDirectory = try? ProcessDirectory(pid: ppid, inDescriptor: procRoot) else { return nil }
            return try? parentDirectory.readComm()
        }
        parent = .some(value)
        return value
    }
}

extension LiveProcessFacts {
    public mutating func inHostPIDNamespace() -> Bool? {
        if let cached = hostPIDNamespace { return cached }
        let value = PIDNamespace.isHost(directory: directory, procRoot: procRoot)
        hostPIDNamespace = .some(value)
        return value
    }
}

/// Reads a whole small /proc file relative to `directory`; nil when it cannot be opened or read.
func readSmallFile(_ directory: CInt, _ name: UnsafePointer<CChar>, limit: Int) -> [UInt8]? {
    let fd = openat(directory, name, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes = [UInt8](repeating: 0, count: limit)
    var total = 0
    while total < limit {
        let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + total, limit - total) }
        if count < 0 && errno == EINTR { continue }
        guard count >= 0 else { return nil }
        if count == 0 { break }
        total += count
    }
    bytes.removeSubrange(total...)
    return bytes
}

/// The rest of the line after the first occurrence of `marker`, with leading tabs and spaces dropped.
func field(in text: [UInt8], after marker: [UInt8]) -> [UInt8]? {
    guard let start = firstIndex(of: marker, in: text) else { return nil }
    var index = start + marker.count
    while index < text.count && (text[index] == UInt8(ascii: "\t") || text[index] == UInt8(ascii: " ")) { index += 1 }
    let end = text[index...].firstIndex(of: UInt8(ascii: "\n")) ?? text.endIndex
    return Array(text[index..<end])
}

/// The rest of the line after `marker`, for a marker found anywhere in a line.
func lineRest(in text: [UInt8], containing marker: [UInt8]) -> [UInt8]? {
    guard let start = firstIndex(of: marker, in: text) else { return nil }
    let index = start + marker.count
    let end = text[index...].firstIndex(of: UInt8(ascii: "\n")) ?? text.endIndex
    return Array(text[index..<end])
}

func firstIndex(of marker: [UInt8], in text: [UInt8]) -> Int? {
    guard marker.count <= text.count else { return nil }
    for start in 0...(text.count - marker.count) where text[start] == marker[0] {
        if text[start..<(start + marker.count)].elementsEqual(marker) { return start }
    }
    return nil
}
