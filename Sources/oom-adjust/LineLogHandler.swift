import Glibc
import Logging
import OOMAdjustCore

/// One line per record on stderr, in the form journald keeps: with a `<N>` syslog priority prefix when
/// stderr is the journal (JOURNAL_STREAM is set), so `journalctl -p warning` works, and with a UTC
/// timestamp and the level word elsewhere.
struct LineLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    let underJournal: Bool

    /// Metadata keys printed first, in this order, so a trace line reads left to right.
    static let leadingKeys = ["event", "pid", "comm", "rule", "old", "new", "latency_us"]

    init(underJournal: Bool) {
        self.underJournal = underJournal
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        var line = underJournal ? "<\(Self.syslogPriority(event.level))>" : "\(Self.timestamp()) \(event.level) "
        line += event.message.description
        // Every value is one field, whatever it holds: a comm or a path may be any bytes a process chose.
        for key in Self.leadingKeys { if let value = merged[key] { line += " \(key)=\(DisplayText.field(value.description))" } }
        for key in merged.keys.sorted() where !Self.leadingKeys.contains(key) {
            line += " \(key)=\(DisplayText.field(merged[key]!.description))"
        }
        line += "\n"
        // One write(2) per record, so concurrent writers never interleave within a line.
        _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    }

    static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .critical: return 2
        case .error: return 3
        case .warning: return 4
        case .notice: return 5
        case .info: return 6
        case .debug, .trace: return 7
        }
    }

    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S", &parts)
        let millis = now.tv_nsec / 1_000_000
        let base = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return base + "." + String(repeating: "0", count: millis < 10 ? 2 : millis < 100 ? 1 : 0) + "\(millis)Z"
    }

    /// Installs the handler for the process; only the command-line entry points call this.
    static func bootstrap(verbose: Bool) {
        let underJournal = getenv("JOURNAL_STREAM") != nil
        LoggingSystem.bootstrap { _ in
            var handler = LineLogHandler(underJournal: underJournal)
            handler.logLevel = verbose ? .debug : .info
            return handler
        }
    }
}
