import Foundation
import OOMAdjustLinux
import SystemPackage
import Testing

/// The metrics file's write path: a temporary file beside it, renamed over it.
@Suite struct AtomicFileTests {
    static func scratchDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("oa-atomic-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func theTemporaryFileIsHiddenBesideTheTargetAndDoesNotEndInItsSuffix() {
        #expect(AtomicFile.temporaryPath(for: "/var/lib/node/oom.prom") == "/var/lib/node/.oom.prom.tmp")
        #expect(AtomicFile.temporaryPath(for: "oom.prom") == ".oom.prom.tmp")
        #expect(AtomicFile.temporaryPath(for: "/oom.prom") == "/.oom.prom.tmp")
    }

    @Test func replaceWritesTheWholeFileWithItsModeWhateverTheUmaskAndLeavesNothingBehind() throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/m.prom"
        let previous = umask(0o077)
        defer { umask(previous) }
        try AtomicFile.replace(path: path, with: "first\n")
        try AtomicFile.replace(path: path, with: "second\n")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "second\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o644)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["m.prom"])
    }

    @Test func aStaleTemporaryFileOrSymlinkIsReplacedNotFollowed() throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/m.prom"
        let victim = directory + "/victim"
        try "keep\n".write(toFile: victim, atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: AtomicFile.temporaryPath(for: path), withDestinationPath: victim)
        try AtomicFile.replace(path: path, with: "metrics\n")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep\n")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "metrics\n")
    }

    @Test func aMissingDirectoryIsAnErrnoAndCreatesNothing() throws {
        #expect(throws: Errno.noSuchFileOrDirectory) {
            try AtomicFile.replace(path: "/nonexistent-oa-\(UInt32.random(in: 0...UInt32.max))/m.prom", with: "x")
        }
    }
}
