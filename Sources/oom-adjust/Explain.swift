import ArgumentParser
import OOMAdjustAgent
import OOMAdjustCore
import OOMAdjustLinux

extension OOMAdjust {
    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show why the rules do or do not apply to one process. Changes nothing.",
            discussion: """
                Prints the process's comm, exe, cmdline, uid, cgroup, parent, PID namespace and current \
                value, every rule with PATH:LINE and whether it matched, and the decision: the value to \
                set, or why protection was refused by the trust policy. A process in another PID \
                namespace than the host's (a container's) is left to its container runtime unless the \
                rule names its cgroup with cgroup=.
                """
        )

        @Argument(help: "The process ID.")
        var pid: Int32

        @OptionGroup var ruleFiles: ConfigOptions

        func validate() throws {
            guard pid > 0 else { throw ValidationError("PID must be a positive process ID, e.g. $(pidof sshd)") }
        }

        func run() throws {
            let rules = try loadOrPrint(ruleFiles)
            let inspector = Inspector(rules: rules, procRoot: try openProcOrPrint())
            let inspection: ProcessInspection
            do {
                inspection = try inspector.inspect(pid: pid)
            } catch {
                printError("oom-adjust: cannot inspect process \(pid): \(error)")
                throw ExitStatus.failure
            }
            print(ExplainReport(inspection: inspection, rules: rules, canLowerScores: inspector.canLowerScores).text, terminator: "")
        }
    }
}

/// The text `explain` prints.
struct ExplainReport {
    let inspection: ProcessInspection
    let rules: RuleSet
    /// Whether root may lower values below a floor here (CAP_SYS_RESOURCE).
    var canLowerScores = true

    var text: String {
        let process = inspection
        var out = "process \(process.pid)\n"
        // Every value the process controls is escaped: one fact, one line, whatever bytes it holds.
        func fact(_ name: String, _ value: String?) {
            out += "  \(name.padding(9))\(value.map(DisplayText.escaped) ?? "(unreadable)")\n"
        }
        fact("comm", process.comm.description)
        fact("exe", process.executable)
        if process.commandLineIsTooLong {
            out += "  \("cmdline".padding(9))(longer than \(LiveProcessFacts.commandLineLimit) bytes: too long to match, so it counts as unreadable)\n"
        } else {
            fact("cmdline", process.commandLine)
        }
        fact("uid", process.uid.map(String.init))
        fact("cgroup", process.cgroup)
        fact("parent", process.parent)
        fact("pid ns", process.inHostPIDNamespace.map { $0 ? "the host's" : "another (a container's)" })
        fact("current", process.current.map { "\($0)" })
        out += "rules\n"
        if rules.rules.isEmpty { out += "  (none)\n" }
        let width = rules.rules.map { $0.location.description.count }.max() ?? 0
        for (index, rule) in rules.rules.enumerated() {
            out += "  \(rule.location.description.padding(width))  \(rule.spelling)\n      \(why(index, rule))\n"
        }
        out += "decision\n  "
        let now = process.current.map { "\($0)" } ?? "unknown"
        switch process.verdict {
        case .noMatch where process.evaluations.contains(.otherPIDNamespace):
            out += "no rule applies: a container's process is left to its container runtime "
            out += "(a rule with cgroup= would adjust it)\n"
        case .noMatch:
            out += "no rule matches: the process is left as it is\n"
        case .apply(let index):
            out += applied(index)
        case .applyInstead(let index, let refused, let refusal):
            let rule = rules.rules[refused]
            out += "refused: \(rule.location) would give oom_score_adj \(rule.score), but \(shown(refusal))\(remedy(refusal)); "
            out += "no later protective rule may stand in for it, so the next matching rule applies: " + applied(index)
        case .refused(let index, let refusal):
            let rule = rules.rules[index]
            out += "refused: \(rule.location) would give oom_score_adj \(rule.score), but \(shown(refusal))\(remedy(refusal)); "
            out += "no later rule with a value of 0 or more matches, so the process is left as it is\n"
        case .keep(let index):
            let rule = rules.rules[index]
            out += "kept: \(rule.location) would give oom_score_adj \(rule.score), but the process's binary was replaced on disk "
            out += "since it started (a package upgrade?), so it cannot be checked against the host's file; it keeps its "
            out += "value (currently \(now)) until it restarts, and no weaker rule stands in\n"
        }
        if let current = process.current, current.isProtective, process.verdict.appliedRule.map({ rules.rules[$0].score.isProtective }) != true {
            out += "  it holds the protective value \(current) without a rule granting it: if the agent gave it (to it, or to the "
            out += "process it was forked from), the running agent writes back the value from before\n"
        }
        return out
    }

    /// What the rules section says of rule `index`.
    func why(_ index: Int, _ rule: Rule) -> String {
        let verdict = inspection.verdict
        if let decided = verdict.appliedRule ?? { if case .keep(let kept) = verdict { return kept } else { return nil } }(),
            index > decided
        {
            return "not considered: an earlier rule decided"
        }
        if let refused = verdict.refusal {
            if index == refused.rule {
                // What could not be read, and why, is in the rule's own evaluation.
                if case .qualifierUnreadable = refused.reason {
                    return describe(inspection.evaluations[index], rule: rule) + "; so protection is refused"
                }
                return "matches, but protection is refused: \(shown(refused.reason))"
            }
            if index > refused.rule && rule.score.isProtective {
                return "skipped: after \(rules.rules[refused.rule].location) was refused, no protective rule may stand in for it"
            }
        }
        return describe(inspection.evaluations[index], rule: rule)
    }

    /// A refusal's words, which quote the process's own name and paths.
    func shown(_ refusal: TrustRefusal) -> String { DisplayText.escaped(refusal.description) }

    func applied(_ index: Int) -> String {
        let rule = rules.rules[index]
        let now = inspection.current.map { "\($0)" } ?? "unknown"
        var text = "oom_score_adj \(rule.score) from \(rule.location) (currently \(now)"
        text += inspection.current == rule.score ? ", unchanged)" : ")"
        if let link = inspection.vouchingSymlink {
            text += "; its name is vouched for by the root-owned symlink \(DisplayText.escaped(link)), which leads to its executable"
        }
        if inspection.state(in: rules, canLowerScores: canLowerScores) == .denied {
            text += "; but the kernel refuses it: \(ProcessInspection.deniedReason)"
        }
        return text + "\n"
    }

    /// How an administrator may vouch for the process instead, where a qualifier can.
    func remedy(_ refusal: TrustRefusal) -> String {
        switch refusal {
        case .executableNotRegular, .executableNotOwnedByRoot, .executableWritable, .nameDisagrees:
            return " (an exe= qualifier vouches for the executable)"
        case .notSystemAccount: return " (a user= qualifier vouches for the account)"
        default: return ""
        }
    }

    func describe(_ match: RuleMatch, rule: Rule) -> String {
        switch match {
        case .matches:
            return "matches"
        case .matchesReplacedBinary:
            return "matches the path its binary had: it was replaced on disk since the process started"
        case .nameDiffers:
            return "name differs: comm is `\(DisplayText.escaped(inspection.comm.description))`"
        case .longNameUnconfirmed:
            return rule.score.isProtective
                ? "comm matches the first 15 bytes, but the executable's name is not `\(rule.name)` (argv[0], which its caller chose, cannot confirm a protective rule)"
                : "comm matches the first 15 bytes, but neither the executable's nor argv[0]'s name is `\(rule.name)`"
        case .qualifierFails(let position):
            let qualifier = rule.qualifiers[position]
            return "\(qualifier) does not hold: \(actual(qualifier))"
        case .qualifierUnreadable(let position):
            let qualifier = rule.qualifiers[position]
            if case .cmdline = qualifier, inspection.commandLineIsTooLong {
                return "\(qualifier) cannot be checked: the command line is longer than \(LiveProcessFacts.commandLineLimit) bytes, so it counts as unreadable"
            }
            return "\(qualifier) cannot be checked: the process's \(qualifier.key) is unreadable"
        case .otherPIDNamespace:
            let whose =
                inspection.inHostPIDNamespace == nil
                ? "its PID namespace cannot be read (the agent needs CAP_SYS_PTRACE), so it may be a container's"
                : "it is in another PID namespace than the host's: a container's"
            return "matches, but \(whose), and its container runtime sets its oom_score_adj (kubelet does, by QoS class); "
                + "a rule applies to it only when it names its cgroup with cgroup="
        }
    }

    func actual(_ qualifier: Qualifier) -> String {
        func shown(_ value: String?) -> String { value.map { "`" + DisplayText.escaped($0) + "`" } ?? "unreadable" }
        switch qualifier {
        case .exe: return "exe is \(shown(inspection.executable))"
        case .user: return "uid is \(inspection.uid.map(String.init) ?? "unreadable")"
        case .cmdline: return "cmdline is \(shown(inspection.commandLine))"
        case .cgroup: return "cgroup is \(shown(inspection.cgroup))"
        case .parent: return "parent is \(shown(inspection.parent))"
        }
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}

/// Loads the rules for a read-only command, printing every error to stderr.
func loadOrPrint(_ ruleFiles: ConfigOptions) throws -> RuleSet {
    switch ruleFiles.loader.load() {
    case .failure(let failure):
        printError(failure.diagnostics)
        throw ExitStatus.configInvalid
    case .success(let loaded):
        return loaded.rules
    }
}

func openProcOrPrint() throws -> ProcRoot {
    do {
        return try ProcRoot()
    } catch {
        printError("oom-adjust: cannot open /proc: \(error)")
        throw ExitStatus.failure
    }
}
