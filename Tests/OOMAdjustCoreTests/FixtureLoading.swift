import Foundation
import OOMAdjustCore
import Testing

/// Finds test fixtures next to the sources, so the tests read the same files whatever the working
/// directory or build path.
enum Fixtures {
    /// Tests/Fixtures, from this file's own location.
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Tests/OOMAdjustCoreTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Fixtures")

    /// The repository root, for files the package ships (etc/oom_adjust.conf).
    static let repositoryRoot = directory
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    static func bytes(at url: URL) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url))
    }

    /// Path of a file under Tests/Fixtures/configs.
    static func configPath(_ name: String) -> String {
        directory.appendingPathComponent("configs").appendingPathComponent(name).path
    }

    /// Parses a file under Tests/Fixtures/configs, naming it by its full path in diagnostics.
    static func parseConfig(_ name: String) throws -> ParsedConfig {
        let path = configPath(name)
        return ConfigParser.parse(try bytes(at: URL(fileURLWithPath: path)), path: path)
    }

    /// Parses a file the package ships, such as etc/oom_adjust.conf.
    static func parseShipped(_ relativePath: String) throws -> ParsedConfig {
        let path = repositoryRoot.appendingPathComponent(relativePath).path
        return ConfigParser.parse(try bytes(at: URL(fileURLWithPath: path)), path: path)
    }
}

/// Parses config text given inline, under a short fixed path.
func parse(_ text: String, path: String = "inline.conf") -> ParsedConfig {
    ConfigParser.parse(Array(text.utf8), path: path)
}

/// What a test expects of one diagnostic: where it is, how severe, and a phrase that tells its kind
/// apart from the others.
struct ExpectedDiagnostic: CustomStringConvertible {
    let severity: ConfigDiagnostic.Severity
    let line: Int?
    let phrase: String

    static func error(line: Int?, _ phrase: String) -> Self { Self(severity: .error, line: line, phrase: phrase) }
    static func warning(line: Int, _ phrase: String) -> Self { Self(severity: .warning, line: line, phrase: phrase) }

    var description: String { "\(line.map(String.init) ?? "-"): \(severity.rawValue): …\(phrase)…" }

    /// True when `diagnostic` is at this place, with the exact `PATH:LINE: SEVERITY: ` prefix.
    func matches(_ diagnostic: ConfigDiagnostic, path: String) -> Bool {
        let place = line.map { "\(path):\($0)" } ?? path
        return diagnostic.path == path && diagnostic.line == line && diagnostic.severity == severity
            && diagnostic.description.hasPrefix("\(place): \(severity.rawValue): ")
            && diagnostic.message.contains(phrase)
    }
}

/// Expects `actual` to be exactly `expected`, in order: every problem reported, none invented.
func expectDiagnostics(
    _ actual: [ConfigDiagnostic], _ expected: [ExpectedDiagnostic], path: String,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) {
    let got = actual.map(\.description).joined(separator: "\n")
    #expect(actual.count == expected.count, "got:\n\(got)", sourceLocation: sourceLocation)
    for (diagnostic, expectation) in zip(actual, expected) {
        #expect(expectation.matches(diagnostic, path: path), "expected \(expectation), got \(diagnostic)",
                sourceLocation: sourceLocation)
    }
}
