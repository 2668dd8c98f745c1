import Glibc
import SystemPackage

// Reading and taking apart the text files of /proc.

/// Why `readFile` returned no content.
enum FileReadFailure: Error, Equatable {
    case unreadable(Errno)
    /// The file holds more than the limit.
    case longerThan(Int)
}

/// Reads a file relative to `directory` (or a path, with AT_FDCWD) to its end, growing the buffer as it
/// goes (a /proc file of another process's memory, such as `environ`, comes a page per read). Past
/// `limit` bytes it fails with `longerThan`.
func readFile(_ directory: CInt, _ name: UnsafePointer<CChar>, limit: Int) -> Result<[UInt8], FileReadFailure> {
    let fd: CInt
    switch valueOrErrno({ openat(directory, name, O_RDONLY | O_CLOEXEC | O_NOCTTY) }) {
    case .success(let opened): fd = opened
    case .failure(let error): return .failure(.unreadable(error))
    }
    defer { closeDescriptor(fd) }
    return readToEnd(fd, limit: limit)
}

/// `readFile`, but what lies past `limit` bytes is cut off instead of failing the read.
func readFilePrefix(_ directory: CInt, _ name: UnsafePointer<CChar>, limit: Int) -> Result<[UInt8], Errno> {
    let fd = valueOrErrno { openat(directory, name, O_RDONLY | O_CLOEXEC | O_NOCTTY) }
    return fd.flatMap { fd in
        defer { closeDescriptor(fd) }
        return readToEnd(fd, limit: limit, cutting: true).mapError { failure in
            guard case .unreadable(let error) = failure else { preconditionFailure("a cut read is never too long") }
            return error
        }
    }
}

/// Reads an open file from its current position to its end, as `readFile` does; with `cutting`, the
/// first `limit` bytes of a longer file. `expectedSize`, when known (from fstat), sizes the first
/// buffer; one byte more is always asked for, to notice a longer file.
func readToEnd(_ fd: CInt, limit: Int, cutting: Bool = false, expectedSize: Int = 4096) -> Result<[UInt8], FileReadFailure> {
    var bytes = [UInt8](repeating: 0, count: min(limit, expectedSize) + 1)
    var total = 0
    while true {
        if total == bytes.count {
            guard bytes.count <= limit else { break }
            bytes += [UInt8](repeating: 0, count: min(bytes.count, limit + 1 - bytes.count))
        }
        let count = bytes.withUnsafeMutableBytes { raw in valueOrErrno { read(fd, raw.baseAddress! + total, raw.count - total) } }
        switch count {
        case .success(0): bytes.removeSubrange(total...); return .success(bytes)
        case .success(let read): total += read
        case .failure(let error): return .failure(.unreadable(error))
        }
    }
    // One byte past the limit arrived.
    guard cutting else { return .failure(.longerThan(limit)) }
    bytes.removeSubrange(limit...)
    return .success(bytes)
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

/// The fields of `/proc/PID/stat` the agent uses.
public struct ProcessStat: Equatable, Sendable {
    /// R, S, D, Z (zombie), X (dead), ...
    public let state: UInt8
    public let parentPID: Int32
    /// Live threads: a zombie main thread whose other threads still run counts them.
    public let threads: Int
    /// Clock ticks since boot at which the process started: with the pid, it names one process.
    public let startTime: UInt64

    /// "PID (COMM) STATE PPID ... NUM_THREADS ... STARTTIME ...". COMM may hold spaces and parentheses,
    /// so the fields are counted from the last `)`.
    public init?(_ text: [UInt8]) {
        guard let close = text.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = text[(close + 1)...].split(separator: UInt8(ascii: " "))
        // Field 3 (state) is fields[0]: ppid is field 4, num_threads field 20, starttime field 22.
        guard fields.count > 19, let state = fields[0].first,
            let parent = Int32(String(decoding: fields[1], as: UTF8.self)),
            let threads = Int(String(decoding: fields[17], as: UTF8.self)),
            let start = UInt64(String(decoding: fields[19], as: UTF8.self))
        else { return nil }
        self.state = state
        parentPID = parent
        self.threads = threads
        startTime = start
    }

    /// Whether the process is finished: a zombie (or dead) with no thread left running. A main thread
    /// that exited before the others is a zombie too, but its process lives on.
    public var isFinished: Bool {
        (state == UInt8(ascii: "Z") || state == UInt8(ascii: "X")) && threads <= 1
    }
}
