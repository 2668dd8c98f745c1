import CNetlink
import Glibc
import Testing

/// Datagrams the kernel really sent (Linux 6.18, recorded by scripts/record-datagrams.c): a child of the
/// recorder (pid 8007) forked as 8008, renamed itself, started thread 8009 which renamed itself and
/// ended, then exec'd /bin/true and exited. The uid events come from a later run of the recorder, whose
/// child 18124 dropped to uid 1 with setresuid while its thread 18126 was alive.
@Suite struct RecordedDatagramTests {
    struct Expected: Sendable, CustomStringConvertible {
        var file: String
        var what: UInt32
        var cpu: UInt32
        var timestamp: UInt64
        var seq: UInt32
        var ack: UInt32 = 0
        var pid: Int32 = 0
        var tgid: Int32 = 0
        var parentPid: Int32 = 0
        var parentTgid: Int32 = 0
        var comm = ""
        var ruid: UInt32 = 0
        var euid: UInt32 = 0

        var description: String { file }
    }

    /// In the order the kernel sent them.
    static let recorded: [Expected] = [
        // The answer to the recorder's subscription: cn_msg.ack is its seq (0x4f4f4d00) + 1, err 0.
        Expected(file: "ack", what: CNetlink_EVENT_NONE, cpu: 1, timestamp: 718_604_896_755, seq: 4848, ack: 0x4f4f_4d01),
        Expected(file: "fork-process", what: CNetlink_EVENT_FORK, cpu: 1, timestamp: 718_604_975_972, seq: 4849,
                 pid: 8008, tgid: 8008, parentPid: 8007, parentTgid: 8007),
        Expected(file: "comm-process", what: CNetlink_EVENT_COMM, cpu: 0, timestamp: 718_608_100_035, seq: 4654,
                 pid: 8008, tgid: 8008, comm: "oomfix-child"),
        // A thread's fork names the process's parent (real_parent), not the thread that created it.
        Expected(file: "fork-thread", what: CNetlink_EVENT_FORK, cpu: 0, timestamp: 718_608_217_895, seq: 4655,
                 pid: 8009, tgid: 8008, parentPid: 8007, parentTgid: 8007),
        Expected(file: "comm-thread", what: CNetlink_EVENT_COMM, cpu: 1, timestamp: 718_608_268_078, seq: 4850,
                 pid: 8009, tgid: 8008, comm: "oomfix-thread"),
        // A thread's exit carries no parent.
        Expected(file: "exit-thread", what: CNetlink_EVENT_EXIT, cpu: 1, timestamp: 718_608_321_631, seq: 4851,
                 pid: 8009, tgid: 8008),
        Expected(file: "exec", what: CNetlink_EVENT_EXEC, cpu: 0, timestamp: 718_608_512_222, seq: 4656,
                 pid: 8008, tgid: 8008),
        Expected(file: "exit-process", what: CNetlink_EVENT_EXIT, cpu: 0, timestamp: 718_609_051_291, seq: 4657,
                 pid: 8008, tgid: 8008, parentPid: 8007, parentTgid: 8007),
        // glibc's setresuid changes every thread's credentials: the live thread's event comes first.
        Expected(file: "uid-thread", what: CNetlink_EVENT_UID, cpu: 1, timestamp: 805_569_210_484, seq: 285_416,
                 pid: 18126, tgid: 18124, ruid: 1, euid: 1),
        Expected(file: "uid-process", what: CNetlink_EVENT_UID, cpu: 1, timestamp: 805_569_418_233, seq: 285_417,
                 pid: 18124, tgid: 18124, ruid: 1, euid: 1),
    ]

    @Test func everyFixtureIsListed() {
        #expect(Self.recorded.map(\.file).sorted() == Datagrams.names.sorted())
    }

    @Test(arguments: RecordedDatagramTests.recorded)
    func decodesEveryField(_ expected: Expected) throws {
        let bytes = try Datagrams.recorded(expected.file)
        #expect(bytes.count == 76)  // nlmsghdr 16 + cn_msg 20 + proc_event 40
        let event = try #require(decode(bytes).event)
        #expect(event.what == expected.what)
        #expect(event.cpu == expected.cpu)
        #expect(event.timestamp_ns == expected.timestamp)
        #expect(event.seq == expected.seq)
        #expect(event.ack == expected.ack)
        #expect(event.pid == expected.pid)
        #expect(event.tgid == expected.tgid)
        #expect(event.parent_pid == expected.parentPid)
        #expect(event.parent_tgid == expected.parentTgid)
        #expect(event.ack_err == 0)
        #expect(event.ruid == expected.ruid)
        #expect(event.euid == expected.euid)
        #expect(event.commString == expected.comm)
        #expect(event.commBytes.count == 16 && event.commBytes[15] == 0)
    }

    @Test func timestampsIncreaseInTheOrderTheKernelSentThem() throws {
        var previous: UInt64 = 0
        for expected in Self.recorded {
            let event = try #require(decode(try Datagrams.recorded(expected.file)).event)
            #expect(event.timestamp_ns > previous, "\(expected.file)")
            previous = event.timestamp_ns
        }
    }

    @Test(arguments: Datagrams.names)
    func decodingIsIndependentOfTheBufferItWasIn(_ name: String) throws {
        // Same bytes, trailing slack after the message (a recvmmsg slot is 128 bytes): same event.
        let bytes = try Datagrams.recorded(name)
        let exact = try #require(decode(bytes).event)
        let slack = try #require(decode(bytes + [UInt8](repeating: 0xA5, count: 52)).event)
        #expect(withUnsafeBytes(of: exact) { Array($0) } == withUnsafeBytes(of: slack) { Array($0) })
    }

    @Test(arguments: Datagrams.names)
    func anyNonZeroSenderIsRefused(_ name: String) throws {
        let bytes = try Datagrams.recorded(name)
        for port: UInt32 in [1, 8007, UInt32.max] {
            #expect(decode(bytes, senderPort: port).errno == EPERM)
        }
    }
}
