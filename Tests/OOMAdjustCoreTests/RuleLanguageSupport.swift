import OOMAdjustCore
import Testing

/// Config text to rules for the rule-language tests, with a fixed account table instead of /etc/passwd
/// so that `user=NAME` resolves the same way on every machine.
enum RuleText {
    static let accounts: [String: UInt32] = ["root": 0, "postgres": 113, "alice": 1001]

    static func parse(_ text: String, path: String = "rules.conf") -> ParsedConfig {
        ConfigParser.parse(Array(text.utf8), path: path, users: { accounts[$0] })
    }

    /// The one rule `line` makes; the test fails when the line has any diagnostic.
    static func rule(_ line: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Rule {
        let parsed = parse(line)
        #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics)", sourceLocation: sourceLocation)
        #expect(parsed.rules.count == 1, sourceLocation: sourceLocation)
        return try #require(parsed.rules.first, sourceLocation: sourceLocation)
    }

    /// The rules of `text` in force; the test fails when the text has any diagnostic.
    static func rules(
        _ text: String, policy: TrustPolicy = TrustPolicy(), sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) -> RuleSet {
        let parsed = parse(text)
        #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics)", sourceLocation: sourceLocation)
        return RuleSet(parsed.rules, policy: policy)
    }

    /// Each diagnostic of `text` as `PATH:LINE: SEVERITY: MESSAGE`.
    static func diagnostics(_ text: String, path: String = "rules.conf") -> [String] {
        parse(text, path: path).diagnostics.map(\.description)
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
}

/// Processes to test rules against.
enum SampleProcess {
    /// A root-owned 0755 regular file.
    static let rootExecutable = ExecutableFile(ownerUID: 0, mode: 0o100755)

    /// What a system daemon looks like: its comm is its executable's name, the executable is root's and
    /// nobody else may write it, and it runs as a system account. The trust policy grants it anything.
    static func daemon(
        _ comm: String, executable: String? = nil, file: ExecutableFile? = rootExecutable, uid: UInt32? = 0,
        arguments: [String]? = nil, cgroup: String? = nil, parent: String? = nil
    ) -> KnownProcessFacts {
        let path = executable ?? "/usr/sbin/\(comm)"
        return KnownProcessFacts(
            comm: Comm(comm), executable: Array(path.utf8), file: file, arguments: arguments ?? [path], uid: uid,
            cgroup: cgroup.map { Array($0.utf8) }, parent: parent.map { Comm($0) })
    }
}

extension RuleSet {
    /// The verdict for a copy of `process`, so a test can ask several times about the same facts.
    func decide(_ process: KnownProcessFacts, sticky: StickyRefusal? = nil) -> Verdict {
        var facts = process
        return verdict(for: &facts, sticky: sticky)
    }

    /// How each rule fares against a copy of `process`.
    func evaluations(_ process: KnownProcessFacts) -> [RuleMatch] {
        var facts = process
        return rules.indices.map { evaluate($0, &facts) }
    }
}

/// Facts that record which of them the matcher or the policy asked for.
struct RecordingFacts: ProcessFacts {
    var known: KnownProcessFacts
    var asked: [String] = []

    init(_ known: KnownProcessFacts) { self.known = known }

    var comm: Comm { known.comm }

    mutating func executablePath() -> [UInt8]? {
        asked.append("exe")
        return known.executablePath()
    }

    mutating func executableFile() -> ExecutableFile? {
        asked.append("file")
        return known.executableFile()
    }

    mutating func hostFile(at path: [UInt8]) -> FileLookup {
        asked.append("host")
        return known.hostFile(at: path)
    }

    mutating func fileInProcessView(at path: [UInt8]) -> FileLookup {
        asked.append("view")
        return known.fileInProcessView(at: path)
    }

    mutating func loaderEnvironment() -> LoaderEnvironment? {
        asked.append("environ")
        return known.loaderEnvironment()
    }

    mutating func rawCommandLine() -> [UInt8]? {
        asked.append("cmdline")
        return known.rawCommandLine()
    }

    mutating func realUID() -> UInt32? {
        asked.append("uid")
        return known.realUID()
    }

    mutating func cgroupPath() -> [UInt8]? {
        asked.append("cgroup")
        return known.cgroupPath()
    }

    mutating func parentComm() -> Comm? {
        asked.append("parent")
        return known.parentComm()
    }
}
