import Glibc
import SystemPackage

// Whole-file reads, for /proc files and config files alike: one loop, one EINTR policy.

/// Why `readFile` returned no content.
enum FileReadFailure: Error, Equatable {
    case unreadable(Errno)
    /// The file holds more than the limit.
    case longerThan(Int)
}

/// Reads a file relative to `directory` (or a path, with AT_FDCWD) to its end, growing the buffer as it
/// goes (a /proc file of another process's memory, such as `environ`, comes a page per read). Past
/// `limit` bytes it fails with `longerThan`, or with `cutting` returns the first `limit` bytes.
func readFile(_ directory: CInt, _ name: UnsafePointer<CChar>, limit: Int, cutting: Bool = false) -> Result<[UInt8], FileReadFailure> {
    let fd: CInt
    switch valueOrErrno({ openat(directory, name, O_RDONLY | O_CLOEXEC | O_NOCTTY) }) {
    case .success(let opened): fd = opened
    case .failure(let error): return .failure(.unreadable(error))
    }
    defer { closeDescriptor(fd) }
    return readToEnd(fd, limit: limit, cutting: cutting)
}

/// `readFile`, cutting what lies past `limit` bytes: then only the open or a read can fail.
func readFilePrefix(_ directory: CInt, _ name: UnsafePointer<CChar>, limit: Int) -> Result<[UInt8], Errno> {
    readFile(directory, name, limit: limit, cutting: true).mapError { failure in
        guard case .unreadable(let error) = failure else { preconditionFailure("a cut read is never too long") }
        return error
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
