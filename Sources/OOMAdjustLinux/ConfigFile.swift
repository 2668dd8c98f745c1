import Glibc
import OOMAdjustCore
import SystemPackage

/// Reading a config file from disk, with the checks that come before parsing.
public enum ConfigFile {
    /// Reads a whole config file. A missing file, a directory or device, or a file over the parser's size
    /// limit comes back as a diagnostic naming the path, never as a partial read.
    public static func read(path: String) -> Result<[UInt8], ConfigDiagnostic> {
        func failure(_ message: String) -> Result<[UInt8], ConfigDiagnostic> {
            .failure(ConfigDiagnostic(.error, path: path, line: nil, message))
        }
        // O_NONBLOCK: opening a FIFO by mistake must not hang the agent.
        let fd: CInt
        switch valueOrErrno({ open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY) }) {
        case .success(let opened): fd = opened
        case .failure(let error): return failure("cannot open: \(error)")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return failure("cannot stat: \(Errno(rawValue: errno))") }
        guard info.st_mode & S_IFMT == S_IFREG else { return failure("not a regular file") }
        let limit = ConfigParser.maximumFileSize
        guard info.st_size <= limit else {
            return failure("file is \(info.st_size) bytes; a config may be at most \(limit) bytes")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
        var total = 0
        while true {
            // Read one byte past the expected size to notice a file that grew after fstat.
            let count = bytes.withUnsafeMutableBytes { raw in
                Glibc.read(fd, raw.baseAddress! + total, raw.count - total)
            }
            if count < 0 {
                if errno == EINTR { continue }
                return failure("cannot read: \(Errno(rawValue: errno))")
            }
            if count == 0 { break }
            total += count
            if total == bytes.count {
                if total > limit { return failure("file grew past \(limit) bytes while being read") }
                bytes += [UInt8](repeating: 0, count: min(bytes.count, limit + 1 - bytes.count) + 1)
            }
        }
        bytes.removeSubrange(total...)
        return .success(bytes)
    }
}
