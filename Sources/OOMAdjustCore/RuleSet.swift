/// The rules in force, in reading order, and the trust policy for protective ones.
public struct RuleSet: Sendable {
    public let rules: [Rule]
    public let policy: TrustPolicy

    public init(_ rules: [Rule], policy: TrustPolicy = TrustPolicy()) {
        self.rules = rules
        self.policy = policy
    }

    public var isEmpty: Bool { rules.isEmpty }

    /// What prompted a decision: a rename may not grant protection, anything else may.
    public enum Occasion: Sendable {
        case execForkOrSweep
        case commChange
    }

    /// The decision for one process: the first matching rule decides. A protective rule the trust
    /// policy refuses ends the search too, so a later, weaker rule cannot stand in for it.
    public func verdict<Facts: ProcessFacts>(for process: inout Facts, occasion: Occasion = .execForkOrSweep) -> Verdict {
        for index in rules.indices where evaluate(index, &process) == .matches {
            return verdict(applying: index, to: &process, occasion: occasion)
        }
        return .noMatch
    }

    /// The index of the first rule matching the process, or nil (trust aside).
    public func firstMatch<Facts: ProcessFacts>(for process: inout Facts) -> Int? {
        rules.indices.first { evaluate($0, &process) == .matches }
    }

    func verdict<Facts: ProcessFacts>(applying index: Int, to process: inout Facts, occasion: Occasion) -> Verdict {
        let rule = rules[index]
        guard rule.score.isProtective else { return .apply(rule: index) }
        if occasion == .commChange { return .untrusted(rule: index, .commChange) }
        if let refusal = policy.refusal(for: rule, &process) { return .untrusted(rule: index, refusal) }
        return .apply(rule: index)
    }

    /// Every rule with whether it matches, and the verdict: the answer to "why wasn't my rule applied?".
    public func explain<Facts: ProcessFacts>(_ process: inout Facts) -> (evaluations: [RuleMatch], verdict: Verdict) {
        let evaluations = rules.indices.map { evaluate($0, &process) }
        guard let first = evaluations.firstIndex(of: .matches) else { return (evaluations, .noMatch) }
        return (evaluations, verdict(applying: first, to: &process, occasion: .execForkOrSweep))
    }

    /// Whether rule `index` matches: the name first (cheap, and false for almost every process), then
    /// each qualifier, reading only the facts that one needs.
    public func evaluate<Facts: ProcessFacts>(_ index: Int, _ process: inout Facts) -> RuleMatch {
        let rule = rules[index]
        switch rule.name {
        case .exact(let comm):
            guard process.comm == comm else { return .nameDiffers }
        case .glob(let glob):
            guard glob.matches(process.comm) else { return .nameDiffers }
        case .long(let prefix, let full):
            guard process.comm == prefix else { return .nameDiffers }
            guard process.executableName() == full || process.argv0Name() == full else { return .longNameUnconfirmed }
        }
        for (position, qualifier) in rule.qualifiers.enumerated() {
            switch Self.holds(qualifier, &process) {
            case true?: continue
            case false?: return .qualifierFails(position)
            case nil: return .qualifierUnreadable(position)
            }
        }
        return .matches
    }

    /// nil when the fact it needs cannot be read (the process exited, or its files are hidden).
    static func holds<Facts: ProcessFacts>(_ qualifier: Qualifier, _ process: inout Facts) -> Bool? {
        switch qualifier {
        case .exe(let pattern):
            return process.executablePath().map(pattern.matches)
        case .user(let uid, _):
            return process.realUID().map { $0 == uid }
        case .cmdline(let glob):
            return process.commandLine().map(glob.matches)
        case .cgroup(let glob):
            return process.cgroupPath().map(glob.matches)
        case .parent(let pattern):
            guard let parent = process.parentComm() else { return nil }
            switch pattern {
            case .exact(let comm): return parent == comm
            case .long(let prefix, _): return parent == prefix
            case .glob(let glob): return glob.matches(parent)
            }
        }
    }
}

/// How one rule fared against one process.
public enum RuleMatch: Hashable, Sendable {
    case matches
    case nameDiffers
    /// A name longer than 15 bytes whose truncated comm matched, but neither the executable's nor
    /// argv[0]'s basename is the full name.
    case longNameUnconfirmed
    /// The qualifier at this position does not hold.
    case qualifierFails(Int)
    /// The qualifier at this position needs a fact that could not be read.
    case qualifierUnreadable(Int)
}

/// What to do with a process.
public enum Verdict: Hashable, Sendable {
    case noMatch
    /// Give it rule `rule`'s value.
    case apply(rule: Int)
    /// Rule `rule` matched but its protective value is refused; the process is left as it is.
    case untrusted(rule: Int, TrustRefusal)
}
