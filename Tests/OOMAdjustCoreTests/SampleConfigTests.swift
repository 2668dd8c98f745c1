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

    /// What the shipped sample adds: today's Debian names for three of the old services, right after the
    /// old names, protected only where the old list protected, with "last" rather than "never".
    static let todaysNames: [(name: String, after: String, value: String, score: Int16)] = [
        ("sshd-session", "sshd", "score=-999", -999), ("mariadbd", "mysqld", "-1", -58), ("chronyd", "ntpd", "10", 588),
    ]

    @Test func shippedSampleConfig() throws {
        var parsed = try Fixtures.parseShipped("etc/oom_adjust.conf")
        let added = parsed.rules.filter { rule in Self.todaysNames.contains { $0.name == rule.name.description } }
        #expect(added.map(\.name.description) == Self.todaysNames.map(\.name))
        #expect(added.map(\.valueSpelling) == Self.todaysNames.map(\.value))
        #expect(added.map(\.score.rawValue) == Self.todaysNames.map(\.score))
        for entry in Self.todaysNames {
            let index = parsed.rules.firstIndex { $0.name.description == entry.name }!
            #expect(parsed.rules[index - 1].name.description == entry.after, "\(entry.name) follows \(entry.after)")
            #expect(parsed.rules[index].score.isProtective == parsed.rules[index - 1].score.isProtective)
        }
        parsed.rules.removeAll { rule in Self.todaysNames.contains { $0.name == rule.name.description } }
        Self.expectOriginalRules(parsed)
        // Every name fits in a comm, so none needs the exe or argv[0] to match.
        #expect(parsed.rules.allSatisfy { if case .exact = $0.name { true } else { false } })
    }

    @Test func originalArticleConfigVerbatim() throws {
        let parsed = try Fixtures.parseConfig("seed-oom_adjust.conf")
        Self.expectOriginalRules(parsed)
        #expect(parsed.rules.first?.location == SourceLocation(path: Fixtures.configPath("seed-oom_adjust.conf"), line: 5))
        #expect(parsed.rules.last?.location.line == 38)
    }

    @Test func shippedConfigKeepsTheOriginalRulesUnchanged() throws {
        // Besides comments and today's names, its rule lines, in order, are the article's rule lines.
        func ruleLines(_ bytes: [UInt8]) -> [Substring] {
            String(decoding: bytes, as: UTF8.self).split(separator: "\n").filter { line in
                !line.hasPrefix("#") && !Self.todaysNames.contains { line.hasPrefix($0.name + " ") }
            }
        }
        let shipped = try Fixtures.bytes(at: Fixtures.repositoryRoot.appendingPathComponent("etc/oom_adjust.conf"))
        let seed = try Fixtures.bytes(at: Fixtures.directory.appendingPathComponent("configs/seed-oom_adjust.conf"))
        #expect(ruleLines(shipped) == ruleLines(seed))
    }
}
