import Foundation
import Glibc
import Testing

/// A fresh directory of config files for one test, removed when the test drops it.
///
/// Files are 0644 and directories 0755 whatever the umask, so they pass the checks a config file must
/// pass (root-owned when the tests run as root, writable by nobody else).
final class ConfigTree {
    let root: String

    init() throws {
        var directory = NSTemporaryDirectory()
        while directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
        var template = Array((directory + "/oom-adjust-rules-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw ConfigTreeError("mkdtemp failed: errno \(errno)") }
        root = String(cString: made)
        guard chmod(root, 0o755) == 0 else { throw ConfigTreeError("chmod \(root) failed: errno \(errno)") }
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func path(_ relative: String) -> String { root + "/" + relative }

    /// Writes `text` to `relative`, making the directories above it.
    @discardableResult
    func write(_ relative: String, _ text: String) throws -> String {
        let full = path(relative)
        let parent = (full as NSString).deletingLastPathComponent
        if parent != root { try makeDirectory(String(parent.dropFirst(root.count + 1))) }
        guard FileManager.default.createFile(atPath: full, contents: Data(text.utf8)) else {
            throw ConfigTreeError("cannot create \(full)")
        }
        guard chmod(full, 0o644) == 0 else { throw ConfigTreeError("chmod \(full) failed: errno \(errno)") }
        return full
    }

    @discardableResult
    func makeDirectory(_ relative: String) throws -> String {
        let full = path(relative)
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        guard chmod(full, 0o755) == 0 else { throw ConfigTreeError("chmod \(full) failed: errno \(errno)") }
        return full
    }
}

struct ConfigTreeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
