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

        public var description: String {
            switch self {
            case .unterminatedBracket(let text):
                return "`[` without a closing `]` in `\(text)`; write `\\[` for a literal bracket"
            case .trailingBackslash(let text):
                return "`\(text)` ends in a lone `\\`"
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
                continue
            case UInt8(ascii: "["):
                var close = index + 1
                if close < bytes.count && (bytes[close] == UInt8(ascii: "!") || bytes[close] == UInt8(ascii: "^")) { close += 1 }
                if close < bytes.count && bytes[close] == UInt8(ascii: "]") { close += 1 }  // `[]...]`: `]` is a member
                while close < bytes.count && bytes[close] != UInt8(ascii: "]") { close += 1 }
                guard close < bytes.count else { throw .unterminatedBracket(text) }
                index = close + 1
                continue
            default:
                index += 1
            }
        }
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
