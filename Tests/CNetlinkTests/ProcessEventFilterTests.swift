import CNetlink
import OOMAdjustLinux
import Testing

/// `ProcessEvent(decoded:)` keeps what can change which rule a process matches or what it holds (exec,
/// a new process, a rename or uid change of its main thread) and drops the rest.
@Suite struct ProcessEventFilterTests {
    static func event(_ name: String) throws -> CNetlink_event {
        try #require(decode(try Datagrams.recorded(name)).event)
    }

    @Test func keepsExec() throws {
        #expect(ProcessEvent(decoded: try Self.event("exec")) == ProcessEvent(kind: .exec, pid: 8008, timestampNanoseconds: 718_608_512_222))
    }

    @Test func keepsTheForkOfAProcess() throws {
        #expect(
            ProcessEvent(decoded: try Self.event("fork-process"))
                == ProcessEvent(kind: .fork, pid: 8008, parentPID: 8007, timestampNanoseconds: 718_604_975_972))
    }

    @Test func keepsTheUidChangeOfTheMainThread() throws {
        #expect(ProcessEvent(decoded: try Self.event("uid-process")) == ProcessEvent(kind: .uid, pid: 18124, timestampNanoseconds: 805_569_418_233))
    }



    @Test func keepsARenameOfTheMainThread() throws {
        #expect(ProcessEvent(decoded: try Self.event("comm-process")) == ProcessEvent(kind: .comm, pid: 8008, timestampNanoseconds: 718_608_100_035))
    }

    @Test(arguments: ["fork-thread", "comm-thread", "exit-thread", "exit-process", "uid-thread", "ack"])
    func dropsThreadsExitsAndAcks(_ name: String) throws {
        #expect(ProcessEvent(decoded: try Self.event(name)) == nil)
    }

    @Test(arguments: [
        CNetlink_EVENT_NONE, CNetlink_EVENT_GID, CNetlink_EVENT_SID, CNetlink_EVENT_PTRACE,
        CNetlink_EVENT_COREDUMP, CNetlink_EVENT_EXIT, CNetlink_EVENT_NONZERO_EXIT, 0x400,
    ])
    func dropsEveryOtherKind(_ what: UInt32) {
        var event = CNetlink_event()
        event.what = what
        event.pid = 42
        event.tgid = 42
        #expect(ProcessEvent(decoded: event) == nil)
    }

    @Test func execIsAboutTheProcessEvenWhenAThreadCalledIt() {
        // The kernel makes the exec'ing thread the leader, but the process is what the agent adjusts.
        var event = CNetlink_event()
        event.what = CNetlink_EVENT_EXEC
        event.pid = 43
        event.tgid = 42
        event.timestamp_ns = 7
        #expect(ProcessEvent(decoded: event) == ProcessEvent(kind: .exec, pid: 42, timestampNanoseconds: 7))
    }
}
