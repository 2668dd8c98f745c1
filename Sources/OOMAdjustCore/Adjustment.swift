/// What to do with a matched process, given the value it has now.
public enum AdjustmentPlan: Equatable, Sendable {
    /// The process already has the rule's value: nothing is written.
    case unchanged(OOMScore)
    /// Write `to` over `from`.
    case write(from: OOMScore, to: OOMScore)

    public init(current: OOMScore, desired: OOMScore) {
        self = current == desired ? .unchanged(current) : .write(from: current, to: desired)
    }
}
