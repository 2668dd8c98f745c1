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
        let directory: DirectoryStream
        do {
            directory = try DirectoryStream(path: path)
        } catch {
            if error == .noSuchFileOrDirectory { return .success([]) }
            return .failure(ConfigDiagnostic(.error, path: path, line: nil, error == .notDirectory ? "not a directory" : "cannot open: \(error)"))
        }
        return read(directory, path: path)
    }

    /// Checks, lists and reads an opened drop-in directory.
    private static func read(_ directory: borrowing DirectoryStream, path: String) -> Result<[File], ConfigDiagnostic> {
        func failure(_ message: String) -> Result<[File], ConfigDiagnostic> {
            .failure(ConfigDiagnostic(.error, path: path, line: nil, message))
        }
        return directory.withDescriptor { descriptor in
            // Whoever may add a file here decides OOM fates too: the directory must pass the same
            // StrictModes check as the files, on the descriptor being listed.
            if let untrusted = ConfigFile.checkTrust(descriptor: descriptor, path: path) { return .failure(untrusted) }
            var names: [[UInt8]]
            switch directory.entries() {
            // An error part-way is not the end of the directory: a drop-in missed would change the rules.
            case .failure(let error): return failure("cannot list: \(error)")
            case .success(let entries):
                // Editors' and package managers' leftovers (`x.conf~`, `x.conf.dpkg-old`) do not end in .conf.
                names = entries.map(\.name).filter { name in
                    name.count > 5 && name.suffix(5).elementsEqual(".conf".utf8) && name.first != UInt8(ascii: ".")
                }
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
}
