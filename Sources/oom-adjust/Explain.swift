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

        @OptionGroup var options: ConfigOptions

        func validate() throws {
            guard pid > 0 else { throw ValidationError("PID must be a positive process ID, e.g. $(pidof sshd)") }
        }

        func run() throws {
            let rules = try loadOrPrint(options)
            let inspector = Inspector(rules: rules, procRoot: try openProcOrPrint())
            let inspection: ProcessInspection
            do {
                inspection = try inspector.inspect(pid: pid)
            } catch {
                printError("oom-adjust: cannot inspect process \(pid): \(error)")
                throw ExitStatus.failure
            }
            print(ExplainReport(inspection: inspection, rules: rules).text, terminator: "")
        }
    }
}

/// The text `explain` prints.
struct ExplainReport {
    let inspection: ProcessInspection
    let rules: RuleSet

    var text: String {
        let process = inspection
        var out = "process \(process.pid)\n"
        func fact(_ name: String, _ value: String?) {
            out += "  \(name.padding(9))\(value ?? "(unreadable)")\n"
        }
        fact("comm", process.comm.description)
        fact("exe", process.executable)
        fact("cmdline", process.commandLine)
        fact("uid", process.uid.map(String.init))
        fact("cgroup", process.cgroup)
        fact("parent", process.parent)
        fact("pid ns", process.inHostPIDNamespace.map { $0 ? "the host's" : "another (a container's)" })
        fact("current", process.current.map { "\($0)" })
        out += "rules\n"
        if rules.rules.isEmpty { out += "  (none)\n" }
        let width = rules.rules.map { $0.location.description.count }.max() ?? 0
        for (index, rule) in rules.rules.enumerated() {
            var why = describe(process.evaluations[index], rule: rule)
            if let decided = process.decidingRule, index > decided { why = "not considered: an earlier rule decided" }
            out += "  \(rule.location.description.padding(width))  \(rule.spelling)\n      \(why)\n"
        }
        out += "decision\n  "
        switch process.verdict {
        case .noMatch where process.evaluations.contains(.otherPIDNamespace):
            out += "no rule applies: a container's process is left to its container runtime "
            out += "(a rule with cgroup= would adjust it)\n"
        case .noMatch:
            out += "no rule matches: the process is left as it is\n"
        case .apply(let index):
            let rule = rules.rules[index]
            let now = process.current.map { "\($0)" } ?? "unknown"
            out += "oom_score_adj \(rule.score) from \(rule.location) (currently \(now)"
            out += process.current == rule.score ? ", already set)\n" : ")\n"
        case .untrusted(let index, let refusal):
            let rule = rules.rules[index]
            out += "refused: \(rule.location) would give oom_score_adj \(rule.score), but \(refusal); "
            out += "the process is left as it is (add exe= and user= qualifiers to vouch for it)\n"
        }
        return out
    }

    func describe(_ match: RuleMatch, rule: Rule) -> String {
        switch match {
        case .matches:
            return "matches"
        case .nameDiffers:
            return "name differs: comm is `\(inspection.comm)`"
        case .longNameUnconfirmed:
            return "comm matches the first 15 bytes, but neither the executable's nor argv[0]'s name is `\(rule.name)`"
        case .qualifierFails(let position):
            let qualifier = rule.qualifiers[position]
            return "\(qualifier) does not hold: \(actual(qualifier))"
        case .qualifierUnreadable(let position):
            return "\(rule.qualifiers[position]) cannot be checked: the process's \(rule.qualifiers[position].key) is unreadable"
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
        switch qualifier {
        case .exe: return "exe is \(inspection.executable ?? "unreadable")"
        case .user: return "uid is \(inspection.uid.map(String.init) ?? "unreadable")"
        case .cmdline: return "cmdline is \(inspection.commandLine.map { "`\($0)`" } ?? "unreadable")"
        case .cgroup: return "cgroup is \(inspection.cgroup ?? "unreadable")"
        case .parent: return "parent is \(inspection.parent ?? "unreadable")"
        }
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}

/// Loads the rules for a read-only command, printing every error to stderr.
func loadOrPrint(_ options: ConfigOptions) throws -> RuleSet {
    switch options.loader.load() {
    case .failure(let failure):
        for diagnostic in failure.diagnostics { printError(diagnostic.description) }
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
