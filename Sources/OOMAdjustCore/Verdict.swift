/// How one rule fared against one process.
public enum RuleMatch: Hashable, Sendable {
    case matches
    /// Everything holds, but `exe=` names the path the process's binary had before it was replaced on
    /// disk (the kernel's ` (deleted)` mark): a protective rule keeps such a process as it is.
    case matchesReplacedBinary
    case nameDiffers
    /// A name longer than 15 bytes whose truncated comm matched, but the executable's basename is not
    /// the full name (nor, for a rule whose value is 0 or more, argv[0]'s).
    case longNameUnconfirmed
    /// The qualifier at this position does not hold.
    case qualifierFails(Int)
    /// The qualifier at this position needs a fact that could not be read.
    case qualifierUnreadable(Int)
    /// Everything matches, but the process is not in the host's PID namespace (or that cannot be read):
    /// a container's process, whose value its runtime sets, and the rule names no cgroup (see
    /// `Rule.reachesContainers`).
    case otherPIDNamespace
}

/// What the rules decide for a process.
public enum Verdict: Hashable, Sendable {
    case noMatch
    /// Give it rule `rule`'s value.
    case apply(rule: Int)
    /// Rule `rule`'s protective value is refused, and no later rule with a value of 0 or more matches.
    case refused(rule: Int, TrustRefusal)
    /// Rule `untrusted`'s protective value is refused; the later rule `rule`, with a value of 0 or more,
    /// applies instead.
    case applyInstead(rule: Int, refused: Int, TrustRefusal)
    /// A protective rule matched a process whose binary was replaced on disk since it started: it keeps
    /// the value it has.
    case keep(rule: Int)

    /// The rule whose value the process should have, if any.
    public var appliedRule: Int? {
        switch self {
        case .apply(let rule), .applyInstead(let rule, _, _): return rule
        case .noMatch, .refused, .keep: return nil
        }
    }

    /// The protective rule that was refused, and why.
    public var refusal: (rule: Int, reason: TrustRefusal)? {
        switch self {
        case .refused(let rule, let reason), .applyInstead(_, let rule, let reason): return (rule, reason)
        case .noMatch, .apply, .keep: return nil
        }
    }

    /// The rule that decided what happens to the process: the applied one, the refused one when none
    /// applies, or the one that keeps it.
    public var decidingRule: Int? {
        switch self {
        case .noMatch: return nil
        case .apply(let rule), .applyInstead(let rule, _, _), .refused(let rule, _), .keep(let rule): return rule
        }
    }
}
