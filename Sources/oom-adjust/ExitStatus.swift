import ArgumentParser
import OOMAdjustAgent

/// The documented exit statuses (README, "Exit statuses").
enum ExitStatus {
    /// Something outside the rules failed: /proc unreadable, no proc connector, a broken event loop.
    static let failure = ExitCode(1)
    /// The configuration is invalid; nothing was written.
    static let configInvalid = ExitCode(2)
    /// The sweep finished, but the kernel denied some writes (typically EACCES without CAP_SYS_RESOURCE).
    static let writesDenied = ExitCode(3)
    /// The configuration names accounts that cannot be resolved yet (EX_TEMPFAIL): at boot, before LDAP
    /// or sssd answer. Unlike 2, the unit does not stop restarting on it, so the agent starts as soon as
    /// the names resolve.
    static let accountsUnresolved = ExitCode(75)

    /// The exit status of a start-up or sweep failure.
    static func of(_ failure: Startup.Failure) -> ExitCode {
        switch failure {
        case .setup: Self.failure
        case .configInvalid: configInvalid
        case .accountsUnresolved: accountsUnresolved
        }
    }
}
