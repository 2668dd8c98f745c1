import OOMAdjustCore
import Testing

/// Shell-style patterns with fnmatch(3) semantics, and the mistakes caught when the config is read.
@Suite struct GlobTests {
    static func glob(_ pattern: String, pathname: Bool = false) throws -> Glob {
        try Glob(pattern, pathname: pathname)
    }

    @Test(arguments: [
        ("sshd", false), ("ssh*", true), ("ssh?", true), ("ssh[d]", true), ("*", true), ("a]b", false),
        ("a\\b", false), ("a-b.c", false), ("", false), ("[", true),
    ])
    func whatCountsAsAPattern(_ text: String, _ isPattern: Bool) {
        #expect(Glob.isPattern(text) == isPattern)
    }

    @Test(arguments: [
        // (pattern, text, matches)
        ("ssh*", "sshd", true), ("ssh*", "ssh", true), ("ssh*", "xsshd", false), ("ssh*", "SSHD", false),
        ("*d", "sshd", true), ("*d", "sshd2", false),
        ("ssh?", "sshd", true), ("ssh?", "ssh", false), ("ssh?", "sshdd", false),
        ("php-fpm[0-9]*", "php-fpm7.4", true), ("php-fpm[0-9]*", "php-fpm", false), ("php-fpm[0-9]*", "php-fpmx", false),
        ("[abc]d", "bd", true), ("[abc]d", "dd", false),
        ("[!abc]d", "dd", true), ("[!abc]d", "ad", false), ("[^abc]d", "dd", true), ("[^abc]d", "ad", false),
        // A `]` right after `[` (or `[!`) is a member, not the end.
        ("[]]", "]", true), ("[]a]", "a", true), ("[]a]", "b", false), ("[!]]", "]", false), ("[!]]", "x", true),
        ("[[:digit:]]x", "7x", true), ("[[:digit:]]x", "ax", false),
        // A backslash makes the next character literal.
        ("a\\*b", "a*b", true), ("a\\*b", "axb", false), ("\\[x\\]", "[x]", true), ("\\[x\\]", "x", false),
        ("a\\\\b", "a\\b", true),
        ("*", "", true), ("?", "", false),
    ])
    func fnmatchSemantics(_ pattern: String, _ text: String, _ matches: Bool) throws {
        let glob = try Self.glob(pattern)
        #expect(glob.matches(Array(text.utf8)) == matches)
        #expect(glob.matches(Comm(text)) == matches)
        #expect(text.withCString { glob.matches($0) } == matches)
    }

    @Test func aStarCrossesSlashesUnlessItIsAPathPattern() throws {
        let path = RuleText.bytes("/usr/local/sbin/sshd")
        #expect(try Self.glob("/usr/*/sshd").matches(path))
        #expect(try !Self.glob("/usr/*/sshd", pathname: true).matches(path))
        #expect(try Self.glob("/usr/*/*/sshd", pathname: true).matches(path))
        #expect(try !Self.glob("/usr/local/sbin/ssh?d", pathname: true).matches(RuleText.bytes("/usr/local/sbin/ssh/d")))
        #expect(try Self.glob("/usr/local/sbin/ssh?d").matches(RuleText.bytes("/usr/local/sbin/ssh/d")))
    }

    @Test func aNULEndsTheTextSoAGlobExpectingMoreDoesNotMatch() throws {
        let text = RuleText.bytes("abc") + [0] + RuleText.bytes("def")
        #expect(try !Self.glob("abc*def").matches(text))
        #expect(try !Self.glob("*def").matches(text))
    }

    @Test func aCommIsMatchedAsItsFifteenBytes() throws {
        let comm = Comm("systemd-resolved")  // kept as "systemd-resolve"
        #expect(try Self.glob("systemd-resolv?").matches(comm))
        #expect(try !Self.glob("systemd-resolve?").matches(comm))
        #expect(try Self.glob("*-resolve").matches(comm))
    }

    @Test func descriptionAndEqualityAreThePatternAsWritten() throws {
        #expect(try Self.glob("ssh*").description == "ssh*")
        #expect(try Self.glob("ssh*") == Self.glob("ssh*"))
        #expect(try Self.glob("ssh*") != Self.glob("ssh?"))
        // The same text as a path pattern matches differently, so it is a different glob.
        #expect(try Self.glob("/a/*") != Self.glob("/a/*", pathname: true))
    }

    @Test(arguments: [
        "[abc", "ssh[d", "x[", "[", "[!", "[^", "[]", "[!]", "[]abc", "a[b]c[d", "\\[[x",
    ])
    func anUnterminatedBracketIsRejected(_ pattern: String) {
        #expect(throws: Glob.Problem.unterminatedBracket(pattern)) { try Glob(pattern) }
        #expect(throws: Glob.Problem.unterminatedBracket(pattern)) { try Glob(pattern, pathname: true) }
    }

    @Test(arguments: ["abc\\", "\\", "a\\\\\\", "*\\"])
    func aTrailingBackslashIsRejected(_ pattern: String) {
        #expect(throws: Glob.Problem.trailingBackslash(pattern)) { try Glob(pattern) }
    }

    @Test(arguments: ["\\[", "a\\\\", "[]]", "[!]]", "[^]]x", "[a]b[c]", "\\[x]", "[[:alpha:]]", "[[:alpha:]x]", "a]"])
    func wellFormedPatternsAreAccepted(_ pattern: String) throws {
        #expect(try Glob(pattern).description == pattern)
    }

    /// Bracket expressions fnmatch would take in a way that never does what their author meant: each is
    /// as much a typo as a missing `]`.
    @Test(arguments: [
        // An escaped `]` does not close the bracket, so fnmatch takes this `[` literally.
        "[a\\]", "ssh[\\]",
        // The class's own `]` is not the bracket's; fnmatch matches nothing with this.
        "[[:alpha:]", "x[[:digit:]",
    ])
    func aBracketThatNeverClosesIsRejected(_ pattern: String) {
        #expect(throws: Glob.Problem.unterminatedBracket(pattern)) { try Glob(pattern) }
    }

    /// A misspelt class name: fnmatch matches nothing with `[:alpah:]` or `[::]`, and takes `[:Digit:]` as
    /// a set of characters.
    @Test(arguments: [
        ("[[:alpah:]]", "alpah"), ("x[[:Digit:]]", "Digit"), ("[[::]]", ""), ("[a[:space:][:blnak:]]", "blnak"),
    ])
    func anUnknownCharacterClassIsRejected(_ pattern: String, _ name: String) {
        #expect(throws: Glob.Problem.unknownCharacterClass(pattern, name)) { try Glob(pattern) }
    }

    @Test(arguments: ["alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper", "xdigit"])
    func everyPOSIXCharacterClassIsKnown(_ name: String) throws {
        #expect(try Glob("[[:\(name):]]").description == "[[:\(name):]]")
    }

    @Test(arguments: [
        // Not a class name, so fnmatch takes `[` and `:` as members: no mistake to report.
        ("[[:a-b]", "a"), ("[[:a-b]", ":"), ("[[:a-b]", "["),
        // `[:]` holds no name: a bracket of `[` and `:`, then a literal `]`.
        ("[[:]]", ":]"), ("[[:]]", "[]"),
    ])
    func aColonAfterABracketThatIsNoClassIsAMember(_ pattern: String, _ text: String) throws {
        #expect(try Glob(pattern).matches(Array(text.utf8)))
    }

    @Test func problemsTellTheUserWhatToWrite() {
        #expect(Glob.Problem.unterminatedBracket("ssh[d").description == "`[` without a closing `]` in `ssh[d`; write `\\[` for a literal bracket")
        #expect(Glob.Problem.trailingBackslash("ab\\").description == "`ab\\` ends in a lone `\\`")
        #expect(
            Glob.Problem.unknownCharacterClass("[[:alpah:]]", "alpah").description
                == "unknown character class `[:alpah:]` in `[[:alpah:]]`; the classes are alnum, alpha, blank, cntrl, digit, graph, lower, print, punct, space, upper, xdigit"
        )
    }
}
