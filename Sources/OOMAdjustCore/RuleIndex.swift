/// Which rules' NAME could admit a comm, found without looking at the others.
///
/// Every exec and fork on the machine asks this, and almost always the answer is "none", so it must not
/// grow with the rule set: a generated or imported config has thousands of rules. An exact name (or a
/// long name's 15-byte prefix, all the kernel keeps) is one hash look-up on the inline comm. A glob is
/// filed under what its matches must begin or end with (`GlobAnchors`), and looked up by walking the
/// comm's prefixes, then its suffixes, only as long as some glob's anchor continues them; only the few
/// globs found so are ever run through fnmatch. A glob with neither anchor (`*`, `?sh*`) is run for
/// every comm: such globs are few, and each one matches broadly anyway.
///
/// Nothing here allocates after it is built.
struct RuleIndex: Sendable {
    let names: [NamePattern]
    /// Rule indices, ascending within each bucket: every bucket below is a run of these.
    private var members: [Int] = []
    /// Exact names and long names' prefixes.
    private var exact: [Comm: Bucket] = [:]
    /// Every prefix of every glob's prefix anchor, with the globs whose anchor it is (often none: it is
    /// then only a step on the way to longer ones).
    private var prefixes: [Comm: Bucket] = [:]
    /// The same for suffix anchors, each stored reversed, so that a suffix is looked up like a prefix.
    private var suffixes: [Comm: Bucket] = [:]
    /// Globs with no anchor.
    private var unanchored = Bucket(start: 0, end: 0)

    /// A run of `members`.
    struct Bucket: Sendable {
        var start: Int
        var end: Int
        var isEmpty: Bool { start == end }
    }

    init(_ names: [NamePattern]) {
        self.names = names
        // (key, rule) pairs in reading order, and the keys that are only steps towards longer anchors.
        var exactFiled: [(Comm, Int)] = []
        var prefixFiled: [(Comm, Int)] = []
        var suffixFiled: [(Comm, Int)] = []
        var prefixSteps: Set<Comm> = []
        var suffixSteps: Set<Comm> = []
        var unanchoredList: [Int] = []
        exactFiled.reserveCapacity(names.count)
        func file(_ rule: Int, under alternatives: [[UInt8]], in filed: inout [(Comm, Int)], steps: inout Set<Comm>) {
            for alternative in alternatives {
                let key = Comm(alternative)
                for length in 1..<alternative.count { steps.insert(key.prefix(length)) }
                filed.append((key, rule))
            }
        }
        for (rule, name) in names.enumerated() {
            switch name {
            case .exact(let comm), .long(let comm, _):
                exactFiled.append((comm, rule))
            case .glob(let glob):
                let anchors = GlobAnchors(glob)
                let prefixLength = anchors.prefixes.first?.count ?? 0
                let suffixLength = anchors.suffixes.first?.count ?? 0
                if prefixLength == 0 && suffixLength == 0 {
                    unanchoredList.append(rule)
                } else if prefixLength >= suffixLength {
                    file(rule, under: anchors.prefixes, in: &prefixFiled, steps: &prefixSteps)
                } else {
                    file(rule, under: anchors.suffixes.map { $0.reversed() }, in: &suffixFiled, steps: &suffixSteps)
                }
            }
        }
        var members: [Int] = []
        members.reserveCapacity(exactFiled.count + prefixFiled.count + suffixFiled.count + unanchoredList.count)
        /// Counts each key's rules, gives each key its run of `members`, then fills the runs in reading
        /// order: no array per key, which for ten thousand names is most of the cost of building.
        func table(_ filed: [(Comm, Int)], steps: Set<Comm>) -> [Comm: Bucket] {
            var counts: [Comm: Int] = [:]
            counts.reserveCapacity(filed.count + steps.count)
            for (key, _) in filed { counts[key, default: 0] += 1 }
            var table: [Comm: Bucket] = [:]
            table.reserveCapacity(counts.count + steps.count)
            var next = members.count
            for (key, count) in counts {
                table[key] = Bucket(start: next, end: next)
                next += count
            }
            members += repeatElement(0, count: filed.count)
            for (key, rule) in filed {
                let slot = table[key]!.end
                members[slot] = rule
                table[key]!.end = slot + 1
            }
            for step in steps where table[step] == nil { table[step] = Bucket(start: 0, end: 0) }
            return table
        }
        exact = table(exactFiled, steps: [])
        prefixes = table(prefixFiled, steps: prefixSteps)
        suffixes = table(suffixFiled, steps: suffixSteps)
        unanchored = Bucket(start: members.count, end: members.count + unanchoredList.count)
        members += unanchoredList
        self.members = members
    }

    /// Whether some rule's NAME admits `comm`: the exact look-up, then fnmatch for the globs found.
    func nameMayMatch(_ comm: Comm) -> Bool {
        if exact[comm] != nil { return true }
        var found = false
        visitGlobBuckets(comm) { bucket in
            found = members[bucket.start..<bucket.end].contains { rule in
                guard case .glob(let glob) = names[rule] else { return false }
                return glob.matches(comm)
            }
            return !found
        }
        return found
    }

    /// The rules whose NAME could admit `comm`, in reading order: every rule that does is among them.
    func candidates(for comm: Comm) -> RuleCandidates {
        var candidates = RuleCandidates(members: members)
        if let bucket = exact[comm] { candidates.add(bucket) }
        visitGlobBuckets(comm) { bucket in
            candidates.add(bucket)
            return true
        }
        return candidates
    }

    /// Calls `body` with each non-empty bucket of globs filed under a prefix or suffix of `comm`, then
    /// with the unanchored ones, until it returns false.
    private func visitGlobBuckets(_ comm: Comm, _ body: (Bucket) -> Bool) {
        guard Self.walk(prefixes, comm, body), Self.walk(suffixes, comm.reversed, body) else { return }
        if !unanchored.isEmpty { _ = body(unanchored) }
    }

    /// Looks up `text`'s prefixes, shortest first, for as long as some anchor continues them; false
    /// when `body` asked to stop.
    private static func walk(_ table: [Comm: Bucket], _ text: Comm, _ body: (Bucket) -> Bool) -> Bool {
        guard !table.isEmpty else { return true }
        let length = text.count
        var taken = 1
        while taken <= length, let bucket = table[text.prefix(taken)] {
            if !bucket.isEmpty && !body(bucket) { return false }
            taken += 1
        }
        return true
    }
}

/// The candidate rules for one comm in reading order: a merge of the few ascending buckets the index
/// found, kept inline so that visiting them allocates nothing.
public struct RuleCandidates: Sequence, IteratorProtocol {
    /// At most one exact bucket, one per prefix length and one per suffix length of a comm, and the
    /// unanchored globs.
    static let capacity = 2 * Comm.maximumLength + 2

    private let members: [Int]
    private var buckets: InlineArray<32, RuleIndex.Bucket> = .init(repeating: RuleIndex.Bucket(start: 0, end: 0))
    private var count = 0

    init(members: [Int]) {
        self.members = members
    }

    mutating func add(_ bucket: RuleIndex.Bucket) {
        precondition(count < Self.capacity && Self.capacity <= buckets.count)
        buckets[count] = bucket
        count += 1
    }

    public mutating func next() -> Int? {
        var lowest: Int?
        for position in 0..<count where !buckets[position].isEmpty {
            if lowest.map({ members[buckets[position].start] < members[buckets[$0].start] }) ?? true { lowest = position }
        }
        guard let lowest else { return nil }
        let rule = members[buckets[lowest].start]
        buckets[lowest].start += 1
        return rule
    }
}
