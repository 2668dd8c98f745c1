/// What every text a glob NAME matches must begin or end with: the literal bytes before the first
/// wildcard (`php-fpm*` begins `php-fpm`), or after the last one (`*-worker` ends `-worker`). A small
/// bracket widens them into alternatives (`[Jj]ava*` begins `Java` or `java`). The rule index files a
/// glob under these, so that only globs that could match a comm are ever run through fnmatch.
///
/// The reading follows fnmatch(3) with no flags, as NAME globs are matched, in the C locale the agent
/// runs in (it never calls setlocale): one byte is one character, `\` escapes the next byte, `?` and a
/// bracket take one byte. Anything less plain (a negated bracket, a class, a collating element, a
/// non-ASCII member, an escape inside brackets, a range across classes) ends the anchor there, which
/// can only make it shorter, never wrong.
struct GlobAnchors: Equatable {
    /// The strings, all of one length, one of which begins every match; empty when none is known.
    let prefixes: [[UInt8]]
    /// The same for the end of every match.
    let suffixes: [[UInt8]]
    /// Bytes every match contains: the literal ones, wherever they stand (`?sh*` needs `s` and `h`).
    let requiredBytes: ByteSet

    /// More alternatives than this are not worth their hash entries: the anchor stops before the
    /// bracket that would exceed it (`[a-z][a-z]*` is filed under its first letter).
    static let maximumAlternatives = 64

    init(_ glob: Glob) {
        let elements = Self.elements(Array(glob.description.utf8))
        prefixes = Self.anchor(elements)
        suffixes = Self.anchor(elements.reversed()).map { $0.reversed() }
        var required = ByteSet()
        for case .byte(let byte) in elements { required.insert(byte) }
        requiredBytes = required
    }

    /// One position of a pattern.
    enum Element: Equatable {
        /// A literal byte (possibly escaped).
        case byte(UInt8)
        /// A bracket of a few plain ASCII members: any one of them.
        case oneOf([UInt8])
        /// `?`, or a bracket too elaborate to enumerate: some byte.
        case anyByte
        /// `*`: any run of bytes.
        case anyRun
    }

    static func elements(_ bytes: [UInt8]) -> [Element] {
        var elements: [Element] = []
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\\") where index + 1 < bytes.count:
                elements.append(.byte(bytes[index + 1]))
                index += 2
            case UInt8(ascii: "*"):
                elements.append(.anyRun)
                index += 1
            case UInt8(ascii: "?"):
                elements.append(.anyByte)
                index += 1
            case UInt8(ascii: "["):
                // Globs are validated when made, so every bracket has its end; were one not to, fnmatch
                // would take the `[` literally, and so does this.
                guard let end = try? Glob.endOfBracket(bytes, openingAt: index, in: "") else {
                    elements.append(.byte(bytes[index]))
                    index += 1
                    continue
                }
                elements.append(members(bytes[(index + 1)..<(end - 1)]).map(Element.oneOf) ?? .anyByte)
                index = end
            default:
                elements.append(.byte(bytes[index]))
                index += 1
            }
        }
        return elements
    }

    /// The members of a bracket's inside (between `[` and its `]`), or nil when it is not a plain list
    /// of ASCII bytes and same-class ranges (`0-9`, `a-f`, `A-Z`).
    static func members(_ inside: ArraySlice<UInt8>) -> [UInt8]? {
        let bytes = Array(inside)
        guard let first = bytes.first, first != UInt8(ascii: "!"), first != UInt8(ascii: "^") else { return nil }
        var members: Set<UInt8> = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            // `[` may open a class or collating element, `\` escapes: both are left to fnmatch.
            guard byte < 0x80, byte != UInt8(ascii: "["), byte != UInt8(ascii: "\\") else { return nil }
            // A `-` first or last is a member (`]` first is too, and is already at index 0 here).
            let isRangeStart = index + 2 < bytes.count && bytes[index + 1] == UInt8(ascii: "-")
            if isRangeStart {
                let last = bytes[index + 2]
                guard let low = rangeClass(byte), rangeClass(last) == low, byte <= last else { return nil }
                members.formUnion(byte...last)
                index += 3
            } else {
                guard byte != UInt8(ascii: "-") || index == 0 || index == bytes.count - 1 else { return nil }
                members.insert(byte)
                index += 1
            }
        }
        return members.sorted()
    }

    /// Ranges are enumerated only within digits, lower-case or upper-case letters, where every locale
    /// agrees on what lies between the ends.
    private static func rangeClass(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return 0
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return 1
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return 2
        default: return nil
        }
    }

    /// The alternatives the leading elements spell, up to the first wildcard (or the comm's length, past
    /// which no comm has bytes to compare). Empty when the first element is already a wildcard.
    static func anchor<Elements: Sequence>(_ elements: Elements) -> [[UInt8]] where Elements.Element == Element {
        var alternatives: [[UInt8]] = [[]]
        var length = 0
        for element in elements {
            guard length < Comm.maximumLength else { break }
            switch element {
            case .byte(let byte) where byte != 0 && byte != UInt8(ascii: "\n"):
                for position in alternatives.indices { alternatives[position].append(byte) }
            case .oneOf(let members) where alternatives.count * members.count <= maximumAlternatives:
                alternatives = alternatives.flatMap { alternative in members.map { alternative + [$0] } }
            case .byte, .oneOf, .anyByte, .anyRun:
                // (A NUL or newline ends a comm, so it cannot be compared as one: left to fnmatch.)
                return length == 0 ? [] : alternatives
            }
            length += 1
        }
        return length == 0 ? [] : alternatives
    }
}
