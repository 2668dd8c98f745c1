import CNetlink
import Testing

/// Each decoded field comes from its own place in the kernel's layout. The recorded datagrams repeat
/// values (a parent's pid equals its tgid), so these give every field a distinct value first.
@Suite struct FieldMappingTests {
    static func decoded(_ name: String, _ edit: (inout [UInt8]) -> Void) throws -> CNetlink_event {
        var bytes = try Datagrams.recorded(name)
        edit(&bytes)
        return try #require(decode(bytes).event)
    }

    @Test func headerFields() throws {
        let event = try Self.decoded("exec") { bytes in
            bytes.store(UInt32(3), at: Offset.what + 4)  // cpu
            bytes.store(UInt64(0x0102_0304_0506_0708), at: Offset.what + 8)  // timestamp_ns
            bytes.store(UInt32(0xA1), at: 24)  // cn_msg.seq
            bytes.store(UInt32(0xB2), at: 28)  // cn_msg.ack
        }
        #expect(event.cpu == 3)
        #expect(event.timestamp_ns == 0x0102_0304_0506_0708)
        #expect(event.seq == 0xA1)
        #expect(event.ack == 0xB2)
    }

    @Test func fork() throws {
        let event = try Self.decoded("fork-thread") { bytes in
            for (i, value) in [101, 102, 103, 104].enumerated() { bytes.store(Int32(value), at: Offset.eventData + 4 * i) }
        }
        #expect([event.parent_pid, event.parent_tgid, event.pid, event.tgid] == [101, 102, 103, 104])
    }

    @Test func exit() throws {
        let event = try Self.decoded("exit-process") { bytes in
            for (i, value) in [201, 202, 203, 204, 205, 206].enumerated() { bytes.store(Int32(value), at: Offset.eventData + 4 * i) }
        }
        #expect([event.pid, event.tgid, event.parent_pid, event.parent_tgid] == [201, 202, 205, 206])
    }

    @Test func exec() throws {
        let event = try Self.decoded("exec") { bytes in
            bytes.store(Int32(301), at: Offset.eventData)
            bytes.store(Int32(302), at: Offset.eventData + 4)
        }
        #expect([event.pid, event.tgid, event.parent_pid, event.parent_tgid] == [301, 302, 0, 0])
    }

    @Test func comm() throws {
        let event = try Self.decoded("comm-thread") { bytes in
            bytes.store(Int32(401), at: Offset.eventData)
            bytes.store(Int32(402), at: Offset.eventData + 4)
        }
        #expect([event.pid, event.tgid] == [401, 402])
        #expect(event.commString == "oomfix-thread")
    }

    @Test func ackError() throws {
        // The kernel answers an unprivileged subscription with EPERM in ack.err.
        let event = try Self.decoded("ack") { bytes in bytes.store(UInt32(1), at: Offset.eventData) }
        #expect(event.what == CNetlink_EVENT_NONE)
        #expect(event.ack_err == 1)
        #expect(event.pid == 0 && event.tgid == 0)
    }
}
