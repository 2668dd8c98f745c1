import Glibc
import OOMAdjustCore
import SystemPackage

/// The drop-in directory (`/etc/oom_adjust.d` by default): `*.conf` files read after the main file.
public enum DropInDirectory {
    /// The `*.conf` files in `path`, in lexical (byte) order, as full paths. A missing directory has no
    /// drop-ins; anything else that cannot be listed is an error naming the path.
    public static func files(in path: String) -> Result<[String], ConfigDiagnostic> {
        guard let directory = opendir(path) else {
            let error = Errno(rawValue: errno)
            if error == .noSuchFileOrDirectory { return .success([]) }
            let reason = error == .notDirectory ? "not a directory" : "cannot open: \(error)"
            return .failure(ConfigDiagnostic(.error, path: path, line: nil, reason))
        }
        defer { closedir(directory) }
        // Whoever may add a file here decides OOM fates too: the directory must pass the same StrictModes
        // check as the files, on the descriptor being listed.
        if let untrusted = ConfigFile.checkTrust(descriptor: dirfd(directory), path: path) { return .failure(untrusted) }
        var names: [[UInt8]] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 })
            }
            // Editors' and package managers' leftovers (`x.conf~`, `x.conf.dpkg-old`) do not end in .conf.
            guard name.count > 5, name.last(5).elementsEqual(".conf".utf8), name.first != UInt8(ascii: ".") else { continue }
            names.append(name)
        }
        names.sort { $0.lexicographicallyPrecedes($1) }
        let prefix = path.hasSuffix("/") ? path : path + "/"
        return .success(names.map { prefix + String(decoding: $0, as: UTF8.self) })
    }
}

extension Array where Element == UInt8 {
    fileprivate func last(_ count: Int) -> ArraySlice<UInt8> { self[(self.count - count)...] }
}
