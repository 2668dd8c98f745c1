import OOMAdjustCore
import Testing

/// Who may be granted a value below 0: the full decision table of the trust policy, through the verdict
/// the agent acts on.
@Suite struct TrustPolicyTests {
    static let protective = RuleText.rules("sshd -17\n")
    static let daemon = SampleProcess.daemon("sshd")

    static func refusal(_ rules: RuleSet, _ process: KnownProcessFacts) -> TrustRefusal? {
        if case .refused(_, let refusal) = rules.decide(process) { return refusal }
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
        #expect(Self.protective.decide(process) == .refused(rule: 0, expected))
    }

    @Test func theSystemAccountLimitIsUIDMIN() {
        let strict = RuleText.rules("sshd -17\n", policy: TrustPolicy(systemUIDLimit: 500))
        #expect(strict.decide(Self.with(Self.daemon) { $0.uid = 499 }) == .apply(rule: 0))
        #expect(strict.decide(Self.with(Self.daemon) { $0.uid = 500 }) == .refused(rule: 0, .notSystemAccount(uid: 500, limit: 500)))
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
                == .refused(rule: 0, .nameDisagrees(comm: Comm("systemd-resolv"), executable: "systemd-resolved")))
        // A 16-byte executable whose first 15 bytes differ from the comm.
        let other = KnownProcessFacts(
            comm: Comm("systemd-resolve"), executable: RuleText.bytes("/usr/bin/systemd-resolvXd"),
            file: SampleProcess.rootExecutable, uid: 0)
        #expect(
            RuleText.rules("systemd-resolv* -17\n").decide(other)
                == .refused(rule: 0, .nameDisagrees(comm: Comm("systemd-resolve"), executable: "systemd-resolvXd")))
    }

    @Test func theProcessesOwnCommIsCheckedNotTheRuleName() {
        // A glob rule matches many names; each process must agree with its own executable.
        let rules = RuleText.rules("postgres* -5\n")
        #expect(rules.decide(SampleProcess.daemon("postgres", executable: "/usr/lib/postgresql/16/bin/postgres")) == .apply(rule: 0))
        #expect(
            rules.decide(SampleProcess.daemon("postgres-evil", executable: "/usr/bin/perl"))
                == .refused(rule: 0, .nameDisagrees(comm: Comm("postgres-evil"), executable: "perl")))
    }

    // MARK: - Deleted binaries

    @Test func aReplacedRootBinaryKeepsWhatItHas() {
        // After a package upgrade, /proc/PID/exe reads "… (deleted)"; the stat is of the running inode,
        // which the host no longer has at that path, so only its identity cannot be checked.
        let upgraded = SampleProcess.daemon("sshd", executable: "/usr/sbin/sshd (deleted)")
        #expect(Self.protective.decide(upgraded) == .keep(rule: 0))
        // Every other check still counts.
        #expect(Self.protective.decide(Self.with(upgraded) { $0.uid = 1001 }) == .refused(rule: 0, .notSystemAccount(uid: 1001, limit: 1000)))
    }

    @Test func aDeletedBinaryIsJudgedByItsOwnInodeAndName() {
        let dropped = SampleProcess.daemon(
            "sshd", executable: "/tmp/sshd (deleted)", file: ExecutableFile(ownerUID: 1000, mode: 0o100755))
        #expect(Self.protective.decide(dropped) == .refused(rule: 0, .executableNotOwnedByRoot(uid: 1000)))
        let renamed = SampleProcess.daemon("sshd", executable: "/tmp/miner (deleted)")
        #expect(Self.protective.decide(renamed) == .refused(rule: 0, .nameDisagrees(comm: Comm("sshd"), executable: "miner")))
    }

    @Test func anUpgradeNeverMakesAProtectedDaemonFallThroughToAWeakerRule() {
        let rules = RuleText.rules("sshd -17 exe=/usr/sbin/sshd\nsshd score=700\n")
        #expect(rules.decide(SampleProcess.daemon("sshd", executable: "/usr/sbin/sshd")) == .apply(rule: 0))
        #expect(rules.decide(SampleProcess.daemon("sshd", executable: "/usr/sbin/sshd (deleted)")) == .keep(rule: 0))
        var facts = SampleProcess.daemon("sshd", executable: "/usr/sbin/sshd (deleted)")
        #expect(rules.evaluate(0, &facts) == .matchesReplacedBinary)
        // A replaced binary at another path is simply not the one exe= names.
        #expect(rules.decide(SampleProcess.daemon("sshd", executable: "/tmp/sshd (deleted)")) == .apply(rule: 1))
        // A rule that makes the process no safer never holds on to a replaced binary.
        let positive = RuleText.rules("sshd 5 exe=/usr/sbin/sshd\nsshd score=700\n")
        #expect(positive.decide(SampleProcess.daemon("sshd", executable: "/usr/sbin/sshd (deleted)")) == .apply(rule: 1))
    }

    // MARK: - Qualifiers that vouch

    /// Everything an unprivileged user controls: their own copy of a binary, renamed, run as themselves.
    static let impostor = KnownProcessFacts(
        comm: Comm("sshd"), executable: RuleText.bytes("/home/alice/bin/sshd-copy"),
        file: ExecutableFile(ownerUID: 1001, mode: 0o100777), arguments: ["sshd"], uid: 1001)

    @Test func exeReplacesTheExecutableChecksButNotTheUIDCheck() {
        let rules = RuleText.rules("sshd -17 exe=/home/alice/bin/sshd-copy\n")
        #expect(rules.decide(Self.with(Self.impostor) { $0.uid = 0 }) == .apply(rule: 0))
        // The running file must still be the host's file at that path, so it must be readable.
        #expect(rules.decide(Self.with(Self.impostor) { $0.uid = 0; $0.file = nil }) == .refused(rule: 0, .executableUnreadable))
        #expect(rules.decide(Self.impostor) == .refused(rule: 0, .notSystemAccount(uid: 1001, limit: 1000)))
        #expect(rules.decide(Self.with(Self.impostor) { $0.uid = nil }) == .refused(rule: 0, .uidUnreadable))
        // A glob vouches as well as an exact path.
        #expect(RuleText.rules("sshd -17 exe=/home/*/bin/sshd-*\n").decide(Self.with(Self.impostor) { $0.uid = 0 }) == .apply(rule: 0))
    }

    @Test func userReplacesTheUIDCheckButNotTheExecutableChecks() {
        let rules = RuleText.rules("sshd -17 user=alice\n")
        let aliceDaemon = Self.with(Self.daemon) { $0.uid = 1001 }
        #expect(rules.decide(aliceDaemon) == .apply(rule: 0))
        #expect(rules.decide(Self.impostor) == .refused(rule: 0, .executableNotOwnedByRoot(uid: 1001)))
        #expect(
            rules.decide(Self.with(aliceDaemon) { $0.file = ExecutableFile(ownerUID: 0, mode: 0o100775) })
                == .refused(rule: 0, .executableWritable(mode: 0o775)))
        #expect(
            rules.decide(Self.with(aliceDaemon) { $0.executable = RuleText.bytes("/usr/bin/yes") })
                == .refused(rule: 0, .nameDisagrees(comm: Comm("sshd"), executable: "yes")))
    }

    @Test func exeAndUserTogetherReplaceEveryCheck() {
        let rules = RuleText.rules("sshd -17 exe=/home/alice/bin/sshd-copy user=alice\n")
        #expect(rules.decide(Self.impostor) == .apply(rule: 0))
        #expect(rules.decide(Self.with(Self.impostor) { $0.file = nil }) == .refused(rule: 0, .executableUnreadable))
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
        // exe= and user= read what they compare; the file only for its identity in the host's view, and the
        // environment for the loader, which no qualifier vouches for.
        #expect(both.asked == ["exe", "uid", "exe", "file", "host", "environ"])

        var trusting = RecordingFacts(Self.impostor)
        #expect(RuleText.rules("sshd -17 trust=name\n").verdict(for: &trusting) == .apply(rule: 0))
        #expect(trusting.asked.isEmpty)
    }

    // MARK: - Occasions and values

    @Test func aRenamedProcessIsNeverProtectedByItsName() {
        for text in ["sshd -17\n", "sshd -17 trust=name\n", "sshd -17 user=root\n", "sshd score=-1\n"] {
            let rules = RuleText.rules(text)
            #expect(rules.decide(Self.daemon) == .apply(rule: 0), "\(text)")
            #expect(rules.decide(Self.daemon, sticky: .renamed) == .refused(rule: 0, .renamedSinceExec), "\(text)")
        }
        // exe= vouches for what it runs, not for its name: the genuine binary may rename itself.
        #expect(RuleText.rules("sshd -17 exe=/usr/sbin/sshd\n").decide(Self.daemon, sticky: .renamed) == .apply(rule: 0))
    }

    @Test func aRenamedProcessMayStillGetANonProtectiveValue() {
        let rules = RuleText.rules("sshd 5\nnamed score=0\n")
        #expect(rules.decide(Self.impostor, sticky: .renamed) == .apply(rule: 0))
        #expect(rules.decide(KnownProcessFacts(comm: Comm("named")), sticky: .renamed) == .apply(rule: 1))
    }

    @Test func loaderInjectionSeenEarlierSticksWhateverTheEnvironmentSaysNow() {
        let request = LoaderRequest(variable: "LD_PRELOAD", value: Array("/tmp/hog.so".utf8), problem: .preloads)
        #expect(Self.protective.decide(Self.daemon, sticky: .loader(request)) == .refused(rule: 0, .loaderRequest(request)))
        // trust=name still overrides.
        #expect(RuleText.rules("sshd -17 trust=name\n").decide(Self.daemon, sticky: .loader(request)) == .apply(rule: 0))
    }

    @Test func valuesFromZeroUpNeedNoTrust() {
        let unreadable = KnownProcessFacts(comm: Comm("sshd"))
        for (text, protective) in [("sshd 5\n", false), ("sshd 0\n", false), ("sshd score=0\n", false), ("sshd score=1000\n", false),
                                   ("sshd score=-1\n", true), ("sshd -1\n", true)] {
            let rules = RuleText.rules(text)
            #expect(rules.rules[0].score.isProtective == protective, "\(text)")
            let expected: Verdict = protective ? .refused(rule: 0, .executableUnreadable) : .apply(rule: 0)
            #expect(rules.decide(unreadable) == expected, "\(text)")
            #expect(rules.decide(Self.impostor) == (protective ? .refused(rule: 0, .executableNotOwnedByRoot(uid: 1001)) : .apply(rule: 0)), "\(text)")
        }
    }

    @Test func aPositiveValueReadsNoFactsBeyondTheName() {
        var process = RecordingFacts(Self.impostor)
        #expect(RuleText.rules("sshd 5\n").verdict(for: &process) == .apply(rule: 0))
        #expect(process.asked.isEmpty)
    }

    // MARK: - After a refusal, only rules that make a process no safer

    @Test func aRefusedProtectiveRuleSkipsLaterProtectiveRulesButNotKillFirstOnes() {
        let rules = RuleText.rules("sshd -17\nssh* -5 trust=name\nsshd 5\n")
        let notRoot = TrustRefusal.executableNotOwnedByRoot(uid: 1001)
        #expect(rules.decide(Self.impostor) == .applyInstead(rule: 2, refused: 0, notRoot))
        #expect(rules.decide(Self.impostor, sticky: .renamed) == .applyInstead(rule: 2, refused: 0, .renamedSinceExec))
        #expect(rules.decide(Self.daemon) == .apply(rule: 0))
        var explained = Self.impostor
        let (evaluations, verdict) = rules.explain(&explained)
        #expect(evaluations == [.matches, .matches, .matches])
        #expect(verdict == .applyInstead(rule: 2, refused: 0, notRoot))
        // With no such rule after it, the refused rule decides: nothing is written.
        #expect(RuleText.rules("sshd -17\nssh* -5 trust=name\n").decide(Self.impostor) == .refused(rule: 0, notRoot))
    }

    @Test func aProtectedNameCannotDodgeAKillFirstRule() {
        // The review's case: `nobody` names its memory hog after a protected service.
        let rules = RuleText.rules("oareviewsvc score=-500\n* score=800 user=65534\n")
        let dodger = KnownProcessFacts(
            comm: Comm("oareviewsvc"), executable: RuleText.bytes("/tmp/x/hog"),
            file: ExecutableFile(ownerUID: 65534, mode: 0o100755), uid: 65534)
        #expect(rules.decide(dodger) == .applyInstead(rule: 1, refused: 0, .executableNotOwnedByRoot(uid: 65534)))
    }

    @Test func anUnreadableFactOfAProtectiveRuleCountsAsARefusal() {
        let rules = RuleText.rules("sshd -17 cmdline=*-D*\nsshd score=-900\nsshd 5\n")
        let noCommandLine = Self.with(Self.daemon) { $0.commandLineBytes = nil }
        #expect(rules.decide(noCommandLine) == .applyInstead(rule: 2, refused: 0, .qualifierUnreadable(key: "cmdline")))
        // A fact that can be read and does not hold is a plain mismatch: the search goes on as usual.
        #expect(rules.decide(Self.with(Self.daemon) { $0.commandLineBytes = Array("sshd\0".utf8) }) == .apply(rule: 1))
    }

    @Test func aProtectiveRuleThatDoesNotMatchDoesNotEndTheSearch() {
        let rules = RuleText.rules("sshd -17 user=root\nsshd 5\n")
        #expect(rules.decide(Self.impostor) == .apply(rule: 1))
    }

    // MARK: - Refusals as text

    @Test func refusalsExplainThemselves() {
        let all: [TrustRefusal] = [
            .executableUnreadable, .executableNotRegular, .executableNotOwnedByRoot(uid: 1000),
            .executableWritable(mode: 0o775), .nameDisagrees(comm: Comm("sshd"), executable: "miner"),
            .notHostExecutable(path: "/usr/bin/sleep", hostHasFile: true), .hostExecutableUnreadable(path: "/usr/bin/sleep"),
            .uidUnreadable, .notSystemAccount(uid: 1001, limit: 1000), .environmentUnreadable,
            .loaderRequest(LoaderRequest(variable: "LD_AUDIT", value: Array("a.so".utf8), problem: .audits)), .renamedSinceExec,
            .qualifierUnreadable(key: "cgroup"),
        ]
        #expect(
            all.map(\.code) == [
                "exe-unreadable", "exe-not-regular", "exe-not-root-owned", "exe-writable", "name-disagrees",
                "exe-not-host-file", "host-file-unreadable", "uid-unreadable", "not-system-account", "environ-unreadable",
                "loader-injection", "renamed", "qualifier-unreadable",
            ])
        #expect(TrustRefusal.executableWritable(mode: 0o775).description == "its executable is writable by group or others (mode 0775)")
        #expect(TrustRefusal.executableNotOwnedByRoot(uid: 1000).description == "its executable is owned by uid 1000, not root")
        #expect(TrustRefusal.nameDisagrees(comm: Comm("sshd"), executable: "miner").description == "its name `sshd` does not agree with its executable `miner`")
        #expect(TrustRefusal.notSystemAccount(uid: 1001, limit: 1000).description == "it runs as uid 1001, not a system account (below UID_MIN 1000)")
        #expect(TrustRefusal.renamedSinceExec.description.contains("a comm change never grants protection"))
        #expect(Set(all.map(\.description)).count == all.count)
    }
}
