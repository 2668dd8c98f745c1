import Foundation
import Testing

/// The seven ways around the trust policy a review found, each tried for real: real accounts, a real
/// user-namespace bind mount, a private mount namespace, a real LD_PRELOAD library, a real prctl rename
/// and fork, a real replaced binary.
///
/// This machine lacks CAP_SYS_RESOURCE, so a protective write fails with EACCES: where the kernel would
/// refuse the write anyway, the decision is judged from the agent's log ("denied by the kernel" means
/// the policy let it through; "protection refused by the trust policy" that it did not), `status` and
/// `explain`; the inheritance paths run the agent with `--dry-run`, which keeps its ledger as if every
/// write had been made. Values of 0 and more are asserted for real.
@Suite(.serialized, .enabled(if: Harness.rootTestsEnabled), .scenario)
struct ProtectionIdentityTests {
    // MARK: 1. Inherited protection

    @Test func aChildThatDropsToAnOrdinaryUserHasItsProtectionTakenBack() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("d")
        let config = try scenario.writeConfig("\(name) -5\n")
        let agent = try scenario.startAgent(config: config, arguments: ["-v", "--dry-run"])
        let nobody = try Harness.uid(of: "nobody")
        // A root daemon the rule protects forks a child that becomes `nobody`, as sshd's and cron's do.
        let daemon = try scenario.spawn(name, ["forkdrop", "300", "\(nobody)", "60"])
        let child = try #require(daemon.waitForLine(prefix: "child ").flatMap { Int32($0) })
        scenario.trackDescendant(child)
        #expect(daemon.waitForLine(prefix: "dropped ") != nil)
        #expect(agent.waitForLog("would adjust (dry run)", "pid=\(daemon.pid)", "new=-294"), "log:\n\(agent.log)")
        #expect(
            agent.waitForLog(
                "would take back protection (dry run)", "pid=\(child)", "old=-294", "new=0", "granted_by=\(config):1",
                "not a system account"),
            "log:\n\(agent.log)")
        // Met at its fork while still the daemon's copy, it kept the protection; its uid change took it.
        if agent.count("unchanged", "event=fork", "pid=\(child)") > 0 {
            #expect(agent.count("would take back protection (dry run)", "event=uid", "pid=\(child)") == 1, "log:\n\(agent.log)")
        }
        // The daemon itself keeps it.
        #expect(agent.count("take back", "pid=\(daemon.pid)") == 0)
        let counters = agent.counters()
        #expect(counters["restored"] == 1, "\(counters)")
        #expect(counters["protected_processes"] == 1, "\(counters)")
        #expect(agent.stop() == 0)
    }

    @Test func aChildThatExecsAProgramNoRuleNamesHasItsProtectionTakenBack() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("e")
        let shell = try scenario.program(named: Harness.uniqueName("s"))
        let config = try scenario.writeConfig("\(name) -5\n")
        let agent = try scenario.startAgent(config: config, arguments: ["-v", "--dry-run"])
        let daemon = try scenario.spawn(name, ["forkexec", "300", shell, "sleep", "60"])
        let child = try #require(daemon.waitForLine(prefix: "child ").flatMap { Int32($0) })
        scenario.trackDescendant(child)
        #expect(
            agent.waitForLog("would take back protection (dry run)", "pid=\(child)", "new=0", "no protective rule matches it"),
            "log:\n\(agent.log)")
        if agent.count("unchanged", "event=fork", "pid=\(child)") > 0 {
            #expect(agent.count("would take back protection (dry run)", "event=exec", "pid=\(child)") == 1, "log:\n\(agent.log)")
        }
        #expect(agent.stop() == 0)
    }

    // MARK: 2. Code other than the vouched-for executable

    /// A real shared library for LD_PRELOAD; with `scrub`, its constructor rewrites the LD_PRELOAD entry of
    /// the process's own environment block, so /proc/PID/environ no longer shows it.
    func preloadLibrary(in scenario: Scenario, scrub: Bool) throws -> String {
        let source = scenario.directory.appendingPathComponent("preload.c")
        let library = scenario.directory.appendingPathComponent(scrub ? "scrub.so" : "hog.so")
        try """
            #include <string.h>
            #include <unistd.h>
            __attribute__((constructor)) static void start(int argc, char **argv, char **envp) {
                (void)argc; (void)argv;
                if (!\(scrub ? 1 : 0)) return;
                for (char **entry = envp; *entry; entry++)
                    if (strncmp(*entry, "LD_PRELOAD=", 11) == 0) memcpy(*entry, "XX", 2);
                (void)!write(1, "scrubbed\\n", 9);
            }
            """.write(to: source, atomically: true, encoding: .utf8)
        let compiled = try Harness.run("/usr/bin/cc", ["-shared", "-fPIC", "-o", library.path, source.path])
        guard compiled.status == 0 else { throw HarnessError("cc failed: \(compiled.stderr)") }
        chmod(library.path, 0o755)
        return library.path
    }

    @Test func aPreloadedLibraryInTheGenuineBinaryIsRefusedAndStaysRefusedAfterItHides() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("l")
        let binary = try scenario.program(named: name, in: "sbin", owner: "root")
        let config = try scenario.writeConfig("\(name) -5\n")
        let agent = try scenario.startAgent(config: config)
        // Plain: the library stays in the environment.
        let hog = try preloadLibrary(in: scenario, scrub: false)
        let plain = try scenario.spawn(argv: try Harness.asUser("daemon") + ["/usr/bin/env", "LD_PRELOAD=\(hog)", binary, "sleep", "60"])
        #expect(
            agent.waitForLog("protection refused by the trust policy", "pid=\(plain.pid)", "LD_PRELOAD=\(hog)"), "log:\n\(agent.log)")
        let explain = try Harness.run(Harness.agentBinary, ["explain", "\(plain.pid)", "--config", config])
        #expect(explain.stdout.contains("its environment sets LD_PRELOAD=\(hog)"), "explain: \(explain.stdout)")
        #expect(agent.count("denied by the kernel", "pid=\(plain.pid)") == 0)

        // Hiding: the preloaded code scrubs its traces from the environment once the loader has run it.
        let scrub = try preloadLibrary(in: scenario, scrub: true)
        let hiding = try scenario.spawn(argv: try Harness.asUser("daemon") + ["/usr/bin/env", "LD_PRELOAD=\(scrub)", binary, "sleep", "60"])
        let environ = Harness.readWhole("/proc/\(hiding.pid)/environ")
        #expect(!environ.contains("LD_PRELOAD"), "environ still shows it")
        #expect(environ.contains("XX_PRELOAD"))
        // The agent saw it at exec; a sweep afterwards still refuses it, though the environment is clean.
        agent.send(SIGHUP)
        #expect(agent.waitForLog("protection refused by the trust policy", "event=sweep", "pid=\(hiding.pid)", "LD_PRELOAD"), "log:\n\(agent.log)")
        #expect(agent.count("denied by the kernel", "pid=\(hiding.pid)") == 0)
        #expect(agent.stop() == 0)
    }

    // MARK: 3. Mount namespaces and containers

    @Test func aBindMountOverTheVouchedForPathInAUserNamespaceIsRefused() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("b")
        let genuine = try scenario.program(named: name, in: "sbin", owner: "root")
        let own = try scenario.program(named: name, in: "home", owner: "nobody")
        let config = try scenario.writeConfig("\(name) -5 exe=\(genuine) user=nobody\n")
        let agent = try scenario.startAgent(config: config)
        // `nobody` makes a user and mount namespace of its own, puts its file over the genuine path, and
        // runs it there: /proc/PID/exe shows the genuine path.
        let process = try scenario.spawn(
            argv: try Harness.asUser("nobody") + [
                "/usr/bin/unshare", "-Urm", "/bin/sh", "-c", "mount --bind \"$0\" \"$1\" && exec \"$1\" sleep 60", own, genuine,
            ])
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(process.pid)/exe")
        #expect(exe == genuine)
        #expect(
            agent.waitForLog("protection refused by the trust policy", "pid=\(process.pid)", "is not the file the host has at \(genuine)"),
            "log:\n\(agent.log)")
        #expect(agent.count("denied by the kernel", "pid=\(process.pid)") == 0)
        let status = try Harness.run(Harness.agentBinary, ["status", "--config", config, "--json"])
        #expect(status.stdout.contains("\"pid\":\(process.pid)"), "status: \(status.stdout)")
        #expect(status.stdout.contains("bind mount"), "status: \(status.stdout)")
        #expect(agent.stop() == 0)
    }

    @Test func aRootOwnedBinaryInAPrivateMountsOwnFilesIsRefused() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("c")
        let jail = scenario.directory.appendingPathComponent("jail")
        try FileManager.default.createDirectory(at: jail, withIntermediateDirectories: true)
        let config = try scenario.writeConfig("\(name) -5\n")
        let agent = try scenario.startAgent(config: config)
        // As root in a container: a file system of its own (here a tmpfs in a private mount namespace),
        // with a root-owned binary of the protected name in it.
        let inside = jail.appendingPathComponent(name).path
        let process = try scenario.spawn(argv: [
            "/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c",
            "mount -t tmpfs none \"$0\" && cp \"$1\" \"$2\" && exec \"$2\" sleep 60", jail.path, Harness.testProcessBinary, inside,
        ])
        #expect(
            agent.waitForLog("protection refused by the trust policy", "pid=\(process.pid)", "runs from \(inside), where the host has no file"),
            "log:\n\(agent.log)")
        #expect(agent.count("denied by the kernel", "pid=\(process.pid)") == 0)
        #expect(agent.stop() == 0)
    }

    // MARK: 4. Long names confirmed by argv[0]

    @Test func argv0CannotConfirmALongProtectedName() throws {
        let scenario = Scenario.current
        let prefix = String((Harness.uniqueName("a") + "xxxxxxxxxxxxxxx").prefix(15))
        let long = prefix + "-target"
        let other = try scenario.program(named: prefix + "-other", in: "sbin", owner: "root")
        // The long name's rule, and one that gives anything else with this prefix 50 (for real).
        let config = try scenario.writeConfig("\(long) -5\n\(prefix)* score=50\n")
        let agent = try scenario.startAgent(config: config)
        let process = try scenario.spawn(
            argv: try Harness.asUser("daemon") + ["/bin/bash", "-c", "exec -a \"$0\" \"$1\" sleep 60", long, other])
        #expect(Harness.waitUntil { process.score == 50 }, "log:\n\(agent.log)")
        #expect(agent.count("denied by the kernel", "pid=\(process.pid)") == 0)
        let explain = try Harness.run(Harness.agentBinary, ["explain", "\(process.pid)", "--config", config])
        #expect(explain.stdout.contains("argv[0], which its caller chose, cannot confirm a protective rule"), "explain: \(explain.stdout)")
        #expect(agent.stop() == 0)
    }

    // MARK: 5. Rename, then fork

    @Test func aRenamedProcessAndItsForkAreRefusedUntilTheyExec() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("r")
        let genuine = try scenario.program(named: name, in: "sbin", owner: "root")
        // Started through a link of another name (its comm is the link's), then renamed to agree with
        // its executable.
        let link = scenario.directory.appendingPathComponent("sbin/\(Harness.uniqueName("k"))").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: genuine)
        let config = try scenario.writeConfig("\(name) -5\n")
        let agent = try scenario.startAgent(config: config)
        let parent = try scenario.spawn(argv: try Harness.asUser("daemon") + [link, "renamefork", name, "300", "60"])
        let child = try #require(parent.waitForLine(prefix: "child ").flatMap { Int32($0) })
        scenario.trackDescendant(child)
        #expect(agent.waitForLog("protection refused by the trust policy", "event=comm", "pid=\(parent.pid)"), "log:\n\(agent.log)")
        #expect(
            agent.waitForLog("protection refused by the trust policy", "event=fork", "pid=\(child)", "changed its comm"),
            "log:\n\(agent.log)")
        agent.send(SIGHUP)
        #expect(agent.waitForLog("protection refused by the trust policy", "event=sweep", "pid=\(parent.pid)", "changed its comm"))
        #expect(agent.waitForLog("protection refused by the trust policy", "event=sweep", "pid=\(child)", "changed its comm"))
        #expect(agent.count("denied by the kernel") == 0, "log:\n\(agent.log)")
        #expect(agent.stop() == 0)
    }

    // MARK: 6. Facts that fail fall through

    @Test func anUpgradedBinaryKeepsItsDaemonAsItIsInsteadOfFallingThrough() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("u")
        let binary = try scenario.program(named: name, in: "sbin", owner: "root")
        let config = try scenario.writeConfig("\(name) -5 exe=\(binary)\n\(name) score=700\n")
        let agent = try scenario.startAgent(config: config)
        let process = try scenario.spawn(executable: binary, ["sleep", "60"], user: "daemon")
        #expect(agent.waitForLog("pid=\(process.pid)", "rule=\(config):1"), "log:\n\(agent.log)")
        // A package upgrade: a new file renamed over the old path, as dpkg does.
        let staged = binary + ".dpkg-new"
        try FileManager.default.copyItem(atPath: Harness.testProcessBinary, toPath: staged)
        chmod(staged, 0o755)
        #expect(rename(staged, binary) == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(process.pid)/exe") == binary + " (deleted)")
        agent.send(SIGHUP)
        #expect(agent.waitForLog("kept: its binary was replaced", "event=sweep", "pid=\(process.pid)", "rule=\(config):1"), "log:\n\(agent.log)")
        #expect(agent.waitForLog("sweep finished", "reason=reload"))
        #expect(process.score == 0)
        let status = try Harness.run(Harness.agentBinary, ["status", "--config", config, "--json"])
        #expect(status.stdout.contains("\"state\":\"kept\""), "status: \(status.stdout)")
        #expect(agent.stop() == 0)
    }

    // MARK: 7. Dodging kill-first rules

    @Test func aProtectedNameDoesNotDodgeAKillFirstRule() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("g")
        let prefix = String(name.prefix(10))
        let config = try scenario.writeConfig("\(name) score=-500\n\(prefix)* score=800 user=nobody\n")
        let agent = try scenario.startAgent(config: config)
        let hog = try scenario.program(named: name, in: "home", owner: "nobody")
        let process = try scenario.spawn(executable: hog, ["sleep", "60"], user: "nobody")
        #expect(Harness.waitUntil { process.score == 800 }, "log:\n\(agent.log)")
        #expect(agent.waitForLog("adjusted", "pid=\(process.pid)", "new=800", "refused=\(config):1"), "log:\n\(agent.log)")
        #expect(agent.stop() == 0)
    }
}
