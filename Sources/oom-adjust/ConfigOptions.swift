import ArgumentParser
import OOMAdjustAgent

/// Options every command that reads the rules shares.
struct ConfigOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: ArgumentHelp("The rules file.", valueName: "path"), completion: .file())
    var path: String = "/etc/oom_adjust.conf"

    @Option(
        name: .customLong("config-dir"),
        help: ArgumentHelp(
            "The drop-in directory whose *.conf files are read after the rules file, in lexical order. (default: oom_adjust.d beside the rules file)",
            valueName: "dir"),
        completion: .directory)
    var dropInDirectory: String?

    func validate() throws {
        guard !path.isEmpty else {
            throw ValidationError("--config needs a path, e.g. --config /etc/oom_adjust.conf")
        }
        if let dropInDirectory, dropInDirectory.isEmpty {
            throw ValidationError("--config-dir needs a directory, e.g. --config-dir /etc/oom_adjust.d")
        }
    }

    var loader: RuleLoader { RuleLoader(configPath: path, dropInDirectory: dropInDirectory) }
}

/// Options of the commands that adjust processes.
struct EnforcementOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Log every matched process: event, pid, comm, rule, old → new value, latency.")
    var verbose = false

    @Flag(name: .long, help: "Decide and log as usual, but write nothing.")
    var dryRun = false
}
