/// A read-only hash table from comms to runs of rule indices, for the rule index's look-ups on every
/// event.
///
/// Dictionary would do, but its SipHash of the two words costs more than the rest of the look-up; keys
/// here come from the configuration, so a cheaper mix is safe (a comm an attacker picks can only probe
/// the table, never shape it). Open addressing with linear probing, at most half full, each slot key and
/// value together: a look-up is usually one cache line. The empty comm, which no key is, marks a free slot.
struct CommTable: Sendable {
    /// What a key leads to: its rules, and for a glob anchor, the length of the longest shorter anchor
    /// on the way to it that has rules of its own (0 when none), so a walk can jump from one to the next.
    struct Entry: Sendable {
        var bucket: RuleIndex.Bucket
        var shorter: Int = 0
    }

    private struct Slot: Sendable {
        var key: Comm
        var start: Int32
        var end: Int32
        var shorter: Int32
    }

    private let slots: [Slot]
    private let mask: Int
    /// The first byte of every key, so a comm that starts with none of them costs no probe at all.
    private let firstBytes: ByteSet
    /// The empty comm's entry, kept apart (the parser never makes such a name, but the type allows it).
    private let emptyKeyEntry: Entry?
    /// The longest key's length.
    let longestKey: Int

    /// Whether some key starts with `byte`: when none does, a look-up of anything starting so is moot.
    func hasKey(startingWith byte: UInt8) -> Bool { firstBytes.contains(byte) }

    /// Files each rule of `filed` (key and rule, in reading order) under its key, and adds `steps` as keys
    /// without rules of their own. Each key's rules become one run appended to `members`: counted
    /// first, then filled in reading order, with no array per key and no Dictionary (whose hashing was
    /// most of the cost of loading ten thousand rules).
    init(filing filed: [(Comm, Int)], steps: [Comm], into members: inout [Int]) {
        var capacity = 8
        while capacity < 2 * (filed.count + steps.count) { capacity *= 2 }
        let mask = capacity - 1
        var table = [Slot](repeating: Slot(key: Comm(""), start: 0, end: 0, shorter: 0), count: capacity)
        var emptyKeyEntry: Entry?
        var firstBytes = ByteSet()
        var longestKey = 0
        // Through one buffer pointer: a nested function that reached the array itself would check
        // exclusive access and uniqueness on every probe, which was most of the cost of filing ten
        // thousand names.
        table.withUnsafeMutableBufferPointer { slots in
            var emptyKeyRules: [Int] = []
            /// The slot of `key`, claimed for it if it has none yet.
            func position(of key: Comm) -> Int {
                var position = Int(truncatingIfNeeded: key.mixedHash) & mask
                while slots[position].key != key && slots[position].key.count > 0 { position = (position + 1) & mask }
                slots[position].key = key
                return position
            }
            // Counts into `end` ...
            for (key, rule) in filed {
                if key.count == 0 { emptyKeyRules.append(rule) } else { slots[position(of: key)].end += 1 }
            }
            for step in steps where step.count > 0 { _ = position(of: step) }
            // ... then each key's run begins where the last ended, and `end` is the filling point.
            var next = Int32(members.count)
            for index in slots.indices where slots[index].key.count > 0 {
                let count = slots[index].end
                slots[index].start = next
                slots[index].end = next
                next += count
            }
            members += repeatElement(0, count: filed.count - emptyKeyRules.count)
            for (key, rule) in filed where key.count > 0 {
                let index = position(of: key)
                members[Int(slots[index].end)] = rule
                slots[index].end += 1
            }
            if !emptyKeyRules.isEmpty {
                emptyKeyEntry = Entry(bucket: RuleIndex.Bucket(start: members.count, end: members.count + emptyKeyRules.count))
                members += emptyKeyRules
            }
            // Steps make the keys prefix-closed, so every shorter prefix of a key is a key to link to.
            for index in slots.indices where slots[index].key.count > 0 {
                let key = slots[index].key
                firstBytes.insert(key[0])
                longestKey = max(longestKey, key.count)
                guard !steps.isEmpty else { continue }
                for length in stride(from: key.count - 1, to: 0, by: -1) {
                    let prefix = key.prefix(length)
                    var probe = Int(truncatingIfNeeded: prefix.mixedHash) & mask
                    while slots[probe].key != prefix {
                        precondition(slots[probe].key.count > 0, "a step towards an anchor is missing")
                        probe = (probe + 1) & mask
                    }
                    let shorter = slots[probe]
                    if shorter.start != shorter.end {
                        slots[index].shorter = Int32(length)
                        break
                    }
                }
            }
        }
        self.slots = table
        self.mask = mask
        self.firstBytes = firstBytes
        self.emptyKeyEntry = emptyKeyEntry
        self.longestKey = longestKey
    }

    subscript(key: Comm) -> Entry? {
        guard key.count > 0 else { return emptyKeyEntry }
        guard firstBytes.contains(key[0]) else { return nil }
        var position = Int(truncatingIfNeeded: key.mixedHash) & mask
        while true {
            let slot = slots[position]
            if slot.key == key {
                return Entry(bucket: RuleIndex.Bucket(start: Int(slot.start), end: Int(slot.end)), shorter: Int(slot.shorter))
            }
            if slot.key.count == 0 { return nil }
            position = (position + 1) & mask
        }
    }
}

/// A set of bytes, as four words.
struct ByteSet: Sendable, Equatable {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    init() {}

    init(_ comm: Comm) {
        for index in 0..<comm.count { insert(comm[index]) }
    }

    var isEmpty: Bool { words.0 | words.1 | words.2 | words.3 == 0 }

    mutating func insert(_ byte: UInt8) {
        let bit = UInt64(1) << (byte & 63)
        switch byte >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    func contains(_ byte: UInt8) -> Bool {
        let bit = UInt64(1) << (byte & 63)
        switch byte >> 6 {
        case 0: return words.0 & bit != 0
        case 1: return words.1 & bit != 0
        case 2: return words.2 & bit != 0
        default: return words.3 & bit != 0
        }
    }

    func isSubset(of other: ByteSet) -> Bool {
        words.0 & ~other.words.0 == 0 && words.1 & ~other.words.1 == 0 && words.2 & ~other.words.2 == 0
            && words.3 & ~other.words.3 == 0
    }

    static func == (left: ByteSet, right: ByteSet) -> Bool {
        left.words == right.words
    }
}
