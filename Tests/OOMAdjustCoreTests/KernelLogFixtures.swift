import Foundation
import OOMAdjustCore

/// The kernel log fixtures of Tests/Fixtures/kmsg, as records.
///
/// `.kmsg` files hold records as /dev/kmsg's read(2) returned them, one per line, after `#` comment
/// lines. `.dmesg` files hold lines as published (dmesg, `dmesg -T` or journal output, cited in their
/// comments); each becomes a record with its text, its dmesg time where it has one, level 6 and
/// consecutive sequence numbers.
enum KernelLogFixtures {
    static let directory = Fixtures.directory.appendingPathComponent("kmsg")

    static var names: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    }

    /// The raw lines of a fixture, comments left out: for `.kmsg`, each is one whole record.
    static func lines(_ name: String) throws -> [[UInt8]] {
        let bytes = try Fixtures.bytes(at: directory.appendingPathComponent(name))
        return bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
            .filter { $0.first != UInt8(ascii: "#") }
            .map { Array($0) + [UInt8(ascii: "\n")] }
    }

    static func records(_ name: String) throws -> [KernelLogRecord] {
        let lines = try lines(name)
        if name.hasSuffix(".kmsg") {
            return lines.map { KernelLogRecord($0)! }
        }
        return lines.enumerated().map { index, line in
            let (microseconds, text) = publishedLine(Array(line.dropLast()))
            return KernelLogRecord(facility: 0, level: 6, sequence: UInt64(index + 1), microseconds: microseconds ?? UInt64(index), text: text)
        }
    }

    /// Drops what dmesg or the journal put in front of the kernel's text: `MON DD HH:MM:SS HOST kernel: `,
    /// then `[ SECONDS.MICROS] ` or `[WEEKDAY MON DD HH:MM:SS YYYY] `.
    static func publishedLine(_ line: [UInt8]) -> (UInt64?, [UInt8]) {
        var rest = line[...]
        if let kernel = rest.firstRange(of: Array("kernel: ".utf8)) { rest = rest[kernel.upperBound...] }
        guard rest.first == UInt8(ascii: "["), let close = rest.firstIndex(of: UInt8(ascii: "]")) else { return (nil, Array(rest)) }
        let stamp = String(decoding: rest[(rest.startIndex + 1)..<close], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        // A task-list row also starts with "[": only a time is a prefix.
        let isUptime = stamp.contains(".") && Double(stamp) != nil
        let isDate = stamp.split(separator: " ").count == 5 && stamp.contains(":")
        guard isUptime || isDate else { return (nil, Array(rest)) }
        let text = Array(rest[(close + 2)...])
        return (isUptime ? UInt64(Double(stamp)! * 1_000_000) : nil, text)
    }

    /// Every kill the assembler reports for a fixture.
    static func kills(_ name: String) throws -> [OOMKill] {
        var assembler = OOMReportAssembler()
        return try records(name).compactMap { assembler.consume($0) }
    }
}

extension OOMKill {
    var commText: String { String(decoding: comm, as: UTF8.self) }
    var cgroupText: String? {
        guard case .memoryCgroup(let cgroup?) = domain else { return nil }
        return String(decoding: cgroup, as: UTF8.self)
    }
}
