import CNetlink
import Foundation
import Glibc

/// Recorded datagrams (see scripts/record-datagrams.c) and a decoder call that would let AddressSanitizer
/// see any read past a datagram's end.
enum Datagrams {
    /// Tests/Fixtures/datagrams, from this file's own location.
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Tests/CNetlinkTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Fixtures/datagrams")

    /// Every recorded file, by name without `.bin`.
    static let names = [
        "ack", "fork-process", "fork-thread", "comm-process", "comm-thread", "exit-thread", "exec", "exit-process",
        "uid-thread", "uid-process",
    ]

    static func recorded(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent("\(name).bin")))
    }
}

/// What `CNetlink_decode` made of some bytes.
enum Decoded {
    case event(CNetlink_event)
    case failure(errno: Int32)

    var event: CNetlink_event? {
        if case .event(let event) = self { return event }
        return nil
    }

    var errno: Int32? {
        if case .failure(let errno) = self { return errno }
        return nil
    }
}

/// Decodes `bytes` from a heap buffer of exactly their size (8-aligned, as recvmmsg's slots are), so a
/// read past the end hits a redzone under `swift test --sanitize=address`.
func decode(_ bytes: [UInt8], senderPort: UInt32 = 0) -> Decoded {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 8)
    defer { buffer.deallocate() }
    buffer.copyBytes(from: bytes)
    var event = CNetlink_event()
    Glibc.errno = 0
    if CNetlink_decode(buffer.baseAddress, bytes.count, senderPort, &event) == 0 { return .event(event) }
    return .failure(errno: Glibc.errno)
}

extension CNetlink_event {
    /// The COMM event's name, up to its NUL.
    var commString: String {
        withUnsafeBytes(of: comm) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// All 16 bytes of `comm`, to check the terminator.
    var commBytes: [UInt8] { withUnsafeBytes(of: comm) { Array($0) } }
}

/// Byte offsets in a proc-connector datagram: nlmsghdr (16), cn_msg (20), proc_event.
enum Offset {
    static let nlmsgLen = 0
    static let nlmsgType = 4
    static let cnIdx = 16
    static let cnVal = 20
    static let cnLen = 32
    static let procEvent = 36
    static let what = 36
    static let eventData = 52
}

extension Array where Element == UInt8 {
    /// Overwrites a little-endian integer at `offset`.
    mutating func store<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        Swift.withUnsafeBytes(of: value.littleEndian) { raw in
            for (i, byte) in raw.enumerated() { self[offset + i] = byte }
        }
    }

    func load<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        var value = T.zero
        Swift.withUnsafeMutableBytes(of: &value) { raw in
            for i in 0..<raw.count { raw[i] = self[offset + i] }
        }
        return T(littleEndian: value)
    }
}
