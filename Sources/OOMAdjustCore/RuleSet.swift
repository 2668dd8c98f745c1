/// The rules in force, in reading order, and the trust policy for protective ones.
public struct RuleSet: Sendable {
    public let rules: [Rule]
    public let policy: TrustPolicy
    /// Which rules' NAME could admit a comm, so that no event pays for every rule.
    let nameIndex: RuleIndex

    public init(_ rules: [Rule], policy: TrustPolicy = TrustPolicy()) {
        self.rules = rules
        self.policy = policy
        nameIndex = RuleIndex(rules.map(\.name))
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
        for index in candidates(for: process.comm) where evaluate(index, &process) == .matches {
            return verdict(applying: index, to: &process, occasion: occasion)
        }
        return .noMatch
    }

    /// The index of the first rule matching the process, or nil (trust aside).
    public func firstMatch<Facts: ProcessFacts>(for process: inout Facts) -> Int? {
        candidates(for: process.comm).first { evaluate($0, &process) == .matches }
    }

    /// The rules whose NAME could admit `comm`, in reading order: every rule that matches a process
    /// with this comm is among them, and most rules are not.
    public func candidates(for comm: Comm) -> RuleCandidates {
        nameIndex.candidates(for: comm)
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
        guard Self.nameMayMatch(rule.name, process.comm) else { return .nameDiffers }
        if case .long(_, let full) = rule.name {
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

    /// Whether some rule's NAME admits this comm: the whole test for almost every process, needing
    /// nothing but the comm. A long name's confirmation and the qualifiers come later.
    public func nameMayMatch(_ comm: Comm) -> Bool {
        nameIndex.nameMayMatch(comm)
    }

    static func nameMayMatch(_ pattern: NamePattern, _ comm: Comm) -> Bool {
        switch pattern {
        case .exact(let name): return comm == name
        case .long(let prefix, _): return comm == prefix
        case .glob(let glob): return glob.matches(comm)
        }
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
            // A parent's long name is compared as the kernel keeps it: its first 15 bytes.
            return process.parentComm().map { nameMayMatch(pattern, $0) }
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
