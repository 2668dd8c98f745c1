import OOMAdjustCore
import Testing

/// The agent's memory of its decisions, and what a kill means against it.
@Suite struct OOMKillAccountingTests {
    static let rule = SourceLocation(path: "/etc/oom_adjust.conf", line: 3)

    static func decision(_ comm: String, _ score: Int, _ outcome: DecisionLedger.Decision.Outcome = .applied) -> DecisionLedger.Decision {
        .init(comm: Comm(comm), rule: rule, score: OOMScore(score)!, outcome: outcome)
    }

    static func kill(pid: Int32, comm: String, adj: Int?) -> OOMKill {
        OOMKill(
            pid: pid, comm: Array(comm.utf8), uid: 0, oomScoreAdj: adj.flatMap { OOMScore($0) }, residentKiB: 1, domain: .memoryCgroup(nil),
            taskCgroup: nil, bootMicroseconds: 1, sequence: 1)
    }

    // MARK: The ledger

    @Test func aDecisionIsFoundByPIDAndName() {
        var ledger = DecisionLedger()
        ledger.record(Self.decision("postgres", 300), for: 42)
        #expect(ledger.decision(for: 42, comm: Comm("postgres"))?.score == OOMScore(300))
        // The same PID under another name is another process (reused, or renamed without an event).
        #expect(ledger.decision(for: 42, comm: Comm("bash")) == nil)
        #expect(ledger.decision(for: 43, comm: Comm("postgres")) == nil)
    }

    @Test func aProcessNoRuleNamesAnyMoreIsForgotten() {
        var ledger = DecisionLedger()
        ledger.record(Self.decision("worker", 800), for: 7)
        ledger.forget(7)
        #expect(ledger.decision(for: 7, comm: Comm("worker")) == nil)
        #expect(ledger.count == 0)
    }

    @Test func anExitedProcessIsRememberedUntilItsPIDIsDecidedForAgain() {
        var ledger = DecisionLedger()
        ledger.record(Self.decision("old", 100), for: 5)
        // The kill report comes as the victim dies: its entry still answers.
        #expect(ledger.decision(for: 5, comm: Comm("old"))?.score == OOMScore(100))
        // Its pid reused by another process: the new one's decision, and nothing for a name it never had.
        ledger.record(Self.decision("new", 200), for: 5)
        #expect(ledger.decision(for: 5, comm: Comm("new"))?.score == OOMScore(200))
        #expect(ledger.decision(for: 5, comm: Comm("old")) == nil)
    }

    @Test func theDecisionsOfGoneProcessesAreDroppedEachTimeTheLedgerDoubles() {
        var ledger = DecisionLedger()
        for pid: Int32 in 1...63 { ledger.record(Self.decision("p", 1), for: pid) }
        #expect(!ledger.isDueForCheck)
        ledger.record(Self.decision("p", 1), for: 64)
        #expect(ledger.isDueForCheck)
        // Odd pids are gone; the even ones (zombies among them) still exist.
        ledger.forgetGone { $0 % 2 == 0 }
        #expect(ledger.count == 32)
        #expect(ledger.decision(for: 2, comm: Comm("p")) != nil && ledger.decision(for: 3, comm: Comm("p")) == nil)
        #expect(!ledger.isDueForCheck)
        for pid: Int32 in 100..<132 { ledger.record(Self.decision("p", 1), for: pid) }
        #expect(ledger.isDueForCheck)
    }

    @Test func memoryIsBoundedByDroppingTheOldest() {
        var ledger = DecisionLedger(capacity: 800)
        for pid: Int32 in 1...10_000 { ledger.record(Self.decision("p", 1), for: pid) }
        #expect(ledger.count <= 800 && ledger.count > 600)
        #expect(ledger.decision(for: 10_000, comm: Comm("p")) != nil)
        #expect(ledger.decision(for: 1, comm: Comm("p")) == nil)
        // Refreshing an entry makes it young again.
        var refreshed = DecisionLedger(capacity: 8)
        for pid: Int32 in 1...8 { refreshed.record(Self.decision("p", 1), for: pid) }
        refreshed.record(Self.decision("p", 2), for: 1)
        refreshed.record(Self.decision("p", 1), for: 9)
        #expect(refreshed.decision(for: 1, comm: Comm("p"))?.score == OOMScore(2))
        #expect(refreshed.decision(for: 2, comm: Comm("p")) == nil)
    }

    // MARK: Assessment

    @Test func aVictimWithTheRulesValueWasRuled() {
        let assessment = OOMKillAssessment(Self.kill(pid: 1, comm: "w", adj: 800), decision: Self.decision("w", 800))
        #expect(assessment.victim == .ruled && assessment.rule == Self.rule && assessment.matchedRule == nil)
    }

    @Test func aVictimTheAgentHadProtectedIsTheAlarm() {
        let assessment = OOMKillAssessment(Self.kill(pid: 1, comm: "db", adj: -500), decision: Self.decision("db", -500))
        #expect(assessment.victim == .protected && assessment.rule == Self.rule)
        // An old kernel's kill line has no value: the agent's decision stands.
        #expect(OOMKillAssessment(Self.kill(pid: 1, comm: "db", adj: nil), decision: Self.decision("db", -500)).victim == .protected)
    }

    @Test func aVictimNoRuleSetIsUnruledAndSaysWhy() {
        #expect(OOMKillAssessment(Self.kill(pid: 1, comm: "x", adj: 0), decision: nil) == OOMKillAssessment(
            Self.kill(pid: 2, comm: "y", adj: 5), decision: nil))
        let none = OOMKillAssessment(Self.kill(pid: 1, comm: "x", adj: 0), decision: nil)
        #expect(none.victim == .unruled && none.rule == nil && none.matchedRule == nil)
        let changed = OOMKillAssessment(Self.kill(pid: 1, comm: "w", adj: 0), decision: Self.decision("w", 800))
        #expect(changed.victim == .unruled && changed.matchedRule == Self.rule)
        #expect(changed.whyNotApplied?.contains("was 0 at the kill, not the rule's 800") == true)
        let kernel = OOMKillAssessment(Self.kill(pid: 1, comm: "db", adj: 0), decision: Self.decision("db", -500, .denied))
        #expect(kernel.victim == .unruled && kernel.whyNotApplied?.contains("CAP_SYS_RESOURCE") == true)
        let trust = OOMKillAssessment(Self.kill(pid: 1, comm: "db", adj: 0), decision: Self.decision("db", -500, .refused(.renamedSinceExec)))
        #expect(trust.victim == .unruled && trust.whyNotApplied?.hasPrefix("the trust policy refused it: ") == true)
        let dry = OOMKillAssessment(Self.kill(pid: 1, comm: "db", adj: 0), decision: Self.decision("db", -500, .dryRun))
        #expect(dry.victim == .unruled && dry.matchedRule == Self.rule && dry.whyNotApplied?.contains("would have set -500") == true)
    }
}
