/// Text that a process controls (its comm, executable path, command line, cgroup), made safe to put on a
/// line that people and scripts read: the log, `status`, `explain`, `rank`.
///
/// Any of those bytes may be hostile: a comm `x new=-1000` would forge a field, a newline a whole line,
/// an escape sequence would drive the reader's terminal, a bidirectional override would reorder what it
/// shows. Every such value goes through here, so it is escaped the same way everywhere.
public enum DisplayText {
    /// `text` with everything that is not plainly printable escaped: `\\`, `\"`, `\n`, `\r`, `\t`, other
    /// control bytes as `\xNN`, and Unicode controls, format characters (bidi overrides among them),
    /// separators and unassigned code points as `\u{N}`. Printable text, non-ASCII letters included,
    /// stays as it is.
    public static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.isASCII:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + hex(scalar.value, digits: 2)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            case _ where isPlainlyPrintable(scalar):
                out.unicodeScalars.append(scalar)
            default:
                out += "\\u{" + hex(scalar.value, digits: 1) + "}"
            }
        }
        return out
    }

    /// `text` as one field of a `key=value` line: escaped, and in double quotes when it is empty or holds
    /// anything besides printable ASCII without `=`, quotes or backslashes, so that it can never read as
    /// more than one field.
    public static func field(_ text: String) -> String {
        let plain = !text.isEmpty && text.utf8.allSatisfy { (0x21...0x7E).contains($0) && $0 != UInt8(ascii: "=") && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
        return plain ? text : "\"" + escaped(text) + "\""
    }

    /// `text` as a JSON string literal (RFC 8259): quotes, backslashes and control characters escaped,
    /// and the few characters some readers take for line ends (U+2028, U+2029) and Unicode controls too.
    public static func json(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029:
                out += "\\u" + hex(scalar.value, digits: 4)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Letters, marks, numbers, punctuation and symbols; an ordinary space (ASCII) is handled before.
    /// Everything else (controls, format characters, separators, private use, unassigned) could hide or
    /// rearrange what a reader sees.
    static func isPlainlyPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark,
            .decimalNumber, .letterNumber, .otherNumber,
            .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation,
            .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }

    static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
