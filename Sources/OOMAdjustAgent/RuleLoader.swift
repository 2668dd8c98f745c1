import OOMAdjustCore
import OOMAdjustLinux

/// Reads and parses the configuration: every file, every finding.
public struct RuleLoader: Sendable {
    public let configPath: String

    public init(configPath: String) {
        self.configPath = configPath
    }

    public struct Loaded: Sendable {
        public let rules: RuleSet
        public let warnings: [ConfigDiagnostic]
    }

    /// The rules, or every error found (never only the first).
    public func load() -> Result<Loaded, LoadFailure> {
        var parsed = ParsedConfig()
        switch ConfigFile.read(path: configPath) {
        case .success(let bytes): parsed.append(ConfigParser.parse(bytes, path: configPath))
        case .failure(let diagnostic): parsed.diagnostics.append(diagnostic)
        }
        let errors = parsed.errors
        guard errors.isEmpty else { return .failure(LoadFailure(diagnostics: errors)) }
        return .success(Loaded(rules: RuleSet(parsed.rules), warnings: parsed.warnings + parsed.duplicateWarnings))
    }
}

/// The configuration could not be used: each diagnostic names its `PATH:LINE`.
public struct LoadFailure: Error, Sendable, CustomStringConvertible {
    public let diagnostics: [ConfigDiagnostic]

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
