import OOMAdjustCore
import Testing

/// Values a process controls, printed so that they can forge neither a field nor a line.
@Suite struct DisplayTextTests {
    @Test func plainValuesStayAsTheyAre() {
        for text in ["sshd", "/usr/sbin/sshd", "/etc/oom_adjust.conf:12", "-294", "systemd-resolve", "ÿüñ"] {
            #expect(DisplayText.escaped(text) == text)
        }
        #expect(DisplayText.field("sshd") == "sshd")
        #expect(DisplayText.field("/tmp/x:1") == "/tmp/x:1")
    }

    @Test func aValueThatLooksLikeMoreFieldsIsOneQuotedField() {
        #expect(DisplayText.field("x new=-1000") == "\"x new=-1000\"")
        #expect(DisplayText.field("a=b") == "\"a=b\"")
        #expect(DisplayText.field("") == "\"\"")
        #expect(DisplayText.field("say \"hi\"") == "\"say \\\"hi\\\"\"")
        #expect(DisplayText.field("back\\slash") == "\"back\\\\slash\"")
        #expect(DisplayText.field("ümlaut") == "\"ümlaut\"")
    }

    @Test func lineEndsAndTerminalEscapesAreEscaped() {
        #expect(DisplayText.escaped("oabn\nFAKE line") == "oabn\\nFAKE line")
        #expect(DisplayText.escaped("a\rb\tc") == "a\\rb\\tc")
        #expect(DisplayText.escaped("\u{1B}[31mred") == "\\x1b[31mred")
        #expect(DisplayText.escaped("\u{7F}\u{00}") == "\\x7f\\x00")
        // C1 controls (CSI among them), bidi overrides and isolates, line and paragraph separators.
        #expect(DisplayText.escaped("\u{9B}31m") == "\\u{9b}31m")
        #expect(DisplayText.escaped("abc\u{202E}txt.exe") == "abc\\u{202e}txt.exe")
        #expect(DisplayText.escaped("\u{2066}x\u{2069}") == "\\u{2066}x\\u{2069}")
        #expect(DisplayText.escaped("a\u{2028}b\u{2029}c\u{85}d") == "a\\u{2028}b\\u{2029}c\\u{85}d")
        // A space other than ASCII's could pass for one.
        #expect(DisplayText.escaped("a\u{A0}b") == "a\\u{a0}b")
        #expect(!DisplayText.field("x\ny").contains("\n"))
    }

    @Test func jsonStringsEscapeWhatJSONRequiresAndMore() {
        #expect(DisplayText.json("sshd") == "\"sshd\"")
        #expect(DisplayText.json("a\"b\\c\nd\u{1}") == "\"a\\\"b\\\\c\\nd\\u0001\"")
        #expect(DisplayText.json("x\u{2028}y\u{9B}") == "\"x\\u2028y\\u009b\"")
        #expect(DisplayText.json("ümlaut") == "\"ümlaut\"")
    }

    @Test func noByteOfAnyCommCanBreakALine() {
        // Every single byte, and every pair, as a comm would hold them.
        for first in UInt8(1)...UInt8(255) {
            for second in [UInt8(0x41), 0x0A, 0x1B, 0x9B, 0xC2, 0xE2] {
                let text = Comm([first, second]).description
                let field = DisplayText.field(text)
                #expect(!field.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F || (0x80...0x9F).contains($0.value) }, "\(first) \(second)")
                #expect(!field.unicodeScalars.contains { [0x2028, 0x2029, 0x202E].contains($0.value) })
            }
        }
    }
}
