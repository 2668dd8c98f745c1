/// What to write to one process, and what the ledger keeps of it afterwards: the verdict of its rules
/// combined with what the agent granted it, or the process it was forked from, before. Pure.
public struct ProtectionDecision: Equatable, Sendable {
    public enum Action: Equatable, Sendable {
        /// Nothing to write.
        case leave
        /// Write this value.
        case write(OOMScore)
    }

    public let action: Action
    /// The write takes back protection the agent granted. It is made even when the value already is
    /// the one written: only a privileged write resets the kernel's floor (`oom_score_adj_min`), which
    /// the grant set and which would let the process lower itself back at any time.
    public let takesBackProtection: Bool
    /// What the ledger keeps of the process once the action succeeded.
    public let entry: ProtectionLedger.Entry?

    /// - Parameters:
    ///   - current: the value the process has; in a dry run, the value it would have had the agent's
    ///     earlier writes been made.
    ///   - entry: what the ledger holds for it now.
    ///   - fallbackBaseline: the value to restore some day, for a process found already holding the
    ///     protective value its rule grants (it got it before this agent started, or from elsewhere).
    public init(
        verdict: Verdict, rules: RuleSet, current: OOMScore, entry: ProtectionLedger.Entry?,
        fallbackBaseline: () -> OOMScore
    ) {
        var kept = entry ?? ProtectionLedger.Entry()
        // Loader injection seen now sticks until the next exec: the process could scrub its environment
        // once the loader has read it, and its forks run the same code.
        if kept.sticky == nil, case .loaderRequest(let request)? = verdict.refusal?.reason { kept.sticky = .loader(request) }
        let held = kept.grant
        var takesBack = false
        var action = Action.leave
        switch verdict {
        case .apply(let index), .applyInstead(let index, _, _):
            let rule = rules.rules[index]
            if rule.score.isProtective {
                let baseline = held?.baseline ?? (current.isProtective ? fallbackBaseline() : current)
                kept.grant = ProtectionLedger.Grant(score: rule.score, rule: rule.location, baseline: baseline)
                if current != rule.score { action = .write(rule.score) }
            } else {
                kept.grant = nil
                takesBack = held != nil
                if current != rule.score || takesBack { action = .write(rule.score) }
            }
        case .keep(let index):
            // A daemon whose binary was upgraded keeps what it has, and its lineage stays watched.
            if held == nil && current.isProtective {
                kept.grant = ProtectionLedger.Grant(score: current, rule: rules.rules[index].location, baseline: fallbackBaseline())
            }
        case .noMatch, .refused:
            // Only what the agent granted is the agent's to take back: a value set by someone else
            // (systemd's OOMScoreAdjust=, a container runtime) stays.
            if let held {
                kept.grant = nil
                takesBack = true
                action = .write(held.baseline)
            }
        }
        self.action = action
        self.takesBackProtection = takesBack
        self.entry = kept.grant == nil && kept.sticky == nil ? nil : kept
    }
}
