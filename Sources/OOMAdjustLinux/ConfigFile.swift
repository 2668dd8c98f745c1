import Glibc
import OOMAdjustCore
import SystemPackage

/// Reading a config file from disk, with the checks that come before parsing.
public enum ConfigFile {
    /// Reads a whole config file. A missing file, a directory or device, a file over the parser's size
    /// limit, or one that someone besides root could have written (see `trustProblem`) comes back as a
    /// diagnostic naming the path, never as a partial read.
    public static func read(path: String) -> Result<[UInt8], ConfigDiagnostic> {
        // O_NONBLOCK: opening a FIFO by mistake must not hang the agent.
        switch valueOrErrno({ open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY) }) {
        case .success(let fd): return read(opened: fd, path: path)
        case .failure(let error): return .failure(ConfigDiagnostic(.error, path: path, line: nil, "cannot open: \(error)"))
        }
    }

    /// Reads the file `name` of a directory the caller opened and checked, through that directory's
    /// descriptor: what was listed and checked is what is read, even if the directory's path changes
    /// meanwhile. A symbolic link is refused (O_NOFOLLOW), and so is anything but a regular file.
    public static func read(named name: [UInt8], in directory: CInt, path: String) -> Result<[UInt8], ConfigDiagnostic> {
        let cName = name.map { CChar(bitPattern: $0) } + [0]
        switch valueOrErrno({ openat(directory, cName, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW) }) {
        case .success(let fd): return read(opened: fd, path: path)
        case .failure(.tooManySymbolicLinkLevels):
            return .failure(
                ConfigDiagnostic(.error, path: path, line: nil, "is a symbolic link; a drop-in must be a regular file in the directory itself"))
        case .failure(let error):
            return .failure(ConfigDiagnostic(.error, path: path, line: nil, "cannot open: \(error)"))
        }
    }

    /// Checks and reads an opened config file, and closes it.
    static func read(opened fd: CInt, path: String) -> Result<[UInt8], ConfigDiagnostic> {
        func failure(_ message: String) -> Result<[UInt8], ConfigDiagnostic> {
            .failure(ConfigDiagnostic(.error, path: path, line: nil, message))
        }
        defer { closeDescriptor(fd) }
        var info = stat()
        if case .failure(let error) = nothingOrErrno({ fstat(fd, &info) }) { return failure("cannot stat: \(error)") }
        guard info.st_mode & S_IFMT == S_IFREG else { return failure("not a regular file") }
        // On the opened file, so that what is checked is what is read.
        if let untrusted = trustProblem(info, path: path) { return .failure(untrusted) }
        let limit = ConfigParser.maximumFileSize
        guard info.st_size <= limit else {
            return failure("file is \(info.st_size) bytes; a config may be at most \(limit) bytes")
        }
        // Sized by fstat, and one byte past it, to notice a file that grew after fstat.
        switch readToEnd(fd, limit: limit, expectedSize: Int(info.st_size)) {
        case .success(let bytes): return .success(bytes)
        case .failure(.unreadable(let error)): return failure("cannot read: \(error)")
        case .failure(.longerThan): return failure("file grew past \(limit) bytes while being read")
        }
    }

    /// The check `read` makes, for a directory (or file) the caller has opened already: fstat, so nothing
    /// can be swapped in between the check and the use. nil when it may be trusted.
    public static func checkTrust(descriptor: CInt, path: String) -> ConfigDiagnostic? {
        var info = stat()
        if case .failure(let error) = nothingOrErrno({ fstat(descriptor, &info) }) {
            return ConfigDiagnostic(.error, path: path, line: nil, "cannot stat: \(error)")
        }
        return trustProblem(info, path: path)
    }

    /// sshd's StrictModes for config files: whoever can write the file decides every process's OOM
    /// fate, so it must be root (or the user running oom-adjust, who could do the same anyway), and
    /// group and others must not be able to write it. Parent directories are not checked.
    static func trustProblem(_ info: stat, path: String) -> ConfigDiagnostic? {
        var problems: [String] = []
        var remedies: [String] = []
        if info.st_uid != 0 && info.st_uid != geteuid() {
            problems.append("owned by uid \(info.st_uid), not root")
            remedies.append("chown root \(path)")
        }
        let groupWritable = info.st_mode & S_IWGRP != 0
        let othersWritable = info.st_mode & S_IWOTH != 0
        if groupWritable || othersWritable {
            let who = groupWritable && othersWritable ? "group and others" : groupWritable ? "group" : "others"
            let flags = groupWritable && othersWritable ? "go-w" : groupWritable ? "g-w" : "o-w"
            problems.append("writable by \(who) (mode \(octal(info.st_mode & 0o7777)))")
            remedies.append("chmod \(flags) \(path)")
        }
        guard !problems.isEmpty else { return nil }
        return ConfigDiagnostic(
            .error, path: path, line: nil,
            "\(problems.joined(separator: " and ")); run \(remedies.joined(separator: " and "))")
    }

    /// Four octal digits, as chmod and ls -l users know them: 0646.
    static func octal(_ mode: mode_t) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
