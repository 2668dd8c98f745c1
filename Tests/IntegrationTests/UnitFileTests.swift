import Foundation
import Testing

/// etc/oom-adjust.service, checked by systemd's own tools (no running systemd needed) and against what
/// the agent needs.
@Suite(
    .enabled(
        if: ServiceSupport.systemdAnalyze != nil || ServiceSupport.requireAll,
        "systemd-analyze is not installed (scripts/ensure-test-deps.sh installs the systemd package); OOM_ADJUST_REQUIRE_ALL_TESTS=1 makes this a failure"
    ))
struct UnitFileTests {
    static func unitText() throws -> String { try String(contentsOfFile: ServiceSupport.unitPath, encoding: .utf8) }

    /// The unit with ExecStart pointing at the built binary, in a scratch directory: verify checks that
    /// the command exists.
    static func unitForBuiltBinary(in scenario: Scenario) throws -> String {
        let text = try unitText().replacingOccurrences(of: "/usr/local/sbin/oom-adjust", with: Harness.agentBinary)
        let path = scenario.directory.appendingPathComponent("oom-adjust.service").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func analyze() throws -> String {
        try #require(ServiceSupport.systemdAnalyze, "systemd-analyze is not installed: apt-get install systemd")
    }

    @Test func systemdAnalyzeVerifyFindsNothing() throws {
        let analyze = try Self.analyze()
        let scenario = try Scenario()
        defer { scenario.cleanUp() }
        let unit = try Self.unitForBuiltBinary(in: scenario)
        // --man=no: the man pages are installed by install.sh, not on this machine; they are checked below.
        let result = try Harness.run(analyze, ["verify", "--man=no", unit])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty && result.stdout.isEmpty, "\(result.stdout)\(result.stderr)")
    }

    /// docs/OPERATIONS.md records the score (2.6 since the agent reads the kernel log); this keeps a
    /// change from quietly loosening the sandbox.
    @Test func theExposureScoreStaysAtOrBelow2Point6() throws {
        let analyze = try Self.analyze()
        let scenario = try Scenario()
        defer { scenario.cleanUp() }
        let unit = try Self.unitForBuiltBinary(in: scenario)
        let result = try Harness.run(analyze, ["security", "--offline=true", "--threshold=26", "--no-pager", unit])
        let summary = (result.stdout + result.stderr).split(separator: "\n").first { $0.contains("Overall exposure level") }
        #expect(result.status == 0, "exposure above 2.6: \(summary ?? "")\n\(result.stdout)")
        print("systemd-analyze security: \(summary ?? "no summary")")
    }

    @Test func everyOptionOfExecStartIsOneThatRunAccepts() throws {
        let line = try #require(try Self.unitText().split(separator: "\n").first { $0.hasPrefix("ExecStart=") })
        let words = line.dropFirst("ExecStart=".count).split(separator: " ").map(String.init)
        #expect(words.first == "/usr/local/sbin/oom-adjust")
        #expect(words.dropFirst().first == "run")
        let help = try Harness.run(Harness.agentBinary, ["run", "--help"]).stdout
        for option in words where option.hasPrefix("--") {
            #expect(help.contains(option + " "), "ExecStart uses \(option), which `oom-adjust run` does not accept")
        }
    }

    @Test func theUnitGrantsExactlyTheCapabilitiesTheAgentUsesAndKeepsProcVisible() throws {
        let settings = try Self.unitText().split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init)
        func values(_ key: String) -> [String] {
            settings.filter { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
        }
        #expect(values("Type") == ["notify"])
        // A shell builtin: /bin/kill (procps) is not on a minimal Debian, and the package does not depend on it.
        #expect(values("ExecReload") == ["/bin/sh -c 'kill -HUP $MAINPID'"])
        #expect(values("Restart") == ["always"])
        #expect(values("WatchdogSec").count == 1)
        #expect(values("OOMScoreAdjust") == ["-1000"])
        #expect(values("LimitMEMLOCK") == ["infinity"])
        #expect(
            Set(values("CapabilityBoundingSet").flatMap { $0.split(separator: " ").map(String.init) })
                == ["CAP_NET_ADMIN", "CAP_SYS_RESOURCE", "CAP_DAC_OVERRIDE", "CAP_SYS_PTRACE", "CAP_SYS_NICE", "CAP_IPC_LOCK", "CAP_SYSLOG"])
        #expect(values("RestrictAddressFamilies") == ["AF_UNIX AF_NETLINK"])
        // It must see and write every process's /proc entry, and use SCHED_FIFO.
        #expect(values("ProtectProc").allSatisfy { $0 == "default" })
        #expect(values("RestrictRealtime").allSatisfy { $0 == "no" })
        #expect(values("PrivateUsers").isEmpty && values("PrivateNetwork").isEmpty && values("PrivatePIDs").isEmpty)
        for key in ["NoNewPrivileges", "ProtectHome", "PrivateTmp", "MemoryDenyWriteExecute"] {
            #expect(values(key) == ["yes"], "\(key)")
        }
        #expect(values("ProtectSystem") == ["strict"])
        // The kernel log, read-only and nothing more: the private /dev gets /dev/kmsg alone, the device
        // policy allows reading it, and ProtectKernelLogs=, which would hide it, is off.
        #expect(values("PrivateDevices") == ["yes"] && values("DevicePolicy") == ["closed"])
        #expect(values("BindReadOnlyPaths") == ["/dev/kmsg"] && values("DeviceAllow") == ["/dev/kmsg r"])
        #expect(values("ProtectKernelLogs") == ["no"])
        #expect(values("BindPaths").isEmpty && values("ReadWritePaths").isEmpty)
        #expect(values("SystemCallArchitectures") == ["native"])
        // The agent reads no other process's memory but through /proc/PID/cmdline and environ.
        #expect(values("SystemCallFilter").contains("~process_vm_readv process_vm_writev"))
        // user= accounts from LDAP or sssd: after their lookup is up, and a retry, not a stop, if not yet.
        #expect(values("After").contains("nss-user-lookup.target"))
        #expect(values("Wants").allSatisfy { !$0.contains("nss-user-lookup.target") })
        #expect(values("RestartPreventExitStatus") == ["2"])
    }

    @Test func theManPagesFormatWithoutWarnings() throws {
        let groff = try #require(ServiceSupport.tool("groff"), "groff is not installed")
        let page = Harness.packageRoot.appendingPathComponent("etc/man/oom_adjust.conf.5").path
        let result = try Harness.run(groff, ["-man", "-ww", "-z", page])
        #expect(result.status == 0 && result.stderr.isEmpty, "\(result.stderr)")
    }
}
