import Foundation
import Testing

/// The image from deploy/Containerfile, run the way the README and the DaemonSet run it: podman with
/// --pid=host --network=host, every capability dropped but the ones its label lists, a read-only root.
/// A probe exec on the host is adjusted; a process inside another container (a PID namespace of its
/// own) is left alone until a rule names its cgroup; the agent exits 0 on `podman stop`. Every image
/// and container the test makes is removed, failure included.
@Suite(.serialized, .enabled(if: Harness.rootTestsEnabled))
struct ContainerTests {
    /// The capabilities as the image's label lists them, without CAP_.
    static func labelledCapabilities(_ podman: Podman, _ image: String) throws -> [String] {
        let label = try podman.inspect(image, "index .Labels \"oom-adjust.capabilities\"")
        return label.split(separator: " ").map { String($0.dropFirst("CAP_".count)) }
    }

    @Test(.privileged) func theImageAdjustsHostProcessesLeavesOtherContainersAloneUnlessTheCgroupIsNamedAndStopsCleanly() throws {
        let podman = try Podman()
        let scenario = try Scenario()
        let agentImage = "localhost/\(podman.prefix)/oom-adjust"
        let probeImage = "localhost/\(podman.prefix)/probe:test"
        let agentName = "\(podman.prefix)-agent"
        let probeName = "\(podman.prefix)-probe"
        var images = [probeImage, agentImage + ":latest"]
        defer {
            podman.remove(containers: [agentName, probeName], images: images)
            scenario.cleanUp()
        }

        // The image, as scripts/build-image.sh builds it: its last line names it.
        let built = try PackagingTests.script("build-image.sh", [], environment: ["IMAGE": agentImage])
        try #require(built.status == 0, "build-image.sh:\n\(built.stderr)")
        let image = try #require(built.stdout.split(separator: "\n").last.map(String.init))
        images.append(image)
        #expect(image.hasPrefix(agentImage + ":"))
        let version = try VersionTests.version().stdout.trimmingCharacters(in: .newlines)
        #expect(try podman.inspect(image, "index .Labels \"org.opencontainers.image.version\"") == version)
        #expect(try podman.inspect(image, "index .Labels \"org.opencontainers.image.licenses\"") == "Apache-2.0")
        // Nothing but the binary and the libraries it links.
        let files = try Harness.run(
            "/bin/sh", ["-c", "c=$(\"$0\" --runtime runc create \"$1\") && \"$0\" export \"$c\" | tar -t; \"$0\" rm \"$c\" >/dev/null", podman.executable, image])
        let listed = files.stdout.split(separator: "\n").filter { !$0.hasSuffix("/") }.map(String.init)
        #expect(listed.contains("usr/sbin/oom-adjust"), "\(listed)")
        #expect(listed.allSatisfy { $0 == "usr/sbin/oom-adjust" || $0.hasPrefix("lib/") || $0.hasPrefix("lib64/") }, "\(listed)")
        let size = Int(try podman.inspect(image, ".Size")) ?? 0
        print("container image \(image): \(size) bytes, \(listed.count) files")

        // The rules and the metrics directory, as the DaemonSet mounts them.
        let name = Harness.uniqueName("k")
        let rules = scenario.directory.appendingPathComponent("rules")
        let metrics = scenario.directory.appendingPathComponent("textfile")
        for directory in [rules, metrics] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            chmod(directory.path, 0o755)
        }
        let config = rules.appendingPathComponent("oom_adjust.conf").path
        try "\(name) score=300\n".write(toFile: config, atomically: true, encoding: .utf8)
        chmod(config, 0o644)

        let capabilities = try Self.labelledCapabilities(podman, image)
        #expect(Set(capabilities) == ["NET_ADMIN", "SYS_RESOURCE", "DAC_OVERRIDE", "SYS_PTRACE"], "\(capabilities)")
        let started = try podman([
            "run", "--detach", "--name", agentName, "--pid=host", "--network=host", "--cap-drop=all",
            "--cap-add=\(capabilities.joined(separator: ","))", "--read-only",
            "--volume", "\(rules.path):/etc/oom-adjust:ro", "--volume", "\(metrics.path):/var/lib/node-exporter",
        ] + Podman.limits + [
            image, "run", "--config", "/etc/oom-adjust/oom_adjust.conf", "-v",
            "--metrics-file", "/var/lib/node-exporter/oom_adjust.prom", "--metrics-interval", "1",
        ])
        try #require(started.status == 0, "podman run: \(started.stderr)")
        func log() -> String { ((try? podman(["logs", agentName])).map { $0.stdout + $0.stderr }) ?? "" }
        try #require(
            Harness.waitUntil(seconds: 60) { log().contains("reason=start-up") },
            "the agent did not start:\n\(log())\n\(String(describing: try? podman(["logs", agentName])))")
        #expect(log().contains("version=\(version)"))
        let agent = try #require(Int32(try podman.inspect(agentName, ".State.Pid")))

        // Root with exactly the listed capabilities, as far as this machine's bounding set has them
        // (here CAP_SYS_RESOURCE is missing, and runc leaves it out).
        let asked = capabilities.reduce(UInt64(0)) { $0 | (1 << UInt64(ProcessView.capabilityBits[$1]!)) }
        let bounding = try #require(ProcessView.capabilityMask("CapBnd", of: getpid()))
        #expect(ProcessView.effectiveCapabilities(of: agent) == asked & bounding)
        if asked & ~bounding != 0 { print("container test: this machine cannot grant \(String(asked & ~bounding, radix: 16)) (CapBnd)") }

        // Another container: its own PID namespace, an oom_score_adj of its own; exec'd before the host
        // probe, so once the host probe is adjusted its exec event has been decided too.
        try podman.buildImage(probeImage, running: "/bin/sleep", as: name, in: scenario)
        let probe = try podman(["run", "--detach", "--name", probeName, "--network=none", "--cap-drop=all", "--oom-score-adj=50"] + Podman.limits + [probeImage, "600"])
        try #require(probe.status == 0, "podman run (probe): \(probe.stderr)")
        let contained = try #require(Int32(try podman.inspect(probeName, ".State.Pid")))
        #expect(Harness.waitUntil { ProcessView.comm(of: contained) == name })
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(contained)/ns/pid")
            != FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(agent)/ns/pid"))
        let host = try scenario.spawn(name, ["sleep", "120"])
        #expect(Harness.waitUntil(seconds: 20) { host.score == 300 }, "\(log())")
        // At its fork or its exec event: under load the agent may read the new name at the fork already.
        #expect(
            Harness.waitUntil(seconds: 20) {
                log().split(separator: "\n").contains { $0.contains(" adjusted event=") && $0.contains(" pid=\(host.pid) ") }
            }, "\(log())")
        #expect(Harness.score(of: contained) == 50, "a container's process was adjusted without a cgroup= rule")
        #expect(!log().contains("pid=\(contained) "), "\(log())")

        // A rule naming the container's cgroup reaches it; the reload's sweep applies it.
        let cgroup = try #require(ProcessView.cgroup(of: contained))
        try "\(name) score=310 cgroup=\(cgroup)\n\(name) score=300\n".write(toFile: config, atomically: true, encoding: .utf8)
        chmod(config, 0o644)
        #expect(try podman(["kill", "--signal", "HUP", agentName]).status == 0)
        #expect(Harness.waitUntil(seconds: 20) { Harness.score(of: contained) == 310 }, "\(log())")
        #expect(host.score == 300)

        // The metrics on the host, with the build's version; the liveness probe passes inside the container.
        let prom = metrics.appendingPathComponent("oom_adjust.prom").path
        #expect(Harness.waitUntil { PackagingTests.read(prom)?.contains("oom_adjust_build_info{version=\"\(version)\"} 1") == true })
        let alive = try podman(["exec", agentName, "/usr/sbin/oom-adjust", "probe", "--metrics-file", "/var/lib/node-exporter/oom_adjust.prom", "--max-age", "30"])
        #expect(alive.status == 0, "\(alive.stdout)\(alive.stderr)")

        let buffer = log().split(separator: " ").first { $0.hasPrefix("receive_buffer_bytes=") }.flatMap { Int($0.dropFirst("receive_buffer_bytes=".count)) }
        try Self.measureMemory(of: agent, after: 2000, receiveBuffer: try #require(buffer, "\(log())"))

        let stopped = try podman(["stop", "--time", "20", agentName])
        #expect(stopped.status == 0, "\(stopped.stderr)")
        #expect(try podman.inspect(agentName, ".State.ExitCode") == "0", "\(log())")
        #expect(log().contains("info stopping signal=SIGTERM"))
    }

    /// The agent's resident memory after `execs` execs on the host, and its container's memory peak:
    /// the figures behind the DaemonSet's requests and limits, checked against its limit. A storm can
    /// also fill the socket's receive buffer, which cgroup v2 charges to the pod's memory too.
    static func measureMemory(of agent: Int32, after execs: Int, receiveBuffer: Int) throws {
        let storm = try Harness.run("/bin/sh", ["-c", "i=0; while [ $i -lt \(execs) ]; do /bin/true; i=$((i+1)); done"])
        #expect(storm.status == 0)
        let status = (try? String(contentsOfFile: "/proc/\(agent)/status", encoding: .utf8)) ?? ""
        func kib(_ field: String) -> Int? {
            status.split(separator: "\n").first { $0.hasPrefix(field + ":") }
                .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true)[1]) }
        }
        let memoryLine = ((try? String(contentsOfFile: "/proc/\(agent)/cgroup", encoding: .utf8)) ?? "")
            .split(separator: "\n").first { $0.split(separator: ":").dropFirst().first?.split(separator: ",").contains("memory") == true }
        let group = memoryLine.map { String($0.split(separator: ":", maxSplits: 2)[2]) }
        let peak = group.flatMap { path in
            ["/sys/fs/cgroup/memory\(path)/memory.max_usage_in_bytes", "/sys/fs/cgroup\(path)/memory.peak"].lazy
                .compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }.first
        }.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        print("container agent after \(execs) execs: VmRSS \(kib("VmRSS") ?? -1) KiB, VmHWM \(kib("VmHWM") ?? -1) KiB, RssAnon \(kib("RssAnon") ?? -1) KiB, cgroup memory peak \(peak.map { "\($0 / 1024) KiB" } ?? "unknown")")
        let limit = try #require(try DaemonSetTests.memoryLimitBytes(), "the DaemonSet has no memory limit")
        // Resident memory and a full receive buffer together within three quarters of the limit.
        let high = try #require(kib("VmHWM"))
        #expect((high * 1024 + receiveBuffer) * 4 <= limit * 3, "VmHWM \(high) KiB + \(receiveBuffer) B of socket buffer against \(limit) B")
        if let peak { #expect((peak + receiveBuffer) * 4 <= limit * 3, "cgroup peak \(peak) B + \(receiveBuffer) B against \(limit) B") }
    }
}
