import OOMAdjustCore
import Testing

/// Which processes a rule with qualifiers matches: the NAME, then every qualifier, all of which must hold.
/// Values here are positive so that the trust policy stays out of the way.
@Suite struct QualifierMatchingTests {
    static func evaluate(_ line: String, _ process: KnownProcessFacts) -> RuleMatch? {
        RuleText.rules(line).evaluations(process).first
    }

    // MARK: - NAME

    @Test(arguments: [
        ("php-fpm* 5", "php-fpm7.4", true), ("php-fpm* 5", "php-fpm", true), ("php-fpm* 5", "php", false),
        ("kworker/? 5", "kworker/3", true), ("kworker/? 5", "kworker/33", false),
        ("[ab]d 5", "ad", true), ("[ab]d 5", "cd", false),
        ("sshd 5", "sshd", true), ("sshd 5", "sshd2", false), ("sshd 5", "SSHD", false),
    ])
    func theNameIsTheCommOrAGlobOverIt(_ line: String, _ comm: String, _ matches: Bool) {
        let result = Self.evaluate(line, KnownProcessFacts(comm: Comm(comm)))
        #expect(result == (matches ? .matches : .nameDiffers))
    }

    // MARK: - exe=

    @Test func anExactExeMatchesOnlyThatPath() {
        let line = "sshd 5 exe=/usr/sbin/sshd"
        #expect(Self.evaluate(line, SampleProcess.daemon("sshd", executable: "/usr/sbin/sshd")) == .matches)
        #expect(Self.evaluate(line, SampleProcess.daemon("sshd", executable: "/tmp/sshd")) == .qualifierFails(0))
        #expect(Self.evaluate(line, SampleProcess.daemon("sshd", executable: "/usr/sbin/sshd2")) == .qualifierFails(0))
        #expect(Self.evaluate(line, SampleProcess.daemon("sshd", executable: "/usr/sbin/ssh")) == .qualifierFails(0))
    }

    @Test func aDeletedBinaryNeverMatchesAnExactPath() {
        // After an upgrade replaced it, the running binary is no longer the file at that path.
        let deleted = SampleProcess.daemon("sshd", executable: "/usr/sbin/sshd (deleted)")
        #expect(Self.evaluate("sshd 5 exe=/usr/sbin/sshd", deleted) == .qualifierFails(0))
    }

    @Test func aDeletedBinaryNeverMatchesAnExactPathEvenOneSpelledWithTheSuffix() {
        let deleted = SampleProcess.daemon("sshd", executable: "/usr/sbin/sshd (deleted)")
        #expect(Self.evaluate("sshd 5 exe=\"/usr/sbin/sshd (deleted)\"", deleted) == .qualifierFails(0))
    }

    @Test func anExeGlobStaysInOneDirectoryAndNeverMatchesADeletedBinary() {
        let line = "sshd 5 exe=/usr/*/sshd"
        #expect(Self.evaluate(line, SampleProcess.daemon("sshd", executable: "/usr/sbin/sshd")) == .matches)
        #expect(Self.evaluate(line, SampleProcess.daemon("sshd", executable: "/usr/local/sbin/sshd")) == .qualifierFails(0))
        #expect(Self.evaluate(line, SampleProcess.daemon("sshd", executable: "/usr/sbin/sshd (deleted)")) == .qualifierFails(0))
        #expect(Self.evaluate("sshd 5 exe=/usr/sbin/*", SampleProcess.daemon("sshd", executable: "/usr/sbin/sshd (deleted)")) == .qualifierFails(0))
    }

    @Test func anUnreadableExeIsNeitherAMatchNorAMismatch() {
        let process = KnownProcessFacts(comm: Comm("sshd"), executable: nil)
        #expect(Self.evaluate("sshd 5 exe=/usr/sbin/sshd", process) == .qualifierUnreadable(0))
        #expect(Self.evaluate("sshd 5 exe=/usr/sbin/*", process) == .qualifierUnreadable(0))
    }

    // MARK: - user=

    @Test func userIsTheRealUIDByNameOrNumber() {
        let postgres = SampleProcess.daemon("postgres", uid: 113)
        #expect(Self.evaluate("postgres 5 user=postgres", postgres) == .matches)
        #expect(Self.evaluate("postgres 5 user=113", postgres) == .matches)
        #expect(Self.evaluate("postgres 5 user=root", postgres) == .qualifierFails(0))
        #expect(Self.evaluate("postgres 5 user=0", SampleProcess.daemon("postgres", uid: 0)) == .matches)
        #expect(Self.evaluate("postgres 5 user=alice", SampleProcess.daemon("postgres", uid: nil)) == .qualifierUnreadable(0))
    }

    // MARK: - cmdline=

    @Test func cmdlineSeesTheArgumentsJoinedBySingleSpaces() {
        let java = SampleProcess.daemon("java", executable: "/usr/bin/java", arguments: ["/usr/bin/java", "-Xmx1g", "-jar", "/opt/app.jar"])
        #expect(Self.evaluate("java 5 cmdline=\"/usr/bin/java -Xmx1g -jar /opt/app.jar\"", java) == .matches)
        #expect(Self.evaluate("java 5 cmdline=\"*-jar /opt/app.jar\"", java) == .matches)
        #expect(Self.evaluate("java 5 cmdline=*app.jar", java) == .matches)  // `*` crosses `/` here
        #expect(Self.evaluate("java 5 cmdline=\"*-jar  /opt/app.jar\"", java) == .qualifierFails(0))
        #expect(Self.evaluate("java 5 cmdline=*other.jar*", java) == .qualifierFails(0))
        // The whole command line must match, not a part of it.
        #expect(Self.evaluate("java 5 cmdline=-jar", java) == .qualifierFails(0))
    }

    @Test func cmdlineOfASingleArgumentHasNoTrailingSpace() {
        let process = SampleProcess.daemon("sshd", arguments: ["sshd:"])
        #expect(Self.evaluate("sshd 5 cmdline=sshd:", process) == .matches)
        #expect(Self.evaluate("sshd 5 cmdline=\"sshd: \"", process) == .qualifierFails(0))
    }

    @Test func cmdlineOfAProcessWithoutOneIsUnreadableOrEmpty() {
        var none = KnownProcessFacts(comm: Comm("kthreadd"))
        none.commandLineBytes = nil
        #expect(Self.evaluate("kthreadd 5 cmdline=*", none) == .qualifierUnreadable(0))
        // A kernel thread's cmdline is empty: `*` matches it, anything more does not.
        none.commandLineBytes = []
        #expect(Self.evaluate("kthreadd 5 cmdline=*", none) == .matches)
        #expect(Self.evaluate("kthreadd 5 cmdline=?*", none) == .qualifierFails(0))
    }

    // MARK: - cgroup=

    @Test func cgroupIsAGlobOverThePathWhoseWildcardsStayInOneComponent() {
        let ssh = SampleProcess.daemon("sshd", cgroup: "/system.slice/ssh.service")
        #expect(Self.evaluate("sshd 5 cgroup=/system.slice/ssh.service", ssh) == .matches)
        #expect(Self.evaluate("sshd 5 cgroup=/system.slice/*", ssh) == .matches)
        #expect(Self.evaluate("sshd 5 cgroup=/*/ssh.service", ssh) == .matches)
        #expect(Self.evaluate("sshd 5 cgroup=*ssh*", ssh) == .qualifierFails(0))
        #expect(Self.evaluate("sshd 5 cgroup=/user.slice/*", ssh) == .qualifierFails(0))
        #expect(Self.evaluate("sshd 5 cgroup=/system.slice", ssh) == .qualifierFails(0))
        let nested = SampleProcess.daemon("sshd", cgroup: "/system.slice/ssh.service/sub")
        #expect(Self.evaluate("sshd 5 cgroup=/system.slice/*", nested) == .qualifierFails(0))
        #expect(Self.evaluate("sshd 5 cgroup=/system.slice/ssh.service", nested) == .qualifierFails(0))
        #expect(Self.evaluate("sshd 5 cgroup=/*", SampleProcess.daemon("sshd", cgroup: nil)) == .qualifierUnreadable(0))
    }

    @Test func aUsersDelegatedCgroupDoesNotPassForTheSystemService() {
        let delegated = SampleProcess.daemon("sshd", cgroup: "/user.slice/user-1000.slice/user@1000.service/app.slice/ssh.service")
        let system = SampleProcess.daemon("sshd", cgroup: "/system.slice/ssh.service")
        for rule in ["sshd 5 cgroup=*/ssh.service", "sshd 5 cgroup=/*/ssh.service", "sshd 5 cgroup=/*ssh.service"] {
            #expect(Self.evaluate(rule, delegated) == .qualifierFails(0), "\(rule)")
        }
        #expect(Self.evaluate("sshd 5 cgroup=/*/ssh.service", system) == .matches)
    }

    @Test func aTrailingDoubleStarMatchesTheWholeSubtree() {
        func cgroup(_ path: String) -> KnownProcessFacts { SampleProcess.daemon("job", cgroup: path) }
        let rule = "job 5 cgroup=/batch.slice/**"
        #expect(Self.evaluate(rule, cgroup("/batch.slice")) == .matches)
        #expect(Self.evaluate(rule, cgroup("/batch.slice/a.scope")) == .matches)
        #expect(Self.evaluate(rule, cgroup("/batch.slice/a/b/c")) == .matches)
        #expect(Self.evaluate(rule, cgroup("/batch.slicex/a")) == .qualifierFails(0))
        #expect(Self.evaluate(rule, cgroup("/system.slice/batch.slice/a")) == .qualifierFails(0))
        // Wildcards before it stay in their components.
        let users = "job 5 cgroup=/user.slice/user-*.slice/**"
        #expect(Self.evaluate(users, cgroup("/user.slice/user-1000.slice/session-3.scope")) == .matches)
        #expect(Self.evaluate(users, cgroup("/user.slice/x/user-1000.slice")) == .qualifierFails(0))
        #expect(Self.evaluate("job 5 cgroup=/**", cgroup("/")) == .matches)
        #expect(Self.evaluate("job 5 cgroup=/**", cgroup("/a/b")) == .matches)
    }

    // MARK: - parent=

    @Test func parentIsTheParentsCommByNameOrGlob() {
        let child = SampleProcess.daemon("sshd", parent: "systemd")
        #expect(Self.evaluate("sshd 5 parent=systemd", child) == .matches)
        #expect(Self.evaluate("sshd 5 parent=system?", child) == .matches)
        #expect(Self.evaluate("sshd 5 parent=init", child) == .qualifierFails(0))
        #expect(Self.evaluate("sshd 5 parent=systemd2", child) == .qualifierFails(0))
        #expect(Self.evaluate("sshd 5 parent=systemd", SampleProcess.daemon("sshd", parent: nil)) == .qualifierUnreadable(0))
    }

    @Test func aLongParentNameIsComparedAsTheKernelTruncatesIt() {
        let child = SampleProcess.daemon("worker", parent: "systemd-resolve")
        #expect(Self.evaluate("worker 5 parent=systemd-resolved", child) == .matches)
        #expect(Self.evaluate("worker 5 parent=systemd-resolvex", child) == .matches)
        #expect(Self.evaluate("worker 5 parent=systemd-resolved", SampleProcess.daemon("worker", parent: "systemd-resolv")) == .qualifierFails(0))
    }

    // MARK: - All must hold

    @Test func everyQualifierMustHoldAndTheFirstThatFailsIsNamed() {
        let line = "java 5 user=postgres cmdline=*app.jar cgroup=/system.slice/* parent=systemd exe=/usr/bin/java"
        let good = SampleProcess.daemon(
            "java", executable: "/usr/bin/java", uid: 113, arguments: ["java", "-jar", "app.jar"],
            cgroup: "/system.slice/app.service", parent: "systemd")
        #expect(Self.evaluate(line, good) == .matches)

        var wrongUser = good
        wrongUser.uid = 0
        #expect(Self.evaluate(line, wrongUser) == .qualifierFails(0))
        var wrongCommandLine = good
        wrongCommandLine.commandLineBytes = RuleText.bytes("java\0other.jar\0")
        #expect(Self.evaluate(line, wrongCommandLine) == .qualifierFails(1))
        var wrongCgroup = good
        wrongCgroup.cgroup = RuleText.bytes("/user.slice/app")
        #expect(Self.evaluate(line, wrongCgroup) == .qualifierFails(2))
        var wrongParent = good
        wrongParent.parent = Comm("bash")
        #expect(Self.evaluate(line, wrongParent) == .qualifierFails(3))
        var wrongExecutable = good
        wrongExecutable.executable = RuleText.bytes("/tmp/java")
        #expect(Self.evaluate(line, wrongExecutable) == .qualifierFails(4))

        var wrongName = good
        wrongName.comm = Comm("javac")
        #expect(Self.evaluate(line, wrongName) == .nameDiffers)
    }

    @Test func qualifiersAreReadOnlyForAProcessWhoseNameMatchesAndOnlyAsFarAsNeeded() {
        let rules = RuleText.rules("java 5 user=postgres cmdline=* parent=systemd\n")
        var other = RecordingFacts(SampleProcess.daemon("bash", uid: 113))
        #expect(rules.evaluate(0, &other) == .nameDiffers)
        #expect(other.asked.isEmpty)

        var wrongUser = RecordingFacts(SampleProcess.daemon("java", uid: 0))
        #expect(rules.evaluate(0, &wrongUser) == .qualifierFails(0))
        #expect(wrongUser.asked == ["uid"])

        var good = RecordingFacts(SampleProcess.daemon("java", uid: 113, parent: "systemd"))
        #expect(rules.evaluate(0, &good) == .matches)
        #expect(good.asked == ["uid", "cmdline", "parent"])
    }

    // MARK: - Which rule decides

    @Test func theFirstRuleWhoseNameAndQualifiersAllHoldDecides() {
        let rules = RuleText.rules(
            """
            java 7 cmdline=*elasticsearch*
            java 8 user=postgres
            java* 9
            java 10
            """)
        let elastic = SampleProcess.daemon("java", uid: 113, arguments: ["java", "org.elasticsearch.bootstrap"])
        let postgres = SampleProcess.daemon("java", uid: 113, arguments: ["java", "other"])
        let plain = SampleProcess.daemon("java", uid: 0, arguments: ["java", "other"])
        #expect(rules.decide(elastic) == .apply(rule: 0))
        #expect(rules.decide(postgres) == .apply(rule: 1))
        #expect(rules.decide(plain) == .apply(rule: 2))
        #expect(rules.decide(SampleProcess.daemon("javac")) == .apply(rule: 2))
        #expect(rules.decide(SampleProcess.daemon("python3")) == .noMatch)
        var facts = plain
        #expect(rules.firstMatch(for: &facts) == 2)
    }

    @Test func aRuleWhoseQualifierCannotBeReadDoesNotDecide() {
        let rules = RuleText.rules("sshd 7 cgroup=/system.slice/*\nsshd 8\n")
        #expect(rules.decide(SampleProcess.daemon("sshd", cgroup: nil)) == .apply(rule: 1))
        #expect(rules.decide(SampleProcess.daemon("sshd", cgroup: "/system.slice/ssh.service")) == .apply(rule: 0))
    }

    @Test func explainShowsEveryRuleAndTheSameVerdict() {
        let rules = RuleText.rules("sshd 7 user=postgres\nnamed 1\nssh* 8\nsshd 9 exe=/x\nsshd 10\n")
        var process = SampleProcess.daemon("sshd", uid: 0)
        let (evaluations, verdict) = rules.explain(&process)
        #expect(evaluations == [.qualifierFails(0), .nameDiffers, .matches, .qualifierFails(0), .matches])
        #expect(verdict == .apply(rule: 2))
        #expect(verdict == rules.decide(SampleProcess.daemon("sshd", uid: 0)))

        var unmatched = SampleProcess.daemon("bash")
        let none = rules.explain(&unmatched)
        #expect(none.verdict == .noMatch)
        #expect(none.evaluations == [.nameDiffers, .nameDiffers, .nameDiffers, .nameDiffers, .nameDiffers])
    }
}
