/// Parses the config format of the old `oom_adjust.sh`, `NAME VALUE` a line, into rules and diagnostics.
///
/// It never stops at the first problem: every bad line gets its own `PATH:LINE:` error, so an
/// administrator fixes a file in one pass.
public enum ConfigParser {
    /// Longer than any sane rule; a longer line is a mistake (or not a config file at all).
    public static let maximumLineLength = 4096
    /// Bigger than any sane rule list; refusing it keeps a mistaken path from filling memory.
    public static let maximumFileSize = 1 << 20
    /// NAME_MAX: a rule name longer than any file name cannot name an executable.
    public static let maximumNameLength = 255

    public static func parse(_ bytes: [UInt8], path: String) -> ParsedConfig {
        var result = ParsedConfig()
        guard bytes.count <= maximumFileSize else {
            result.diagnostics.append(
                ConfigDiagnostic(
                    .error, path: path, line: nil,
                    "file is \(bytes.count) bytes; a config may be at most \(maximumFileSize) bytes"))
            return result
        }
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            lineNumber += 1
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            parseLine(bytes[start..<end], at: SourceLocation(path: path, line: lineNumber), into: &result)
            start = end + 1
        }
        return result
    }

    static func parseLine(_ raw: ArraySlice<UInt8>, at location: SourceLocation, into result: inout ParsedConfig) {
        func error(_ message: String) {
            result.diagnostics.append(ConfigDiagnostic(.error, path: location.path, line: location.line, message))
        }
        guard raw.count <= maximumLineLength else {
            return error("line is \(raw.count) bytes long; the limit is \(maximumLineLength)")
        }
        if let nul = raw.firstIndex(of: 0) {
            return error("NUL byte at column \(nul - raw.startIndex + 1); is this a text file?")
        }
        guard let text = String(validating: raw, as: UTF8.self) else {
            return error("line is not valid UTF-8; save the file as UTF-8 (or plain ASCII)")
        }
        let tokens = tokenize(text)
        guard let name = tokens.first else { return }
        guard tokens.count >= 2 else {
            return error("`\(name)` has no value; write `NAME VALUE`, e.g. `sshd -17` or `sshd score=-900`")
        }
        let nameBytes = Array(name.utf8)
        var valid = true
        if nameBytes.count > maximumNameLength {
            error("name is \(nameBytes.count) bytes long; the limit is \(maximumNameLength)")
            valid = false
        }
        var parsedValue: (score: OOMScore, spelling: String)?
        switch parseValue(tokens[1]) {
        case .success(let score): parsedValue = (score, tokens[1])
        case .failure(let problem):
            error(problem.message)
            valid = false
        }
        for extra in tokens.dropFirst(2) {
            error("unexpected `\(extra)` after the value; a rule is `NAME VALUE`, and `#` starts a comment")
            valid = false
        }
        guard valid, let value = parsedValue else { return }
        result.rules.append(
            Rule(name: NamePattern(name: nameBytes), score: value.score, valueSpelling: value.spelling,
                 location: location))
    }

    /// Splits on any whitespace and drops a comment: `#` at the start of a token begins one, so a name
    /// may still contain `#` inside it.
    static func tokenize(_ line: String) -> [String] {
        var tokens: [String] = []
        for token in line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\u{0B}" || $0 == "\u{0C}" }) {
            if token.hasPrefix("#") { break }
            tokens.append(String(token))
        }
        return tokens
    }

    struct ValueProblem: Error {
        let message: String
    }

    static let scorePrefix = "score="

    /// `-17`…`15` on the legacy oom_adj scale, or `score=N` on the native -1000…1000 scale.
    static func parseValue(_ token: String) -> Result<OOMScore, ValueProblem> {
        if token.hasPrefix(scorePrefix) {
            let digits = String(token.dropFirst(scorePrefix.count))
            guard let number = parseInteger(digits) else {
                return .failure(ValueProblem(message: "`\(token)`: `\(digits)` is not a whole number; write score=N with N from -1000 to 1000"))
            }
            guard let score = OOMScore(number) else {
                return .failure(ValueProblem(message: "`\(token)` is out of range; oom_score_adj goes from -1000 to 1000"))
            }
            return .success(score)
        }
        guard let number = parseInteger(token) else {
            return .failure(ValueProblem(message: "`\(token)` is not a number; write an oom_adj value from -17 to 15, or score=N with N from -1000 to 1000"))
        }
        guard let score = OOMScore(legacyOOMAdj: number) else {
            return .failure(ValueProblem(message: "oom_adj value `\(token)` is out of range -17..15; for the native scale write score=N (-1000..1000)"))
        }
        return .success(score)
    }

    /// An optional sign and decimal digits. Values too long to be in any range saturate rather than
    /// overflow, so they are reported as out of range, not as "not a number".
    static func parseInteger(_ text: String) -> Int? {
        var utf8 = Substring(text).utf8[...]
        var negative = false
        if let first = utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            utf8 = utf8.dropFirst()
        }
        guard !utf8.isEmpty else { return nil }
        var value = 0
        for byte in utf8 {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            value = min(value * 10 + Int(byte - UInt8(ascii: "0")), 1_000_000)
        }
        return negative ? -value : value
    }
}

/// Rules and findings from one or more config files, in reading order.
public struct ParsedConfig: Sendable {
    public var rules: [Rule] = []
    public var diagnostics: [ConfigDiagnostic] = []

    public init() {}

    public var errors: [ConfigDiagnostic] { diagnostics.filter { $0.severity == .error } }
    public var warnings: [ConfigDiagnostic] { diagnostics.filter { $0.severity == .warning } }

    /// Appends the result of a file read after this one.
    public mutating func append(_ other: ParsedConfig) {
        rules += other.rules
        diagnostics += other.diagnostics
    }

    /// Warnings for rules that repeat an earlier rule's NAME: they can never win, since the first
    /// matching rule does.
    public var duplicateWarnings: [ConfigDiagnostic] {
        var firstSeen: [NamePattern: SourceLocation] = [:]
        var warnings: [ConfigDiagnostic] = []
        for rule in rules {
            if let first = firstSeen[rule.name] {
                warnings.append(
                    ConfigDiagnostic(
                        .warning, path: rule.location.path, line: rule.location.line,
                        "duplicate rule for `\(rule.name)`; the first one, at \(first), wins"))
            } else {
                firstSeen[rule.name] = rule.location
            }
        }
        return warnings
    }
}
