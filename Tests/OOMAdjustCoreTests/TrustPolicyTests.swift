import OOMAdjustCore
import Testing

/// Who may be granted a value below 0: the full decision table of the trust policy, through the verdict
/// the agent acts on.
@Suite struct TrustPolicyTests {
    static let protective = RuleText.rules("sshd -17\n")
    static let daemon = SampleProcess.daemon("sshd")

    static func refusal(_ rules: RuleSet, _ process: KnownProcessFacts) -> TrustRefusal? {
        if case .untrusted(_, let refusal) = rules.decide(process) { return refusal }
        return nil
    }

    static func with(_ process: KnownProcessFacts, _ change: (inout KnownProcessFacts) -> Void) -> KnownProcessFacts {
        var copy = process
        change(&copy)
        return copy
    }

    // MARK: - The default checks

    @Test func aSystemDaemonIsGrantedProtection() {
        #expect(Self.protective.decide(Self.daemon) == .apply(rule: 0))
        // setuid root is still root's and unwritable by others.
        #expect(Self.protective.decide(Self.with(Self.daemon) { $0.file = ExecutableFile(ownerUID: 0, mode: 0o104755) }) == .apply(rule: 0))
        #expect(Self.protective.decide(Self.with(Self.daemon) { $0.file = ExecutableFile(ownerUID: 0, mode: 0o100500) }) == .apply(rule: 0))
        // Any uid below UID_MIN is a system account.
        #expect(Self.protective.decide(Self.with(Self.daemon) { $0.uid = 999 }) == .apply(rule: 0))
    }

    /// Each check failing alone, on an otherwise trustworthy process.
    @Test(arguments: [
        ("exe-unreadable", TrustRefusal.executableUnreadable),
        ("exe-path-unreadable", .executableUnreadable),
        ("directory", .executableNotRegular),
        ("symlink", .executableNotRegular),
        ("fifo", .executableNotRegular),
        ("owned-by-user", .executableNotOwnedByRoot(uid: 1000)),
        ("owned-by-system-user", .executableNotOwnedByRoot(uid: 2)),
        ("group-writable", .executableWritable(mode: 0o775)),
        ("other-writable", .executableWritable(mode: 0o757)),
        ("setuid-group-writable", .executableWritable(mode: 0o4775)),
        ("name-disagrees", .nameDisagrees(comm: Comm("sshd"), executable: "python3.11")),
        ("name-prefix-only", .nameDisagrees(comm: Comm("sshd"), executable: "sshd-session")),
        ("uid-unreadable", .uidUnreadable),
        ("uid-at-limit", .notSystemAccount(uid: 1000, limit: 1000)),
        ("uid-nobody", .notSystemAccount(uid: 65534, limit: 1000)),
    ])
    func eachCheckAloneRefuses(_ failure: String, _ expected: TrustRefusal) {
        let process = Self.with(Self.daemon) { facts in
            switch failure {
            case "exe-unreadable": facts.file = nil
            case "exe-path-unreadable": facts.executable = nil
            case "directory": facts.file = ExecutableFile(ownerUID: 0, mode: 0o040755)
            case "symlink": facts.file = ExecutableFile(ownerUID: 0, mode: 0o120777)
            case "fifo": facts.file = ExecutableFile(ownerUID: 0, mode: 0o010755)
            case "owned-by-user": facts.file = ExecutableFile(ownerUID: 1000, mode: 0o100755)
            case "owned-by-system-user": facts.file = ExecutableFile(ownerUID: 2, mode: 0o100755)
            case "group-writable": facts.file = ExecutableFile(ownerUID: 0, mode: 0o100775)
            case "other-writable": facts.file = ExecutableFile(ownerUID: 0, mode: 0o100757)
            case "setuid-group-writable": facts.file = ExecutableFile(ownerUID: 0, mode: 0o104775)
            case "name-disagrees": facts.executable = RuleText.bytes("/usr/bin/python3.11")
            case "name-prefix-only": facts.executable = RuleText.bytes("/usr/sbin/sshd-session")
            case "uid-unreadable": facts.uid = nil
            case "uid-at-limit": facts.uid = 1000
            case "uid-nobody": facts.uid = 65534
            default: Issue.record("no such case \(failure)")
            }
        }
        #expect(Self.protective.decide(process) == .untrusted(rule: 0, expected))
    }

    @Test func theSystemAccountLimitIsUIDMIN() {
        let strict = RuleText.rules("sshd -17\n", policy: TrustPolicy(systemUIDLimit: 500))
        #expect(strict.decide(Self.with(Self.daemon) { $0.uid = 499 }) == .apply(rule: 0))
        #expect(strict.decide(Self.with(Self.daemon) { $0.uid = 500 }) == .untrusted(rule: 0, .notSystemAccount(uid: 500, limit: 500)))
        #expect(TrustPolicy().systemUIDLimit == 1000)
        #expect(RuleSet([]).policy == TrustPolicy(systemUIDLimit: 1000))
    }

    // MARK: - Names and truncation

    @Test func theExecutableNameAgreesWithATruncatedComm() {
        // The kernel keeps 15 bytes of "systemd-resolved"; the comm is its prefix, so they agree.
        let resolved = SampleProcess.daemon("systemd-resolved", executable: "/usr/lib/systemd/systemd-resolved")
        #expect(resolved.comm == Comm("systemd-resolve"))
        #expect(RuleText.rules("systemd-resolved -17\n").decide(resolved) == .apply(rule: 0))
        #expect(RuleText.rules("systemd-resolv* -17\n").decide(resolved) == .apply(rule: 0))
        // A fifteen-byte executable name agrees with the same comm.
        let fifteen = SampleProcess.daemon("fail2ban-server", executable: "/usr/bin/fail2ban-server")
        #expect(RuleText.rules("fail2ban-server -17\n").decide(fifteen) == .apply(rule: 0))
    }

    @Test func anExecutableNameAgreesOnlyThroughItsOwnFirstFifteenBytes() {
        // comm "systemd-resolv" (14 bytes, e.g. set by prctl) is not what the kernel makes of either name.
        let renamed = KnownProcessFacts(
            comm: Comm("systemd-resolv"), executable: RuleText.bytes("/usr/lib/systemd/systemd-resolved"),
            file: SampleProcess.rootExecutable, uid: 0)
        #expect(
            RuleText.rules("systemd-resolv* -17\n").decide(renamed)
                == .untrusted(rule: 0, .nameDisagrees(comm: Comm("systemd-resolv"), executable: "systemd-resolved")))
        // A 16-byte executable whose first 15 bytes differ from the comm.
        let other = KnownProcessFacts(
            comm: Comm("systemd-resolve"), executable: RuleText.bytes("/usr/bin/systemd-resolvXd"),
            file: SampleProcess.rootExecutable, uid: 0)
        #expect(
            RuleText.rules("systemd-resolv* -17\n").decide(other)
                == .untrusted(rule: 0, .nameDisagrees(comm: Comm("systemd-resolve"), executable: "systemd-resolvXd")))
    }

    @Test func theProcessesOwnCommIsCheckedNotTheRuleName() {
        // A glob rule matches many names; each process must agree with its own executable.
        let rules = RuleText.rules("postgres* -5\n")
        #expect(rules.decide(SampleProcess.daemon("postgres", executable: "/usr/lib/postgresql/16/bin/postgres")) == .apply(rule: 0))
        #expect(
            rules.decide(SampleProcess.daemon("postgres-evil", executable: "/usr/bin/perl"))
                == .untrusted(rule: 0, .nameDisagrees(comm: Comm("postgres-evil"), executable: "perl")))
    }

    // MARK: - Deleted binaries

    @Test func aReplacedRootBinaryIsStillTrustedByName() {
        // After a package upgrade, /proc/PID/exe reads "… (deleted)"; the stat is of the running inode.
        let upgraded = SampleProcess.daemon("sshd", executable: "/usr/sbin/sshd (deleted)")
        #expect(Self.protective.decide(upgraded) == .apply(rule: 0))
    }

    @Test func aDeletedBinaryIsJudgedByItsOwnInodeAndName() {
        let dropped = SampleProcess.daemon(
            "sshd", executable: "/tmp/sshd (deleted)", file: ExecutableFile(ownerUID: 1000, mode: 0o100755))
        #expect(Self.protective.decide(dropped) == .untrusted(rule: 0, .executableNotOwnedByRoot(uid: 1000)))
        let renamed = SampleProcess.daemon("sshd", executable: "/tmp/miner (deleted)")
        #expect(Self.protective.decide(renamed) == .untrusted(rule: 0, .nameDisagrees(comm: Comm("sshd"), executable: "miner")))
    }

    @Test func aDeletedBinaryDoesNotMatchAnExeRuleSoALaterRuleDecides() {
        let rules = RuleText.rules("sshd -17 exe=/usr/sbin/sshd\nsshd 5\n")
        #expect(rules.decide(SampleProcess.daemon("sshd", executable: "/usr/sbin/sshd")) == .apply(rule: 0))
        #expect(rules.decide(SampleProcess.daemon("sshd", executable: "/usr/sbin/sshd (deleted)")) == .apply(rule: 1))
    }

    // MARK: - Qualifiers that vouch

    /// Everything an unprivileged user controls: their own copy of a binary, renamed, run as themselves.
    static let impostor = KnownProcessFacts(
        comm: Comm("sshd"), executable: RuleText.bytes("/home/alice/bin/sshd-copy"),
        file: ExecutableFile(ownerUID: 1001, mode: 0o100777), arguments: ["sshd"], uid: 1001)

    @Test func exeReplacesTheExecutableChecksButNotTheUIDCheck() {
        let rules = RuleText.rules("sshd -17 exe=/home/alice/bin/sshd-copy\n")
        #expect(rules.decide(Self.with(Self.impostor) { $0.uid = 0 }) == .apply(rule: 0))
        #expect(rules.decide(Self.with(Self.impostor) { $0.uid = 0; $0.file = nil }) == .apply(rule: 0))
        #expect(rules.decide(Self.impostor) == .untrusted(rule: 0, .notSystemAccount(uid: 1001, limit: 1000)))
        #expect(rules.decide(Self.with(Self.impostor) { $0.uid = nil }) == .untrusted(rule: 0, .uidUnreadable))
        // A glob vouches as well as an exact path.
        #expect(RuleText.rules("sshd -17 exe=/home/*/bin/sshd-*\n").decide(Self.with(Self.impostor) { $0.uid = 0 }) == .apply(rule: 0))
    }

    @Test func userReplacesTheUIDCheckButNotTheExecutableChecks() {
        let rules = RuleText.rules("sshd -17 user=alice\n")
        let aliceDaemon = Self.with(Self.daemon) { $0.uid = 1001 }
        #expect(rules.decide(aliceDaemon) == .apply(rule: 0))
        #expect(rules.decide(Self.impostor) == .untrusted(rule: 0, .executableNotOwnedByRoot(uid: 1001)))
        #expect(
            rules.decide(Self.with(aliceDaemon) { $0.file = ExecutableFile(ownerUID: 0, mode: 0o100775) })
                == .untrusted(rule: 0, .executableWritable(mode: 0o775)))
        #expect(
            rules.decide(Self.with(aliceDaemon) { $0.executable = RuleText.bytes("/usr/bin/yes") })
                == .untrusted(rule: 0, .nameDisagrees(comm: Comm("sshd"), executable: "yes")))
    }

    @Test func exeAndUserTogetherReplaceEveryCheck() {
        let rules = RuleText.rules("sshd -17 exe=/home/alice/bin/sshd-copy user=alice\n")
        #expect(rules.decide(Self.impostor) == .apply(rule: 0))
        #expect(rules.decide(Self.with(Self.impostor) { $0.file = nil }) == .apply(rule: 0))
    }

    @Test func trustNameOptsOutOfEveryCheck() {
        let rules = RuleText.rules("sshd -17 trust=name\n")
        #expect(rules.decide(Self.impostor) == .apply(rule: 0))
        #expect(rules.decide(KnownProcessFacts(comm: Comm("sshd"))) == .apply(rule: 0))
    }

    @Test func theVouchedForChecksAreNotEvenRead() {
        var both = RecordingFacts(Self.impostor)
        let rules = RuleText.rules("sshd -17 exe=/home/alice/bin/sshd-copy user=alice\n")
        #expect(rules.verdict(for: &both) == .apply(rule: 0))
        #expect(!both.asked.contains("file"))

        var trusting = RecordingFacts(Self.impostor)
        #expect(RuleText.rules("sshd -17 trust=name\n").verdict(for: &trusting) == .apply(rule: 0))
        #expect(trusting.asked.isEmpty)
    }

    // MARK: - Occasions and values

    @Test func aCommChangeAloneNeverGrantsProtection() {
        for text in ["sshd -17\n", "sshd -17 trust=name\n", "sshd -17 exe=/usr/sbin/sshd user=root\n", "sshd score=-1\n"] {
            let rules = RuleText.rules(text)
            #expect(rules.decide(Self.daemon, occasion: .execForkOrSweep) == .apply(rule: 0), "\(text)")
            #expect(rules.decide(Self.daemon, occasion: .commChange) == .untrusted(rule: 0, .commChange), "\(text)")
        }
    }

    @Test func aCommChangeMayStillGiveANonProtectiveValue() {
        let rules = RuleText.rules("sshd 5\nnamed score=0\n")
        #expect(rules.decide(Self.impostor, occasion: .commChange) == .apply(rule: 0))
        #expect(rules.decide(KnownProcessFacts(comm: Comm("named")), occasion: .commChange) == .apply(rule: 1))
    }

    @Test func valuesFromZeroUpNeedNoTrust() {
        let unreadable = KnownProcessFacts(comm: Comm("sshd"))
        for (text, protective) in [("sshd 5\n", false), ("sshd 0\n", false), ("sshd score=0\n", false), ("sshd score=1000\n", false),
                                   ("sshd score=-1\n", true), ("sshd -1\n", true)] {
            let rules = RuleText.rules(text)
            #expect(rules.rules[0].score.isProtective == protective, "\(text)")
            let expected: Verdict = protective ? .untrusted(rule: 0, .executableUnreadable) : .apply(rule: 0)
            #expect(rules.decide(unreadable) == expected, "\(text)")
            #expect(rules.decide(Self.impostor) == (protective ? .untrusted(rule: 0, .executableNotOwnedByRoot(uid: 1001)) : .apply(rule: 0)), "\(text)")
        }
    }

    @Test func aPositiveValueReadsNoFactsBeyondTheName() {
        var process = RecordingFacts(Self.impostor)
        #expect(RuleText.rules("sshd 5\n").verdict(for: &process) == .apply(rule: 0))
        #expect(process.asked.isEmpty)
    }

    // MARK: - A refusal ends the search

    @Test func aRefusedProtectiveRuleEndsTheSearch() {
        let rules = RuleText.rules("sshd -17\nsshd 5\nssh* -5 trust=name\n")
        #expect(rules.decide(Self.impostor) == .untrusted(rule: 0, .executableNotOwnedByRoot(uid: 1001)))
        #expect(rules.decide(Self.impostor, occasion: .commChange) == .untrusted(rule: 0, .commChange))
        #expect(rules.decide(Self.daemon) == .apply(rule: 0))
        var explained = Self.impostor
        let (evaluations, verdict) = rules.explain(&explained)
        #expect(evaluations == [.matches, .matches, .matches])
        #expect(verdict == .untrusted(rule: 0, .executableNotOwnedByRoot(uid: 1001)))
    }

    @Test func aProtectiveRuleThatDoesNotMatchDoesNotEndTheSearch() {
        let rules = RuleText.rules("sshd -17 user=root\nsshd 5\n")
        #expect(rules.decide(Self.impostor) == .apply(rule: 1))
    }

    // MARK: - Refusals as text

    @Test func refusalsExplainThemselves() {
        let all: [TrustRefusal] = [
            .executableUnreadable, .executableNotRegular, .executableNotOwnedByRoot(uid: 1000),
            .executableWritable(mode: 0o775), .nameDisagrees(comm: Comm("sshd"), executable: "miner"), .uidUnreadable,
            .notSystemAccount(uid: 1001, limit: 1000), .commChange,
        ]
        #expect(
            all.map(\.code) == [
                "exe-unreadable", "exe-not-regular", "exe-not-root-owned", "exe-writable", "name-disagrees",
                "uid-unreadable", "not-system-account", "comm-change",
            ])
        #expect(TrustRefusal.executableWritable(mode: 0o775).description == "its executable is writable by group or others (mode 0775)")
        #expect(TrustRefusal.executableNotOwnedByRoot(uid: 1000).description == "its executable is owned by uid 1000, not root")
        #expect(TrustRefusal.nameDisagrees(comm: Comm("sshd"), executable: "miner").description == "its name `sshd` does not agree with its executable `miner`")
        #expect(TrustRefusal.notSystemAccount(uid: 1001, limit: 1000).description == "it runs as uid 1001, not a system account (below UID_MIN 1000)")
        #expect(TrustRefusal.commChange.description == "a comm change alone never grants protection")
        #expect(Set(all.map(\.description)).count == all.count)
    }
}
