import OOMAdjustCore
import Testing

/// The ledger as a state machine: every event and decision, and what it leaves behind.
@Suite struct ProtectionLedgerTests {
    static let rule = SourceLocation(path: "rules.conf", line: 1)
    static func grant(_ score: Int, baseline: Int = 0) -> ProtectionLedger.Grant {
        ProtectionLedger.Grant(score: OOMScore(score)!, rule: rule, baseline: OOMScore(baseline)!)
    }

    /// A ledger in which pid 100 holds -500 from the agent.
    static func protecting100() -> ProtectionLedger {
        var ledger = ProtectionLedger()
        ledger.record(ProtectionLedger.Entry(grant: grant(-500), startTime: 42), for: 100)
        return ledger
    }

    @Test func aForkInheritsTheParentsGrantAndMustBeDecided() {
        var ledger = Self.protecting100()
        let childMustBeDecided = ledger.observe(.forked(child: 200, parent: 100))
        #expect(childMustBeDecided)
        #expect(ledger[200]?.grant == Self.grant(-500))
        // The child's own start time is read when it is decided, not copied from the parent.
        #expect(ledger[200]?.startTime == nil)
        #expect(ledger.protectedCount == 2)
        // A grandchild too.
        let grandchildMustBeDecided = ledger.observe(.forked(child: 300, parent: 200))
        #expect(grandchildMustBeDecided)
        #expect(ledger.protectedCount == 3)
    }

    @Test func aForkOfAProcessTheAgentGaveNothingIsNotTracked() {
        var ledger = Self.protecting100()
        let childMustBeDecided = ledger.observe(.forked(child: 200, parent: 150))
        #expect(!childMustBeDecided)
        #expect(ledger[200] == nil)
        #expect(ledger.count == 1)
    }

    @Test func aForkTakesOverAStalePIDAndDropsWhatItHeld() {
        // PID reuse within a lineage: 200 was a protected child, exited unseen; its pid now goes to a
        // new process forked by someone the agent gave nothing.
        var ledger = Self.protecting100()
        ledger.observe(.forked(child: 200, parent: 100))
        ledger.record(ProtectionLedger.Entry(grant: Self.grant(-500), startTime: 77), for: 200)
        let newcomerMustBeDecided = ledger.observe(.forked(child: 200, parent: 7))
        #expect(!newcomerMustBeDecided)
        #expect(ledger[200] == nil)
        #expect(ledger.protectedCount == 1)
        // And the same pid forked again by the protected parent inherits afresh, its own start time unknown.
        let childMustBeDecided = ledger.observe(.forked(child: 200, parent: 100))
        #expect(childMustBeDecided)
        #expect(ledger[200]?.startTime == nil)
    }

    @Test func execKeepsTheGrantAndClearsWhatStuckUntilIt() {
        var ledger = Self.protecting100()
        ledger.observe(.renamed(100))
        #expect(ledger[100]?.sticky == .renamed)
        let mustBeDecided = ledger.observe(.execed(100))
        #expect(mustBeDecided)
        #expect(ledger[100]?.sticky == nil)
        #expect(ledger[100]?.grant == Self.grant(-500))
    }

    @Test func aRenameSticksForTheProcessAndWhatItForksUntilEachExecs() {
        var ledger = ProtectionLedger()
        let mustBeDecided = ledger.observe(.renamed(500))
        #expect(!mustBeDecided)
        #expect(ledger[500]?.sticky == .renamed)
        let childMustBeDecided = ledger.observe(.forked(child: 501, parent: 500))
        #expect(!childMustBeDecided)
        #expect(ledger[501]?.sticky == .renamed)
        // A second rename changes nothing.
        ledger.observe(.renamed(500))
        #expect(ledger.count == 2)
        ledger.observe(.execed(501))
        #expect(ledger[501] == nil)
        #expect(ledger[500]?.sticky == .renamed)
        #expect(ledger.protectedCount == 0)
    }

    @Test func aUidChangeAsksForADecisionOnlyOfAProtectedProcess() {
        var ledger = Self.protecting100()
        ledger.observe(.renamed(600))
        let protectedMustBeDecided = ledger.observe(.uidChanged(100))
        #expect(protectedMustBeDecided)
        let renamedMustBeDecided = ledger.observe(.uidChanged(600))
        #expect(!renamedMustBeDecided)
        let strangerMustBeDecided = ledger.observe(.uidChanged(700))
        #expect(!strangerMustBeDecided)
        #expect(ledger.count == 2)
    }

    @Test func eventsAboutProcessesItNeverKnewLeaveNothing() {
        var ledger = ProtectionLedger()
        ledger.observe(.execed(9))
        ledger.observe(.uidChanged(9))
        ledger.observe(.forked(child: 10, parent: 9))
        #expect(ledger.isEmpty)
    }

    @Test func recordingNothingForgets() {
        var ledger = Self.protecting100()
        ledger.record(ProtectionLedger.Entry(grant: Self.grant(-900)), for: 100)
        #expect(ledger[100]?.grant == Self.grant(-900))
        ledger.record(ProtectionLedger.Entry(), for: 100)
        #expect(ledger[100] == nil)
        ledger.record(nil, for: 100)
        #expect(ledger.isEmpty)
        #expect(ledger.protectedCount == 0)
    }

    @Test func aCheckIsDueEachTimeTheLedgerHasDoubled() {
        var ledger = ProtectionLedger()
        for pid in Int32(1)...63 { ledger.renamed(pid) }
        #expect(!ledger.isDueForCheck)
        ledger.renamed(64)
        #expect(ledger.isDueForCheck)
        // The agent checks and finds every one alive: the next check comes at twice as many.
        ledger.checked()
        #expect(!ledger.isDueForCheck)
        for pid in Int32(65)...127 { ledger.renamed(pid) }
        #expect(!ledger.isDueForCheck)
        ledger.renamed(128)
        #expect(ledger.isDueForCheck)
        #expect(Set(ledger.pids) == Set(Int32(1)...128))
    }

    @Test func aSweepDropsEveryEntryItDidNotMeet() {
        var ledger = Self.protecting100()
        ledger.observe(.forked(child: 200, parent: 100))
        ledger.observe(.renamed(300))
        ledger.beginSweep()
        ledger.met(100)
        ledger.met(300)
        let dropped = ledger.endSweep()
        #expect(dropped == 1)
        #expect(ledger[200] == nil)
        #expect(ledger.count == 2)
        // An entry made during the sweep (a process it met, decided and granted) stays.
        ledger.beginSweep()
        ledger.met(400)
        ledger.record(ProtectionLedger.Entry(grant: Self.grant(-5)), for: 400)
        ledger.met(100)
        ledger.met(300)
        let droppedAgain = ledger.endSweep()
        #expect(droppedAgain == 0)
        #expect(ledger.count == 3)
    }

    @Test func itStaysAsLargeAsTheProcessesItDescribesOverAMillionEvents() {
        // A protected daemon forks a million short-lived children; each is decided, kept, and exits.
        var ledger = Self.protecting100()
        for round in 0..<1_000_000 {
            let child = Int32(1000 + round % 30_000)
            ledger.observe(.forked(child: child, parent: 100))
            // Each child exits at once; the agent checks whenever the ledger has doubled and finds
            // every one but the daemon gone.
            if ledger.isDueForCheck {
                for pid in ledger.pids where pid != 100 { ledger.forget(pid) }
                ledger.checked()
            }
        }
        #expect(ledger.count <= 64)
        #expect(ledger.protectedCount == ledger.count)
    }
}
