/// Which rules' NAME could admit a comm, found without looking at the others.
///
/// Every exec and fork on the machine asks this, and almost always the answer is "none", so it must not
/// grow with the rule set: a generated or imported config has thousands of rules. An exact name (or a
/// long name's 15-byte prefix, all the kernel keeps) is one hash look-up on the inline comm. A glob is
/// filed under what its matches must begin or end with (`GlobAnchors`), and looked up by walking the
/// comm's prefixes, then its suffixes, only as long as some glob's anchor continues them; only the few
/// globs found so are ever run through fnmatch. A glob with neither anchor (`*`, `?sh*`) is a candidate
/// for every comm, but is run only for a comm long enough and holding every literal byte it needs.
///
/// Nothing here allocates after it is built. A class, so that a rule set and the closures below hold it
/// by one reference instead of retaining each of its arrays on every look-up.
final class RuleIndex: Sendable {
    let names: [NamePattern]
    /// Rule indices, ascending within each bucket: every bucket below is a run of these.
    fileprivate let members: [Int]
    /// Exact names and long names' prefixes.
    private let exact: CommTable
    /// Every prefix of every glob's prefix anchor, with the globs whose anchor it is (often none: it is
    /// then only a step on the way to longer ones).
    private let prefixes: CommTable
    /// The same for suffix anchors, each stored reversed, so that a suffix is looked up like a prefix.
    private let suffixes: CommTable
    /// Globs with no anchor, and for each (in the same order) what a comm needs before fnmatch is worth it.
    fileprivate let unanchored: Bucket
    private let unanchoredNeeds: [(length: Int, bytes: ByteSet)]

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
        var prefixSteps: [Comm] = []
        var suffixSteps: [Comm] = []
        var unanchoredRules: [Int] = []
        var unanchoredNeeds: [(length: Int, bytes: ByteSet)] = []
        exactFiled.reserveCapacity(names.count)
        func file(_ rule: Int, under alternatives: [[UInt8]], in filed: inout [(Comm, Int)], steps: inout [Comm]) {
            for alternative in alternatives {
                let key = Comm(alternative)
                for length in 1..<alternative.count { steps.append(key.prefix(length)) }
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
                    unanchoredRules.append(rule)
                    unanchoredNeeds.append((glob.minimumLength, anchors.requiredBytes))
                } else if prefixLength >= suffixLength {
                    file(rule, under: anchors.prefixes, in: &prefixFiled, steps: &prefixSteps)
                } else {
                    file(rule, under: anchors.suffixes.map { $0.reversed() }, in: &suffixFiled, steps: &suffixSteps)
                }
            }
        }
        var members: [Int] = []
        members.reserveCapacity(exactFiled.count + prefixFiled.count + suffixFiled.count + unanchoredRules.count)
        let prefixes = CommTable(filing: prefixFiled, steps: prefixSteps, into: &members)
        let suffixes = CommTable(filing: suffixFiled, steps: suffixSteps, into: &members)
        let unanchored = Bucket(start: members.count, end: members.count + unanchoredRules.count)
        members += unanchoredRules
        // An exact name is a whole comm, so which globs admit it is known now: filed beside it, they make
        // its bucket every candidate for that comm, and a process some exact rule names costs one look-up.
        var keys = Set<Comm>(minimumCapacity: exactFiled.count)
        for (key, _) in exactFiled where keys.insert(key).inserted {
            let length = key.count
            let byPrefix = length > 0 && prefixes.hasKey(startingWith: key[0])
            let bySuffix = length > 0 && suffixes.hasKey(startingWith: key[length - 1])
            guard byPrefix || bySuffix || !unanchored.isEmpty else { continue }
            var globs: [Int] = []
            func collect(_ bucket: Bucket) -> Bool {
                for rule in members[bucket.start..<bucket.end] {
                    if case .glob(let glob) = names[rule], glob.matches(key) { globs.append(rule) }
                }
                return true
            }
            if byPrefix { _ = Self.walk(prefixes, key, length, collect) }
            if bySuffix { _ = Self.walk(suffixes, key.reversed, length, collect) }
            if !unanchored.isEmpty { _ = collect(unanchored) }
            for rule in globs { exactFiled.append((key, rule)) }
        }
        // Filing keeps the order of the pairs within a key: reading order.
        exactFiled.sort { $0.1 < $1.1 }
        self.exact = CommTable(filing: exactFiled, steps: [], into: &members)
        self.prefixes = prefixes
        self.suffixes = suffixes
        self.unanchored = unanchored
        self.members = members
        self.unanchoredNeeds = unanchoredNeeds
    }

    /// Whether some rule's NAME admits `comm`: the exact look-up, then fnmatch for the globs found.
    func nameMayMatch(_ comm: Comm) -> Bool {
        if exact[comm] != nil { return true }
        func admitted(_ rule: Int) -> Bool {
            guard case .glob(let glob) = names[rule] else { return false }
            return glob.matches(comm)
        }
        var found = false
        visitAnchoredGlobs(comm) { bucket in
            found = members[bucket.start..<bucket.end].contains(where: admitted)
            return !found
        }
        guard !found, !unanchored.isEmpty else { return found }
        let length = comm.count
        let present = ByteSet(comm)
        for position in 0..<unanchoredNeeds.count where unanchoredMayMatch(position, length, present) {
            if admitted(members[unanchored.start + position]) { return true }
        }
        return false
    }

    /// Whether a comm of `length` bytes, holding the bytes `present`, is long enough for the unanchored
    /// glob at `position` and holds every literal byte it needs: only then is fnmatch worth running.
    fileprivate func unanchoredMayMatch(_ position: Int, _ length: Int, _ present: ByteSet) -> Bool {
        let needs = unanchoredNeeds[position]
        return length >= needs.length && needs.bytes.isSubset(of: present)
    }

    /// The rules whose NAME could admit `comm`, in reading order: every rule that does is among them.
    func candidates(for comm: Comm) -> RuleCandidates {
        var candidates = RuleCandidates(index: self, comm: comm)
        if let entry = exact[comm] {
            // The globs that admit this comm were filed with it.
            candidates.add(entry.bucket)
            return candidates
        }
        visitAnchoredGlobs(comm) { bucket in
            candidates.add(bucket)
            return true
        }
        if !unanchored.isEmpty { candidates.addUnanchored(unanchored) }
        return candidates
    }

    /// Calls `body` with each non-empty bucket of globs filed under a prefix or suffix of `comm`, until
    /// it returns false.
    private func visitAnchoredGlobs(_ comm: Comm, _ body: (Bucket) -> Bool) {
        let length = comm.count
        guard length > 0 else { return }
        if prefixes.hasKey(startingWith: comm[0]) {
            guard Self.walk(prefixes, comm, length, body) else { return }
        }
        if suffixes.hasKey(startingWith: comm[length - 1]) {
            _ = Self.walk(suffixes, comm.reversed, length, body)
        }
    }

    /// Visits the buckets of the anchors that are prefixes of `text`; false when `body` asked to stop.
    /// Every prefix of a key is a key too, so the prefixes of `text` that are keys are those up to some
    /// length, found by halving (four look-ups, not fifteen); from there each anchor with rules links
    /// to the next shorter one.
    private static func walk(_ table: CommTable, _ text: Comm, _ length: Int, _ body: (Bucket) -> Bool) -> Bool {
        var deepest: CommTable.Entry?
        var low = 1
        var high = min(length, table.longestKey)
        while low <= high {
            let middle = (low + high) / 2
            if let entry = table[text.prefix(middle)] {
                deepest = entry
                low = middle + 1
            } else {
                high = middle - 1
            }
        }
        var entry = deepest
        while let current = entry {
            if !current.bucket.isEmpty && !body(current.bucket) { return false }
            entry = current.shorter > 0 ? table[text.prefix(current.shorter)] : nil
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

    private let index: RuleIndex
    private var buckets: InlineArray<32, RuleIndex.Bucket> = .init(repeating: RuleIndex.Bucket(start: 0, end: 0))
    private var count = 0
    /// Which bucket holds the unanchored globs (-1: none), and what the comm offers them.
    private var unanchoredBucket = -1
    private let length: Int
    private let present: ByteSet

    init(index: RuleIndex, comm: Comm) {
        self.index = index
        length = comm.count
        present = ByteSet(comm)
    }

    mutating func add(_ bucket: RuleIndex.Bucket) {
        precondition(count < Self.capacity && Self.capacity <= buckets.count)
        buckets[count] = bucket
        count += 1
    }

    /// The unanchored globs: only those the comm could satisfy are visited.
    mutating func addUnanchored(_ bucket: RuleIndex.Bucket) {
        unanchoredBucket = count
        add(bucket)
    }

    public mutating func next() -> Int? {
        while true {
            var lowest: Int?
            for position in 0..<count where !buckets[position].isEmpty {
                if lowest.map({ index.members[buckets[position].start] < index.members[buckets[$0].start] }) ?? true {
                    lowest = position
                }
            }
            guard let lowest else { return nil }
            let member = buckets[lowest].start
            buckets[lowest].start += 1
            if lowest == unanchoredBucket && !index.unanchoredMayMatch(member - index.unanchored.start, length, present) {
                continue
            }
            return index.members[member]
        }
    }
}
