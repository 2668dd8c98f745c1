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

    /// Looks up an account name (`user=NAME`); nil when there is none. Injected so parsing stays pure.
    public typealias UserResolver = (String) -> UInt32?

    public static func parse(_ bytes: [UInt8], path: String, users: UserResolver = { _ in nil }) -> ParsedConfig {
        var result = ParsedConfig()
        guard bytes.count <= maximumFileSize else {
            result.diagnostics.append(
                ConfigDiagnostic(
                    .error, path: path, line: nil,
                    "file is \(bytes.count) bytes; a config may be at most \(maximumFileSize) bytes"))
            return result
        }
        // One rule a line at most: room for all of them at once, not copied as the array grows.
        result.rules.reserveCapacity(bytes.count { $0 == UInt8(ascii: "\n") } + 1)
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            lineNumber += 1
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            parseLine(bytes[start..<end], at: SourceLocation(path: path, line: lineNumber), users: users, into: &result)
            start = end + 1
        }
        return result
    }

    static func parseLine(
        _ raw: ArraySlice<UInt8>, at location: SourceLocation, users: UserResolver, into result: inout ParsedConfig
    ) {
        var valid = true
        func error(_ message: String, transient: Bool = false) {
            result.diagnostics.append(
                ConfigDiagnostic(.error, path: location.path, line: location.line, message, transient: transient))
            valid = false
        }
        guard raw.count <= maximumLineLength else {
            return error("line is \(raw.count) bytes long; the limit is \(maximumLineLength)")
        }
        // A whole-line comment is never a rule, whatever its bytes: an old config whose comments were
        // written in Latin-1 must keep loading, as it did with the shell script.
        if raw.first(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) == UInt8(ascii: "#") { return }
        if let nul = raw.firstIndex(of: 0) {
            return error("NUL byte at column \(nul - raw.startIndex + 1); is this a text file?")
        }
        // Plain ASCII, as almost every config is, needs no validation.
        guard let text = raw.allSatisfy({ $0 < 0x80 }) ? String(decoding: raw, as: UTF8.self) : String(validating: raw, as: UTF8.self)
        else {
            return error("line is not valid UTF-8; save the file as UTF-8 (or plain ASCII)")
        }
        let tokens: [String]
        switch tokenize(text) {
        case .success(let found): tokens = found
        case .failure(let problem): return error(problem.message)
        }
        guard let name = tokens.first else { return }
        guard tokens.count >= 2 else {
            return error("`\(name)` has no value; write `NAME VALUE`, e.g. `sshd -17` or `sshd score=-900`")
        }
        let pattern = parseName(name, error: { error($0) })
        var parsedValue: (score: OOMScore, spelling: String)?
        switch parseValue(tokens[1]) {
        case .success(let score): parsedValue = (score, tokens[1])
        case .failure(let problem): error(problem.message)
        }
        var qualifiers: [Qualifier] = []
        var trustsName = false
        var seenKeys: [Substring] = []  // a handful at most: a Set costs more
        for token in tokens.dropFirst(2) {
            guard let equals = token.utf8.firstIndex(of: UInt8(ascii: "=")) else {
                error("unexpected `\(token)` after the value; qualifiers are KEY=VALUE (\(QualifierParser.known)), and `#` starts a comment")
                continue
            }
            let key = token[..<equals]
            let value = String(token[token.index(after: equals)...])
            guard !seenKeys.contains(key) else {
                error("`\(key)=` appears twice; a rule's qualifiers must all hold, so give each once")
                continue
            }
            seenKeys.append(key)
            if key == "trust" {
                if value == "name" { trustsName = true } else { error("`trust=\(value)`: the only opt-out is trust=name") }
                continue
            }
            switch QualifierParser.parse(key: key, value: value, users: users) {
            case .success(let qualifier): qualifiers.append(qualifier)
            case .failure(let problem): error(problem.message, transient: problem.transient)
            }
        }
        guard valid, let pattern, let value = parsedValue else { return }
        result.rules.append(
            Rule(
                name: pattern, score: value.score, valueSpelling: value.spelling, qualifiers: qualifiers,
                trustsName: trustsName, location: location))
    }

    static func parseName(_ name: String, error report: (String) -> Void) -> NamePattern? {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty else {
            report("empty NAME; write the process name as `ps -o comm` shows it")
            return nil
        }
        guard bytes.count <= maximumNameLength else {
            report("name is \(bytes.count) bytes long; the limit is \(maximumNameLength)")
            return nil
        }
        guard Glob.isPattern(name) else { return NamePattern(name: bytes) }
        do {
            return .glob(try Glob(name))
        } catch {
            report("NAME: \(error)")
            return nil
        }
    }

    /// Splits on any whitespace and drops a comment: `#` at the start of a token begins one, so a name
    /// may still contain `#` inside it. Double quotes group a value with spaces
    /// (`cmdline="java -jar *"`), with `\"` and `\\` inside them.
    static func tokenize(_ line: String) -> Result<[String], ValueProblem> {
        var line = line
        return line.withUTF8(tokenize)
    }

    private static func tokenize(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<[String], ValueProblem> {
        // Byte by byte: every byte that matters here is ASCII, and no byte of a multi-byte UTF-8 character
        // is, so the tokens are whole characters. A token without quotes, nearly every one, is made
        // straight from its bytes; one with quotes is unescaped into `current`. (Walking Characters
        // instead cost more than the rest of parsing a ten-thousand-rule config.)
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        var tokens: [String] = []
        var current: [UInt8] = []
        var start: Int?  // where the token being read began, while it has no quote
        var inToken = false
        var quoted = false
        var index = 0
        func finish(at end: Int) {
            if let start {
                tokens.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
            } else {
                tokens.append(String(decoding: current, as: UTF8.self))
                current.removeAll(keepingCapacity: true)
            }
            start = nil
        }
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if quoted {
                switch byte {
                case backslash:
                    guard index < bytes.count else { break }
                    let next = bytes[index]
                    index += 1
                    // Only `\"` and `\\` are escapes here; any other backslash stays for the glob, so that
                    // `\[` and `\*` are literal inside quotes as they are outside them.
                    if next != quote && next != backslash { current.append(backslash) }
                    current.append(next)
                case quote:
                    quoted = false
                default:
                    current.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), 0x0B, 0x0C:
                if inToken { finish(at: index - 1) }
                inToken = false
            case UInt8(ascii: "#") where !inToken:
                return .success(tokens)
            case quote:
                // From here the token is unescaped into `current`, with what it had so far.
                if let begin = start { current += bytes[begin..<index - 1] }
                start = nil
                quoted = true
                inToken = true
            default:
                if !inToken {
                    start = index - 1
                } else if start == nil {
                    current.append(byte)
                }
                inToken = true
            }
        }
        if quoted {
            return .failure(ValueProblem(message: "a `\"` is not closed; quotes group a value with spaces, e.g. cmdline=\"java -jar *\""))
        }
        if inToken { finish(at: bytes.count) }
        return .success(tokens)
    }

    public struct ValueProblem: Error {
        let message: String
        /// It may go away by itself (an account the directory service does not answer for yet).
        var transient = false
    }

    static let scorePrefix = "score="

    /// `-17`…`15` on the legacy oom_adj scale, or `score=N` on the native -1000…1000 scale.
    static func parseValue(_ token: String) -> Result<OOMScore, ValueProblem> {
        if token.utf8.starts(with: scorePrefix.utf8) {
            let digits = token.utf8.dropFirst(scorePrefix.utf8.count)
            guard let number = parseInteger(digits) else {
                return .failure(ValueProblem(message: "`\(token)`: `\(Substring(digits))` is not a whole number; write score=N with N from -1000 to 1000"))
            }
            guard let score = OOMScore(number) else {
                return .failure(ValueProblem(message: "`\(token)` is out of range; oom_score_adj goes from -1000 to 1000"))
            }
            return .success(score)
        }
        guard let number = parseInteger(token.utf8) else {
            return .failure(ValueProblem(message: "`\(token)` is not a number; write an oom_adj value from -17 to 15, or score=N with N from -1000 to 1000"))
        }
        guard let score = OOMScore(legacyOOMAdj: number) else {
            return .failure(ValueProblem(message: "oom_adj value `\(token)` is out of range -17..15; for the native scale write score=N (-1000..1000)"))
        }
        return .success(score)
    }

    /// An optional sign and decimal digits. Values too long to be in any range saturate rather than
    /// overflow, so they are reported as out of range, not as "not a number".
    static func parseInteger(_ text: String) -> Int? { parseInteger(text.utf8) }

    static func parseInteger<Digits: Collection<UInt8>>(_ text: Digits) -> Int? {
        DecimalText.integer(text, saturatingAt: 1_000_000)
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
        // The first file's rules are taken as they are: copying ten thousand rules costs milliseconds.
        if rules.isEmpty { rules = other.rules } else { rules += other.rules }
        diagnostics += other.diagnostics
    }

    /// Warnings for rules that repeat an earlier rule's NAME and qualifiers: they can never win, since
    /// the first matching rule does.
    public var duplicateWarnings: [ConfigDiagnostic] {
        // Rules with the same identity have the same NAME, so only the rules whose NAME recurs need their
        // identity spelled out: in a generated list of ten thousand rules that is usually none of them.
        var nameCounts: [NamePattern: Int] = [:]
        nameCounts.reserveCapacity(rules.count)
        for rule in rules { nameCounts[rule.name, default: 0] += 1 }
        var firstSeen: [String: SourceLocation] = [:]
        var warnings: [ConfigDiagnostic] = []
        for rule in rules where nameCounts[rule.name]! > 1 {
            let identity = rule.identity
            if let first = firstSeen[identity] {
                warnings.append(
                    ConfigDiagnostic(
                        .warning, path: rule.location.path, line: rule.location.line,
                        "duplicate rule for `\(identity)`; the first one, at \(first), wins"))
            } else {
                firstSeen[identity] = rule.location
            }
        }
        return warnings
    }
}
