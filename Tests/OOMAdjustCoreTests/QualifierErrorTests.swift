import OOMAdjustCore
import Testing

/// Errors in what may follow a rule's value (quotes, `KEY=VALUE` qualifiers) and in glob NAMEs, each at
/// its exact `PATH:LINE:`, all of them in one pass.
@Suite struct QualifierErrorTests {
    @Test func everyErrorInTheFixtureIsReportedAtItsLine() throws {
        let parsed = try Fixtures.parseConfig("qualifier-errors.conf")
        expectDiagnostics(
            parsed.diagnostics,
            [
                .error(line: 4, "a `\"` is not closed"),
                .error(line: 5, "unknown qualifier `colour=`"),
                .error(line: 6, "`user=` appears twice"),
                .error(line: 7, "`trust=everything`: the only opt-out is trust=name"),
                .error(line: 8, "`exe=` needs a value"),
                .error(line: 9, "`exe=sshd`: give the absolute path"),
                .error(line: 10, "unknown user `no-such-account`"),
                .error(line: 11, "`[` without a closing `]` in `ab[c`"),
                .error(line: 12, "`cgroup=system.slice`: cgroup paths start with `/`"),
                .error(line: 13, "`x\\` ends in a lone `\\`"),
                .error(line: 14, "oom_adj value `16` is out of range"),
                .error(line: 14, "unknown qualifier `colour=`"),
                .error(line: 14, "`trust=x`: the only opt-out is trust=name"),
            ],
            path: Fixtures.configPath("qualifier-errors.conf"))
        #expect(parsed.rules.map(\.location.line) == [3])
    }

    @Test func userNamesResolveThroughTheInjectedLookup() {
        let text = Array("postgres 5 user=postgres\nsshd -17 user=nobody-here\n".utf8)
        let parsed = ConfigParser.parse(text, path: "u.conf", users: { $0 == "postgres" ? 113 : nil })
        expectDiagnostics(parsed.diagnostics, [.error(line: 2, "unknown user `nobody-here`")], path: "u.conf")
        #expect(parsed.rules.map(\.location.line) == [1])
    }
}
