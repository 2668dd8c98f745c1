import ArgumentParser
import Glibc

extension OOMAdjust {
    /// A liveness check for a container, which has no systemd watchdog: the agent's event loop rewrites
    /// its metrics file every --metrics-interval, so a file that stopped changing means a loop that
    /// stopped turning (or an agent that is gone).
    struct Probe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Exit 0 when the running agent's metrics file is fresh: a liveness probe for containers.",
            discussion: """
                `run --metrics-file PATH` rewrites PATH every --metrics-interval seconds (10 by default), \
                from its event loop. `probe --metrics-file PATH` exits 0 when PATH was written within \
                the last --max-age seconds, and 1, saying how old it is, when not. Use it as a \
                Kubernetes exec liveness probe or a podman healthcheck; under systemd the watchdog \
                does this job.
                """
        )

        @Option(
            name: .long,
            help: ArgumentHelp("The metrics file the agent writes (its run --metrics-file).", valueName: "path"),
            completion: .file())
        var metricsFile: String

        @Option(
            name: .long,
            help: ArgumentHelp("The oldest the file may be, in seconds (several --metrics-interval).", valueName: "seconds"))
        var maxAge: Double = 60

        func validate() throws {
            guard maxAge > 0, maxAge <= 86400 else {
                throw ValidationError("--max-age must be from 1 to 86400 seconds, a few times the agent's --metrics-interval, e.g. --max-age 60; got \(maxAge)")
            }
        }

        func run() throws {
            var info = stat()
            guard stat(metricsFile, &info) == 0 else {
                let reason = String(cString: strerror(errno))
                printError("oom-adjust: \(metricsFile): \(reason); the agent has not written it yet, or it runs without --metrics-file \(metricsFile)")
                throw ExitStatus.failure
            }
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            let age = Double(now.tv_sec - info.st_mtim.tv_sec) + Double(now.tv_nsec - info.st_mtim.tv_nsec) / 1e9
            guard age <= maxAge else {
                printError(
                    "oom-adjust: \(metricsFile) was last written \(Int(age)) s ago, more than --max-age \(Int(maxAge)) s: the agent's event loop is stuck, or the agent is gone")
                throw ExitStatus.failure
            }
            print("\(metricsFile): written \(max(Int(age), 0)) s ago")
        }
    }
}
