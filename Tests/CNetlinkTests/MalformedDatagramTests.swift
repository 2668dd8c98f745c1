import CNetlink
import Glibc
import SeededRandom
import Testing

/// Datagrams that are cut short, whose lengths lie, or that are not proc-connector events: the decoder
/// refuses each with the documented errno and never reads outside the buffer (every call decodes from
/// a heap buffer of exactly the datagram's size; run with `--sanitize=address` to have reads checked).
@Suite struct MalformedDatagramTests {
    /// The shortest self-consistent datagram of each kind: 36 bytes of headers, the 16-byte proc_event
    /// header, and the kind's own record.
    static let shortestValid: [String: Int] = [
        "ack": 36 + 16 + 4,
        "fork-process": 36 + 16 + 16, "fork-thread": 36 + 16 + 16,
        "exec": 36 + 16 + 8,
        "comm-process": 36 + 16 + 24, "comm-thread": 36 + 16 + 24,
        "exit-process": 36 + 16 + 24, "exit-thread": 36 + 16 + 24,
        "uid-process": 36 + 16 + 16, "uid-thread": 36 + 16 + 16,
    ]

    @Test(arguments: Datagrams.names)
    func truncatedAtEveryLength(_ name: String) throws {
        // recv() cut the datagram short, headers unchanged: nlmsg_len claims more than arrived.
        let bytes = try Datagrams.recorded(name)
        for length in 0..<bytes.count {
            #expect(decode(Array(bytes.prefix(length))).errno == EBADMSG, "\(name) cut to \(length) bytes")
        }
        #expect(decode(bytes).event != nil)
    }

    @Test(arguments: Datagrams.names)
    func shortButConsistentAtEveryLength(_ name: String) throws {
        // Both lengths rewritten to agree with the cut: only a record long enough for its kind decodes.
        let full = try Datagrams.recorded(name)
        let expected = try #require(decode(full).event)
        let shortest = try #require(Self.shortestValid[name])
        for length in 0...full.count {
            var bytes = Array(full.prefix(length))
            if length >= 4 { bytes.store(UInt32(length), at: Offset.nlmsgLen) }
            if length >= Offset.procEvent { bytes.store(UInt16(length - Offset.procEvent), at: Offset.cnLen) }
            let decoded = decode(bytes)
            if length < shortest {
                #expect(decoded.errno == EBADMSG, "\(name) at \(length) bytes")
            } else {
                let event = try #require(decoded.event, "\(name) at \(length) bytes")
                #expect(event.what == expected.what && event.pid == expected.pid && event.tgid == expected.tgid
                        && event.parent_pid == expected.parent_pid && event.parent_tgid == expected.parent_tgid
                        && event.timestamp_ns == expected.timestamp_ns && event.commString == expected.commString,
                        "\(name) at \(length) bytes")
            }
        }
    }

    @Test(arguments: [77, 80, 128, 4096, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFF0, 0xFFFF_FFFF] as [UInt32])
    func nlmsgLenLargerThanTheBuffer(_ claimed: UInt32) throws {
        var bytes = try Datagrams.recorded("exec")
        bytes.store(claimed, at: Offset.nlmsgLen)
        #expect(decode(bytes).errno == EBADMSG, "nlmsg_len \(claimed) in 76 bytes")
    }

    @Test(arguments: [0x8000_0000, 0xFFFF_FFFF] as [UInt32])
    func hugeNlmsgLenDoesNotLetACnLenReadPastAShortBuffer(_ claimed: UInt32) throws {
        // 40 bytes that claim a huge message whose proc_event runs to byte 76: decoding it would read
        // 36 bytes past the buffer.
        var bytes = Array(try Datagrams.recorded("exec").prefix(40))
        bytes.store(claimed, at: Offset.nlmsgLen)
        #expect(decode(bytes).errno == EBADMSG)
    }

    @Test(arguments: [0, 1, 15] as [UInt32])
    func nlmsgLenShorterThanItsOwnHeader(_ claimed: UInt32) throws {
        var bytes = try Datagrams.recorded("exec")
        bytes.store(claimed, at: Offset.nlmsgLen)
        #expect(decode(bytes).errno == EBADMSG)
    }

    @Test(arguments: [16, 20, 35] as [UInt32])
    func nlmsgLenTooShortForACnMsg(_ claimed: UInt32) throws {
        var bytes = try Datagrams.recorded("exec")
        bytes.store(claimed, at: Offset.nlmsgLen)
        #expect(decode(bytes).errno == EBADMSG)
    }

    @Test(arguments: [41, 42, 100, 0xFFFF] as [UInt16])
    func cnLenLargerThanThePayload(_ claimed: UInt16) throws {
        var bytes = try Datagrams.recorded("comm-process")
        bytes.store(claimed, at: Offset.cnLen)
        #expect(decode(bytes).errno == EBADMSG, "cn_msg.len \(claimed)")
    }

    @Test(arguments: [0, 1, 8, 15] as [UInt16])
    func cnLenSmallerThanTheProcEventHeader(_ claimed: UInt16) throws {
        var bytes = try Datagrams.recorded("exec")
        bytes.store(claimed, at: Offset.cnLen)
        #expect(decode(bytes).errno == EBADMSG, "cn_msg.len \(claimed)")
    }

    @Test(arguments: [("ack", 19), ("fork-process", 31), ("exec", 23), ("comm-process", 39), ("exit-process", 39)] as [(String, UInt16)])
    func cnLenOneByteShortOfItsKindsRecord(_ name: String, _ claimed: UInt16) throws {
        var bytes = try Datagrams.recorded(name)
        bytes.store(claimed, at: Offset.cnLen)
        #expect(decode(bytes).errno == EBADMSG)
        bytes.store(claimed + 1, at: Offset.cnLen)
        #expect(decode(bytes).event != nil)
    }

    @Test func aLongerRecordFromANewerKernelStillDecodes() throws {
        // proc_event may grow at the end; the decoder reads the fields it knows and ignores the rest.
        var bytes = try Datagrams.recorded("fork-process") + [UInt8](repeating: 0xEE, count: 8)
        bytes.store(UInt32(84), at: Offset.nlmsgLen)
        bytes.store(UInt16(48), at: Offset.cnLen)
        let event = try #require(decode(bytes).event)
        #expect(event.what == CNetlink_EVENT_FORK && event.pid == 8008 && event.parent_pid == 8007)
    }

    @Test(arguments: [(Offset.cnIdx, 0), (Offset.cnIdx, 2), (Offset.cnIdx, 0x0100_0001), (Offset.cnVal, 0), (Offset.cnVal, 2)] as [(Int, UInt32)])
    func wrongConnectorIdIsNotAProcEvent(_ offset: Int, _ value: UInt32) throws {
        var bytes = try Datagrams.recorded("exec")
        bytes.store(value, at: offset)
        #expect(decode(bytes).errno == EPROTO)
    }

    @Test(arguments: [0, 1, 2, 4, 16, 0xFFFF] as [UInt16])
    func wrongNetlinkTypeIsNotAProcEvent(_ type: UInt16) throws {
        // NLMSG_NOOP, NLMSG_ERROR, NLMSG_OVERRUN and the rest: cn_netlink_send only ever sends NLMSG_DONE (3).
        var bytes = try Datagrams.recorded("exec")
        bytes.store(type, at: Offset.nlmsgType)
        #expect(decode(bytes).errno == EPROTO)
    }

    @Test func theSenderIsCheckedBeforeAnythingElse() {
        // A foreign datagram is dropped as foreign whatever it holds, even nothing.
        #expect(decode([], senderPort: 1).errno == EPERM)
        #expect(decode([UInt8](repeating: 0xFF, count: 76), senderPort: 1).errno == EPERM)
    }

    @Test func nullOrEmptyBuffer() {
        var event = CNetlink_event()
        errno = 0
        #expect(CNetlink_decode(nil, 0, 0, &event) == -1)
        #expect(errno == EBADMSG)
        errno = 0
        #expect(CNetlink_decode(nil, 76, 0, &event) == -1)
        #expect(errno == EBADMSG)
        #expect(decode([]).errno == EBADMSG)
    }

    @Test func commWithoutATerminatorIsCutToFifteenBytes() throws {
        var bytes = try Datagrams.recorded("comm-process")
        for i in 0..<16 { bytes[Offset.eventData + 8 + i] = UInt8(ascii: "a") + UInt8(i) }
        let event = try #require(decode(bytes).event)
        #expect(event.commString == "abcdefghijklmno")
        #expect(event.commBytes[15] == 0)
    }

    @Test func unknownKindsDecodeTheLeadingPidAndTgid() throws {
        var bytes = try Datagrams.recorded("exec")
        bytes.store(UInt32(0x400), at: Offset.what)
        let event = try #require(decode(bytes).event)
        #expect(event.what == 0x400 && event.pid == 8008 && event.tgid == 8008 && event.parent_pid == 0)
    }

    @Test func garbageNeverDecodesAsAnEvent() {
        // Deterministic noise, every length up to a slot: none of it is a proc-connector datagram.
        var generator = SplitMix64(seed: 0x6f6f_6d2d_6164_6a)
        for length in 0...128 {
            for _ in 0..<20 {
                let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                #expect(decode(bytes).event == nil, "\(bytes)")
            }
        }
    }
}
