/// What an OOM kill means in terms of the rules: was the victim's value one a rule set, and was the
/// victim a process the agent had protected?
public struct OOMKillAssessment: Equatable, Sendable {
    /// How the victim stood with the rules; also the `victim` label of `oom_adjust_oom_kills_total`.
    public enum Victim: String, Sendable, CaseIterable {
        /// The agent had given it a protective (negative) value, and the kernel killed it all the same.
        case protected
        /// Its value was the one a rule set (0 or more).
        case ruled
        /// No rule had set its value.
        case unruled
    }

    public let victim: Victim
    /// The rule that set the victim's value; nil when none did.
    public let rule: SourceLocation?
    /// A rule that matched the victim but did not set its value, and why not.
    public let matchedRule: SourceLocation?
    public let whyNotApplied: String?

    public init(_ kill: OOMKill, decision: DecisionLedger.Decision?) {
        guard let decision else {
            self.init(.unruled, rule: nil, matchedRule: nil, whyNotApplied: nil)
            return
        }
        switch decision.outcome {
        case .applied:
            if let held = kill.oomScoreAdj, held != decision.score {
                self.init(
                    .unruled, rule: nil, matchedRule: decision.rule,
                    whyNotApplied: "its oom_score_adj was \(held) at the kill, not the rule's \(decision.score): something else changed it")
            } else {
                self.init(decision.score.isProtective ? .protected : .ruled, rule: decision.rule, matchedRule: nil, whyNotApplied: nil)
            }
        case .denied:
            self.init(
                .unruled, rule: nil, matchedRule: decision.rule,
                whyNotApplied: "the kernel denied the rule's value \(decision.score) (lowering it needs CAP_SYS_RESOURCE)")
        case .dryRun:
            self.init(.unruled, rule: nil, matchedRule: decision.rule, whyNotApplied: "a dry run: the agent would have set \(decision.score) and wrote nothing")
        case .refused(let refusal):
            self.init(.unruled, rule: nil, matchedRule: decision.rule, whyNotApplied: "the trust policy refused it: \(refusal)")
        }
    }

    init(_ victim: Victim, rule: SourceLocation?, matchedRule: SourceLocation?, whyNotApplied: String?) {
        self.victim = victim
        self.rule = rule
        self.matchedRule = matchedRule
        self.whyNotApplied = whyNotApplied
    }
}
