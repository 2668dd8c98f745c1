import Testing

/// The scope of every root test: it fails clearly without root (or skips, outside CI), gets a fresh
/// `Scenario`, and has it cleaned up, its processes killed and reaped and its files removed, however
/// the test ends. Apply it to a suite: `@Suite(.serialized, .enabled(if: Harness.rootTestsEnabled), .scenario)`,
/// and read the test's scenario as `Scenario.current`.
struct ScenarioTrait: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        // A suite's own scope passes through: each test (case) gets a scenario of its own.
        guard testCase != nil, !test.isSuite else { return try await function() }
        try Harness.requirePrivileges()
        let scenario = try Scenario()
        defer { scenario.cleanUp() }
        try await Scenario.$scoped.withValue(scenario) { try await function() }
    }
}

extension Trait where Self == ScenarioTrait {
    /// Root, a fresh scenario, and its cleanup, for every test of the suite.
    static var scenario: Self { ScenarioTrait() }
}

/// Root alone, for a test that builds and removes what it needs itself (a container, a package, a
/// cgroup of its own) rather than a `Scenario`: it fails clearly without root, or skips outside CI.
struct PrivilegesTrait: TestTrait, TestScoping {
    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try Harness.requirePrivileges()
        try await function()
    }
}

extension Trait where Self == PrivilegesTrait {
    /// Root, and nothing else: `@Test(.privileged)`.
    static var privileged: Self { PrivilegesTrait() }
}

extension Scenario {
    @TaskLocal static var scoped: Scenario?

    /// The scenario of the running test, from the `.scenario` trait of its suite.
    static var current: Scenario {
        guard let scoped else { preconditionFailure("Scenario.current outside a suite with the .scenario trait") }
        return scoped
    }
}
