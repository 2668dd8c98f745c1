import OOMAdjustCore
import Testing

/// A rule NAME longer than a comm can hold: the comm must equal its first 15 bytes, and the executable's
/// or argv[0]'s basename must equal the whole name, as `pidof` would see it.
@Suite struct TruncatedNameTests {
    static let long = "systemd-resolved"  // 16 bytes; its comm is "systemd-resolve"
    static let rules = RuleSet(parse("\(long) -17\n").rules)

    static func matches(_ facts: KnownProcessFacts, in rules: RuleSet = rules) -> Bool {
        var facts = facts
        return rules.firstMatch(for: &facts) == 0
    }

    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test func patternKindFollowsTheCommLength() {
        #expect(NamePattern(name: Self.bytes("fail2ban-server")) == .exact(Comm("fail2ban-server")))
        #expect(NamePattern(name: Self.bytes(Self.long)) == .long(prefix: Comm("systemd-resolve"), full: Self.bytes(Self.long)))
        #expect(NamePattern(name: Self.bytes(Self.long)).description == Self.long)
        #expect(NamePattern(name: Self.bytes("sshd")).description == "sshd")
    }

    @Test func matchesWhenTheExecutableHasTheFullName() {
        #expect(Self.matches(KnownProcessFacts(comm: Comm("systemd-resolve"), executable: Self.bytes("/usr/lib/systemd/systemd-resolved"))))
    }

    @Test func argv0ConfirmsTheFullNameOnlyForARuleThatProtectsNothing() {
        // e.g. a script run by its interpreter: the exe is the interpreter, argv[0] the script.
        let script = KnownProcessFacts(
            comm: Comm("systemd-resolve"), executable: Self.bytes("/usr/bin/python3"), argv0: Self.bytes("/usr/lib/systemd/systemd-resolved"))
        let unnamed = KnownProcessFacts(comm: Comm("systemd-resolve"), executable: nil, argv0: Self.bytes("systemd-resolved"))
        let killFirst = RuleSet(parse("\(Self.long) 10\n").rules)
        #expect(Self.matches(script, in: killFirst))
        #expect(Self.matches(unnamed, in: killFirst))
        // argv[0] is whatever its caller chose (`exec -a`): it never confirms a protective rule.
        #expect(!Self.matches(script))
        #expect(!Self.matches(unnamed))
        var facts = script
        #expect(Self.rules.evaluate(0, &facts) == .longNameUnconfirmed)
    }

    @Test func matchesAReplacedBinaryByItsDeletedExecutable() {
        #expect(Self.matches(KnownProcessFacts(comm: Comm("systemd-resolve"), executable: Self.bytes("/usr/lib/systemd/systemd-resolved (deleted)"))))
    }

    @Test func doesNotMatchOnTheCommPrefixAlone() {
        // Another program whose own name is the 15-byte prefix, or whose names cannot be read.
        #expect(!Self.matches(KnownProcessFacts(comm: Comm("systemd-resolve"))))
        #expect(!Self.matches(KnownProcessFacts(comm: Comm("systemd-resolve"), executable: Self.bytes("/usr/bin/systemd-resolve"), argv0: Self.bytes("systemd-resolve"))))
        #expect(!Self.matches(KnownProcessFacts(comm: Comm("systemd-resolve"), executable: Self.bytes("/usr/bin/systemd-resolvex"), argv0: Self.bytes("systemd-resolvedX"))))
    }

    @Test func doesNotMatchWhenTheCommDiffersEvenIfTheExecutableMatches() {
        // The comm is what the process calls itself now (after prctl PR_SET_NAME, say).
        #expect(!Self.matches(KnownProcessFacts(comm: Comm("worker"), executable: Self.bytes("/usr/lib/systemd/systemd-resolved"))))
        #expect(!Self.matches(KnownProcessFacts(comm: Comm("systemd-resolv"), argv0: Self.bytes("systemd-resolved"))))
    }

    @Test func fullNameIsComparedByTheWholeBasename() {
        #expect(!Self.matches(KnownProcessFacts(comm: Comm("systemd-resolve"), executable: Self.bytes("/opt/systemd-resolved/bin/other"))))
        #expect(!Self.matches(KnownProcessFacts(comm: Comm("systemd-resolve"), executable: Self.bytes("/usr/bin/xsystemd-resolved"))))
    }

    @Test func aFifteenByteNameIsExact() {
        let rules = RuleSet(parse("fail2ban-server 10\n").rules)
        var exact = KnownProcessFacts(comm: Comm("fail2ban-server"))
        var other = KnownProcessFacts(comm: Comm("fail2ban-serve"), executable: Self.bytes("/usr/bin/fail2ban-server"))
        #expect(rules.firstMatch(for: &exact) == 0)
        #expect(rules.firstMatch(for: &other) == nil)
    }

    @Test func exactNamesNeverReadTheExecutableOrArgv0() {
        // Reading /proc/PID/exe and cmdline costs syscalls: an exact rule decides on the comm alone,
        // and a long rule reads them only once the comm matched.
        var facts = CountingFacts(comm: Comm("sshd"))
        let rules = RuleSet(parse("named 1\nsshd 2\n\(Self.long) 3\n").rules)
        #expect(rules.firstMatch(for: &facts) == 1)
        #expect(facts.reads == 0)

        var unrelated = CountingFacts(comm: Comm("bash"))
        #expect(rules.firstMatch(for: &unrelated) == nil)
        #expect(unrelated.reads == 0)

        var candidate = CountingFacts(comm: Comm("systemd-resolve"), executable: Self.bytes(Self.long))
        #expect(rules.firstMatch(for: &candidate) == 2)
        #expect(candidate.reads == 1)  // the executable matched, so argv[0] was not needed
    }

    @Test(arguments: [
        ("/usr/sbin/sshd", "sshd"), ("sshd", "sshd"), ("/usr/sbin/sshd (deleted)", "sshd"),
        ("sshd (deleted)", "sshd"), ("", ""), ("/", ""), ("/usr/sbin/", ""), (" (deleted)", ""),
        // The kernel appends the suffix once; a file really named "x (deleted)" keeps its own.
        ("/tmp/x (deleted) (deleted)", "x (deleted)"),
        ("/tmp/x (deleted)y", "x (deleted)y"), ("./a/b/c", "c"),
    ])
    func basenameOfAPath(_ path: String, _ expected: String) {
        #expect(basename(Array(path.utf8)) == Array(expected.utf8))
    }

    @Test func knownFactsReturnBasenames() {
        var facts = KnownProcessFacts(comm: Comm("x"), executable: Self.bytes("/a/b (deleted)"), argv0: Self.bytes("/c/d"))
        #expect(facts.executableName() == Self.bytes("b"))
        #expect(facts.argv0Name() == Self.bytes("d"))
        var unknown = KnownProcessFacts(comm: Comm("x"))
        #expect(unknown.executableName() == nil)
        #expect(unknown.argv0Name() == nil)
    }
}

/// Facts that count how often the matcher asked for the expensive ones.
struct CountingFacts: ProcessFacts {
    var comm: Comm
    var executable: [UInt8]?
    var argv0: [UInt8]?
    var reads = 0

    init(comm: Comm, executable: [UInt8]? = nil, argv0: [UInt8]? = nil) {
        self.comm = comm
        self.executable = executable
        self.argv0 = argv0
    }

    mutating func executablePath() -> [UInt8]? {
        reads += 1
        return executable
    }

    mutating func rawCommandLine() -> [UInt8]? {
        reads += 1
        return argv0.map { $0 + [0] }
    }

    func executableFile() -> ExecutableFile? { nil }
    func hostFile(at path: [UInt8]) -> FileLookup { .unreadable }
    func fileInProcessView(at path: [UInt8]) -> FileLookup { .unreadable }
    func loaderEnvironment() -> LoaderEnvironment? { nil }
    func realUID() -> UInt32? { nil }
    func cgroupPath() -> [UInt8]? { nil }
    func parentComm() -> Comm? { nil }
}
