import Foundation
import OOMAdjustCore
import OOMAdjustLinux
import Testing

/// Input from someone other than root and the kernel: config files others could write, configs too big
/// to be one, and netlink datagrams forged by a local process.
@Suite(.serialized, .enabled(if: Harness.rootTestsEnabled), .scenario)
struct HostileInputTests {
    /// chown and chmod a config the way an attacker (or a careless umask) would leave it.
    static func untrusted(_ scenario: Scenario, _ name: String, owner: uid_t = 0, mode: mode_t) throws -> String {
        let path = try scenario.writeConfig("\(Harness.uniqueName("s")) score=900\n", name: name)
        chown(path, owner, 0)
        chmod(path, mode)
        return path
    }

    @Test func checkAndRunRefuseAConfigThatSomeoneElseCouldHaveWritten() throws {
        let scenario = Scenario.current
        let cases: [(path: String, message: String)] = try [
            Self.untrusted(scenario, "nobody.conf", owner: 65534, mode: 0o644),
            Self.untrusted(scenario, "group.conf", mode: 0o664),
            Self.untrusted(scenario, "others.conf", mode: 0o646),
            Self.untrusted(scenario, "both.conf", owner: 65534, mode: 0o666),
        ].enumerated().map { index, path in
            let message = [
                "owned by uid 65534, not root; run chown root \(path)",
                "writable by group (mode 0664); run chmod g-w \(path)",
                "writable by others (mode 0646); run chmod o-w \(path)",
                "owned by uid 65534, not root and writable by group and others (mode 0666); run chown root \(path) and chmod go-w \(path)",
            ][index]
            return (path, "\(path): error: \(message)")
        }
        for (path, message) in cases {
            let check = try Harness.run(Harness.agentBinary, ["check", "--config", path])
            #expect(check.status == 2)
            #expect(check.stderr == "\(message)\n\(path): 1 error(s); the configuration is invalid\n", "check stderr: \(check.stderr)")
            let run = try Harness.run(Harness.agentBinary, ["run", "--config", path])
            #expect(run.status == 2)
            #expect(run.stderr.contains("error config error diagnostic=\"\(message)\""), "run stderr: \(run.stderr)")
            #expect(!run.stderr.contains("subscribed"), "run must stop before it starts enforcing")
        }
        // The same file, fixed as the message says, is accepted.
        let fixed = cases[3].path
        chown(fixed, 0, 0)
        chmod(fixed, 0o644)
        #expect(try Harness.run(Harness.agentBinary, ["check", "--config", fixed]).status == 0)
    }

    @Test func aConfigDirectoryIsCheckedTheSameWay() throws {
        let scenario = Scenario.current
        let directory = scenario.directory.appendingPathComponent("oom_adjust.d").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        /// What listing the drop-in directory, as every load does, says about it.
        func problem(_ path: String) -> String? {
            if case .failure(let diagnostic) = DropInDirectory.read(in: path) { return diagnostic.description }
            return nil
        }
        chmod(directory, 0o755)
        #expect(problem(directory) == nil)
        chmod(directory, 0o777)
        #expect(problem(directory) == "\(directory): error: writable by group and others (mode 0777); run chmod go-w \(directory)")
        chmod(directory, 0o1777)
        #expect(problem(directory)?.contains("(mode 1777)") == true, "sticky is no excuse")
        chmod(directory, 0o755)
        chown(directory, 65534, 0)
        #expect(problem(directory) == "\(directory): error: owned by uid 65534, not root; run chown root \(directory)")
        // The whole command refuses it too, naming the directory.
        let config = try scenario.writeConfig("\(Harness.uniqueName("d")) 1\n")
        let check = try Harness.run(Harness.agentBinary, ["check", "--config", config])
        #expect(check.status == 2)
        #expect(check.stderr.contains("\(directory): error: owned by uid 65534, not root"), "stderr: \(check.stderr)")
        let file = try scenario.writeConfig("", name: "plain")
        #expect(problem(file) == "\(file): error: not a directory")
        // No drop-in directory at all is fine: there are simply no drop-ins.
        #expect(problem(directory + "/absent") == nil)
    }

    @Test func aConfigOverTheLimitIsRefusedBeforeItIsRead() throws {
        let scenario = Scenario.current
        let limit = ConfigParser.maximumFileSize
        let justRight = try scenario.writeConfig(String(repeating: "#\n", count: limit / 2), name: "limit.conf")
        guard case .success(let bytes) = ConfigFile.read(path: justRight) else {
            Issue.record("a file of exactly the limit must be read")
            return
        }
        #expect(bytes.count == limit)
        let over = try scenario.writeConfig(String(repeating: "#\n", count: limit / 2) + "#", name: "over.conf")
        #expect(
            try Harness.run(Harness.agentBinary, ["check", "--config", over]).stderr.hasPrefix(
                "\(over): error: file is \(limit + 1) bytes; a config may be at most \(limit) bytes\n"))
        // 64 GiB, sparse: reading it would need more memory than the machine has, and crash the test;
        // the size is refused from fstat alone.
        let huge = try scenario.writeConfig("", name: "huge.conf")
        #expect(truncate(huge, 64 << 30) == 0)
        guard case .failure(let diagnostic) = ConfigFile.read(path: huge) else {
            Issue.record("a 64 GiB config must be refused")
            return
        }
        #expect(diagnostic.description == "\(huge): error: file is \(64 << 30) bytes; a config may be at most \(limit) bytes")
    }

    @Test func theDecoderAndTheParserSurviveTheFuzzDriver() throws {
        // The plain build: no sanitizer, but each input ends at an inaccessible page, so an over-read
        // faults. scripts/fuzz.sh runs the same driver under AddressSanitizer, and libFuzzer.
        let fuzzer = Harness.binDirectory.appendingPathComponent("oom-adjust-fuzz").path
        let fixtures = Harness.packageRoot.appendingPathComponent("Tests/Fixtures")
        let seed = UInt64.random(in: 0...UInt64(UInt32.max))
        for (target, runs, seeds) in [("decode", 100_000, "datagrams"), ("config", 10_000, "configs")] {
            let result = try Harness.run(
                fuzzer, [target, "--runs", "\(runs)", "--seed", "\(seed)", fixtures.appendingPathComponent(seeds).path],
                environment: ["SWIFT_BACKTRACE": "enable=no"])
            #expect(result.status == 0, "\(target), seed \(seed): status \(result.status)\n\(result.stderr.suffix(3000))")
            #expect(result.stdout.contains("\(target): \(runs) inputs"), "\(result.stdout)")
            print("fuzz driver: \(result.stdout.trimmingCharacters(in: .newlines))")
        }
    }

    @Test func forgedProcessEventsAreDroppedAndCountedNotActedOn() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("f")
        let config = try scenario.writeConfig("\(name) score=420\n")
        let agent = try scenario.startAgent(config: config)
        let target = try scenario.spawn(name, ["sleep", "60"])
        #expect(Harness.waitUntil { target.score == 420 }, "log:\n\(agent.log)")
        // Put it back by hand: only the agent acting on a forged event could set it again.
        try Harness.setScore(0, of: target.pid)
        let linesAboutTarget = agent.count("pid=\(target.pid) ")
        #expect(agent.counter("foreign_messages") == 0)

        let port = try #require(NetlinkForgery.connectorPort(of: agent.pid), "no NETLINK_CONNECTOR socket in /proc/net/netlink for the agent")
        let forger = try NetlinkForgery()
        defer { forger.close() }
        // What the kernel would send for the target: exec, a fork that made it, a rename of its main
        // thread. Each claims port 0, the kernel's, in its header; the kernel stamps the real sender.
        let kinds: [UInt32] = [0x2, 0x2, 0x2, 0x2, 0x1, 0x1, 0x1, 0x200, 0x200, 0x200]
        for kind in kinds {
            try forger.send(NetlinkForgery.procEvent(what: kind, pid: target.pid), to: port)
        }
        #expect(Harness.waitUntil { agent.counter("foreign_messages") == kinds.count }, "log:\n\(agent.log.suffix(2000))")
        #expect(target.score == 0, "a forged event must not make the agent act")
        #expect(agent.count("pid=\(target.pid) ") == linesAboutTarget)
        // A real event for the same process is still acted on: the agent did not stop listening.
        let real = try scenario.spawn(name, ["sleep", "60"])
        #expect(Harness.waitUntil { real.score == 420 })
        print("forgery: \(kinds.count) forged datagrams to port \(port) counted as foreign_messages=\(agent.counter("foreign_messages") ?? -1), none acted on")
        #expect(agent.stop() == 0)
    }
}

/// A user-space NETLINK_CONNECTOR socket that writes to another socket's port, as any local process could.
final class NetlinkForgery {
    static let AF_NETLINK: CInt = 16
    static let NETLINK_CONNECTOR: CInt = 11
    let descriptor: CInt

    init() throws {
        descriptor = socket(Self.AF_NETLINK, CInt(SOCK_DGRAM.rawValue), Self.NETLINK_CONNECTOR)
        guard descriptor >= 0 else { throw HarnessError("socket(AF_NETLINK): errno \(errno)") }
    }

    func close() { _ = Glibc.close(descriptor) }

    /// sendto a sockaddr_nl { AF_NETLINK, pad, nl_pid: port, nl_groups: 0 }.
    func send(_ datagram: [UInt8], to port: UInt32) throws {
        var address = [UInt8](repeating: 0, count: 12)
        withUnsafeBytes(of: UInt16(Self.AF_NETLINK)) { address.replaceSubrange(0..<2, with: $0) }
        withUnsafeBytes(of: port) { address.replaceSubrange(4..<8, with: $0) }
        let sent = address.withUnsafeBytes { raw in
            datagram.withUnsafeBytes { bytes in
                sendto(descriptor, bytes.baseAddress, bytes.count, 0, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), 12)
            }
        }
        guard sent == datagram.count else { throw HarnessError("sendto port \(port): errno \(errno)") }
    }

    /// nlmsghdr + cn_msg + proc_event as the kernel lays them out (x86-64 and arm64, little-endian):
    /// a well-formed event about `pid`, of kind `what` (PROC_EVENT_EXEC 0x2, FORK 0x1, COMM 0x200).
    static func procEvent(what: UInt32, pid: Int32) -> [UInt8] {
        var bytes: [UInt8] = []
        func append<T>(_ value: T) { withUnsafeBytes(of: value) { bytes += $0 } }
        let eventLength = 16 + 24  // what, cpu, timestamp_ns; the union, as large as its comm member
        append(UInt32(16 + 20 + eventLength))  // nlmsg_len
        append(UInt16(3))  // NLMSG_DONE, as cn_netlink_send sends
        append(UInt16(0))
        append(UInt32(1))  // seq
        append(UInt32(0))  // nlmsg_pid: a lie, "from the kernel"
        append(UInt32(1))  // cn_msg.id.idx = CN_IDX_PROC
        append(UInt32(1))  // cn_msg.id.val = CN_VAL_PROC
        append(UInt32(1))  // seq
        append(UInt32(0))  // ack
        append(UInt16(eventLength))
        append(UInt16(0))  // flags
        append(what)
        append(UInt32(0))  // cpu
        append(UInt64(monotonicNanoseconds()))
        // The first two fields of every kind are a pid and a tgid (fork: the parent's, then the child's).
        append(pid)
        append(pid)
        append(pid)
        append(pid)
        if what == 0x200 {
            bytes.replaceSubrange((bytes.count - 8)..<bytes.count, with: Array("forged\0\0".utf8))
        }
        bytes += [UInt8](repeating: 0, count: 16 + 20 + eventLength - bytes.count)
        return bytes
    }

    /// The port id of `pid`'s NETLINK_CONNECTOR socket.
    static func connectorPort(of pid: Int32) -> UInt32? { connectorSocket(of: pid)?.port }

    /// `pid`'s NETLINK_CONNECTOR socket: its socket inodes from /proc/PID/fd, looked up in
    /// /proc/net/netlink (sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode). `queuedBytes` is what
    /// waits in its receive queue, as the kernel counts it.
    static func connectorSocket(of pid: Int32) -> (port: UInt32, queuedBytes: Int)? {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        let inodes = Set(
            fds.compactMap { fd -> String? in
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
                    target.hasPrefix("socket:[")
                else { return nil }
                return String(target.dropFirst("socket:[".count).dropLast())
            })
        let table = (try? String(contentsOfFile: "/proc/net/netlink", encoding: .utf8)) ?? ""
        for row in table.split(separator: "\n").dropFirst() {
            let columns = row.split(separator: " ", omittingEmptySubsequences: true)
            guard columns.count >= 10, columns[1] == "\(NETLINK_CONNECTOR)", inodes.contains(String(columns[9])),
                let port = UInt32(columns[2]), let queued = Int(columns[4])
            else { continue }
            return (port, queued)
        }
        return nil
    }
}
