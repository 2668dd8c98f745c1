import OOMAdjustCore
import OOMAdjustLinux

/// Reads and parses the configuration: the main file, then the drop-in directory's `*.conf` files in
/// lexical order. Every file, every finding.
public struct RuleLoader: Sendable {
    public let configPath: String
    public let dropInDirectory: String
    public let loginDefsPath: String

    /// `dropInDirectory` defaults to `oom_adjust.d` beside the main file (`/etc/oom_adjust.d`).
    public init(configPath: String, dropInDirectory: String? = nil, loginDefsPath: String = "/etc/login.defs") {
        self.configPath = configPath
        self.dropInDirectory = dropInDirectory ?? Self.defaultDropInDirectory(for: configPath)
        self.loginDefsPath = loginDefsPath
    }

    static func defaultDropInDirectory(for configPath: String) -> String {
        guard let slash = configPath.lastIndex(of: "/") else { return "oom_adjust.d" }
        return String(configPath[...slash]) + "oom_adjust.d"
    }

    public struct Loaded: Sendable {
        public let rules: RuleSet
        public let warnings: [ConfigDiagnostic]
        /// Every file read, main file first.
        public let files: [String]
    }

    /// The rules, or every error found (never only the first). The warnings are the same for `check`,
    /// a start-up and a reload: the parser's, repeated rules, advice about valid rules, and, given what
    /// the machine has (`inventory`, which `check` reads), the rules that apply to nothing on it. (The
    /// agent warns about those after its start-up and reload sweeps, from the comms they met.)
    public func load(inventory: SystemInventory? = nil) -> Result<Loaded, LoadFailure> {
        var parsed = ParsedConfig()
        var sources = [DropInDirectory.File(path: configPath, contents: ConfigFile.read(path: configPath))]
        switch DropInDirectory.read(in: dropInDirectory) {
        case .success(let dropIns): sources += dropIns
        case .failure(let diagnostic): parsed.diagnostics.append(diagnostic)
        }
        // Each account once per load: a generated config names the same few users on thousands of lines,
        // and every look-up may read /etc/passwd (or ask a directory server).
        var accounts: [String: UInt32?] = [:]
        func uid(named name: String) -> UInt32? {
            if let known = accounts[name] { return known }
            let found = SystemAccounts.uid(named: name)
            accounts[name] = found
            return found
        }
        for source in sources {
            switch source.contents {
            case .success(let bytes): parsed.append(ConfigParser.parse(bytes, path: source.path, users: uid(named:)))
            case .failure(let diagnostic): parsed.diagnostics.append(diagnostic)
            }
        }
        let files = sources.map { $0.path }
        let errors = parsed.errors
        guard errors.isEmpty else { return .failure(LoadFailure(diagnostics: errors)) }
        let policy = TrustPolicy(systemUIDLimit: SystemAccounts.firstUserUID(loginDefsPath: loginDefsPath))
        let reach = inventory.map { RuleReach.warnings(parsed.rules, inventory: $0) } ?? []
        return .success(
            Loaded(
                rules: RuleSet(parsed.rules, policy: policy),
                warnings: parsed.warnings + parsed.duplicateWarnings + Advisories.of(parsed.rules) + reach, files: files))
    }
}

/// The configuration could not be used: each diagnostic names its `PATH:LINE`.
public struct LoadFailure: Error, Sendable, CustomStringConvertible {
    public let diagnostics: [ConfigDiagnostic]

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }

    /// Every error may go away by itself: the same configuration may load in a while.
    public var isTransient: Bool { diagnostics.allSatisfy(\.isTransient) }
}
