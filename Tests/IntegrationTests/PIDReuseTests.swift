import Foundation
import OOMAdjustCore
import OOMAdjustLinux
import SystemPackage
import Testing

extension StressTests {
    /// PID reuse, forced through /proc/sys/kernel/ns_last_pid: a value decided for one process never
    /// lands on the next owner of its PID.
    @Suite(.serialized, .enabled(if: Harness.rootTestsEnabled), .scenario)
    struct PIDReuseTests {
        /// Spawns `first`, lets `body` act on it while it lives, kills and reaps it, then spawns
        /// `second` on the same PID. Retries when another process on the machine takes the PID first.
        static func withReusedPID(
            in scenario: Scenario, first: String, second: String,
            whileFirstLives: (TestProcess) throws -> Void = { _ in },
            afterReuse body: (_ pid: Int32, _ second: TestProcess) throws -> Void
        ) throws {
            // Copy the program beforehand, so nothing between the ns_last_pid write and the spawn forks.
            _ = try scenario.program(named: second)
            for _ in 0..<20 {
                let old = try scenario.spawn(first, ["sleep", "120"])
                let pid = old.pid
                try whileFirstLives(old)
                kill(pid, SIGKILL)
                old.process.waitUntilExit()
                #expect(Harness.waitUntil { !FileManager.default.fileExists(atPath: "/proc/\(pid)") })
                try StressTests.makeNextPID(pid)
                let new = try scenario.spawn(second, ["sleep", "120"])
                guard new.pid == pid else {
                    kill(new.pid, SIGKILL)
                    continue
                }
                try body(pid, new)
                return
            }
            Issue.record("another process took the PID every time in 20 attempts; the machine is too busy")
        }

        @Test func aDirectoryOpenedForAnExitedProcessCannotWriteToItsPIDsNextOwner() throws {
            let scenario = Scenario.current
            let procRoot = try ProcRoot()
            let first = Harness.uniqueName("a")
            let second = Harness.uniqueName("b")
            var stale: ProcessDirectory?
            try Self.withReusedPID(
                in: scenario, first: first, second: second,
                whileFirstLives: { old in
                    // Opened, and decided on, while the first process lives: exactly what the agent holds
                    // between reading a process and writing its value.
                    let directory = try ProcessDirectory(pid: old.pid, in: procRoot)
                    #expect(try directory.readComm().description == first)
                    stale = consume directory
                },
                afterReuse: { pid, new in
                    guard let directory = stale.take() else { Issue.record("no directory was opened"); return }
                    let fresh = try ProcessDirectory(pid: pid, in: procRoot)
                    #expect(try fresh.readComm().description == second, "the PID now belongs to the second process")
                    #expect(new.score == 0)

                    let error = #expect(throws: Errno.self) { try directory.writeOOMScore(OOMScore(777)!) }
                    #expect(error == .noSuchProcess || error == .noSuchFileOrDirectory, "errno: \(String(describing: error))")
                    #expect(throws: Errno.self) { try directory.readComm() }
                    #expect(new.score == 0, "the write meant for the first process must not reach the second")

                    // The same write through a directory opened for the second process lands: the PID
                    // really is reused, and writable.
                    try fresh.writeOOMScore(OOMScore(777)!)
                    #expect(new.score == 777)
                    print("pid reuse: pid \(pid) reused; the stale directory's write failed with \(error.map { "\($0)" } ?? "nothing")")
                })
        }

        @Test func aStaleEventForAReusedPIDIsDecidedOnTheProcessThatHasItNow() throws {
            let scenario = Scenario.current
            let first = Harness.uniqueName("m")
            let second = Harness.uniqueName("n")
            let config = try scenario.writeConfig("\(first) score=650\n")
            let agent = try scenario.startAgent(config: config)
            // Stopped, the agent still has the first process's fork and exec events queued when the
            // second process already holds the PID.
            agent.send(SIGSTOP)
            try Self.withReusedPID(in: scenario, first: first, second: second) { pid, new in
                agent.send(SIGCONT)
                // Counters are logged after the queued events are handled: they were queued first.
                #expect(agent.counter("datagrams") != nil)
                #expect(new.score == 0, "the rule for \(first) must not be applied to \(second); log:\n\(agent.log)")
                #expect(agent.count("pid=\(pid) ") == 0, "nothing about pid \(pid) may have been logged; log:\n\(agent.log)")
                print("pid reuse end to end: the queued events of \(first) (pid \(pid)) were decided on \(second) and left it at 0")
            }
            agent.send(SIGCONT)
            // The agent is alive and the rule works.
            let later = try scenario.spawn(first, ["sleep", "60"])
            #expect(Harness.waitUntil { later.score == 650 }, "log:\n\(agent.log)")
            #expect(agent.stop() == 0)
        }
    }
}
