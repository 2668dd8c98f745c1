import Foundation
import Testing

/// The crowd program's parent and the children it forked.
struct Crowd {
    let parent: TestProcess
    let children: [Int32]
}

/// A running copy of the test program.
final class TestProcess: @unchecked Sendable {
    let process: Process
    private let output: FileHandle
    private var buffered = ""

    init(process: Process, output: FileHandle) {
        self.process = process
        self.output = output
    }

    var pid: Int32 { process.processIdentifier }

    /// Reads stdout lines until one starts with `prefix`; returns the rest of that line, or nil when the
    /// process closes its output (it exited) or `seconds` pass first. Waits in poll(2), so a process that
    /// says nothing cannot hold a test past its deadline.
    func waitForLine(prefix: String, seconds: Double = 10) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let range = buffered.range(of: "(^|\n)\(NSRegularExpression.escapedPattern(for: prefix))[^\n]*\n", options: .regularExpression) {
                let line = buffered[range].trimmingCharacters(in: .newlines)
                buffered.removeSubrange(buffered.startIndex..<range.upperBound)
                return String(line.dropFirst(prefix.count))
            }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { return nil }
            var descriptor = pollfd(fd: output.fileDescriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, Int32(min(remaining, 1) * 1000) + 1) > 0 else { continue }
            let count = chunk.withUnsafeMutableBytes { read(output.fileDescriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return nil }
            buffered += String(decoding: chunk[..<count], as: UTF8.self)
        }
    }

    var score: Int? { Harness.score(of: pid) }

    /// Waits for the process to exit; true when it did within `seconds`.
    @discardableResult
    func waitForExit(seconds: Double = 10) -> Bool {
        Harness.waitUntil(seconds: seconds) { !process.isRunning }
    }
}
