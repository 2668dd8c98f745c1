import Foundation
import Testing

/// podman as the container tests drive it: with runc (crun refuses this machine's hybrid cgroup
/// layout) and ulimits low enough for runc to apply, and every image and container under a name unique
/// to the run, so that cleanup removes exactly what the test made.
struct Podman {
    let executable: String
    /// `oa-it-RANDOM`: the prefix of every image and container this run makes.
    let prefix: String

    init() throws {
        let found = try #require(ServiceSupport.tool("podman"), "podman is not installed (scripts/ensure-test-deps.sh installs podman and runc)")
        _ = try #require(ServiceSupport.tool("runc"), "runc is not installed (scripts/ensure-test-deps.sh installs it)")
        executable = found
        prefix = "oa-it-" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
    }

    static let limits = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=4096:4096"]

    /// Runs podman. Foundation's Process learns that a child exited when a socket it hands the child
    /// closes (swift-corelibs-foundation#4795); `podman run --detach` leaves conmon running, which
    /// would inherit that socket and make the wait last as long as the container. So bash keeps the
    /// socket and waits, and podman runs in a subshell with every descriptor above stderr closed (no
    /// redirection on that loop: bash would park stderr on a descriptor the loop then closes).
    @discardableResult
    func callAsFunction(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let script = #"(for fd in /proc/$BASHPID/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done; exec "$@")"#
        return try Harness.run("/bin/bash", ["-c", script, "bash", executable, "--runtime", "runc"] + arguments)
    }

    /// One field of `podman inspect`, e.g. `.State.Pid`.
    func inspect(_ name: String, _ field: String) throws -> String {
        try self(["inspect", "--format", "{{\(field)}}", name]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Removes the containers, then the images; each may already be gone.
    func remove(containers: [String], images: [String]) {
        for name in containers { _ = try? self(["rm", "--force", "--time", "0", name]) }
        for name in images { _ = try? self(["rmi", "--force", name]) }
    }

    /// A minimal image from files: `executable` renamed to `/NAME` (so its comm is NAME), the shared
    /// libraries ldd lists for it, and nothing else. No base image, no registry.
    func buildImage(_ reference: String, running executable: String, as name: String, in scenario: Scenario) throws {
        let context = scenario.directory.appendingPathComponent("probe-image").path
        let script = """
            set -e
            mkdir -p "$1/rootfs"
            install -m 0755 "$2" "$1/rootfs/$3"
            ldd "$2" | awk '$2 == "=>" && $3 ~ /^\\// { print $3 } $1 ~ /^\\// { print $1 }' | sort -u | while read -r lib; do
                real=$(realpath "$lib"); install -D -m "$(stat -c %a "$real")" "$real" "$1/rootfs$lib"
            done
            printf 'FROM scratch\\nCOPY rootfs/ /\\nENTRYPOINT ["/%s"]\\n' "$3" >"$1/Containerfile"
            """
        let laid = try Harness.run("/bin/sh", ["-c", script, "sh", context, executable, name])
        try #require(laid.status == 0, "laying out the probe image: \(laid.stderr)")
        let built = try self(["build", "--quiet", "--layers=false", "--network=none", "--tag", reference, context])
        try #require(built.status == 0, "podman build: \(built.stderr)")
    }
}

/// Reads of /proc the container tests make about a process the agent must (not) touch.
enum ProcessView {
    /// The capability sets' effective mask of a process.
    static func effectiveCapabilities(of pid: Int32) -> UInt64? { capabilityMask("CapEff", of: pid) }

    static func capabilityMask(_ field: String, of pid: Int32) -> UInt64? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("\(field):") })
        else { return nil }
        return UInt64(line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces), radix: 16)
    }

    /// The cgroup path the agent's `cgroup=` sees: the v2 line, else the v1 name=systemd one.
    static func cgroup(of pid: Int32) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n")
        if let unified = lines.first(where: { $0.hasPrefix("0::") }) { return String(unified.dropFirst(3)) }
        return lines.first { $0.contains(":name=systemd:") }.map { String($0.split(separator: ":", maxSplits: 2)[2]) }
    }

    static func comm(of pid: Int32) -> String? {
        (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .newlines)
    }

    /// A kernel capability's bit, from its name without CAP_.
    static let capabilityBits: [String: Int] = [
        "DAC_OVERRIDE": 1, "NET_ADMIN": 12, "IPC_LOCK": 14, "SYS_PTRACE": 19, "SYS_NICE": 23, "SYS_RESOURCE": 24,
    ]
}
