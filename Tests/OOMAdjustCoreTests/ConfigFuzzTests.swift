import Foundation
import OOMAdjustCore
import SeededRandom
import Testing

/// Generated and mutated configs: whatever the bytes, the parser returns (no crash, no hang) and every
/// diagnostic names its `PATH:LINE` (or the `PATH` alone, for a file refused whole).
///
/// Deterministic: the seed is printed, and OOM_ADJUST_FUZZ_SEED=N replays a run or explores another;
/// OOM_ADJUST_FUZZ_RUNS=N runs more inputs (the default is 12,000).
@Suite struct ConfigFuzzTests {
    static let path = "/fuzz/oom_adjust.conf"
    static let seed = UInt64(ProcessInfo.processInfo.environment["OOM_ADJUST_FUZZ_SEED"] ?? "") ?? 0x6f6f_6d61_646a
    static let runs = Int(ProcessInfo.processInfo.environment["OOM_ADJUST_FUZZ_RUNS"] ?? "") ?? 12_000

    typealias Generator = SplitMix64

    /// Pieces real and broken configs are made of.
    static let tokens: [String] = [
        "sshd", "mysqld", "*", "?", "[a-z]", "[", "]", "[!x]", "\\", "#", "# comment", "foo#bar", "-17", "15", "16",
        "-18", "0", "+3", "-0", "score=", "score=-1000", "score=1000", "score=1001", "score=-", "score=x",
        "score=99999999999999999999999999", "99999999999999999999", "-9223372036854775808", "exe=/usr/sbin/sshd",
        "exe=", "exe=/a/*/b", "user=root", "user=0", "user=", "user=nosuchuser", "cmdline=\"* -jar x*\"", "cmdline=\"",
        "\"", "\"\"", "cgroup=/system.slice/*", "parent=systemd", "parent=", "trust=name", "trust=", "=", "==",
        "unknown=1", "é", "名前", "\u{202E}", String(repeating: "n", count: 300), String(repeating: "9", count: 5000),
    ]
    static let separators: [[UInt8]] = [[0x20], [0x09], [0x0D], [0x0B], [0x0C], [0x20, 0x20, 0x09], [0x00], []]
    static let lineEnds: [[UInt8]] = [[0x0A], [0x0D, 0x0A], [0x0A, 0x0A], [0x0D]]
    static let invalidUTF8: [[UInt8]] = [[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF], [0xE2, 0x82]]

    static func seeds() -> [[UInt8]] {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/configs")
        let files = (try? FileManager.default.contentsOfDirectory(at: fixtures, includingPropertiesForKeys: nil)) ?? []
        let texts = files.compactMap { try? [UInt8](Data(contentsOf: $0)) }
        return texts + [Array("sshd -17\nnamed score=-300 user=root exe=/usr/sbin/named\n".utf8)]
    }

    static func tokenSoup(_ random: inout Generator) -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0..<Int.random(in: 0...12, using: &random) {
            for index in 0..<Int.random(in: 0...6, using: &random) {
                if index > 0 || Bool.random(using: &random) { bytes += separators.randomElement(using: &random)! }
                bytes += Array(tokens.randomElement(using: &random)!.utf8)
            }
            if Int.random(in: 0..<8, using: &random) == 0 { bytes += invalidUTF8.randomElement(using: &random)! }
            bytes += lineEnds.randomElement(using: &random)!
        }
        return bytes
    }

    static func mutate(_ input: [UInt8], _ random: inout Generator) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...8, using: &random) {
            let position = Int.random(in: 0...bytes.count, using: &random)
            switch Int.random(in: 0..<8, using: &random) {
            case 0 where !bytes.isEmpty: bytes[min(position, bytes.count - 1)] ^= UInt8(1 << Int.random(in: 0..<8, using: &random))
            case 1: bytes.insert(UInt8.random(in: 0...255, using: &random), at: position)
            case 2 where !bytes.isEmpty:
                let end = min(bytes.count, position + Int.random(in: 1...64, using: &random))
                bytes.removeSubrange(min(position, end)..<end)
            case 3:
                let start = Int.random(in: 0...bytes.count, using: &random)
                let end = min(bytes.count, start + Int.random(in: 0...128, using: &random))
                bytes.insert(contentsOf: bytes[start..<end], at: position)
            case 4: bytes.insert(contentsOf: invalidUTF8.randomElement(using: &random)!, at: position)
            case 5: bytes.insert(contentsOf: Array(tokens.randomElement(using: &random)!.utf8), at: position)
            case 6: bytes.insert(contentsOf: separators.randomElement(using: &random)!, at: position)
            default: bytes.insert(contentsOf: lineEnds.randomElement(using: &random)!, at: position)
            }
        }
        return bytes
    }

    /// The inputs no generator is likely to hit by chance: sizes at and past every limit.
    static let extremes: [[UInt8]] = {
        let limit = ConfigParser.maximumFileSize
        return [
            [],
            [0x0A],
            Array(repeating: 0, count: 4096),
            Array(repeating: UInt8(ascii: "a"), count: 1_000_000) + Array(" 5\n".utf8),
            Array("sshd ".utf8) + Array(repeating: UInt8(ascii: "9"), count: 1_000_000),
            Array(repeating: UInt8(ascii: "#"), count: ConfigParser.maximumLineLength) + [0x0A],
            Array(repeating: UInt8(ascii: "#"), count: ConfigParser.maximumLineLength + 1) + [0x0A],
            Array(repeating: 0x0A, count: limit),
            Array(repeating: 0x0A, count: limit + 1),
            Array(String(repeating: "x 1\r\n", count: limit / 5).utf8),
            Array(String(repeating: "x\t\tscore=1\n", count: limit / 11 + 1).utf8),
            Array(repeating: 0xFF, count: limit),
            Array(repeating: UInt8(ascii: "\""), count: 4000),
            Array(repeating: UInt8(ascii: "["), count: 4000),
            Array(("x score=1 cmdline=\"" + String(repeating: "*", count: 4000) + "\"").utf8),
            Array(("*" + String(repeating: "[", count: 200) + " 1").utf8),
        ]
    }()

    /// What must hold for every input.
    static func check(_ bytes: [UInt8], label: String) {
        let parsed = ConfigParser.parse(bytes, path: path, users: { $0 == "root" ? 0 : nil })
        if bytes.count > ConfigParser.maximumFileSize {
            #expect(parsed.rules.isEmpty && parsed.diagnostics.count == 1, "\(label): a file over the limit is refused whole")
            let diagnostic = parsed.diagnostics.first
            #expect(diagnostic?.line == nil && diagnostic?.severity == .error, "\(label)")
            #expect(
                diagnostic?.description == "\(path): error: file is \(bytes.count) bytes; a config may be at most \(ConfigParser.maximumFileSize) bytes",
                "\(label)")
            return
        }
        // A line ends at \n; a last line without one still counts.
        let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).count
        for diagnostic in parsed.diagnostics {
            #expect(diagnostic.path == path, "\(label): \(diagnostic)")
            guard let line = diagnostic.line else {
                Issue.record("\(label): a diagnostic without a line for a file under the limit: \(diagnostic)")
                continue
            }
            #expect((1...lines).contains(line), "\(label): line \(line) of \(lines): \(diagnostic)")
            #expect(diagnostic.description.hasPrefix("\(path):\(line): \(diagnostic.severity.rawValue): "), "\(label): \(diagnostic)")
            #expect(!diagnostic.message.isEmpty, "\(label)")
        }
        for rule in parsed.rules {
            #expect(rule.location.path == path && (1...lines).contains(rule.location.line), "\(label): \(rule.location)")
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func generatedAndMutatedConfigsNeverCrashAndEveryDiagnosticHasItsPlace() {
        var random = Generator(seed: Self.seed)
        let seeds = Self.seeds()
        #expect(seeds.count >= 3)
        var slowest = (seconds: 0.0, label: "")
        func timed(_ bytes: [UInt8], _ label: String) {
            let start = Date()
            Self.check(bytes, label: label)
            let seconds = Date().timeIntervalSince(start)
            if seconds > slowest.seconds { slowest = (seconds, "\(label) (\(bytes.count) bytes)") }
        }
        for (index, bytes) in Self.extremes.enumerated() { timed(bytes, "extreme #\(index)") }
        for run in 0..<Self.runs {
            let bytes: [UInt8]
            switch run % 4 {
            case 0: bytes = (0..<Int.random(in: 0...512, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            case 1: bytes = Self.tokenSoup(&random)
            case 2: bytes = Self.mutate(seeds[run % seeds.count], &random)
            default: bytes = Self.mutate(Self.tokenSoup(&random), &random)
            }
            timed(bytes, "seed \(Self.seed) run \(run)")
        }
        print("config fuzz: \(Self.runs + Self.extremes.count) inputs from seed \(Self.seed); slowest \(String(format: "%.3f", slowest.seconds)) s: \(slowest.label)")
    }
}
