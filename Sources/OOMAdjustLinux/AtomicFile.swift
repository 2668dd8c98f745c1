import Glibc
import SystemPackage

/// Whole-file replacement that a concurrent reader sees as the old file or the new one, never a part.
public enum AtomicFile {
    /// The temporary file `replace` writes beside `path`: hidden and not ending in the original
    /// suffix, so collectors that glob `*.prom` never pick it up.
    public static func temporaryPath(for path: String) -> String {
        let bytes = Array(path.utf8)
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return ".\(path).tmp" }
        let directory = String(decoding: bytes[...slash], as: UTF8.self)
        let name = String(decoding: bytes[(slash + 1)...], as: UTF8.self)
        return directory + "." + name + ".tmp"
    }

    /// Replaces `path` with `contents`: open(2) a fresh temporary file in the same directory (O_EXCL |
    /// O_NOFOLLOW, so a planted symlink is refused), fchmod(2) it to `mode` whatever the umask,
    /// write(2) everything, fsync(2), then rename(2) it over `path`. On failure the temporary file is
    /// removed and `path` is untouched.
    ///
    /// The directory is not fsynced: a crash may bring back the previous version, which for a file
    /// rewritten every few seconds is harmless.
    public static func replace(path: String, with contents: String, mode: mode_t = 0o644) throws(Errno) {
        let temporary = temporaryPath(for: path)
        // A file left by a crash (or anything else squatting on the name) goes first.
        switch nothingOrErrno({ unlink(temporary) }) {
        case .success, .failure(.noSuchFileOrDirectory): break
        case .failure(let error): throw error
        }
        let fd = try valueOrErrno {
            open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode)
        }.get()
        var closed = false
        defer {
            if !closed { closeDescriptor(fd) }
        }
        do throws(Errno) {
            try nothingOrErrno { fchmod(fd, mode) }.get()
            var text = contents
            // withUTF8 rethrows untyped errors, so the outcome comes out as a value.
            try text.withUTF8 { writeAll(fd, UnsafeRawBufferPointer($0)) }.get()
            try nothingOrErrno { fsync(fd) }.get()
            closed = true
            // close(2) reports delayed write errors on some file systems (NFS): those count too.
            try nothingOrErrno(retryOnInterrupt: false) { close(fd) }.get()
            try nothingOrErrno { rename(temporary, path) }.get()
        } catch {
            // The first failure is the one to report; a failed clean-up leaves only a hidden file.
            _ = nothingOrErrno { unlink(temporary) }
            throw error
        }
    }
}
