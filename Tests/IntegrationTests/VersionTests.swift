import Foundation
import Testing

/// One version string everywhere: scripts/version.sh's, in `--version`, the start-up log line and the
/// oom_adjust_build_info metric; and the script's answers for a tag-less clone, a `git archive`
/// tarball, a tree without either, and an override.
@Suite(.serialized, .enabled(if: Harness.rootTestsEnabled))
struct VersionTests {
    static let script = Harness.packageRoot.appendingPathComponent("scripts/version.sh").path

    static func version(in directory: String? = nil, override: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        var environment = Harness.cleanEnvironment
        environment.removeValue(forKey: "OOM_ADJUST_VERSION")
        if let override { environment["OOM_ADJUST_VERSION"] = override }
        let path = directory.map { "\($0)/scripts/version.sh" } ?? script
        return try Harness.run("/bin/sh", [path], environment: environment)
    }

    @Test(.privileged) func theBinaryTheLogAndTheMetricSayTheScriptsVersion() throws {
        let expected = try Self.version().stdout.trimmingCharacters(in: .newlines)
        #expect(expected.range(of: #"^[0-9][0-9A-Za-z.+~]*$"#, options: .regularExpression) != nil, "\(expected)")
        let said = try Harness.run(Harness.agentBinary, ["--version"])
        #expect(said.stdout == "\(expected)\n", "built from another commit than HEAD? \(said.stdout)")

        let scenario = try Scenario()
        defer { scenario.cleanUp() }
        let metrics = scenario.directory.appendingPathComponent("oom_adjust.prom").path
        let config = try scenario.writeConfig("\(Harness.uniqueName("v")) score=300\n")
        let agent = try scenario.startAgent(config: config, arguments: ["--metrics-file", metrics])
        #expect(agent.lines(containing: "info subscribed to process events", "version=\(expected)").count == 1, "\(agent.log)")
        #expect(Harness.waitUntil { PackagingTests.read(metrics)?.contains("oom_adjust_build_info{version=\"\(expected)\"} 1\n") == true })
        #expect(agent.stop() == 0)
    }

    /// What a clone without tags says, and what a tarball made by `git archive` from the same commit
    /// says without any git: the same.
    @Test(.privileged) func aGitArchiveTarballKnowsItsVersionWithoutGit() throws {
        let git = try #require(ServiceSupport.tool("git"), "git is not installed")
        let root = Harness.packageRoot.path
        let head = try Harness.run(git, ["-C", root, "rev-parse", "--short", "HEAD"]).stdout.trimmingCharacters(in: .newlines)
        let fromGit = try Self.version().stdout
        let tagged = try Harness.run(git, ["-C", root, "describe", "--tags", "--exact-match", "HEAD"]).status == 0
        if !tagged { #expect(fromGit.hasSuffix(".\(head)\n") && fromGit.contains("+git"), "\(fromGit)") }

        let scenario = try Scenario()
        defer { scenario.cleanUp() }
        let tree = scenario.directory.appendingPathComponent("tree").path
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        let unpack = try Harness.run("/bin/sh", ["-c", "\"$0\" -C \"$1\" archive HEAD | tar -x -C \"$2\"", git, root, tree])
        #expect(unpack.status == 0, "\(unpack.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tree + "/.git"))
        #expect(try Self.version(in: tree).stdout == fromGit)

        // Neither git nor a filled-in .version: the documented fallback, and the build still has a version.
        try "$Format:%(describe:tags=true) %cs %h$\n".write(toFile: tree + "/.version", atomically: true, encoding: .utf8)
        #expect(try Self.version(in: tree).stdout == "0.0.0+unknown\n")
        // The override wins, and a bad one is refused with what to do.
        #expect(try Self.version(in: tree, override: "1.2.3~rc1").stdout == "1.2.3~rc1\n")
        let bad = try Self.version(in: tree, override: "v1 2")
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("'v1 2' is not a usable version: it must start with a digit"), "\(bad.stderr)")
    }
}
