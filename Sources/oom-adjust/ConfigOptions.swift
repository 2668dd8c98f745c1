import ArgumentParser

/// Options every command that reads the rules shares.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The rules file.", valueName: "path"))
    var config: String = "/etc/oom_adjust.conf"

    func validate() throws {
        guard !config.isEmpty else {
            throw ValidationError("--config needs a path, e.g. --config /etc/oom_adjust.conf")
        }
    }
}

/// Options of the commands that adjust processes.
struct EnforcementOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Log every matched process: event, pid, comm, rule, old → new value, latency.")
    var verbose = false

    @Flag(name: .long, help: "Decide and log as usual, but write nothing.")
    var dryRun = false
}
