import OOMAdjustCore
import Testing

/// Every kind of error the parser reports, each at its exact `PATH:LINE:`, and all of a file's errors
/// at once rather than only the first.
@Suite struct ConfigErrorTests {
    @Test func everyErrorInTheFixtureIsReportedAtItsLine() throws {
        let parsed = try Fixtures.parseConfig("every-error.conf")
        expectDiagnostics(
            parsed.diagnostics,
            [
                .error(line: 3, "oom_adj value `16` is out of range -17..15"),
                .error(line: 4, "oom_adj value `-18` is out of range -17..15"),
                .error(line: 5, "`score=1001` is out of range; oom_score_adj goes from -1000 to 1000"),
                .error(line: 6, "`score=-1001` is out of range"),
                .error(line: 7, "`three` is not a number"),
                .error(line: 8, "`ten` is not a whole number"),
                .error(line: 9, "`` is not a whole number"),
                .error(line: 10, "`smtpd` has no value"),
                .error(line: 11, "`snmpd` has no value"),
                .error(line: 12, "unexpected `extra` after the value"),
                .error(line: 13, "unexpected `extra` after the value"),
                .error(line: 13, "unexpected `more` after the value"),
                .error(line: 14, "oom_adj value `99999999999999999999` is out of range"),
                .error(line: 15, "`score=-99999999999999999999` is out of range"),
                .error(line: 17, "`-17#no-space-before-the-comment` is not a number"),
                .error(line: 18, "`--3` is not a number"),
                .error(line: 19, "oom_adj value `16` is out of range"),
                .error(line: 19, "unexpected `extra` after the value"),
            ],
            path: Fixtures.configPath("every-error.conf"))
        #expect(parsed.warnings.isEmpty)
        // Only the valid line becomes a rule: a line with any error contributes nothing.
        #expect(parsed.rules.map(\.name.description) == ["saslauthd"])
        #expect(parsed.rules.map(\.location.line) == [16])
    }

    @Test(arguments: [
        ("16", "out of range"), ("-18", "out of range"), ("score=1001", "out of range"),
        ("score=-1001", "out of range"),
        // Too long for any range: out of range, not "not a number", so the fix the message suggests fits.
        ("99999999999999999999", "out of range"), ("-99999999999999999999", "out of range"),
        ("score=99999999999999999999", "out of range"),
        ("three", "is not a number"), ("1.5", "is not a number"), ("0x10", "is not a number"),
        ("-", "is not a number"), ("+", "is not a number"), ("- 3", "is not a number"),
        ("score=ten", "is not a whole number"), ("score=", "is not a whole number"),
        ("score=--1", "is not a whole number"), ("SCORE=5", "is not a number"),
    ])
    func badValue(_ value: String, _ phrase: String) {
        let parsed = parse("name \(value)\n")
        let first = parsed.diagnostics.first
        #expect(first.map { ExpectedDiagnostic.error(line: 1, phrase).matches($0, path: "inline.conf") } == true,
                "\(parsed.diagnostics)")
        #expect(parsed.rules.isEmpty)
    }

    @Test func missingValue() {
        let parsed = parse("sshd -17\nnamed\nmysqld   # value forgotten\n")
        expectDiagnostics(
            parsed.diagnostics,
            [.error(line: 2, "`named` has no value"), .error(line: 3, "`mysqld` has no value")],
            path: "inline.conf")
        #expect(parsed.rules.map(\.name.description) == ["sshd"])
    }

    @Test func nulByteNamesItsColumn() {
        let bytes = Array("sshd -17\nnamed".utf8) + [0] + Array(" -8\nmysqld -1\n".utf8)
        let parsed = ConfigParser.parse(bytes, path: "/etc/oom_adjust.conf")
        expectDiagnostics(parsed.diagnostics, [.error(line: 2, "NUL byte at column 6")], path: "/etc/oom_adjust.conf")
        #expect(parsed.rules.map(\.name.description) == ["sshd", "mysqld"])
    }

    @Test(arguments: [
        [0xFF] as [UInt8],  // never valid in UTF-8
        [0xE9],  // Latin-1 "é"
        [0x80],  // a continuation byte with no lead
        [0xC3],  // a lead byte with no continuation
        [0xC0, 0xAF],  // overlong "/"
        [0xED, 0xA0, 0x80],  // a UTF-16 surrogate
    ])
    func nonUTF8Byte(_ bad: [UInt8]) {
        let bytes = Array("sshd -17\nnam".utf8) + bad + Array("ed -8\nmysqld -1\n".utf8)
        let parsed = ConfigParser.parse(bytes, path: "p.conf")
        expectDiagnostics(parsed.diagnostics, [.error(line: 2, "not valid UTF-8")], path: "p.conf")
        #expect(parsed.rules.map(\.name.description) == ["sshd", "mysqld"])
    }

    @Test func nonUTF8InAWholeLineCommentIsIgnoredButInATrailingCommentIsAnError() {
        // Old configs may have Latin-1 comments; a whole-line comment is skipped before any byte check.
        let comment = ConfigParser.parse(Array("# caf".utf8) + [0xE9] + Array("\n  # t".utf8) + [0xE9] + Array("\nsshd -17\n".utf8), path: "p.conf")
        expectDiagnostics(comment.diagnostics, [], path: "p.conf")
        #expect(comment.rules.count == 1)
        // Once a line holds a rule, every byte of it must be UTF-8, trailing comment included.
        let trailing = ConfigParser.parse(Array("sshd -17 # caf".utf8) + [0xE9] + Array("\n".utf8), path: "p.conf")
        expectDiagnostics(trailing.diagnostics, [.error(line: 1, "not valid UTF-8")], path: "p.conf")
        #expect(trailing.rules.isEmpty)
    }

    @Test func lineLengthLimitIs4096Bytes() {
        let longest = "sshd -17" + String(repeating: " ", count: ConfigParser.maximumLineLength - 8)
        let tooLong = "named -8" + String(repeating: " ", count: ConfigParser.maximumLineLength - 7)
        #expect(longest.utf8.count == 4096 && tooLong.utf8.count == 4097)
        let parsed = parse("\(longest)\n\(tooLong)\nmysqld -1\n", path: "long.conf")
        expectDiagnostics(
            parsed.diagnostics, [.error(line: 2, "line is 4097 bytes long; the limit is 4096")], path: "long.conf")
        #expect(parsed.rules.map(\.name.description) == ["sshd", "mysqld"])
    }

    @Test func nameLengthLimitIsNameMax() {
        let longest = String(repeating: "n", count: 255)
        let tooLong = String(repeating: "n", count: 256)
        let parsed = parse("\(longest) 3\n\(tooLong) 3\n\(tooLong) x\n", path: "names.conf")
        expectDiagnostics(
            parsed.diagnostics,
            [
                .error(line: 2, "name is 256 bytes long; the limit is 255"),
                .error(line: 3, "name is 256 bytes long"), .error(line: 3, "`x` is not a number"),
            ],
            path: "names.conf")
        #expect(parsed.rules.map(\.name.description) == [longest])
    }

    @Test func byteLevelErrorsAreAllReportedInOnePass() {
        var bytes: [UInt8] = []
        bytes += Array("a 1\n".utf8)
        bytes += Array("b".utf8) + [0] + Array(" 2\n".utf8)
        bytes += Array("c 3\n".utf8)
        bytes += Array("d".utf8) + [0xFF] + Array(" 4\n".utf8)
        bytes += Array(String(repeating: "e", count: 5000).utf8) + [UInt8(ascii: "\n")]
        bytes += Array("f 99\n".utf8)
        bytes += Array("g 6".utf8)  // no final newline
        let parsed = ConfigParser.parse(bytes, path: "/x/y.conf")
        expectDiagnostics(
            parsed.diagnostics,
            [
                .error(line: 2, "NUL byte at column 2"), .error(line: 4, "not valid UTF-8"),
                .error(line: 5, "line is 5000 bytes long"), .error(line: 6, "`99` is out of range"),
            ],
            path: "/x/y.conf")
        #expect(parsed.rules.map(\.name.description) == ["a", "c", "g"])
        #expect(parsed.rules.map(\.location.line) == [1, 3, 7])
    }

    @Test func fileSizeLimitIsOneMebibyte() {
        // 16384 comment lines of 64 bytes: exactly 1 MiB.
        let line = Array(("#" + String(repeating: "x", count: 62) + "\n").utf8)
        var largest: [UInt8] = []
        for _ in 0..<(ConfigParser.maximumFileSize / line.count) { largest += line }
        #expect(largest.count == 1 << 20)
        #expect(ConfigParser.parse(largest, path: "big.conf").diagnostics.isEmpty)

        let tooLarge = largest + Array("sshd -17\n".utf8)
        let parsed = ConfigParser.parse(tooLarge, path: "big.conf")
        // About the file as a whole: `PATH:` with no line, and no rule read from it.
        expectDiagnostics(
            parsed.diagnostics,
            [.error(line: nil, "file is 1048585 bytes; a config may be at most 1048576 bytes")],
            path: "big.conf")
        #expect(parsed.diagnostics.first?.description.hasPrefix("big.conf: error: ") == true)
        #expect(parsed.rules.isEmpty)
    }

    @Test func errorsAreErrorsNotWarnings() throws {
        let parsed = try Fixtures.parseConfig("every-error.conf")
        #expect(parsed.errors.count == parsed.diagnostics.count)
        #expect(parsed.errors.allSatisfy { $0.severity == .error })
    }
}
