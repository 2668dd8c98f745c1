import OOMAdjustCore
import Testing

/// Which rule decides a process: the first in file order whose NAME matches, or none.
@Suite struct MatchingTests {
    static let config = parse(
        """
        sshd -17
        named -8
        systemd-resolved 3
        systemd-resolve 5
        sshd 15
        """, path: "m.conf")

    /// The deciding rule as `LINE:SCORE`, or nil.
    static func match(_ facts: KnownProcessFacts, in rules: RuleSet = RuleSet(config.rules)) -> String? {
        var facts = facts
        return rules.firstMatch(for: &facts).map { "\(rules.rules[$0].location.line):\(rules.rules[$0].score)" }
    }

    @Test func firstMatchingRuleInFileOrderDecides() {
        #expect(Self.match(KnownProcessFacts(comm: Comm("sshd"))) == "1:-1000")
        #expect(Self.match(KnownProcessFacts(comm: Comm("named"))) == "2:-470")
    }

    @Test func aLongRuleBeforeAnExactOneWinsOnlyForItsOwnProgram() {
        let resolved = KnownProcessFacts(comm: Comm("systemd-resolve"), executable: Array("/usr/lib/systemd/systemd-resolved".utf8))
        let resolve = KnownProcessFacts(comm: Comm("systemd-resolve"), executable: Array("/usr/bin/systemd-resolve".utf8))
        #expect(Self.match(resolved) == "3:176")
        #expect(Self.match(resolve) == "4:294")
    }

    @Test func anExactRuleBeforeALongOneWinsForBoth() {
        // The comm is all an exact rule looks at, and both programs have the same one.
        let rules = RuleSet(parse("systemd-resolve 5\nsystemd-resolved 3\n").rules)
        let resolved = KnownProcessFacts(comm: Comm("systemd-resolve"), executable: Array("/usr/lib/systemd/systemd-resolved".utf8))
        #expect(Self.match(resolved, in: rules) == "1:294")
    }

    @Test func noMatch() {
        #expect(Self.match(KnownProcessFacts(comm: Comm("bash"))) == nil)
        #expect(Self.match(KnownProcessFacts(comm: Comm("SSHD"))) == nil)
        #expect(Self.match(KnownProcessFacts(comm: Comm("ssh"))) == nil)
        #expect(Self.match(KnownProcessFacts(comm: Comm("sshd-session"))) == nil)
        #expect(Self.match(KnownProcessFacts(comm: Comm("bash"), executable: Array("/usr/sbin/sshd".utf8))) == nil)
    }

    @Test func emptyRuleSetMatchesNothing() {
        let empty = RuleSet([])
        #expect(empty.isEmpty)
        #expect(!RuleSet(Self.config.rules).isEmpty)
        #expect(Self.match(KnownProcessFacts(comm: Comm("sshd")), in: empty) == nil)
    }

    @Test func theOriginalListMatchesEachDaemonByItsComm() throws {
        let rules = RuleSet(try Fixtures.parseShipped("etc/oom_adjust.conf").rules)
        for (index, rule) in rules.rules.enumerated() {
            #expect(Self.match(KnownProcessFacts(comm: Comm(rule.name.description)), in: rules) == "\(rule.location.line):\(rule.score)")
            #expect(rules.rules.firstIndex { $0.name == rule.name } == index)
        }
        #expect(Self.match(KnownProcessFacts(comm: Comm("pure-ftpd-mysql")), in: rules)?.hasSuffix(":588") == true)
        #expect(Self.match(KnownProcessFacts(comm: Comm("pure-ftp")), in: rules) == nil)
    }
}
