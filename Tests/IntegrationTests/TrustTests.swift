import Foundation
import Testing

/// The trust policy against real accounts, files and renames: a process that merely *looks* like a
/// protected service is never protected, and the genuine one is.
///
/// Protection means a negative value, which this sandbox cannot write (no CAP_SYS_RESOURCE). So these
/// tests assert the *decision* — `status`, `explain` and the agent's log — and, where the capability is
/// missing, that the genuine process is denied by the kernel rather than by the policy.
@Suite(.serialized, .enabled(if: Harness.rootTestsEnabled), .scenario)
struct TrustTests {
    /// One look-alike: who runs what, and the reason it must be refused for.
    struct LookAlike: CustomStringConvertible {
        let label: String
        let owner: String
        let mode: mode_t
        let user: String
        let reason: String
        var description: String { label }
    }

    static let lookAlikes = [
        // Each fails exactly one check.
        LookAlike(label: "a system account running its own copy", owner: "daemon", mode: 0o755, user: "daemon", reason: "not root"),
        LookAlike(label: "a copy anyone may rewrite", owner: "root", mode: 0o757, user: "daemon", reason: "writable by group or others"),
        LookAlike(label: "the genuine binary run by an unprivileged user", owner: "root", mode: 0o755, user: "nobody", reason: "not a system account"),
        // And the classic attack: an unprivileged user's own copy.
        LookAlike(label: "an unprivileged user's own copy", owner: "nobody", mode: 0o755, user: "nobody", reason: "not root"),
    ]

    @Test(arguments: lookAlikes)
    func aLookAlikeIsNotProtectedAndCannotDodgeAKillFirstRule(_ case: LookAlike) throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("v")
        let config = try scenario.writeConfig("\(name) -5\n\(name) score=-100\n\(name) score=900\n")
        let agent = try scenario.startAgent(config: config)
        let binary = try scenario.program(named: name, in: "copy", owner: `case`.owner, mode: `case`.mode)
        let process = try scenario.spawn(executable: binary, ["sleep", "60"], user: `case`.user)
        // Refused protection: no weaker protective rule stands in for it, but the kill-first rule applies.
        #expect(
            agent.waitForLog("adjusted", "pid=\(process.pid)", "rule=\(config):3", "new=900", "refused=\(config):1", `case`.reason),
            "log:\n\(agent.log)")
        #expect(process.score == 900)

        let status = try Harness.run(Harness.agentBinary, ["status", "--config", config, "--json"])
        #expect(status.status == 0)
        let rows = try #require(JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
        let row = try #require(rows.first { ($0["pid"] as? Int) == Int(process.pid) }, "status: \(status.stdout)")
        #expect(row["state"] as? String == "unchanged")
        #expect((row["reason"] as? String)?.contains("protection by \(config):1 refused: ") == true, "row: \(row)")
        #expect((row["reason"] as? String)?.contains(`case`.reason) == true, "row: \(row)")
        #expect(row["rule"] as? String == "\(config):3")
        #expect(Set(row.keys) == ["pid", "comm", "rule", "desired", "current", "state", "reason"])

        let explain = try Harness.run(Harness.agentBinary, ["explain", "\(process.pid)", "--config", config])
        #expect(explain.status == 0)
        #expect(explain.stdout.contains("refused: \(config):1 would give oom_score_adj -294, but"), "explain: \(explain.stdout)")
        #expect(explain.stdout.contains(`case`.reason))
        #expect(explain.stdout.contains("skipped: after \(config):1 was refused, no protective rule may stand in for it"))
        #expect(explain.stdout.contains("the next matching rule applies: oom_score_adj 900 from \(config):3"))
        #expect(agent.stop() == 0)
    }

    @Test func aLookAlikeWithNoKillFirstRuleIsLeftAsItIs() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("n")
        let config = try scenario.writeConfig("\(name) -5\n\(name) score=-100\n")
        let agent = try scenario.startAgent(config: config)
        let binary = try scenario.program(named: name, in: "copy", owner: "nobody")
        let process = try scenario.spawn(executable: binary, ["sleep", "60"], user: "nobody")
        #expect(agent.waitForLog("protection refused by the trust policy", "pid=\(process.pid)", "rule=\(config):1", "not root"), "log:\n\(agent.log)")
        #expect(process.score == 0)
        let status = try Harness.run(Harness.agentBinary, ["status", "--config", config, "--json"])
        let rows = try #require(JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
        let row = try #require(rows.first { ($0["pid"] as? Int) == Int(process.pid) }, "status: \(status.stdout)")
        #expect(row["state"] as? String == "refused")
        #expect(row["rule"] as? String == "\(config):1")
        #expect(agent.stop() == 0)
    }

    @Test func aRootOwnedProgramRenamedToAProtectedNameIsNotProtected() throws {
        let scenario = Scenario.current
        let disguise = Harness.uniqueName("w")
        let interpreter = try scenario.program(named: Harness.uniqueName("i"), in: "bin", owner: "root", mode: 0o755)
        let config = try scenario.writeConfig("\(disguise) score=-5\n")
        let agent = try scenario.startAgent(config: config)
        let process = try scenario.spawn(executable: interpreter, ["rename", disguise, "60"], user: "daemon")
        #expect(process.waitForLine(prefix: "renamed") != nil)
        // At the rename itself: a comm change never grants protection.
        #expect(agent.waitForLog("protection refused by the trust policy", "event=comm", "pid=\(process.pid)", "comm change"), "log:\n\(agent.log)")
        // Seen afresh, without the agent's memory of the rename (status, explain): the name does not
        // agree with the executable.
        let status = try Harness.run(Harness.agentBinary, ["status", "--config", config])
        #expect(status.stdout.contains("refused: its name `\(disguise)` does not agree with its executable"), "status: \(status.stdout)")
        let explain = try Harness.run(Harness.agentBinary, ["explain", "\(process.pid)", "--config", config])
        #expect(explain.stdout.contains("does not agree with its executable"), "explain: \(explain.stdout)")
        // The agent's own sweep remembers the rename until the process execs.
        agent.send(SIGHUP)
        #expect(agent.waitForLog("protection refused by the trust policy", "event=sweep", "pid=\(process.pid)", "changed its comm"))
        #expect(process.score == 0)
        #expect(agent.stop() == 0)
    }

    @Test func theGenuineBinaryRunByASystemAccountIsTrusted() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("g")
        let binary = try scenario.program(named: name, in: "sbin", owner: "root", mode: 0o755)
        let config = try scenario.writeConfig("\(name) -5\n")
        let agent = try scenario.startAgent(config: config)
        let process = try scenario.spawn(executable: binary, ["sleep", "60"], user: "daemon")
        let explain = try Harness.run(Harness.agentBinary, ["explain", "\(process.pid)", "--config", config])
        #expect(explain.stdout.contains("oom_score_adj -294 from \(config):1"), "explain: \(explain.stdout)")
        #expect(!explain.stdout.contains("refused"))
        if Harness.hasSysResource {
            print("note: CAP_SYS_RESOURCE is present, so the protective value is applied")
            #expect(Harness.waitUntil { process.score == -294 })
        } else {
            // Trusted, so the agent tries; the kernel then refuses the lower value without the capability.
            #expect(agent.waitForLog("denied by the kernel", "pid=\(process.pid)", "new=-294"), "log:\n\(agent.log)")
            #expect(agent.count("trust policy", "pid=\(process.pid)") == 0)
            let status = try Harness.run(Harness.agentBinary, ["status", "--config", config])
            // Trusted, and not to be had here: the state says why.
            #expect(status.stdout.contains(" denied: lowering oom_score_adj below"), "status: \(status.stdout)")
        }
        #expect(agent.stop() == 0)
    }

    @Test func explicitQualifiersVouchForWhatTheyName() throws {
        let scenario = Scenario.current
        let name = Harness.uniqueName("k")
        // nobody's own copy would fail every default check; exe= and user= name exactly this one.
        let binary = try scenario.program(named: name, in: "home", owner: "nobody", mode: 0o755)
        let config = try scenario.writeConfig("\(name) score=-5 exe=\(binary) user=nobody\n")
        let process = try scenario.spawn(executable: binary, ["sleep", "60"], user: "nobody")
        let explain = try Harness.run(Harness.agentBinary, ["explain", "\(process.pid)", "--config", config])
        #expect(explain.stdout.contains("oom_score_adj -5 from \(config):1"), "explain: \(explain.stdout)")
    }
}
