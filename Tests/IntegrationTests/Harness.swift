import Foundation
import Testing

/// Shared machinery for the root integration tests: the built binaries, uniquely named test processes,
/// a running agent whose log can be waited on, and cleanup that happens even when a test fails.
///
/// Safety: every process these tests touch is one they spawned from a copy of `oom-adjust-testproc` (or
/// of `oom-adjust-crowd`) under a name unique to this run, and every config names only such processes.
enum Harness {
    /// Set in CI: a test that cannot run (not root, no proc connector) fails instead of skipping.
    static let skipsAreFailures = ProcessInfo.processInfo.environment["OOM_ADJUST_REQUIRE_ROOT_TESTS"] == "1"

    /// Root, and the proc connector answers: what the agent itself needs.
    static let privilegesAvailable: Bool = {
        guard getuid() == 0 else { return false }
        return FileManager.default.fileExists(atPath: "/proc/self/oom_score_adj")
    }()

    /// Whether root-only tests run: when they can, and in CI always (where missing privileges must fail).
    static var rootTestsEnabled: Bool { privilegesAvailable || skipsAreFailures }

    /// Call first in every root test: records a clear failure when the test cannot do its job.
    static func requirePrivileges() throws {
        if !privilegesAvailable {
            let reason = "needs root and /proc (OOM_ADJUST_REQUIRE_ROOT_TESTS=1 turns this skip into a failure)"
            Issue.record(Comment(rawValue: reason))
            throw HarnessError(reason)
        }
    }

    /// Whether an OOM may be provoked here: vm.panic_on_oom=2 would panic the machine even for a cgroup's
    /// OOM. Records an issue when not.
    static func oomTestIsSafe() -> Bool {
        let panic = (try? String(contentsOfFile: "/proc/sys/vm/panic_on_oom", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard panic == "0" || panic == "1" else {
            Issue.record("vm.panic_on_oom is \(panic ?? "unreadable"); an OOM test would panic this machine")
            return false
        }
        return true
    }

    /// Whether this process may lower oom_score_adj below 0 (CAP_SYS_RESOURCE, bit 24 of CapEff).
    static let hasSysResource: Bool = {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
            let mask = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return false }
        return mask & (1 << 24) != 0
    }()

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The directory of the built products: beside the test bundle, or OOM_ADJUST_BIN_DIR.
    static let binDirectory: URL = {
        if let explicit = ProcessInfo.processInfo.environment["OOM_ADJUST_BIN_DIR"] {
            return URL(fileURLWithPath: explicit)
        }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("oom-adjust").path) {
                return url
            }
        }
        return packageRoot.appendingPathComponent(".build/debug")
    }()

    static var agentBinary: String { binDirectory.appendingPathComponent("oom-adjust").path }
    static var testProcessBinary: String { binDirectory.appendingPathComponent("oom-adjust-testproc").path }
    static var crowdBinary: String { binDirectory.appendingPathComponent("oom-adjust-crowd").path }

    /// A process name unique to this run and at most 15 bytes, so it is a whole comm.
    static func uniqueName(_ tag: String) -> String {
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        return String(("oa" + random + tag).prefix(15))
    }

    /// A deadline for work that grows with what a test creates: `base` seconds, plus `each` for every one
    /// of `count` things (processes, events, rules). The allowances are generous, many times what this
    /// machine needs, so that a machine three times slower, or one busy with a parallel build, passes too.
    static func deadline(base: Double = 10, _ count: Int, each: Double) -> Double {
        base + Double(count) * each
    }

    /// Polls `condition` every 10 ms until it holds or `seconds` pass. Deadlines are generous: they
    /// bound a failing test, they never measure speed.
    @discardableResult
    static func waitUntil(seconds: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(10_000)
        }
        return try condition()
    }

    /// `/proc/PID/oom_score_adj`, or nil when the process is gone.
    static func score(of pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/oom_score_adj", encoding: .utf8) else { return nil }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Sets a process's value directly, as root, to stage a scenario.
    static func setScore(_ value: Int, of pid: Int32) throws {
        try "\(value)\n".write(toFile: "/proc/\(pid)/oom_score_adj", atomically: false, encoding: .utf8)
    }

    /// The processes `pid` has forked and not yet reaped (`/proc/PID/task/*/children`).
    static func children(of pid: Int32) -> [Int32] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.flatMap { task in
            readWhole("/proc/\(pid)/task/\(task)/children").split(separator: " ").compactMap { Int32($0) }
        }
    }

    /// Reads a file to its end with as many reads as it takes: a /proc seq_file such as `children`
    /// hands out one page per read, where String(contentsOfFile:) stops after the first.
    static func readWhole(_ path: String) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// VmRSS of a process in KiB, or nil when it is gone.
    static func residentKiB(of pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return nil }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
    }

    /// How many file descriptors a process has open.
    static func openDescriptorCount(of pid: Int32) -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count
    }

    /// Runs a command to completion and returns its exit status and output (captured through files,
    /// so neither stream can fill up and block the child).
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil)
        throws -> (status: Int32, stdout: String, stderr: String)
    {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("oa-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout")
        let errURL = scratch.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment ?? cleanEnvironment
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return (
            process.terminationStatus, (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        )
    }

    /// This environment without what would change how the agent logs or notifies (the tests may
    /// themselves run under systemd), so log lines have the plain format the tests read.
    static var cleanEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for key in ["JOURNAL_STREAM", "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS"] {
            environment.removeValue(forKey: key)
        }
        return environment
    }
}

extension Harness {
    /// The setpriv words that run what follows as `user`, in place (the PID stays).
    static func asUser(_ user: String) throws -> [String] {
        guard let account = getpwnam(user) else { throw HarnessError("no account \(user) on this machine") }
        return [
            "/usr/bin/setpriv", "--reuid=\(account.pointee.pw_uid)", "--regid=\(account.pointee.pw_gid)", "--clear-groups",
        ]
    }

    static func uid(of user: String) throws -> UInt32 {
        guard let account = getpwnam(user) else { throw HarnessError("no account \(user) on this machine") }
        return account.pointee.pw_uid
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
