import OOMAdjustCore
import Testing

/// The sample config the package ships, and the original article's config verbatim, both load cleanly
/// and mean what they meant under the old cron script.
@Suite struct SampleConfigTests {
    /// The rules of the original list, in order, with the value the kernel would have stored.
    static let originalRules: [(name: String, legacy: String, score: Int16)] = [
        ("sshd", "-17", -1000), ("named", "-8", -470), ("mysqld", "-1", -58), ("apache2", "0", 0),
        ("searchd", "3", 176), ("memcached", "3", 176), ("mongod", "5", 294), ("smtpd", "5", 294),
        ("pure-ftpd", "10", 588), ("pure-ftpd-mysql", "10", 588), ("snmpd", "10", 588),
        ("fail2ban-server", "10", 588), ("ntpd", "10", 588), ("authdaemond", "10", 588),
        ("saslauthd", "10", 588), ("qmgr", "10", 588), ("pickup", "10", 588),
    ]

    static func expectOriginalRules(_ parsed: ParsedConfig, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics)", sourceLocation: sourceLocation)
        #expect(parsed.duplicateWarnings.isEmpty, "\(parsed.duplicateWarnings)", sourceLocation: sourceLocation)
        #expect(parsed.rules.map(\.name.description) == originalRules.map(\.name), sourceLocation: sourceLocation)
        #expect(parsed.rules.map(\.valueSpelling) == originalRules.map(\.legacy), sourceLocation: sourceLocation)
        #expect(parsed.rules.map(\.score.rawValue) == originalRules.map(\.score), sourceLocation: sourceLocation)
    }

    @Test func shippedSampleConfig() throws {
        let parsed = try Fixtures.parseShipped("etc/oom_adjust.conf")
        Self.expectOriginalRules(parsed)
        // Every name of the original list fits in a comm, so none needs the exe or argv[0] to match.
        #expect(parsed.rules.allSatisfy { if case .exact = $0.name { true } else { false } })
    }

    @Test func originalArticleConfigVerbatim() throws {
        let parsed = try Fixtures.parseConfig("seed-oom_adjust.conf")
        Self.expectOriginalRules(parsed)
        #expect(parsed.rules.first?.location == SourceLocation(path: Fixtures.configPath("seed-oom_adjust.conf"), line: 5))
        #expect(parsed.rules.last?.location.line == 38)
    }

    @Test func shippedConfigKeepsTheOriginalRulesUnchanged() throws {
        // The sample adds comments only: its rule lines, in order, are the article's rule lines.
        func ruleLines(_ bytes: [UInt8]) -> [Substring] {
            String(decoding: bytes, as: UTF8.self).split(separator: "\n").filter { !$0.hasPrefix("#") }
        }
        let shipped = try Fixtures.bytes(at: Fixtures.repositoryRoot.appendingPathComponent("etc/oom_adjust.conf"))
        let seed = try Fixtures.bytes(at: Fixtures.directory.appendingPathComponent("configs/seed-oom_adjust.conf"))
        #expect(ruleLines(shipped) == ruleLines(seed))
    }
}
