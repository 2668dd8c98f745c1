import Foundation
import Testing

extension StressTests {
    /// The kernel overwrites log records an agent has not read yet (EPIPE on its next read): the agent
    /// warns, reads on from the oldest record left, and still records the next OOM kill.
    ///
    /// To get there for real, the agent is stopped (SIGSTOP) and the log's ring buffer filled with
    /// debug-level records of this test until the oldest record is one of them; bounded in count and
    /// time. It writes through /dev/kmsg, as root may, opening it anew every ten records because the
    /// kernel rate-limits each opener (kernel.printk_devkmsg=ratelimit).
    @Suite(.serialized, .enabled(if: Harness.rootTestsEnabled))
    struct KernelLogOverrunTests {
        /// The text of the oldest record the kernel log still holds.
        static func oldestRecord() -> String? {
            let fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            var buffer = [UInt8](repeating: 0, count: 8192)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EPIPE { continue }
                guard count > 0 else { return nil }
                return String(decoding: buffer[..<count], as: UTF8.self)
            }
        }

        @Test(.privileged) func anOverrunIsSurvivedWithAWarningAndTheNextKillIsStillRecorded() throws {
            guard let cgroup = try MemoryCgroup.ofThisTest("oa-overrun", limitMiB: 64) else { return }
            let scenario = try Scenario()
            defer {
                scenario.cleanUp()
                cgroup.remove()
            }
            let name = Harness.uniqueName("o")
            let config = try scenario.writeConfig("\(name) score=800\n")
            let agent = try scenario.startAgent(config: config)
            let tag = "oom-adjust-test \(UUID().uuidString.prefix(8)) filling the kernel log to overrun a reader"

            agent.send(SIGSTOP)
            var written = 0
            let padding = String(repeating: ".", count: 400)
            let deadline = Date().addingTimeInterval(120)
            var overrun = false
            while written < 400_000 && Date() < deadline {
                let fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC)
                try #require(fd >= 0, "cannot open /dev/kmsg for writing: errno \(errno)")
                for _ in 0..<10 {
                    let line = "<7>\(tag) \(written) \(padding)\n"
                    _ = line.withCString { write(fd, $0, strlen($0)) }
                    written += 1
                }
                close(fd)
                // Overwritten up to where the stopped agent would read next: the first of these records.
                if written % 1000 == 0, let oldest = Self.oldestRecord(), oldest.contains(tag), !oldest.contains("\(tag) 0 ") {
                    overrun = true
                    break
                }
            }
            agent.send(SIGCONT)
            try #require(overrun, "the kernel log did not wrap after \(written) records")
            #expect(agent.waitForLog("warning kernel log records were overwritten before the agent read them"), "log:\n\(agent.log)")

            // It still enforces, and still records a kill.
            let victim = try scenario.spawn(executable: try scenario.program(named: name), ["alloc", "20", "60", "80"], cgroupProcs: cgroup.procs)
            #expect(Harness.waitUntil { victim.score == 800 }, "log:\n\(agent.log)")
            kill(victim.pid, SIGUSR1)
            #expect(Harness.waitUntil(seconds: 30) { !victim.process.isRunning })
            #expect(agent.waitForLog("the OOM killer killed a process", "pid=\(victim.pid) ", "rule=\(config):1", seconds: 60), "log:\n\(agent.log)")
            #expect(agent.stop() == 0)
            print("kernel log overrun: \(written) records of \(padding.count + tag.count) bytes wrapped the buffer; the agent warned and recorded the next kill")
        }
    }
}
