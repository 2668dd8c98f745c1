import OOMAdjustCore
import Testing

/// What the parser accepts as a valid line: whitespace, comments, line endings and value spellings.
@Suite struct ConfigSyntaxTests {
    /// (name, oom_score_adj, line) of each rule.
    static func summary(_ parsed: ParsedConfig) -> [String] {
        parsed.rules.map { "\($0.name) \($0.score.rawValue) @\($0.location.line)" }
    }

    @Test func everyAcceptedLayoutInTheFixture() throws {
        let parsed = try Fixtures.parseConfig("syntax.conf")
        expectDiagnostics(parsed.diagnostics, [], path: Fixtures.configPath("syntax.conf"))
        #expect(parsed.duplicateWarnings.isEmpty)
        #expect(
            Self.summary(parsed) == [
                "sshd -1000 @5",
                "named -470 @6",  // tab between name and value
                "mysqld -58 @7",  // leading spaces, several spaces
                "apache2 0 @8",  // leading tab, mixed tab and spaces, trailing tab
                "searchd 176 @9",  // +3
                "memcached 176 @10",  // trailing comment
                "mongod 294 @11",  // comment after a tab
                "foo#bar 176 @12",  // `#` inside a name is part of it
                "smtpd -900 @13",
                "pure-ftpd 1000 @14",  // score=+1000
                "snmpd 0 @18",  // -0
            ])
        #expect(parsed.rules.allSatisfy { $0.location.path == Fixtures.configPath("syntax.conf") })
    }

    @Test func blankAndCommentOnlyFilesHaveNoRulesAndNoDiagnostics() {
        for text in ["", "\n", "\n\n\n", "   \n\t\n", "# only a comment", "#\n  #x 3\n\t# y 4\n", "\r\n\r\n"] {
            let parsed = parse(text)
            #expect(parsed.rules.isEmpty, "\(text.debugDescription)")
            #expect(parsed.diagnostics.isEmpty, "\(text.debugDescription)")
        }
    }

    @Test func hashStartsACommentOnlyAtTheStartOfAToken() {
        let parsed = parse("foo#bar 3\n#foo 3\nfoo #bar 3\nbaz 3 #comment 4 5\n")
        #expect(Self.summary(parsed) == ["foo#bar 176 @1", "baz 176 @4"])
        // `foo #bar 3`: everything from `#bar` on is a comment, so `foo` has no value.
        expectDiagnostics(parsed.diagnostics, [.error(line: 3, "`foo` has no value")], path: "inline.conf")
    }

    @Test func crlfLineEndingsParseLikeLF() throws {
        let seed = try Fixtures.bytes(at: Fixtures.directory.appendingPathComponent("configs/seed-oom_adjust.conf"))
        var crlf: [UInt8] = []
        for byte in seed {
            if byte == UInt8(ascii: "\n") { crlf.append(UInt8(ascii: "\r")) }
            crlf.append(byte)
        }
        #expect(crlf.count > seed.count)
        let lf = ConfigParser.parse(seed, path: "seed.conf")
        let dos = ConfigParser.parse(crlf, path: "seed.conf")
        #expect(dos.diagnostics.isEmpty, "\(dos.diagnostics)")
        #expect(Self.summary(dos) == Self.summary(lf))
        #expect(dos.rules.count == 17)
        #expect(dos.rules.map(\.valueSpelling) == lf.rules.map(\.valueSpelling))
    }

    @Test func carriageReturnIsNeverPartOfANameOrValue() {
        let parsed = parse("sshd -17\r\nnamed\r\nmysqld -1 \r\n")
        #expect(Self.summary(parsed) == ["sshd -1000 @1", "mysqld -58 @3"])
        #expect(parsed.rules.map(\.valueSpelling) == ["-17", "-1"])
        expectDiagnostics(parsed.diagnostics, [.error(line: 2, "`named` has no value")], path: "inline.conf")
    }

    @Test func leadingWhitespaceDoesNotHideARule() {
        // The old script's `sed '/^[# \t].*/d'` skipped indented lines; this parser reads them as rules.
        let parsed = parse(" sshd -17\n\tnamed -8\n \t mysqld -1\n")
        #expect(Self.summary(parsed) == ["sshd -1000 @1", "named -470 @2", "mysqld -58 @3"])
        #expect(parsed.diagnostics.isEmpty)
    }

    @Test func verticalTabAndFormFeedSeparateTokens() {
        let parsed = parse("sshd\u{0B}-17\nnamed\u{0C}-8\n")
        #expect(Self.summary(parsed) == ["sshd -1000 @1", "named -470 @2"])
    }

    @Test func signsAndLeadingZeros() {
        let parsed = parse("a +3\nb -0\nc +0\nd 007\ne score=+5\nf score=-0\ng score=0001000\nh -017\n")
        #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics)")
        #expect(parsed.rules.map(\.score.rawValue) == [176, 0, 0, 411, 5, 0, 1000, -1000])
    }

    @Test func valueSpellingIsKeptAsWritten() {
        let parsed = parse("sshd -17\nnamed score=-900\nmysqld +3\n")
        #expect(parsed.rules.map(\.valueSpelling) == ["-17", "score=-900", "+3"])
    }

    @Test func lineNumbersCountEveryLineIncludingTheLastWithoutNewline() {
        let parsed = parse("\n\n# c\nsshd -17\n\nnamed -8")
        #expect(parsed.rules.map(\.location.line) == [4, 6])
        #expect(parsed.rules.map(\.location.description) == ["inline.conf:4", "inline.conf:6"])
    }

    @Test func nonASCIIUTF8NamesAreAccepted() {
        let parsed = parse("dæmon 3\n")
        #expect(parsed.diagnostics.isEmpty)
        #expect(parsed.rules.first?.name == NamePattern(name: Array("dæmon".utf8)))
    }
}
