import OOMAdjustCore
import Testing

/// A NAME given twice: the later rule can never win, so the parser warns and names both places.
@Suite struct DuplicateRuleTests {
    @Test func duplicatesInOneFileAreWarnedAboutAtTheLaterLine() throws {
        let path = Fixtures.configPath("duplicates.conf")
        let parsed = try Fixtures.parseConfig("duplicates.conf")
        // Duplicates are not parse errors: the file loads, and the warnings come from duplicateWarnings.
        #expect(parsed.diagnostics.isEmpty)
        #expect(parsed.rules.count == 7)
        expectDiagnostics(
            parsed.duplicateWarnings,
            [
                .warning(line: 4, "duplicate rule for `sshd`; the first one, at \(path):2, wins"),
                .warning(line: 7, "duplicate rule for `systemd-resolved`; the first one, at \(path):5, wins"),
            ],
            path: path)
    }

    @Test func namesThatOnlyShareTheCommPrefixOrDifferInCaseAreNotDuplicates() {
        // systemd-resolved and systemd-resolvex have the same 15-byte comm but are different programs.
        let parsed = parse("systemd-resolved 3\nsystemd-resolvex 3\nsystemd-resolve 3\nsshd 1\nSSHD 1\n")
        #expect(parsed.duplicateWarnings.isEmpty)
    }

    @Test func everyRepeatNamesTheFirstOccurrence() {
        let parsed = parse("sshd -17\nsshd -8\nsshd score=5\n", path: "d.conf")
        expectDiagnostics(
            parsed.duplicateWarnings,
            [.warning(line: 2, "at d.conf:1, wins"), .warning(line: 3, "at d.conf:1, wins")],
            path: "d.conf")
    }

    @Test func duplicatesAcrossFilesNameBothFiles() {
        var combined = parse("sshd -17\nnamed -8\n", path: "/etc/oom_adjust.conf")
        combined.append(parse("# local\nnamed 0\n", path: "/etc/oom_adjust.d/local.conf"))
        let warnings = combined.duplicateWarnings
        expectDiagnostics(
            warnings,
            [.warning(line: 2, "duplicate rule for `named`; the first one, at /etc/oom_adjust.conf:2, wins")],
            path: "/etc/oom_adjust.d/local.conf")
    }

    @Test func aLineWithAnErrorIsNotTheFirstOccurrence() {
        // The bad line loads no rule, so the good one after it is the only `sshd` and earns no warning.
        let parsed = parse("sshd 16\nsshd -17\n")
        #expect(parsed.errors.count == 1)
        #expect(parsed.duplicateWarnings.isEmpty)
    }

    @Test func theFirstRuleWins() throws {
        let parsed = try Fixtures.parseConfig("duplicates.conf")
        let rules = RuleSet(parsed.rules)

        var sshd = KnownProcessFacts(comm: Comm("sshd"))
        let sshdIndex = try #require(rules.firstMatch(for: &sshd))
        #expect(rules.rules[sshdIndex].location.line == 2)
        #expect(rules.rules[sshdIndex].score.rawValue == -1000)

        var resolved = KnownProcessFacts(
            comm: Comm("systemd-resolve"), executable: Array("/usr/lib/systemd/systemd-resolved".utf8))
        let resolvedIndex = try #require(rules.firstMatch(for: &resolved))
        #expect(rules.rules[resolvedIndex].location.line == 5)
        #expect(rules.rules[resolvedIndex].valueSpelling == "3")
    }
}
