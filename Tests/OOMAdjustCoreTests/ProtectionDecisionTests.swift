import OOMAdjustCore
import Testing

/// Verdict, current value and ledger entry in; what to write and what to remember out.
@Suite struct ProtectionDecisionTests {
    static let rules = RuleText.rules("sshd score=-500\nsshd-session score=-900\nworker score=300\n")
    static let sshd = SourceLocation(path: "rules.conf", line: 1)
    static func score(_ value: Int) -> OOMScore { OOMScore(value)! }
    static func grant(_ value: Int, baseline: Int = 0) -> ProtectionLedger.Grant {
        ProtectionLedger.Grant(score: score(value), rule: sshd, baseline: score(baseline))
    }

    static func decide(
        _ verdict: Verdict, current: Int, entry: ProtectionLedger.Entry? = nil, fallback: Int = 0
    ) -> ProtectionDecision {
        ProtectionDecision(verdict: verdict, rules: rules, current: score(current), entry: entry, fallbackBaseline: { score(fallback) })
    }

    @Test func grantingRemembersTheValueItReplaced() {
        let decision = Self.decide(.apply(rule: 0), current: 17)
        #expect(decision.action == .write(Self.score(-500)))
        #expect(decision.entry?.grant == Self.grant(-500, baseline: 17))
        #expect(!decision.takesBackProtection)
    }

    @Test func aProcessFoundProtectedAlreadyIsRememberedWithTheFallbackBaseline() {
        // Granted before this agent started (or set by someone else): nothing to write, but it is watched.
        var asked = false
        let decision = ProtectionDecision(
            verdict: .apply(rule: 0), rules: Self.rules, current: Self.score(-500), entry: nil,
            fallbackBaseline: { asked = true; return Self.score(20) })
        #expect(decision.action == .leave)
        #expect(decision.entry?.grant == Self.grant(-500, baseline: 20))
        #expect(asked)
        // A value that is not protective is the baseline itself; the fallback is not even asked for.
        let plain = ProtectionDecision(
            verdict: .apply(rule: 0), rules: Self.rules, current: Self.score(0), entry: nil,
            fallbackBaseline: { Issue.record("asked"); return Self.score(0) })
        #expect(plain.entry?.grant?.baseline == Self.score(0))
    }

    @Test func anInheritedGrantTheRulesStillGiveChangesNothing() {
        let inherited = ProtectionLedger.Entry(grant: Self.grant(-500, baseline: 3))
        let decision = Self.decide(.apply(rule: 0), current: -500, entry: inherited)
        #expect(decision.action == .leave)
        #expect(decision.entry == inherited)
    }

    @Test func anotherProtectiveRuleReplacesTheGrantButKeepsTheLineagesBaseline() {
        // The listener's child exec'd sshd-session.
        let inherited = ProtectionLedger.Entry(grant: Self.grant(-500, baseline: 3))
        let decision = Self.decide(.apply(rule: 1), current: -500, entry: inherited)
        #expect(decision.action == .write(Self.score(-900)))
        #expect(decision.entry?.grant?.baseline == Self.score(3))
        #expect(decision.entry?.grant?.score == Self.score(-900))
    }

    @Test(arguments: [
        Verdict.noMatch, .refused(rule: 0, .notSystemAccount(uid: 1000, limit: 1000)), .refused(rule: 0, .renamedSinceExec),
    ])
    func protectionNoRuleGrantsIsTakenBackEvenWhenTheValueLooksRight(_ verdict: Verdict) {
        let inherited = ProtectionLedger.Entry(grant: Self.grant(-500, baseline: 3), startTime: 9)
        for current in [-500, 3, 700] {
            let decision = Self.decide(verdict, current: current, entry: inherited)
            // Written even when the value is the baseline already: the write resets the floor.
            #expect(decision.action == .write(Self.score(3)), "current \(current)")
            #expect(decision.takesBackProtection)
            #expect(decision.entry == nil)
        }
    }

    @Test func whatTheAgentDidNotGrantIsNotItsToTakeBack() {
        // systemd's OOMScoreAdjust=-300, say: no rule, no entry, no write.
        #expect(Self.decide(.noMatch, current: -300) == Self.decide(.noMatch, current: -300))
        let decision = Self.decide(.noMatch, current: -300)
        #expect(decision.action == .leave)
        #expect(decision.entry == nil)
        #expect(Self.decide(.refused(rule: 0, .uidUnreadable), current: -300).action == .leave)
    }

    @Test func aKillFirstRuleAfterARefusalTakesTheGrantBackWithItsOwnValue() {
        let inherited = ProtectionLedger.Entry(grant: Self.grant(-500))
        let decision = Self.decide(.applyInstead(rule: 2, refused: 0, .notSystemAccount(uid: 1000, limit: 1000)), current: 300, entry: inherited)
        #expect(decision.action == .write(Self.score(300)))
        #expect(decision.takesBackProtection)
        #expect(decision.entry == nil)
        // Without a grant to take back, an equal value is left alone.
        #expect(Self.decide(.apply(rule: 2), current: 300).action == .leave)
        #expect(Self.decide(.apply(rule: 2), current: 0).action == .write(Self.score(300)))
    }

    @Test func aReplacedBinaryKeepsWhatItHasAndStaysWatched() {
        let inherited = ProtectionLedger.Entry(grant: Self.grant(-500, baseline: 1))
        let tracked = Self.decide(.keep(rule: 0), current: -500, entry: inherited)
        #expect(tracked.action == .leave)
        #expect(tracked.entry == inherited)
        // Found after a restart, protected by the agent that ran before: watched from now on.
        let found = Self.decide(.keep(rule: 0), current: -500, fallback: 4)
        #expect(found.action == .leave)
        #expect(found.entry?.grant == Self.grant(-500, baseline: 4))
        // Not protected: kept as it is, nothing to watch.
        let plain = Self.decide(.keep(rule: 0), current: 0)
        #expect(plain.action == .leave)
        #expect(plain.entry == nil)
    }

    @Test func loaderInjectionSticksAndARenameStays() {
        let request = LoaderRequest(variable: "LD_PRELOAD", value: Array("/tmp/x.so".utf8), problem: .preloads)
        let decision = Self.decide(.refused(rule: 0, .loaderRequest(request)), current: 0)
        #expect(decision.action == .leave)
        #expect(decision.entry?.sticky == .loader(request))
        let renamed = Self.decide(.refused(rule: 0, .loaderRequest(request)), current: 0, entry: ProtectionLedger.Entry(sticky: .renamed))
        #expect(renamed.entry?.sticky == .renamed)
        // The same refusal after a kill-first rule applied.
        let instead = Self.decide(.applyInstead(rule: 2, refused: 0, .loaderRequest(request)), current: 300)
        #expect(instead.entry?.sticky == .loader(request))
        #expect(instead.action == .leave)
    }
}
