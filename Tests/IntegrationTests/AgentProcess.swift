import Foundation
import Testing

/// `oom-adjust run`, with stderr captured to a file that tests wait on.
final class AgentProcess: @unchecked Sendable {
    let process: Process
    let logURL: URL

    /// `launcher` runs before the agent and must exec it in place (setpriv, unshare), so the PID and
    /// the signals stay the agent's.
    init(config: String, arguments: [String], environment: [String: String]?, launcher: [String] = [], in scenario: Scenario) throws {
        logURL = scenario.directory.appendingPathComponent("agent-\(UUID().uuidString.prefix(6)).log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process = Process()
        let command = launcher + [Harness.agentBinary, "run", "--config", config] + arguments
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = environment ?? Harness.cleanEnvironment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: logURL)
        try process.run()
        scenario.track(process)
    }

    var pid: Int32 { process.processIdentifier }

    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Log lines containing every one of `fragments`.
    func lines(containing fragments: String...) -> [String] {
        log.split(separator: "\n").map(String.init).filter { line in fragments.allSatisfy(line.contains) }
    }

    /// Waits until a log line contains every one of `fragments`.
    @discardableResult
    func waitForLog(_ fragments: String..., seconds: Double = 20) -> Bool {
        Harness.waitUntil(seconds: seconds) {
            log.split(separator: "\n").contains { line in fragments.allSatisfy(line.contains) }
        }
    }

    /// How many log lines contain all `fragments`.
    func count(_ fragments: String...) -> Int {
        log.split(separator: "\n").filter { line in fragments.allSatisfy(line.contains) }.count
    }

    func send(_ signal: Int32) { kill(pid, signal) }

    /// Sends `signal` and waits for the exit; returns the exit status, or nil when it did not exit in
    /// time (it is then killed).
    func stop(with signal: Int32 = SIGTERM, seconds: Double = 10) -> Int32? {
        send(signal)
        let exited = Harness.waitUntil(seconds: seconds) { !process.isRunning }
        guard exited else {
            kill(pid, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        process.waitUntilExit()
        return process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
    }

    /// Logs the counters (SIGUSR1) and returns every one of them from that line, by name.
    func counters(seconds: Double = 10) -> [String: Int] {
        let before = count("info counters")
        send(SIGUSR1)
        guard Harness.waitUntil(seconds: seconds, { count("info counters") > before }),
            let line = lines(containing: "info counters").last
        else { return [:] }
        var values: [String: Int] = [:]
        for field in line.split(separator: " ") {
            let parts = field.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let value = Int(parts[1]) { values[String(parts[0])] = value }
        }
        return values
    }

    /// Logs the counters (SIGUSR1) and returns the one called `name` (`Counter.name`).
    func counter(_ name: String, seconds: Double = 10) -> Int? {
        counters(seconds: seconds)[name]
    }
}
