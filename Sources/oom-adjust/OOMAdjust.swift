import ArgumentParser
import OOMAdjustVersion

@main
struct OOMAdjust: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oom-adjust",
        abstract: "Keep the kernel's OOM-kill order the way /etc/oom_adjust.conf says, at every exec.",
        discussion: """
            Rules name processes and give them an oom_adj (-17..15) or score=N (-1000..1000) value. \
            `run` enforces them as processes start; `once` is the drop-in replacement for the old \
            cron script; `check` validates the configuration.
            """,
        version: BuildVersion.string,
        subcommands: [Run.self, Once.self, Check.self, Status.self, Explain.self, Probe.self, Rank.self]
    )
}
