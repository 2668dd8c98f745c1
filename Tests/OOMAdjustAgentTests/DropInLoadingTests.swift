import Glibc
import OOMAdjustAgent
import OOMAdjustCore
import Testing

/// The main file, then the drop-in directory's `*.conf` files in lexical order: which files are read, in
/// what order, which rule wins, and where each error is reported.
@Suite struct DropInLoadingTests {
    /// A main file and the drop-in directory of the issue: two `.conf` files (written out of order) and
    /// two leftovers that must not be read.
    static func standardTree() throws -> ConfigTree {
        let tree = try ConfigTree()
        try tree.write("oom_adjust.conf", "named 3\njava 5 user=root\n")
        try tree.write("oom_adjust.d/20-b.conf", "sshd 9\nnamed 11\n")
        try tree.write("oom_adjust.d/10-a.conf", "# first drop-in\nsshd 7\njava 6\n")
        try tree.write("oom_adjust.d/b.conf~", "sshd 2\nbroken 99\n")
        try tree.write("oom_adjust.d/x.txt", "sshd 1\nbroken 99\n")
        return tree
    }

    static func load(_ loader: RuleLoader, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> RuleLoader.Loaded {
        switch loader.load() {
        case .success(let loaded): return loaded
        case .failure(let failure):
            Issue.record("expected the configuration to load:\n\(failure)", sourceLocation: sourceLocation)
            throw failure
        }
    }

    static func failure(_ loader: RuleLoader, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [String] {
        switch loader.load() {
        case .success(let loaded):
            Issue.record("expected errors, got \(loaded.rules.rules.count) rule(s) from \(loaded.files)", sourceLocation: sourceLocation)
            return []
        case .failure(let failure): return failure.diagnostics.map(\.description)
        }
    }

    /// Each rule as `FILE:LINE NAME VALUE`, FILE relative to the tree.
    static func summary(_ loaded: RuleLoader.Loaded, in tree: ConfigTree) -> [String] {
        loaded.rules.rules.map { rule in
            "\(rule.location.path.dropFirst(tree.root.count + 1)):\(rule.location.line) \(rule.spelling)"
        }
    }

    static func decidingRule(_ loaded: RuleLoader.Loaded, _ process: KnownProcessFacts, in tree: ConfigTree) -> String? {
        var facts = process
        guard case .apply(let index) = loaded.rules.verdict(for: &facts) else { return nil }
        let location = loaded.rules.rules[index].location
        return "\(location.path.dropFirst(tree.root.count + 1)):\(location.line)"
    }

    // MARK: - Order and selection

    @Test func theMainFileThenEachConfFileInLexicalOrder() throws {
        let tree = try Self.standardTree()
        let loaded = try Self.load(RuleLoader(configPath: tree.path("oom_adjust.conf")))
        #expect(loaded.files == [tree.path("oom_adjust.conf"), tree.path("oom_adjust.d/10-a.conf"), tree.path("oom_adjust.d/20-b.conf")])
        #expect(
            Self.summary(loaded, in: tree) == [
                "oom_adjust.conf:1 named 3", "oom_adjust.conf:2 java 5 user=root",
                "oom_adjust.d/10-a.conf:2 sshd 7", "oom_adjust.d/10-a.conf:3 java 6",
                "oom_adjust.d/20-b.conf:1 sshd 9", "oom_adjust.d/20-b.conf:2 named 11",
            ])
    }

    @Test func lexicalOrderIsByteOrder() throws {
        let tree = try ConfigTree()
        try tree.write("main.conf", "")
        for name in ["a.conf", "9-z.conf", "_x.conf", "A.conf", "10-a.conf", "a.conf.conf"] {
            try tree.write("oom_adjust.d/\(name)", "n\(name.count) 1\n")
        }
        let loaded = try Self.load(RuleLoader(configPath: tree.path("main.conf")))
        #expect(
            loaded.files.map { String($0.dropFirst(tree.root.count + 1)) } == [
                "main.conf", "oom_adjust.d/10-a.conf", "oom_adjust.d/9-z.conf", "oom_adjust.d/A.conf",
                "oom_adjust.d/_x.conf", "oom_adjust.d/a.conf", "oom_adjust.d/a.conf.conf",
            ])
    }

    @Test func onlyVisibleFilesEndingInConfAreRead() throws {
        let tree = try ConfigTree()
        try tree.write("main.conf", "")
        try tree.write("oom_adjust.d/ok.conf", "ok 1\n")
        // Editors' and package managers' leftovers, hidden files, and near misses: none is read, so the
        // errors in them are not reported either.
        for name in ["b.conf~", "x.txt", ".hidden.conf", ".conf", "ok.conf.dpkg-old", "ok.conf.bak", "conf", "ok.CONF", "ok.conf.swp", "okconf"] {
            try tree.write("oom_adjust.d/\(name)", "broken 99\n")
        }
        let loaded = try Self.load(RuleLoader(configPath: tree.path("main.conf")))
        #expect(loaded.files == [tree.path("main.conf"), tree.path("oom_adjust.d/ok.conf")])
        #expect(loaded.rules.rules.map(\.name.description) == ["ok"])
    }

    @Test func theFirstMatchingRuleAcrossFilesWins() throws {
        let tree = try Self.standardTree()
        let loaded = try Self.load(RuleLoader(configPath: tree.path("oom_adjust.conf")))
        #expect(Self.decidingRule(loaded, KnownProcessFacts(comm: Comm("sshd")), in: tree) == "oom_adjust.d/10-a.conf:2")
        #expect(Self.decidingRule(loaded, KnownProcessFacts(comm: Comm("named")), in: tree) == "oom_adjust.conf:1")
        // The main file's java rule holds only for root; anyone else falls through to the drop-in's.
        #expect(Self.decidingRule(loaded, KnownProcessFacts(comm: Comm("java"), uid: 0), in: tree) == "oom_adjust.conf:2")
        #expect(Self.decidingRule(loaded, KnownProcessFacts(comm: Comm("java"), uid: 1001), in: tree) == "oom_adjust.d/10-a.conf:3")
        #expect(Self.decidingRule(loaded, KnownProcessFacts(comm: Comm("bash")), in: tree) == nil)
    }

    @Test func rulesALaterFileRepeatsAreWarnedAboutWithBothPlaces() throws {
        let tree = try Self.standardTree()
        let loaded = try Self.load(RuleLoader(configPath: tree.path("oom_adjust.conf")))
        #expect(
            loaded.warnings.map(\.description) == [
                "\(tree.path("oom_adjust.d/20-b.conf")):1: warning: duplicate rule for `sshd`; the first one, at \(tree.path("oom_adjust.d/10-a.conf")):2, wins",
                "\(tree.path("oom_adjust.d/20-b.conf")):2: warning: duplicate rule for `named`; the first one, at \(tree.path("oom_adjust.conf")):1, wins",
            ])
    }

    // MARK: - Errors

    @Test func eachErrorNamesItsOwnFileAndLine() throws {
        let tree = try ConfigTree()
        try tree.write("oom_adjust.conf", "named 3\nbad 16\n")
        try tree.write("oom_adjust.d/10-a.conf", "sshd 7 user=root\n\nx 1 colour=red\n")
        try tree.write("oom_adjust.d/20-b.conf", "y 1 user=no-such-account-oom-adjust-test\nz 1 cmdline=[\n")
        try tree.write("oom_adjust.d/b.conf~", "ignored 99\n")
        try tree.write("oom_adjust.d/x.txt", "ignored 99\n")
        let diagnostics = Self.failure(RuleLoader(configPath: tree.path("oom_adjust.conf")))
        let main = tree.path("oom_adjust.conf")
        let a = tree.path("oom_adjust.d/10-a.conf")
        let b = tree.path("oom_adjust.d/20-b.conf")
        #expect(
            diagnostics == [
                "\(main):2: error: oom_adj value `16` is out of range -17..15; for the native scale write score=N (-1000..1000)",
                "\(a):3: error: unknown qualifier `colour=`; known: exe=, user=, cmdline=, cgroup=, parent=, trust=name",
                "\(b):1: error: unknown user `no-such-account-oom-adjust-test`: no such account; give a name from /etc/passwd or a numeric uid (an account from a directory service resolves only once that service is up)",
                "\(b):2: error: `cmdline=`: `[` without a closing `]` in `[`; write `\\[` for a literal bracket",
            ])
    }

    @Test func aMissingMainFileIsAnErrorAndTheDropInsAreStillChecked() throws {
        let tree = try ConfigTree()
        try tree.write("oom_adjust.d/10-a.conf", "ok 1\nbad x\n")
        let diagnostics = Self.failure(RuleLoader(configPath: tree.path("oom_adjust.conf")))
        #expect(diagnostics.count == 2)
        #expect(diagnostics.first?.hasPrefix("\(tree.path("oom_adjust.conf")): error: cannot open") == true, "\(diagnostics)")
        #expect(diagnostics.last?.hasPrefix("\(tree.path("oom_adjust.d/10-a.conf")):2: error: `x` is not a number") == true, "\(diagnostics)")
    }

    @Test func aConfEntryThatIsNotAFileIsAnErrorNamingIt() throws {
        let tree = try ConfigTree()
        try tree.write("oom_adjust.conf", "named 3\n")
        try tree.makeDirectory("oom_adjust.d/sub.conf")
        let diagnostics = Self.failure(RuleLoader(configPath: tree.path("oom_adjust.conf")))
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.hasPrefix("\(tree.path("oom_adjust.d/sub.conf")): error: ") == true, "\(diagnostics)")
    }

    // MARK: - Where the drop-ins are

    @Test func theDefaultDropInDirectoryIsBesideTheMainFile() {
        #expect(RuleLoader(configPath: "/etc/oom_adjust.conf").dropInDirectory == "/etc/oom_adjust.d")
        #expect(RuleLoader(configPath: "/srv/conf/rules.conf").dropInDirectory == "/srv/conf/oom_adjust.d")
        #expect(RuleLoader(configPath: "./rules.conf").dropInDirectory == "./oom_adjust.d")
        #expect(RuleLoader(configPath: "rules.conf").dropInDirectory == "oom_adjust.d")
        #expect(RuleLoader(configPath: "/etc/oom_adjust.conf", dropInDirectory: "/run/x.d").dropInDirectory == "/run/x.d")
    }

    @Test func configDirReplacesTheDefaultDirectory() throws {
        let tree = try Self.standardTree()
        try tree.write("elsewhere/50-c.conf", "sshd 8\n")
        let loaded = try Self.load(RuleLoader(configPath: tree.path("oom_adjust.conf"), dropInDirectory: tree.path("elsewhere")))
        #expect(loaded.files == [tree.path("oom_adjust.conf"), tree.path("elsewhere/50-c.conf")])
        #expect(Self.summary(loaded, in: tree) == ["oom_adjust.conf:1 named 3", "oom_adjust.conf:2 java 5 user=root", "elsewhere/50-c.conf:1 sshd 8"])
        #expect(Self.decidingRule(loaded, KnownProcessFacts(comm: Comm("sshd")), in: tree) == "elsewhere/50-c.conf:1")
    }

    @Test func aTrailingSlashOnTheDirectoryIsNotDoubled() throws {
        let tree = try Self.standardTree()
        let loaded = try Self.load(RuleLoader(configPath: tree.path("oom_adjust.conf"), dropInDirectory: tree.path("oom_adjust.d/")))
        #expect(loaded.files == [tree.path("oom_adjust.conf"), tree.path("oom_adjust.d/10-a.conf"), tree.path("oom_adjust.d/20-b.conf")])
    }

    @Test func aMissingDropInDirectoryIsFine() throws {
        let tree = try ConfigTree()
        try tree.write("oom_adjust.conf", "named 3\n")
        let loaded = try Self.load(RuleLoader(configPath: tree.path("oom_adjust.conf")))
        #expect(loaded.files == [tree.path("oom_adjust.conf")])
        #expect(loaded.warnings.isEmpty)
        #expect(loaded.rules.rules.map(\.name.description) == ["named"])

        let overridden = try Self.load(RuleLoader(configPath: tree.path("oom_adjust.conf"), dropInDirectory: tree.path("no-such-dir")))
        #expect(overridden.files == [tree.path("oom_adjust.conf")])
    }

    @Test func anEmptyDropInDirectoryIsFine() throws {
        let tree = try ConfigTree()
        try tree.write("oom_adjust.conf", "named 3\n")
        try tree.makeDirectory("oom_adjust.d")
        let loaded = try Self.load(RuleLoader(configPath: tree.path("oom_adjust.conf")))
        #expect(loaded.files == [tree.path("oom_adjust.conf")])
    }

    @Test func aDropInDirectoryOthersMayWriteIsRefused() throws {
        // Whoever can add a file to the directory can grant protection: StrictModes applies to it too.
        let tree = try Self.standardTree()
        let directory = tree.path("oom_adjust.d")
        chmod(directory, 0o777)
        let errors = Self.failure(RuleLoader(configPath: tree.path("oom_adjust.conf")))
        #expect(errors.count == 1, "\(errors)")
        #expect(errors.first?.hasPrefix("\(directory): error: writable by group and others (mode 0777)") == true, "\(errors)")
    }

    @Test func aDropInPathThatIsAFileIsAnError() throws {
        let tree = try ConfigTree()
        try tree.write("oom_adjust.conf", "named 3\nbad 16\n")
        try tree.write("oom_adjust.d", "sshd -17\n")
        let diagnostics = Self.failure(RuleLoader(configPath: tree.path("oom_adjust.conf")))
        // Both findings, each naming its own place: the directory as a whole, the main file by line.
        #expect(diagnostics.count == 2, "\(diagnostics)")
        #expect(diagnostics.contains("\(tree.path("oom_adjust.d")): error: not a directory"), "\(diagnostics)")
        #expect(diagnostics.contains { $0.hasPrefix("\(tree.path("oom_adjust.conf")):2: error: ") }, "\(diagnostics)")

        try tree.write("rules.d", "")
        let overridden = Self.failure(RuleLoader(configPath: tree.path("oom_adjust.conf"), dropInDirectory: tree.path("rules.d")))
        #expect(overridden.contains("\(tree.path("rules.d")): error: not a directory"), "\(overridden)")
    }

    // MARK: - The account limit

    @Test func loginDefsSetsTheSystemAccountLimit() throws {
        let tree = try ConfigTree()
        try tree.write("oom_adjust.conf", "sshd -17\n")
        try tree.write("login.defs", "# comment\nUID_MAX\t\t60000\nUID_MIN\t\t  500\n")
        let loaded = try Self.load(RuleLoader(configPath: tree.path("oom_adjust.conf"), loginDefsPath: tree.path("login.defs")))
        #expect(loaded.rules.policy.systemUIDLimit == 500)
        let daemon = KnownProcessFacts(
            comm: Comm("sshd"), executable: Array("/usr/sbin/sshd".utf8), file: ExecutableFile(ownerUID: 0, mode: 0o100755),
            uid: 600)
        var facts = daemon
        #expect(loaded.rules.verdict(for: &facts) == .refused(rule: 0, .notSystemAccount(uid: 600, limit: 500)))

        let fallback = try Self.load(RuleLoader(configPath: tree.path("oom_adjust.conf"), loginDefsPath: tree.path("no-login.defs")))
        #expect(fallback.rules.policy.systemUIDLimit == 1000)
        facts = daemon
        #expect(fallback.rules.verdict(for: &facts) == .apply(rule: 0))
    }
}
