import Foundation
import Testing

/// deploy/kubernetes/daemonset.yaml: valid against the Kubernetes API schema, offline (kubernetes-validate
/// from PyPI bundles the schemas; it runs in a network namespace of its own, so it cannot fetch any), and
/// holding everything the agent needs: the host's PID and network namespaces, the image's capabilities
/// and nothing privileged, the rules from the ConfigMap as config and drop-in directory (which the agent
/// accepts in the layout kubelet gives a ConfigMap volume), the metrics on a hostPath, a liveness
/// probe, memory requests and limits, system-node-critical.
@Suite(.serialized, .enabled(if: Harness.rootTestsEnabled))
struct DaemonSetTests {
    static let manifest = Harness.packageRoot.appendingPathComponent("deploy/kubernetes/daemonset.yaml").path
    /// The tools' virtualenv scripts/ensure-test-deps.sh makes (kubernetes-validate, and its PyYAML).
    static let tools = Harness.packageRoot.appendingPathComponent(".build-tools/venv/bin").path

    static func requireTools() throws -> (python: String, validate: String) {
        let python = tools + "/python", validate = tools + "/kubernetes-validate"
        try #require(
            FileManager.default.isExecutableFile(atPath: validate),
            "\(validate) is missing; run scripts/ensure-test-deps.sh (it installs kubernetes-validate from PyPI)")
        return (python, validate)
    }

    /// The manifest's documents as JSON values, by kind.
    static func documents() throws -> [String: [String: Any]] {
        let (python, _) = try requireTools()
        let dump = try Harness.run(
            python, ["-c", "import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))", manifest])
        try #require(dump.status == 0, "\(dump.stderr)")
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [[String: Any]])
        return Dictionary(parsed.map { ($0["kind"] as? String ?? "", $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The DaemonSet's memory limit in bytes, for ContainerTests to hold the measured RSS against.
    static func memoryLimitBytes() throws -> Int? {
        guard let limit = try container(in: documents())?["resources"].flatMap(dictionary)?["limits"].flatMap(dictionary)?["memory"] as? String
        else { return nil }
        return bytes(limit)
    }

    static func bytes(_ quantity: String) -> Int? {
        for (suffix, factor) in [("Ki", 1 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30)] where quantity.hasSuffix(suffix) {
            return Int(quantity.dropLast(2)).map { $0 * factor }
        }
        return Int(quantity)
    }

    static func dictionary(_ value: Any) -> [String: Any]? { value as? [String: Any] }

    static func podSpec(in documents: [String: [String: Any]]) -> [String: Any]? {
        documents["DaemonSet"]?["spec"].flatMap(dictionary)?["template"].flatMap(dictionary)?["spec"].flatMap(dictionary)
    }

    static func container(in documents: [String: [String: Any]]) -> [String: Any]? {
        (podSpec(in: documents)?["containers"] as? [[String: Any]])?.first
    }

    @Test(.privileged) func theManifestValidatesAgainstTheKubernetesSchemaOffline() throws {
        let (_, validate) = try Self.requireTools()
        let result = try Harness.run("/usr/bin/unshare", ["--net", validate, "--strict", Self.manifest])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        for resource in ["configmap/oom-adjust", "daemonset/oom-adjust"] {
            #expect(result.stdout.contains("passed for resource \(resource)"), "\(result.stdout)")
        }
        // It does reject a wrong manifest: a misspelt field fails the strict check.
        let scenario = try Scenario()
        defer { scenario.cleanUp() }
        let wrong = scenario.directory.appendingPathComponent("wrong.yaml").path
        try (PackagingTests.read(Self.manifest) ?? "").replacingOccurrences(of: "hostPID:", with: "hostPid:")
            .write(toFile: wrong, atomically: true, encoding: .utf8)
        let rejected = try Harness.run("/usr/bin/unshare", ["--net", validate, "--strict", wrong])
        #expect(rejected.status != 0 && rejected.stdout.contains("'hostPid' was unexpected"), "\(rejected.stdout)")
    }

    @Test(.privileged) func thePodRunsInTheHostsNamespacesWithTheImagesCapabilitiesAndNothingPrivileged() throws {
        let documents = try Self.documents()
        let pod = try #require(Self.podSpec(in: documents))
        #expect(pod["hostPID"] as? Bool == true)
        #expect(pod["hostNetwork"] as? Bool == true)
        #expect(pod["priorityClassName"] as? String == "system-node-critical")
        #expect(documents["DaemonSet"]?["metadata"].flatMap(Self.dictionary)?["namespace"] as? String == "kube-system")
        let container = try #require(Self.container(in: documents))
        let security = try #require(container["securityContext"].flatMap(Self.dictionary))
        #expect(security["privileged"] as? Bool != true)
        #expect(security["allowPrivilegeEscalation"] as? Bool == false)
        #expect(security["readOnlyRootFilesystem"] as? Bool == true)
        #expect(security["runAsUser"] as? Int == 0)
        let capabilities = try #require(security["capabilities"].flatMap(Self.dictionary))
        #expect(capabilities["drop"] as? [String] == ["ALL"])
        // The same set as the image's label (deploy/Containerfile), which ContainerTests runs with.
        let containerfile = PackagingTests.read(Harness.packageRoot.appendingPathComponent("deploy/Containerfile").path) ?? ""
        let label = try #require(containerfile.split(separator: "\n").first { $0.contains("oom-adjust.capabilities=") })
        let labelled = label.split(separator: "\"")[1].split(separator: " ").map { String($0.dropFirst("CAP_".count)) }
        #expect(Set(capabilities["add"] as? [String] ?? []) == Set(labelled), "\(labelled)")

        // Memory requested and limited; the limit is held against the measured RSS in ContainerTests.
        let resources = try #require(container["resources"].flatMap(Self.dictionary))
        let requested = resources["requests"].flatMap(Self.dictionary)?["memory"] as? String
        let limited = resources["limits"].flatMap(Self.dictionary)?["memory"] as? String
        let request = try #require(requested.flatMap { Self.bytes($0) })
        let limit = try #require(limited.flatMap { Self.bytes($0) })
        #expect(request > 0 && request <= limit)
    }

    @Test(.privileged) func theRulesTheMetricsAndTheLivenessProbeAreWiredTogether() throws {
        let documents = try Self.documents()
        let pod = try #require(Self.podSpec(in: documents))
        let container = try #require(Self.container(in: documents))
        let arguments = try #require(container["args"] as? [String])
        func value(after option: String) -> String? {
            arguments.firstIndex(of: option).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
        }
        let config = try #require(value(after: "--config"))
        let metrics = try #require(value(after: "--metrics-file"))
        let mounts = try #require(container["volumeMounts"] as? [[String: Any]])
        let volumes = try #require(pod["volumes"] as? [[String: Any]])
        func volume(mountedAbove path: String) -> [String: Any]? {
            let mount = mounts.first { path.hasPrefix(($0["mountPath"] as? String ?? "") + "/") }
            return volumes.first { $0["name"] as? String == mount?["name"] as? String }
        }
        // The config and the drop-in directory beside it come from the manifest's ConfigMap.
        let rules = try #require(volume(mountedAbove: config)?["configMap"].flatMap(Self.dictionary))
        let map = try #require(documents["ConfigMap"])
        #expect(rules["name"] as? String == map["metadata"].flatMap(Self.dictionary)?["name"] as? String)
        let items = try #require(rules["items"] as? [[String: String]])
        #expect(items.contains { $0["path"] == "oom_adjust.conf" && config.hasSuffix("/oom_adjust.conf") })
        #expect(items.contains { $0["path"]?.hasPrefix("oom_adjust.d/") == true })
        let data = try #require(map["data"] as? [String: String])
        #expect(Set(items.compactMap { $0["key"] }) == Set(data.keys), "every ConfigMap key must be mounted")
        for daemon in ["kubelet", "containerd", "sshd"] {
            #expect(data["oom_adjust.conf"]?.contains("\n\(daemon) ") == true, "no rule for \(daemon)")
        }
        // The metrics file on a hostPath, where node_exporter's textfile collector reads.
        let textfile = try #require(volume(mountedAbove: metrics)?["hostPath"].flatMap(Self.dictionary))
        #expect(textfile["path"] as? String == "/var/lib/prometheus/node-exporter")
        // The liveness probe reads that same file.
        let probe = try #require(container["livenessProbe"].flatMap(Self.dictionary)?["exec"].flatMap(Self.dictionary)?["command"] as? [String])
        #expect(Array(probe.prefix(4)) == ["/usr/sbin/oom-adjust", "probe", "--metrics-file", metrics], "\(probe)")

        // The rules, laid out as kubelet's atomic writer lays out a ConfigMap volume (timestamped
        // directory, ..data link, links to it), pass `oom-adjust check` from the drop-in included.
        let scenario = try Scenario()
        defer { scenario.cleanUp() }
        let volumeRoot = scenario.directory.appendingPathComponent("etc-oom-adjust").path
        let stamped = volumeRoot + "/..2026_11_26_16_52_06.123456789"
        for item in items {
            let path = stamped + "/" + item["path"]!
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try data[item["key"]!]!.write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, 0o644)
        }
        for directory in [volumeRoot, stamped, stamped + "/oom_adjust.d"] { chmod(directory, 0o755) }
        try FileManager.default.createSymbolicLink(atPath: volumeRoot + "/..data", withDestinationPath: "..2026_11_26_16_52_06.123456789")
        for top in Set(items.map { $0["path"]!.split(separator: "/")[0] }) {
            try FileManager.default.createSymbolicLink(atPath: "\(volumeRoot)/\(top)", withDestinationPath: "..data/\(top)")
        }
        let check = try Harness.run(Harness.agentBinary, ["check", "--config", volumeRoot + "/oom_adjust.conf"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("(with 1 drop-in file(s)): 4 rule(s), valid"), "\(check.stdout)")
    }
}
