import Logging
@testable import OOMAdjustAgent
import Testing

/// The start-up's loading step: what `run` and `once` exit with for each kind of broken configuration
/// (the CLI maps `Startup.Failure` to the documented exit statuses 2 and 75).
@Suite struct StartupTests {
    static let logger = Logger(label: "startup-tests") { _ in SwiftLogNoOpLogHandler() }

    @Test func aValidConfigurationLoads() throws {
        let tree = try ConfigTree()
        let path = try tree.write("oom_adjust.conf", "oa-startup-a 5\n")
        let loaded = try Startup.load(RuleLoader(configPath: path, dropInDirectory: tree.path("none.d")), logger: Self.logger)
        #expect(loaded.rules.rules.count == 1)
    }

    @Test func anInvalidOneIsConfigInvalid() throws {
        let tree = try ConfigTree()
        let path = try tree.write("oom_adjust.conf", "oa-startup-b 5000\n")
        #expect(throws: Startup.Failure.configInvalid) {
            try Startup.load(RuleLoader(configPath: path, dropInDirectory: tree.path("none.d")), logger: Self.logger)
        }
    }

    /// An account no directory service knows yet is worth retrying (exit 75), unlike a typo in a value.
    @Test func anUnresolvedAccountIsWorthRetrying() throws {
        let tree = try ConfigTree()
        let path = try tree.write("oom_adjust.conf", "oa-startup-c -5 user=oa-no-such-account-here\n")
        #expect(throws: Startup.Failure.accountsUnresolved) {
            try Startup.load(RuleLoader(configPath: path, dropInDirectory: tree.path("none.d")), logger: Self.logger)
        }
        let both = try tree.write("both.conf", "oa-startup-c -5 user=oa-no-such-account-here\noa-startup-d 5000\n")
        #expect(throws: Startup.Failure.configInvalid) {
            try Startup.load(RuleLoader(configPath: both, dropInDirectory: tree.path("none.d")), logger: Self.logger)
        }
    }
}
