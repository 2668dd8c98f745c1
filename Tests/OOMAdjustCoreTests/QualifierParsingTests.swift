import OOMAdjustCore
import Testing

/// `NAME VALUE [QUALIFIER ...]`: what each qualifier parses into, quoting, and every mistake reported at
/// its `PATH:LINE` with a hint.
@Suite struct QualifierParsingTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    // MARK: - What a qualifier becomes

    @Test func exeIsAnExactPathOrAPathGlob() throws {
        let exact = try RuleText.rule("sshd -17 exe=/usr/sbin/sshd")
        #expect(exact.qualifiers == [.exe(.exact(Self.bytes("/usr/sbin/sshd")))])
        let glob = try RuleText.rule("sshd -17 exe=/usr/*/sshd")
        #expect(glob.qualifiers == [.exe(.glob(try Glob("/usr/*/sshd", pathname: true)))])
    }

    @Test func userIsResolvedToAUIDWhenTheConfigIsRead() throws {
        #expect(try RuleText.rule("postgres -5 user=postgres").qualifiers == [.user(uid: 113, spelling: "postgres")])
        #expect(try RuleText.rule("postgres -5 user=113").qualifiers == [.user(uid: 113, spelling: "113")])
        #expect(try RuleText.rule("x 1 user=0").qualifiers == [.user(uid: 0, spelling: "0")])
        #expect(try RuleText.rule("x 1 user=4294967295").qualifiers == [.user(uid: 4_294_967_295, spelling: "4294967295")])
    }

    @Test func aNumericUserIsNeverLookedUp() {
        var asked: [String] = []
        let parsed = ConfigParser.parse(Self.bytes("x 1 user=113\ny 1 user=alice\n"), path: "u.conf") { name in
            asked.append(name)
            return name == "alice" ? 1001 : nil
        }
        #expect(parsed.diagnostics.isEmpty)
        #expect(asked == ["alice"])
        #expect(parsed.rules.map(\.qualifiers) == [[.user(uid: 113, spelling: "113")], [.user(uid: 1001, spelling: "alice")]])
    }

    @Test func cmdlineAndCgroupAreGlobsWhoseStarCrossesSlashes() throws {
        let rule = try RuleText.rule("java 5 cmdline=*/opt/app.jar* cgroup=/system.slice/*")
        #expect(rule.qualifiers == [.cmdline(try Glob("*/opt/app.jar*")), .cgroup(try CgroupPattern("/system.slice/*"))])
        #expect(try RuleText.rule("java 5 cgroup=*app*").qualifiers == [.cgroup(try CgroupPattern("*app*"))])
    }

    @Test func parentIsANameLikeNAME() throws {
        #expect(try RuleText.rule("x 1 parent=systemd").qualifiers == [.parent(.exact(Comm("systemd")))])
        #expect(try RuleText.rule("x 1 parent=sshd*").qualifiers == [.parent(.glob(try Glob("sshd*")))])
        #expect(
            try RuleText.rule("x 1 parent=systemd-resolved").qualifiers
                == [.parent(.long(prefix: Comm("systemd-resolve"), full: Self.bytes("systemd-resolved")))])
    }

    @Test func trustNameIsAFlagNotAQualifier() throws {
        let rule = try RuleText.rule("sshd -17 trust=name")
        #expect(rule.trustsName)
        #expect(rule.qualifiers.isEmpty)
        #expect(try !RuleText.rule("sshd -17").trustsName)
    }

    @Test func qualifiersKeepTheirOrderAndAllAreKept() throws {
        let rule = try RuleText.rule("java score=-500 user=postgres exe=/usr/bin/java parent=systemd cmdline=*-jar* cgroup=/a trust=name")
        #expect(rule.qualifiers.map(\.key) == ["user", "exe", "parent", "cmdline", "cgroup"])
        #expect(rule.trustsName)
        #expect(rule.namesExecutable && rule.namesUser)
        #expect(rule.score.rawValue == -500)
    }

    @Test func namesExecutableAndNamesUserFollowTheQualifiers() throws {
        let plain = try RuleText.rule("sshd -17 cmdline=* cgroup=/* parent=init")
        #expect(!plain.namesExecutable && !plain.namesUser)
        let exe = try RuleText.rule("sshd -17 exe=/usr/sbin/sshd")
        #expect(exe.namesExecutable && !exe.namesUser)
        let user = try RuleText.rule("sshd -17 user=root")
        #expect(!user.namesExecutable && user.namesUser)
    }

    @Test func aNameWithGlobSyntaxIsAGlob() throws {
        #expect(try RuleText.rule("php-fpm* 5").name == .glob(try Glob("php-fpm*")))
        #expect(try RuleText.rule("kworker/? 5").name == .glob(try Glob("kworker/?")))
        #expect(try RuleText.rule("[ab]d 5").name == .glob(try Glob("[ab]d")))
        #expect(try RuleText.rule("sshd 5").name == .exact(Comm("sshd")))
    }

    // MARK: - Quotes

    @Test func quotesGroupAValueWithSpaces() throws {
        let rule = try RuleText.rule("java 5 cmdline=\"java -jar /opt/app.jar *\"")
        #expect(rule.qualifiers == [.cmdline(try Glob("java -jar /opt/app.jar *"))])
        #expect(rule.spelling == "java 5 cmdline=\"java -jar /opt/app.jar *\"")
    }

    @Test func quotesMayWrapTheWholeTokenOrPartOfIt() throws {
        let expected = Qualifier.cmdline(try Glob("a b"))
        #expect(try RuleText.rule("x 1 cmdline=\"a b\"").qualifiers == [expected])
        #expect(try RuleText.rule("x 1 \"cmdline=a b\"").qualifiers == [expected])
        #expect(try RuleText.rule("x 1 cmdline=a\" \"b").qualifiers == [expected])
    }

    @Test func aQuotedNameMayHoldASpace() throws {
        // Comms may hold spaces (Firefox's "Web Content").
        let rule = try RuleText.rule("\"Web Content\" 10")
        #expect(rule.name == .exact(Comm("Web Content")))
    }

    @Test func aHashInsideQuotesIsNoComment() throws {
        let rule = try RuleText.rule("x 1 cmdline=\"--tag #1\" # a real comment")
        #expect(rule.qualifiers == [.cmdline(try Glob("--tag #1"))])
    }

    @Test func backslashEscapesAQuoteOrABackslashInsideQuotes() throws {
        let rule = try RuleText.rule(#"x 1 cmdline="say \"hi\" to C:\\dir""#)
        #expect(rule.qualifiers == [.cmdline(try Glob(#"say "hi" to C:\dir"#))])
    }

    @Test func insideQuotesABackslashBeforeAnythingElseIsKeptForTheGlob() throws {
        // The hint for an unterminated bracket says to write `\[`; it must work inside quotes too, and
        // `\*` must stay a literal star rather than become a wildcard.
        let bracket = try RuleText.rule(#"x 1 cmdline="run \[x""#)
        #expect(bracket.qualifiers == [.cmdline(try Glob(#"run \[x"#))])
        let star = try RuleText.rule(#"x 1 cmdline="a \*""#)
        let glob = try #require({ if case .cmdline(let glob) = star.qualifiers.first { return glob } else { return nil } }())
        #expect(glob.matches(Self.bytes("a *")))
        #expect(!glob.matches(Self.bytes("a b")))
    }

    @Test func anUnclosedQuoteIsAnErrorAtItsLine() {
        #expect(
            RuleText.diagnostics("sshd -17\nx 1 cmdline=\"java -jar\nnamed -8\n", path: "/etc/q.conf") == [
                "/etc/q.conf:2: error: a `\"` is not closed; quotes group a value with spaces, e.g. cmdline=\"java -jar *\""
            ])
        #expect(RuleText.parse("sshd -17\nx 1 cmdline=\"java -jar\nnamed -8\n").rules.map(\.location.line) == [1, 3])
        #expect(RuleText.diagnostics(#"x 1 cmdline="a\"#).count == 1)
    }

    // MARK: - Mistakes, each at PATH:LINE with a hint

    @Test(arguments: [
        ("sshd -17 foo=bar", "unknown qualifier `foo=`; known: exe=, user=, cmdline=, cgroup=, parent=, trust=name"),
        ("sshd -17 EXE=/usr/sbin/sshd", "unknown qualifier `EXE=`"),
        ("sshd -17 =x", "unknown qualifier `=`"),
        ("sshd -17 exe=", "`exe=` needs a value, e.g. exe=/usr/sbin/sshd"),
        ("sshd -17 exe=\"\"", "`exe=` needs a value"),
        ("sshd -17 user=", "`user=` needs a value, e.g. user=postgres or user=113"),
        ("sshd -17 cmdline=", "`cmdline=` needs a value, e.g. cmdline="),
        ("sshd -17 cgroup=", "`cgroup=` needs a value, e.g. cgroup=/system.slice/ssh.service"),
        ("sshd -17 parent=", "`parent=` needs a value, e.g. parent=systemd"),
        ("sshd -17 trust=", "`trust=`: the only opt-out is trust=name"),
        ("sshd -17 trust=yes", "`trust=yes`: the only opt-out is trust=name"),
        ("sshd -17 exe=usr/sbin/sshd", "`exe=usr/sbin/sshd`: give the absolute path as /proc/PID/exe shows it, e.g. exe=/usr/sbin/sshd"),
        ("sshd -17 exe=sshd*", "`exe=sshd*`: give the absolute path"),
        ("sshd -17 user=nobody-here", "unknown user `nobody-here`: no such account; give a name from /etc/passwd or a numeric uid (an account from a directory service resolves only once that service is up)"),
        ("sshd -17 user=-1", "unknown user `-1`"),
        ("sshd -17 user=4294967296", "unknown user `4294967296`"),
        ("sshd -17 cgroup=system.slice/ssh.service", "`cgroup=system.slice/ssh.service`: cgroup paths start with `/`, e.g. cgroup=/system.slice/ssh.service"),
        ("sshd -17 exe=/usr/sbin/ssh[d", "`exe=`: `[` without a closing `]` in `/usr/sbin/ssh[d`; write `\\[` for a literal bracket"),
        ("sshd -17 cmdline=*[x", "`cmdline=`: `[` without a closing `]` in `*[x`"),
        ("sshd -17 cgroup=/a[", "`cgroup=`: `[` without a closing `]` in `/a[`"),
        ("sshd -17 cgroup=/a/**/b", "`cgroup=`: `**` in `/a/**/b` is only allowed as the last component, `/**`, which matches the whole subtree; inside a path, `*` matches one component"),
        ("sshd -17 parent=ssh[d", "`parent=`: `[` without a closing `]` in `ssh[d`"),
        ("sshd -17 cmdline=a\\", "`cmdline=`: `a\\` ends in a lone `\\`"),
        ("ssh[d -17", "NAME: `[` without a closing `]` in `ssh[d`"),
        ("sshd -17 user=root user=0", "`user=` appears twice; a rule's qualifiers must all hold, so give each once"),
        ("sshd -17 trust=name trust=name", "`trust=` appears twice"),
        ("sshd -17 root", "unexpected `root` after the value; qualifiers are KEY=VALUE (exe=, user=, cmdline=, cgroup=, parent=, trust=name)"),
    ])
    func aMistakeIsOneErrorAtItsLineAndTheLineMakesNoRule(_ line: String, _ message: String) {
        let text = "named -8\n# comment\n\(line)\nmysqld -1\n"
        let parsed = RuleText.parse(text, path: "/etc/oom_adjust.d/50-x.conf")
        #expect(parsed.diagnostics.count == 1, "\(parsed.diagnostics)")
        let diagnostic = parsed.diagnostics.first
        #expect(diagnostic?.severity == .error)
        #expect(diagnostic?.path == "/etc/oom_adjust.d/50-x.conf")
        #expect(diagnostic?.line == 3)
        #expect(diagnostic?.description.hasPrefix("/etc/oom_adjust.d/50-x.conf:3: error: \(message)") == true, "\(parsed.diagnostics)")
        #expect(parsed.rules.map(\.name.description) == ["named", "mysqld"])
        #expect(parsed.rules.map(\.location.line) == [1, 4])
    }

    @Test func everyMistakeOnALineIsReported() {
        let diagnostics = RuleText.diagnostics("s[ 16 foo=1 exe=rel user=ghost user=root cgroup=x trust=maybe extra\n", path: "m.conf")
        #expect(
            diagnostics == [
                "m.conf:1: error: NAME: `[` without a closing `]` in `s[`; write `\\[` for a literal bracket",
                "m.conf:1: error: oom_adj value `16` is out of range -17..15; for the native scale write score=N (-1000..1000)",
                "m.conf:1: error: unknown qualifier `foo=`; known: exe=, user=, cmdline=, cgroup=, parent=, trust=name",
                "m.conf:1: error: `exe=rel`: give the absolute path as /proc/PID/exe shows it, e.g. exe=/usr/sbin/sshd",
                "m.conf:1: error: unknown user `ghost`: no such account; give a name from /etc/passwd or a numeric uid (an account from a directory service resolves only once that service is up)",
                "m.conf:1: error: `user=` appears twice; a rule's qualifiers must all hold, so give each once",
                "m.conf:1: error: `cgroup=x`: cgroup paths start with `/`, e.g. cgroup=/system.slice/ssh.service",
                "m.conf:1: error: `trust=maybe`: the only opt-out is trust=name",
                "m.conf:1: error: unexpected `extra` after the value; qualifiers are KEY=VALUE (exe=, user=, cmdline=, cgroup=, parent=, trust=name), and `#` starts a comment",
            ])
    }

    @Test func mistakesOnSeveralLinesEachNameTheirOwnLine() {
        let diagnostics = RuleText.parse("a 1 exe=x\nb 1\n\nc 1 user=ghost\nd 1 cmdline=[\n", path: "p.conf").errors
        #expect(diagnostics.map(\.line) == [1, 4, 5])
        #expect(diagnostics.allSatisfy { $0.path == "p.conf" })
    }

    @Test func anUnknownUserIsAnErrorEvenWithTheDefaultResolver() {
        // Without a resolver no name resolves: the parser never guesses a uid.
        let parsed = ConfigParser.parse(Self.bytes("x 1 user=root\n"), path: "d.conf")
        #expect(parsed.diagnostics.map(\.description) == ["d.conf:1: error: unknown user `root`: no such account; give a name from /etc/passwd or a numeric uid (an account from a directory service resolves only once that service is up)"])
        #expect(parsed.rules.isEmpty)
    }

    @Test func anEmptyQuotedNameIsAnError() {
        let parsed = ConfigParser.parse(Self.bytes("\"\" 5\n"), path: "e.conf")
        #expect(parsed.diagnostics.map(\.description) == ["e.conf:1: error: empty NAME; write the process name as `ps -o comm` shows it"])
        #expect(parsed.rules.isEmpty)
    }
}
