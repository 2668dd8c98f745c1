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

    public var description: String {
        let place = line.map { "\(path):\($0)" } ?? path
        return "\(place): \(severity.rawValue): \(message)"
    }
}
