import OOMAdjustCore
import Testing

/// Given a process's current value and its rule's, the agent writes only when they differ.
@Suite struct AdjustmentPlanTests {
    @Test func sameValueIsLeftAlone() {
        let score = OOMScore(-1000)!
        #expect(AdjustmentPlan(current: score, desired: score) == .unchanged(score))
    }

    @Test func differentValueIsWrittenFromOldToNew() {
        let current = OOMScore(0)!
        let desired = OOMScore(legacyOOMAdj: -17)!
        let plan = AdjustmentPlan(current: current, desired: desired)
        #expect(plan == .write(from: current, to: desired))
        #expect(plan != .write(from: desired, to: current))
        #expect(plan != .unchanged(current))
    }

    @Test(arguments: [(-1000, -999), (1, 0), (0, 1000), (1000, -1000)])
    func everyDifferenceIsAWrite(_ current: Int, _ desired: Int) {
        let plan = AdjustmentPlan(current: OOMScore(current)!, desired: OOMScore(desired)!)
        #expect(plan == .write(from: OOMScore(current)!, to: OOMScore(desired)!))
    }
}
