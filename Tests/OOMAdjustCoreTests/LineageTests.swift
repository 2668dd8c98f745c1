import OOMAdjustCore
import Testing

/// The inheritance logic end to end, against a model of what the kernel does: fork copies the value and
/// the floor (`oom_score_adj_min`), a privileged write sets both, an unprivileged process may lower its
/// value down to its floor. Events go into the ledger and the decisions come out exactly as the agent's
/// enforcer makes them; the kernel's side is the model's.
@Suite struct LineageTests {
    struct Model {
        struct Process {
            var facts: KnownProcessFacts
            var score: Int
            var floor: Int
        }

        let rules: RuleSet
        var processes: [Int32: Process] = [:]
        var ledger = ProtectionLedger()
        /// What the agent wrote, in order: (pid, value).
        var writes: [(Int32, Int)] = []

        init(_ text: String) { rules = RuleText.rules(text) }

        mutating func start(_ pid: Int32, _ facts: KnownProcessFacts, score: Int = 0) {
            processes[pid] = Process(facts: facts, score: score, floor: score)
            decide(pid)
        }

        mutating func fork(_ parent: Int32, child: Int32) {
            processes[child] = processes[parent]
            // The agent decides every fork: by its name, or because it inherited what the agent gave.
            ledger.observe(.forked(child: child, parent: parent))
            decide(child)
        }

        mutating func exec(_ pid: Int32, _ facts: KnownProcessFacts) {
            // The kernel keeps the value and the floor across exec.
            processes[pid]!.facts = facts
            ledger.observe(.execed(pid))
            decide(pid)
        }

        mutating func setuid(_ pid: Int32, _ uid: UInt32) {
            processes[pid]!.facts.uid = uid
            if ledger.observe(.uidChanged(pid)) { decide(pid) }
        }

        mutating func rename(_ pid: Int32, _ comm: String) {
            processes[pid]!.facts.comm = Comm(comm)
            ledger.observe(.renamed(pid))
            decide(pid)
        }

        mutating func exit(_ pid: Int32) {
            processes[pid] = nil
            // What the agent finds when it next checks the ledger.
            ledger.forget(pid)
        }

        /// What the enforcer does for one process.
        mutating func decide(_ pid: Int32) {
            guard var process = processes[pid] else { return }
            let entry = ledger[pid]
            guard entry?.grant != nil || rules.nameMayMatch(process.facts.comm) else { return }
            let verdict = rules.verdict(for: &process.facts, sticky: entry?.sticky)
            let decision = ProtectionDecision(
                verdict: verdict, rules: rules, current: OOMScore(process.score)!, entry: entry,
                fallbackBaseline: { OOMScore(0)! })
            if case .write(let value) = decision.action {
                // The agent has CAP_SYS_RESOURCE: its write sets the value and the floor.
                processes[pid]!.score = Int(value.rawValue)
                processes[pid]!.floor = Int(value.rawValue)
                writes.append((pid, Int(value.rawValue)))
            }
            ledger.record(decision.entry, for: pid)
        }

        /// What an unprivileged process may do to itself.
        func mayLowerItself(_ pid: Int32, to value: Int) -> Bool { value >= processes[pid]!.floor }
        func score(_ pid: Int32) -> Int { processes[pid]!.score }
    }

    static let sshd = SampleProcess.daemon("sshd")
    static let session = SampleProcess.daemon("sshd-session", executable: "/usr/lib/openssh/sshd-session")
    static let bash = SampleProcess.daemon("bash", executable: "/usr/bin/bash")
    static let cron = SampleProcess.daemon("cron")

    @Test func aChildThatDropsToAUserGetsTheBaselineAndFloorBack() {
        var model = Model("sshd -17\n")
        model.start(1, Self.sshd, score: 5)
        #expect(model.score(1) == -1000)
        model.fork(1, child: 2)
        // Still the daemon: root, same binary, so it keeps the protection without a write.
        #expect(model.score(2) == -1000)
        #expect(model.writes.count == 1)
        model.setuid(2, 1000)
        #expect(model.score(2) == 5)
        #expect(!model.mayLowerItself(2, to: -1000))
        #expect(!model.mayLowerItself(2, to: 4))
        #expect(model.ledger[2] == nil)
        // The listener keeps its protection.
        #expect(model.score(1) == -1000)
        #expect(model.ledger.protectedCount == 1)
    }

    @Test func aChildThatExecsAProgramNoRuleNamesLosesTheProtection() {
        var model = Model("sshd -17\n")
        model.start(1, Self.sshd)
        model.fork(1, child: 2)
        model.exec(2, Self.bash)
        #expect(model.score(2) == 0)
        #expect(!model.mayLowerItself(2, to: -1))
        // What that shell forks is nobody's protection to take back: it has 0 and floor 0.
        model.fork(2, child: 3)
        #expect(model.score(3) == 0)
        #expect(model.ledger.count == 1)
    }

    @Test func aChildThatExecsAnotherProtectedProgramKeepsProtectionAtItsOwnValue() {
        var model = Model("sshd -17\nsshd-session score=-900\n")
        model.start(1, Self.sshd)
        model.fork(1, child: 2)
        model.exec(2, Self.session)
        #expect(model.score(2) == -900)
        // And its privilege-separated child that drops to the user gets the lineage's baseline.
        model.fork(2, child: 3)
        model.setuid(3, 1001)
        #expect(model.score(3) == 0)
    }

    @Test func everyCronJobOfEveryUserIsNotUnkillable() {
        var model = Model("cron -17\n")
        model.start(10, Self.cron)
        for job in Int32(11)...Int32(20) {
            model.fork(10, child: job)
            model.setuid(job, 1000 + UInt32(job))
            model.exec(job, SampleProcess.daemon("sh", executable: "/usr/bin/dash", uid: 1000 + UInt32(job)))
            #expect(model.score(job) == 0, "job \(job)")
            #expect(!model.mayLowerItself(job, to: -1))
        }
        #expect(model.ledger.count == 1)
    }

    @Test func aValueTheAgentDidNotSetIsLeftAlone() {
        // systemd started this with OOMScoreAdjust=-300; no rule names it.
        var model = Model("sshd -17\n")
        model.start(30, Self.bash, score: -300)
        model.fork(30, child: 31)
        model.setuid(31, 1000)
        #expect(model.score(31) == -300)
        #expect(model.writes.isEmpty)
    }

    @Test func pidReuseWithinALineage() {
        var model = Model("sshd -17\n")
        model.start(1, Self.sshd)
        model.fork(1, child: 2)
        model.exit(2)
        // Another process's fork gets pid 2: it inherits nothing from the protected one that had it.
        model.start(40, Self.bash)
        model.fork(40, child: 2)
        #expect(model.ledger[2] == nil)
        model.setuid(2, 1000)
        #expect(model.score(2) == 0)
        model.exit(2)
        // The protected daemon's next child gets pid 2 again: it inherits, and is decided afresh.
        model.fork(1, child: 2)
        #expect(model.ledger[2]?.grant != nil)
        model.setuid(2, 1000)
        #expect(model.score(2) == 0)
        #expect(model.ledger[2] == nil)
    }

    @Test func aRenamedProcessAndWhatItForksAreNeverProtectedByNameUntilTheyExec() {
        // Started through a link named after something else, renamed to agree with its executable.
        var model = Model("sshd -17\n")
        model.start(50, KnownProcessFacts(
            comm: Comm("other"), executable: RuleText.bytes("/usr/sbin/sshd"), file: SampleProcess.rootExecutable,
            arguments: ["other"], uid: 0))
        model.rename(50, "sshd")
        #expect(model.score(50) == 0)
        model.fork(50, child: 51)
        #expect(model.score(51) == 0)
        #expect(model.ledger[51]?.sticky == .renamed)
        // A sweep sees the renamed parent: still refused.
        model.decide(50)
        #expect(model.score(50) == 0)
        // Once the child execs the genuine binary under its own name, it is what it says.
        model.exec(51, Self.sshd)
        #expect(model.score(51) == -1000)
    }

    @Test func aProtectedDaemonThatRenamesItselfLosesItsProtectionByName() {
        var model = Model("sshd -17\n")
        model.start(60, Self.sshd)
        #expect(model.score(60) == -1000)
        model.rename(60, "sshd")
        #expect(model.score(60) == 0)
        #expect(!model.mayLowerItself(60, to: -1))
    }

    @Test func aChildRefusedForItsLoaderStaysRefusedAfterScrubbingItsEnvironment() {
        var model = Model("sshd -17\n")
        var preloaded = Self.sshd
        preloaded.loader = LoaderEnvironment(preload: RuleText.bytes("/tmp/hog.so"))
        preloaded.uid = 1
        model.start(70, preloaded)
        #expect(model.score(70) == 0)
        // The preloaded code rewrites the environment block, then waits for a sweep.
        model.processes[70]!.facts.loader = LoaderEnvironment()
        model.decide(70)
        #expect(model.score(70) == 0)
        model.fork(70, child: 71)
        #expect(model.score(71) == 0)
        // Whatever it execs next is judged afresh.
        model.exec(70, Self.sshd)
        #expect(model.score(70) == -1000)
    }
}
