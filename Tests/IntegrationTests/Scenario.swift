import Foundation
import Testing

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
        return try startAndAwaitReady(process, executable, seconds: readySeconds)
    }

    /// Starts `argv` as it is (a wrapper that execs a copy of the test program in place: setpriv, env,
    /// unshare, a shell's `exec -a`) and waits for the program's "ready PID" line.
    func spawn(argv: [String], environment: [String: String]? = nil) throws -> TestProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        if let environment { process.environment = environment }
        return try startAndAwaitReady(process, argv.joined(separator: " "), seconds: 10)
    }

    /// Runs `process` with its stdout piped to us, tracks it for cleanup and waits for its "ready PID"
    /// line; `what` names it in the error.
    private func startAndAwaitReady(_ process: Process, _ what: String, seconds: Double) throws -> TestProcess {
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        track(process)
        let test = TestProcess(process: process, output: output.fileHandleForReading)
        guard test.waitForLine(prefix: "ready ", seconds: seconds) != nil else {
            throw HarnessError("\(what) did not report ready within \(seconds) s")
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
