import OOMAdjustCore
import Testing

/// What `check` warns about in a valid configuration: rules that can never win because an earlier one has
/// the same NAME and qualifiers, -1000 values, and trust=name opt-outs.
@Suite struct DuplicateAndAdvisoryTests {
    static func duplicates(_ text: String, path: String = "dup.conf") -> [String] {
        let parsed = RuleText.parse(text, path: path)
        #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics)")
        return parsed.duplicateWarnings.map(\.description)
    }

    static func advisories(_ text: String, path: String = "adv.conf") -> [String] {
        let parsed = RuleText.parse(text, path: path)
        #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics)")
        return Advisories.of(parsed.rules).map(\.description)
    }

    // MARK: - Duplicates

    @Test func sameNameAndQualifiersInAnyOrderIsADuplicate() {
        #expect(
            Self.duplicates("java 5 user=postgres cmdline=*-jar*\nnamed 1\njava -3 cmdline=*-jar* user=postgres\n") == [
                "dup.conf:3: warning: duplicate rule for `java cmdline=*-jar* user=113`; the first one, at dup.conf:1, wins"
            ])
    }

    @Test func trustNameDoesNotMakeARuleDifferent() {
        // The first rule decides (or, refused, ends the search), so the second can never apply.
        #expect(
            Self.duplicates("sshd -17\nsshd -17 trust=name\n") == [
                "dup.conf:2: warning: duplicate rule for `sshd`; the first one, at dup.conf:1, wins"
            ])
    }

    @Test func aGlobNameThatCannotFitInAcommIsReported() {
        let warnings = Self.advisories("systemd-resolved* 5\nsystemd-resolv* 5\n[a-z]???????????????* 3\n")
        #expect(warnings.count == 2, "\(warnings)")
        #expect(warnings.first?.hasPrefix("adv.conf:1: warning: `systemd-resolved*` can never match") == true)
        #expect(warnings.last?.hasPrefix("adv.conf:3: warning:") == true)
    }

    @Test func theValueDoesNotMakeARuleDifferent() {
        #expect(Self.duplicates("sshd -17 exe=/usr/sbin/sshd\nsshd 5 exe=/usr/sbin/sshd\n").count == 1)
        #expect(Self.duplicates("ssh* 1\nssh* score=2\n") == ["dup.conf:2: warning: duplicate rule for `ssh*`; the first one, at dup.conf:1, wins"])
    }

    @Test func differentQualifiersMakeDifferentRules() {
        #expect(Self.duplicates("sshd 1\nsshd 2 exe=/usr/sbin/sshd\n").isEmpty)
        #expect(Self.duplicates("sshd 1 exe=/usr/sbin/sshd\nsshd 2 exe=/usr/local/sbin/sshd\n").isEmpty)
        #expect(Self.duplicates("sshd 1 exe=/usr/sbin/sshd\nsshd 2 exe=/usr/sbin/sshd user=root\n").isEmpty)
        #expect(Self.duplicates("sshd 1 user=root\nsshd 2 user=postgres\n").isEmpty)
        #expect(Self.duplicates("sshd 1 cmdline=/a\nsshd 2 cgroup=/a\n").isEmpty)
        #expect(Self.duplicates("sshd 1 parent=init\nsshd 2 parent=init*\n").isEmpty)
        #expect(Self.duplicates("ssh* 1\nsshd 2\nssh? 3\n").isEmpty)
    }

    @Test func theSameValueSpelledWithOrWithoutQuotesIsTheSameQualifier() {
        #expect(
            Self.duplicates("java 1 cmdline=\"java -jar *\"\njava 2 \"cmdline=java -jar *\"\n") == [
                "dup.conf:2: warning: duplicate rule for `java cmdline=\"java -jar *\"`; the first one, at dup.conf:1, wins"
            ])
    }

    @Test func aUserByNameAndByNumberIsTheSameQualifier() {
        // Names are resolved when the config is read: user=postgres and user=113 hold for the same processes.
        #expect(
            Self.duplicates("postgres -5 user=postgres\npostgres 3 user=113\npostgres 4 user=root\n") == [
                "dup.conf:2: warning: duplicate rule for `postgres user=113`; the first one, at dup.conf:1, wins"
            ])
    }

    @Test func everyRepeatNamesTheFirstAcrossFiles() {
        var parsed = RuleText.parse("sshd -17 exe=/usr/sbin/sshd\n", path: "/etc/oom_adjust.conf")
        parsed.append(RuleText.parse("# mine\nsshd 3 exe=/usr/sbin/sshd\n", path: "/etc/oom_adjust.d/10-a.conf"))
        parsed.append(RuleText.parse("sshd 4 exe=/usr/sbin/sshd\n", path: "/etc/oom_adjust.d/20-b.conf"))
        #expect(parsed.diagnostics.isEmpty)
        #expect(
            parsed.duplicateWarnings.map(\.description) == [
                "/etc/oom_adjust.d/10-a.conf:2: warning: duplicate rule for `sshd exe=/usr/sbin/sshd`; the first one, at /etc/oom_adjust.conf:1, wins",
                "/etc/oom_adjust.d/20-b.conf:1: warning: duplicate rule for `sshd exe=/usr/sbin/sshd`; the first one, at /etc/oom_adjust.conf:1, wins",
            ])
        #expect(parsed.duplicateWarnings.allSatisfy { $0.severity == .warning })
    }

    @Test func aDuplicateNeverDecides() {
        let rules = RuleText.rules("java 5 user=postgres cmdline=*\njava 6 cmdline=* user=postgres\n")
        #expect(rules.decide(SampleProcess.daemon("java", uid: 113)) == .apply(rule: 0))
    }

    @Test func identityIgnoresTheValueAndTheQualifierOrder() throws {
        let first = try RuleText.rule("java 5 user=postgres exe=/usr/bin/java")
        let second = try RuleText.rule("java -3 exe=/usr/bin/java user=postgres")
        #expect(first.identity == second.identity)
        #expect(try first.identity != RuleText.rule("java 5 exe=/usr/bin/java").identity)
        #expect(try first.identity != RuleText.rule("javac 5 user=postgres exe=/usr/bin/java").identity)
        #expect(first.spelling == "java 5 user=postgres exe=/usr/bin/java")
        #expect(second.spelling == "java -3 exe=/usr/bin/java user=postgres")
    }

    // MARK: - Advisories

    @Test func minus1000IsWarnedAboutWhicheverWayItIsWritten() {
        let warnings = Self.advisories("sshd -17\nnamed score=-1000\nmysqld score=-999\npostgres -16\n")
        #expect(warnings.count == 2)
        #expect(warnings.first?.hasPrefix("adv.conf:1: warning: `sshd -17` is oom_score_adj -1000: ") == true)
        #expect(warnings.last?.hasPrefix("adv.conf:2: warning: `named score=-1000` is oom_score_adj -1000: ") == true)
        #expect(warnings.allSatisfy { $0.contains("if you mean \"kill last\", write score=-999") })
    }

    @Test func trustNameOnAProtectiveRuleIsWarnedAbout() {
        #expect(
            Self.advisories("nginx 5 trust=name\nsshd score=-500 trust=name\n") == [
                "adv.conf:2: warning: `sshd` has trust=name: any local user can name a process `sshd` and be granted -500; prefer exe= and user= qualifiers"
            ])
    }

    @Test func aRuleCanEarnBothWarnings() {
        let warnings = Self.advisories("sshd -17 trust=name\n")
        #expect(warnings.count == 2)
        #expect(warnings.allSatisfy { $0.hasPrefix("adv.conf:1: warning: ") })
        #expect(warnings.first?.contains("oom_score_adj -1000") == true)
        #expect(warnings.last?.contains("has trust=name") == true)
    }

    @Test func ordinaryRulesEarnNoAdvice() {
        #expect(Self.advisories("sshd -16\nnamed score=-999 exe=/usr/sbin/named user=root\njava 15\nx score=1000\n").isEmpty)
        #expect(Self.advisories("sshd -16 cgroup=/system.slice/ssh.service\n* 5 cgroup=/batch.slice/**\n").isEmpty)
    }

    @Test func cgroupWildcardsWhoseMeaningChangedAreWarnedAbout() {
        let warnings = Self.advisories("sshd -16 cgroup=*/ssh.service\n* 5 cgroup=/batch.slice/*\n* 6 cgroup=/user.slice/user-*.slice/**\n")
        #expect(warnings.count == 3)
        #expect(warnings.first?.hasPrefix("adv.conf:1: warning: `cgroup=*/ssh.service`: `*`, `?` and `[...]` match within one component") == true)
        #expect(warnings.allSatisfy { $0.contains("end the pattern with /**, e.g. cgroup=/batch.slice/**") })
    }

    @Test func adviceNamesEachRulesOwnFile() {
        var parsed = RuleText.parse("a 1\nsshd -17\n", path: "/etc/oom_adjust.conf")
        parsed.append(RuleText.parse("b -3 trust=name\n", path: "/etc/oom_adjust.d/x.conf"))
        let advice = Advisories.of(parsed.rules)
        #expect(advice.map { "\($0.path):\($0.line ?? 0):\($0.severity)" } == ["/etc/oom_adjust.conf:2:warning", "/etc/oom_adjust.d/x.conf:1:warning"])
    }
}
