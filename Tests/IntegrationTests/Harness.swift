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

/// A scratch directory, the test processes and agents of one test, all removed and killed by
/// `cleanUp()`, which every test defers.
final class Scenario: @unchecked Sendable {
    let directory: URL
    private var processes: [Process] = []
    /// Processes started by our processes (forked children), killed first: they may hold the pipes
    /// through which Foundation learns that their parent exited.
    private var descendants: [Int32] = []
    private let lock = NSLock()

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("oa-it-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Other accounts run programs from here in the trust tests.
        chmod(directory.path, 0o755)
    }

    /// Kills (SIGKILL) and reaps every process this scenario started, then removes its files.
    func cleanUp() {
        lock.lock()
        let all = processes
        processes.removeAll()
        for pid in descendants { kill(pid, SIGKILL) }
        descendants.removeAll()
        lock.unlock()
        for process in all where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        for process in all { process.waitUntilExit() }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Registers a process one of ours forked, so cleanup kills it too. It is reaped by its parent.
    func trackDescendant(_ pid: Int32) {
        lock.lock()
        descendants.append(pid)
        lock.unlock()
    }

    func track(_ process: Process) {
        lock.lock()
        processes.append(process)
        lock.unlock()
    }

    /// Writes a config file (root-owned, mode 0644) and returns its path.
    @discardableResult
    func writeConfig(_ text: String, name: String = "oom_adjust.conf") throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        chmod(url.path, 0o644)
        return url.path
    }

    /// A copy of the test program (or of `source`) under `name`, so its comm and exe basename are `name`;
    /// in `subdirectory` when given (for two look-alike binaries), owned by `owner` with `mode`.
    func program(
        named name: String, in subdirectory: String? = nil, owner: String? = nil, mode: mode_t = 0o755,
        copying source: String = Harness.testProcessBinary
    ) throws -> String {
        var folder = directory
        if let subdirectory {
            folder = directory.appendingPathComponent(subdirectory)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            chmod(folder.path, 0o755)
        }
        let url = folder.appendingPathComponent(name)
        if !FileManager.default.fileExists(atPath: url.path) {
            try FileManager.default.copyItem(atPath: source, toPath: url.path)
        }
        if let owner {
            guard let account = getpwnam(owner) else { throw HarnessError("no account \(owner) on this machine") }
            chown(url.path, account.pointee.pw_uid, account.pointee.pw_gid)
        }
        chmod(url.path, mode)
        return url.path
    }

    /// Starts the test program under `name` with `arguments` and waits for its "ready PID" line, for
    /// `readySeconds` (more for a mode that creates many threads first).
    func spawn(_ name: String, _ arguments: [String], readySeconds: Double = 10) throws -> TestProcess {
        try spawn(executable: try program(named: name), arguments, readySeconds: readySeconds)
    }

    /// `count` waiting processes, all named `name` (the crowd program's children, forked from a copy of it
    /// under that name), which live `seconds` at most; cleanup kills them. Returns once all exist.
    func spawnCrowd(_ name: String, count: Int, seconds: Int) throws -> Crowd {
        // In a folder of its own: the test program may have been copied under the same name already.
        let executable = try program(named: name, in: "crowd", copying: Harness.crowdBinary)
        let parent = try spawn(
            executable: executable, ["\(count)", "\(seconds)"], readySeconds: Harness.deadline(count, each: 0.002))
        let children = Harness.children(of: parent.pid)
        children.forEach(trackDescendant)
        return Crowd(parent: parent, children: children)
    }

    /// Starts `executable` (a copy of the test program) with `arguments`, as `user` when given (through
    /// setpriv, which execs it in place, so the PID stays), and waits for its "ready PID" line. With
    /// `cgroupProcs` (a cgroup's `cgroup.procs`), it enters that cgroup before the exec (through sh,
    /// likewise in place), so everything the program allocates is charged there.
    func spawn(
        executable: String, _ arguments: [String], user: String? = nil, cgroupProcs: String? = nil,
        readySeconds: Double = 10
    ) throws -> TestProcess {
        let process = Process()
        if let cgroupProcs {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "echo $$ > \"$0\" && exec \"$@\"", cgroupProcs, executable] + arguments
        } else if let user {
            guard let account = getpwnam(user) else { throw HarnessError("no account \(user) on this machine") }
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = [
                "--reuid=\(account.pointee.pw_uid)", "--regid=\(account.pointee.pw_gid)", "--clear-groups", executable,
            ] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        track(process)
        let test = TestProcess(process: process, output: output.fileHandleForReading)
        guard test.waitForLine(prefix: "ready ", seconds: readySeconds) != nil else {
            throw HarnessError("\(executable) did not report ready within \(readySeconds) s")
        }
        return test
    }

    /// Starts `argv` as it is (a wrapper that execs a copy of the test program in place: setpriv, env,
    /// unshare, a shell's `exec -a`) and waits for the program's "ready PID" line.
    func spawn(argv: [String], environment: [String: String]? = nil) throws -> TestProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        if let environment { process.environment = environment }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        track(process)
        let test = TestProcess(process: process, output: output.fileHandleForReading)
        guard test.waitForLine(prefix: "ready ") != nil else {
            throw HarnessError("\(argv.joined(separator: " ")) did not report ready")
        }
        return test
    }

    /// Starts `oom-adjust run` and waits for its start-up sweep to finish, for `startupSeconds` (more
    /// when the test has started thousands of processes for the sweep to meet).
    func startAgent(
        config: String, arguments: [String] = ["-v"], environment: [String: String]? = nil, launcher: [String] = [],
        startupSeconds: Double = 20
    ) throws -> AgentProcess {
        let agent = try AgentProcess(config: config, arguments: arguments, environment: environment, launcher: launcher, in: self)
        guard agent.waitForLog("reason=start-up", seconds: startupSeconds) else {
            throw HarnessError("the agent did not finish its start-up sweep; log:\n\(agent.log)")
        }
        return agent
    }
}

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
