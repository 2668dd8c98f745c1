import CNetlink
import CLinuxSystem
import Glibc
import OOMAdjustCore
import SystemPackage

// Paths resolved inside another root (the host's, or a process's): openat2 keeps the lookup in it.

/// Looks an absolute `path` up as if `root` were the file system's root (openat2 RESOLVE_IN_ROOT), so
/// neither an absolute symlink nor `..` leads out of it, and stats what it finds without opening it.
func lookUp(_ path: [UInt8], under root: CInt) -> FileLookup {
    let fd: CInt
    switch openInRoot(root, absolutePath: path, flags: CLinuxSystem_O_PATH) {
    case .success(let opened): fd = opened
    case .failure(.noSuchFileOrDirectory), .failure(.notDirectory): return .missing
    case .failure: return .unreadable
    }
    defer { closeDescriptor(fd) }
    var info = stat()
    guard case .success = nothingOrErrno({ fstat(fd, &info) }) else { return .unreadable }
    return .found(ExecutableFile(info))
}

/// Opens an absolute `path` as if `root` were the file system's root: openat2 RESOLVE_IN_ROOT, with
/// O_CLOEXEC; before Linux 5.6 (ENOSYS) a plain openat, whose absolute symlinks resolve against the
/// agent's own root. A path holding a NUL byte names nothing (ENOENT).
func openInRoot(_ root: CInt, absolutePath path: [UInt8], flags: CInt) -> Result<CInt, Errno> {
    var relative = path[...]
    while relative.first == UInt8(ascii: "/") { relative = relative.dropFirst() }
    guard !relative.contains(0) else { return .failure(.noSuchFileOrDirectory) }
    // Bytes, not a String: a path need not be UTF-8.
    let name = (relative.isEmpty ? [UInt8(ascii: ".")] : Array(relative)).map { CChar(bitPattern: $0) } + [0]
    switch valueOrErrno({ CLinuxSystem_open_in_root(root, name, flags | O_CLOEXEC) }) {
    case .failure(.noFunction): return valueOrErrno { openat(root, name, flags | O_CLOEXEC) }
    case let result: return result
    }
}
