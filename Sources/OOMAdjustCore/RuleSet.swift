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

    /// The decision for one process: the first matching rule decides, with one exception. A protective
    /// rule that matches but is refused (by the trust policy, or because one of its facts cannot be
    /// read) decides nothing: the search goes on, but only a rule with a value of 0 or more may apply
    /// after it. So a weaker protective rule cannot stand in for a refused one, and a process cannot
    /// dodge a later kill-first rule by wearing a protected name either. `sticky` is what the agent saw
    /// of the process since its last exec (a rename, loader injection).
    public func verdict<Facts: ProcessFacts & ~Copyable>(for process: inout Facts, sticky: StickyRefusal? = nil) -> Verdict {
        var untrusted: (rule: Int, reason: TrustRefusal)?
        for index in candidates(for: process.comm) {
            let rule = rules[index]
            if untrusted != nil && rule.score.isProtective { continue }
            let match = evaluate(index, &process)
            switch match {
            case .matches, .matchesReplacedBinary:
                guard rule.score.isProtective else {
                    if let untrusted { return .applyInstead(rule: index, refused: untrusted.rule, untrusted.reason) }
                    return .apply(rule: index)
                }
                switch policy.judge(rule, &process, sticky: sticky) {
                case .granted where match == .matches: return .apply(rule: index)
                // The binary exe= names was replaced on disk since exec (a package upgrade): the daemon keeps
                // what it has rather than fall through to a weaker rule.
                case .granted, .replacedBinary: return .keep(rule: index)
                case .refused(let reason): untrusted = (index, reason)
                }
            case .qualifierUnreadable(let position) where rule.score.isProtective:
                untrusted = (index, .qualifierUnreadable(key: rule.qualifiers[position].key))
            default:
                continue
            }
        }
        return untrusted.map { .refused(rule: $0.rule, $0.reason) } ?? .noMatch
    }

    /// The index of the first rule matching the process, or nil (trust aside).
    public func firstMatch<Facts: ProcessFacts & ~Copyable>(for process: inout Facts) -> Int? {
        candidates(for: process.comm).first { evaluate($0, &process) == .matches }
    }

    /// The rules whose NAME could admit `comm`, in reading order: every rule that matches a process
    /// with this comm is among them, and most rules are not.
    public func candidates(for comm: Comm) -> RuleCandidates {
        nameIndex.candidates(for: comm)
    }

    /// Every rule with whether it matches, and the verdict: the answer to "why wasn't my rule applied?".
    public func explain<Facts: ProcessFacts & ~Copyable>(_ process: inout Facts, sticky: StickyRefusal? = nil) -> (evaluations: [RuleMatch], verdict: Verdict) {
        let evaluations = rules.indices.map { evaluate($0, &process) }
        return (evaluations, verdict(for: &process, sticky: sticky))
    }

    /// Whether rule `index` matches: the name first (cheap, and false for almost every process), then
    /// each qualifier, reading only the facts that one needs.
    public func evaluate<Facts: ProcessFacts & ~Copyable>(_ index: Int, _ process: inout Facts) -> RuleMatch {
        let rule = rules[index]
        guard Self.nameMayMatch(rule.name, process.comm) else { return .nameDiffers }
        if case .long(_, let full) = rule.name {
            // argv[0] belongs to whoever ran the program (`exec -a`): it may confirm a name only for a
            // rule that makes the process no safer.
            guard process.executableName() == full || (!rule.score.isProtective && process.argv0Name() == full) else {
                return .longNameUnconfirmed
            }
        }
        var replacedBinary = false
        for (position, qualifier) in rule.qualifiers.enumerated() {
            switch Self.holds(qualifier, &process) {
            case .holds: continue
            // Only a protective rule holds on to a replaced binary; for any other, the path names a file
            // that is no longer this one.
            case .holdsForReplacedBinary where rule.score.isProtective: replacedBinary = true
            case .holdsForReplacedBinary: return .qualifierFails(position)
            case .fails: return .qualifierFails(position)
            case .unreadable: return .qualifierUnreadable(position)
            }
        }
        // Last, so it costs nothing for the processes no rule names.
        if !rule.reachesContainers, process.inHostPIDNamespace() != true { return .otherPIDNamespace }
        return replacedBinary ? .matchesReplacedBinary : .matches
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

    enum QualifierOutcome {
        case holds
        /// `exe=` names the path the process's binary had before it was replaced on disk.
        case holdsForReplacedBinary
        case fails
        /// The fact it needs cannot be read (the process exited, or its files are hidden).
        case unreadable
    }

    static func holds<Facts: ProcessFacts & ~Copyable>(_ qualifier: Qualifier, _ process: inout Facts) -> QualifierOutcome {
        func outcome(_ value: Bool?) -> QualifierOutcome { value.map { $0 ? .holds : .fails } ?? .unreadable }
        switch qualifier {
        case .exe(let pattern):
            guard let path = process.executablePath() else { return .unreadable }
            if pattern.matches(path) { return .holds }
            return path.hasDeletedSuffix && pattern.matches(path.withoutDeletedSuffix) ? .holdsForReplacedBinary : .fails
        case .user(let uid, _):
            return outcome(process.realUID().map { $0 == uid })
        case .cmdline(let glob):
            return outcome(process.commandLine().map(glob.matches))
        case .cgroup(let pattern):
            return outcome(process.cgroupPath().map(pattern.matches))
        case .parent(let pattern):
            // A parent's long name is compared as the kernel keeps it: its first 15 bytes.
            return outcome(process.parentComm().map { nameMayMatch(pattern, $0) })
        }
    }
}
