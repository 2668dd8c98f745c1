import Glibc
import OOMAdjustCore
import SystemPackage

/// The drop-in directory (`/etc/oom_adjust.d` by default): `*.conf` files read after the main file.
public enum DropInDirectory {
    /// One drop-in file: its full path, and its bytes or why they could not be had.
    public struct File: Sendable {
        public let path: String
        public let contents: Result<[UInt8], ConfigDiagnostic>

        public init(path: String, contents: Result<[UInt8], ConfigDiagnostic>) {
            self.path = path
            self.contents = contents
        }
    }

    /// Every `*.conf` file in `path`, in lexical (byte) order, each read through the descriptor of the
    /// directory that was checked and listed (openat, no symlinks, no FIFOs). A missing directory has
    /// no drop-ins; a directory that cannot be opened, trusted or listed is an error naming the path.
    public static func read(in path: String) -> Result<[File], ConfigDiagnostic> {
        func failure(_ message: String) -> Result<[File], ConfigDiagnostic> {
            .failure(ConfigDiagnostic(.error, path: path, line: nil, message))
        }
        guard let directory = opendir(path) else {
            let error = Errno(rawValue: errno)
            if error == .noSuchFileOrDirectory { return .success([]) }
            return failure(error == .notDirectory ? "not a directory" : "cannot open: \(error)")
        }
        defer { closedir(directory) }
        // Whoever may add a file here decides OOM fates too: the directory must pass the same StrictModes
        // check as the files, on the descriptor being listed.
        let descriptor = dirfd(directory)
        if let untrusted = ConfigFile.checkTrust(descriptor: descriptor, path: path) { return .failure(untrusted) }
        var names: [[UInt8]] = []
        while true {
            // readdir returns NULL at the end and on an error alike; only errno tells them apart.
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { return failure("cannot list: \(Errno(rawValue: errno))") }
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            // Editors' and package managers' leftovers (`x.conf~`, `x.conf.dpkg-old`) do not end in .conf.
            guard name.count > 5, name.suffix(5).elementsEqual(".conf".utf8), name.first != UInt8(ascii: ".") else { continue }
            names.append(name)
        }
        names.sort { $0.lexicographicallyPrecedes($1) }
        let prefix = path.hasSuffix("/") ? path : path + "/"
        return .success(
            names.map { name in
                let filePath = prefix + String(decoding: name, as: UTF8.self)
                return File(path: filePath, contents: ConfigFile.read(named: name, in: descriptor, path: filePath))
            })
    }
}
