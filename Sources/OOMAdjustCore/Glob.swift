import Glibc

/// A shell-style pattern (`*`, `?`, `[...]`) with fnmatch(3) semantics, validated when the config is
/// read so that a typo is a config error rather than a rule that silently never matches.
public struct Glob: Hashable, Sendable, CustomStringConvertible {
    /// NUL-terminated, ready for fnmatch.
    private let pattern: [CChar]
    /// FNM_PATHNAME: `*` and `?` do not cross `/` (for executable paths).
    private let flags: CInt
    public let description: String

    /// Whether `text` contains glob syntax at all; plain names are compared for equality instead.
    public static func isPattern(_ text: String) -> Bool {
        text.utf8.contains { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "[") }
    }

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case unterminatedBracket(String)
        case trailingBackslash(String)
        /// `[:NAME:]` inside brackets with a NAME fnmatch does not know (the pattern, the name).
        case unknownCharacterClass(String, String)

        public var description: String {
            switch self {
            case .unterminatedBracket(let text):
                return "`[` without a closing `]` in `\(text)`; write `\\[` for a literal bracket"
            case .trailingBackslash(let text):
                return "`\(text)` ends in a lone `\\`"
            case .unknownCharacterClass(let text, let name):
                return "unknown character class `[:\(name):]` in `\(text)`; the classes are \(Glob.characterClasses.joined(separator: ", "))"
            }
        }
    }

    public init(_ text: String, pathname: Bool = false) throws(Problem) {
        try Self.validate(text)
        pattern = Array(text.utf8CString)
        flags = pathname ? FNM_PATHNAME : 0
        description = text
    }

    /// fnmatch itself accepts anything; these are the mistakes it would turn into silent mismatches.
    static func validate(_ text: String) throws(Problem) {
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\\"):
                guard index + 1 < bytes.count else { throw .trailingBackslash(text) }
                index += 2
            case UInt8(ascii: "["):
                index = try endOfBracket(bytes, openingAt: index, in: text)
            default:
                index += 1
            }
        }
    }

    /// The POSIX classes glibc's fnmatch knows; with any other name a bracket never matches.
    static let characterClasses = [
        "alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper", "xdigit",
    ]

    /// The index after the `]` that closes the bracket opening at `open`. Inside a bracket fnmatch takes a
    /// backslash to escape the next byte and `[:NAME:]` as one unit, so neither one's `]` closes it: an
    /// author who counted those would get a `[` taken literally, or a glob that matches nothing.
    static func endOfBracket(_ bytes: [UInt8], openingAt open: Int, in text: String) throws(Problem) -> Int {
        var index = open + 1
        if index < bytes.count && (bytes[index] == UInt8(ascii: "!") || bytes[index] == UInt8(ascii: "^")) { index += 1 }
        if index < bytes.count && bytes[index] == UInt8(ascii: "]") { index += 1 }  // `[]...]`: `]` is a member
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "]"):
                return index + 1
            case UInt8(ascii: "\\"):
                index += 2
            case UInt8(ascii: "[") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: ":"):
                // Letters then `:]` are a class name (fnmatch takes capitals as plain members, but they are
                // a typo either way); anything else makes `[` and `:` plain members.
                var end = index + 2
                while end < bytes.count && (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(bytes[end] | 0x20) { end += 1 }
                guard end + 1 < bytes.count && bytes[end] == UInt8(ascii: ":") && bytes[end + 1] == UInt8(ascii: "]") else {
                    index += 1
                    continue
                }
                let name = String(decoding: bytes[(index + 2)..<end], as: UTF8.self)
                guard characterClasses.contains(name) else { throw .unknownCharacterClass(text, name) }
                index = end + 2
            default:
                index += 1
            }
        }
        throw .unterminatedBracket(text)
    }

    /// The fewest bytes a matching text can have: every literal, `?` and bracket expression counts
    /// one, `*` none. (A multi-byte character counts as its bytes, which only overestimates.)
    public var minimumLength: Int {
        let bytes = Array(description.utf8)
        var count = 0
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "*"):
                index += 1
                continue
            case UInt8(ascii: "\\"):
                index += 2
            case UInt8(ascii: "["):
                // Validated when made, so the bracket has its end.
                index = (try? Self.endOfBracket(bytes, openingAt: index, in: description)) ?? bytes.count
            default:
                index += 1
            }
            count += 1
        }
        return count
    }

    /// The bytes every match starts with: the pattern up to its first `*`, `?`, `[` or `\\`.
    public var literalPrefix: [UInt8] {
        Array(description.utf8.prefix { $0 != UInt8(ascii: "*") && $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "[") && $0 != UInt8(ascii: "\\") })
    }

    public func matches(_ text: UnsafePointer<CChar>) -> Bool {
        pattern.withUnsafeBufferPointer { fnmatch($0.baseAddress!, text, flags) == 0 }
    }

    public func matches(_ bytes: [UInt8]) -> Bool {
        // Bytes from /proc may hold a NUL; fnmatch would stop there, so such text cannot match a glob
        // that expects more, which is the safe answer.
        (bytes + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { matches($0.baseAddress!) }
        }
    }

    public func matches(_ comm: Comm) -> Bool {
        comm.withCString { matches($0) }
    }
}
