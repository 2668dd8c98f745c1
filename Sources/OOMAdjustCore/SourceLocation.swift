/// Where a rule or a diagnostic comes from: `PATH:LINE`, the form editors and `grep -n` understand.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public let path: String
    public let line: Int

    public init(path: String, line: Int) {
        self.path = path
        self.line = line
    }

    public var description: String { "\(path):\(line)" }
}

/// One finding about a config file.
public struct ConfigDiagnostic: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable {
        case error
        case warning
    }

    public let severity: Severity
    /// nil line: the finding is about the file as a whole.
    public let path: String
    public let line: Int?
    public let message: String
    /// The problem may go away by itself, without anyone editing the file: a `user=` account that the
    /// directory service does not answer for yet, at boot.
    public let isTransient: Bool

    public init(_ severity: Severity, path: String, line: Int?, _ message: String, transient: Bool = false) {
        self.severity = severity
        self.path = path
        self.line = line
        self.message = message
        isTransient = transient
    }

    /// `PATH:LINE: SEVERITY: MESSAGE` (PATH alone for a file-wide one).
    public var description: String {
        var text: [UInt8] = []
        appendDescription(to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends `description` to `text` as UTF-8: how `check` writes ten thousand of them without a
    /// String each.
    public func appendDescription(to text: inout [UInt8]) {
        // Each string as one copy of its bytes: appending a UTF8View goes byte by byte.
        func add(_ string: String) {
            var string = string
            string.withUTF8 { text.append(contentsOf: $0) }
        }
        add(path)
        if let line { add(":\(line)") }
        add(": ")
        add(severity.rawValue)
        add(": ")
        add(message)
    }
}
