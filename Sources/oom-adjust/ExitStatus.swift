import ArgumentParser

/// The documented exit statuses (README, "Exit statuses").
enum ExitStatus {
    /// Something outside the rules failed: /proc unreadable, no proc connector, a broken event loop.
    static let failure = ExitCode(1)
    /// The configuration is invalid; nothing was written.
    static let configInvalid = ExitCode(2)
    /// The sweep finished, but the kernel refused some writes (typically EACCES without CAP_SYS_RESOURCE).
    static let writesRefused = ExitCode(3)
}
