import ArgumentParser
import OOMAdjustAgent
import OOMAdjustCore
import OOMAdjustLinux

extension OOMAdjust {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every process a rule matches, with its desired and current value. Changes nothing.",
            discussion: """
                States: unchanged (current equals desired), differs, denied (a protective value root cannot \
                set here: CAP_SYS_RESOURCE is missing), refused (a protective rule matched but \
                the trust policy refused it; the reason is given), kept (a protective rule matched a \
                process whose binary was replaced on disk; it keeps its value). --json prints an array \
                of objects with the keys pid, comm, rule, desired, current, state, and reason where \
                there is one (refused, kept, or a later rule applied after a refused protective one). \
                The table ends with the last OOM kill still in the kernel log (reading it needs root, \
                or CAP_SYSLOG where kernel.dmesg_restrict=1).
                """
        )

        @OptionGroup var ruleFiles: ConfigOptions

        @Flag(help: "Print a JSON array instead of a table.")
        var json = false

        func run() throws {
            let rules = try loadOrPrint(ruleFiles)
            let inspector = Inspector(rules: rules, procRoot: try openProcOrPrint())
            let processes: [ProcessInspection]
            do {
                processes = try inspector.matchedProcesses()
            } catch {
                printError("oom-adjust: cannot list /proc: \(error)")
                throw ExitStatus.failure
            }
            let rows = processes.map { StatusRow($0, rules: rules, canLowerScores: inspector.canLowerScores) }
            print(json ? StatusRow.json(rows) : StatusRow.table(rows), terminator: "")
            if !json { print(lastKillLine()) }
        }
    }
}

/// The line under `status`'s table: the last OOM kill the kernel log still holds.
func lastKillLine() -> String {
    let kill: OOMKill?
    do {
        kill = try KernelLogHistory.lastKill()
    } catch {
        let hint = error == .notPermitted || error == .permissionDenied ? "; reading it needs root, or CAP_SYSLOG where kernel.dmesg_restrict=1" : ""
        return "Last OOM kill: unknown, cannot read \(KernelLog.defaultPath) (\(error))\(hint)"
    }
    guard let kill else { return "Last OOM kill: none in the kernel log" }
    var text = "Last OOM kill: \(kill.pid) (\(DisplayText.escaped(String(decoding: kill.comm, as: UTF8.self))))"
    if let uid = kill.uid { text += ", uid \(uid)" }
    if let score = kill.oomScoreAdj { text += ", oom_score_adj \(score)" }
    switch kill.domain {
    case .global: text += ", global OOM"
    case .memoryCgroup(let cgroup): text += ", OOM of memory cgroup \(cgroup.map { DisplayText.field(String(decoding: $0, as: UTF8.self)) } ?? "(unnamed)")"
    }
    text += ", at \(localDateTime(unixNanoseconds: realtimeNanoseconds(ofKernelLogMicroseconds: kill.bootMicroseconds)))"
    return text + "; the agent's log names the rule (journalctl -u oom-adjust -p warning)"
}

/// One line of `status`.
struct StatusRow {
    let pid: Int32
    let comm: String
    let rule: String
    let desired: Int
    let current: Int?
    let state: String
    let reason: String?

    init(_ inspection: ProcessInspection, rules: RuleSet, canLowerScores: Bool = true) {
        let rule = rules.rules[inspection.decidingRule!]
        pid = inspection.pid
        comm = inspection.comm.description
        self.rule = rule.location.description
        desired = Int(rule.score.rawValue)
        current = inspection.current.map { Int($0.rawValue) }
        let state = inspection.state(in: rules, canLowerScores: canLowerScores)
        self.state = state.name
        if state == .denied {
            reason = ProcessInspection.deniedReason
            return
        }
        switch inspection.verdict {
        case .refused(_, let refusal): reason = refusal.description
        case .applyInstead(_, let refused, let refusal): reason = "protection by \(rules.rules[refused].location) refused: \(refusal)"
        case .keep: reason = "its binary was replaced on disk since it started; it keeps its value"
        case .noMatch, .apply: reason = nil
        }
    }

    static func table(_ rows: [StatusRow]) -> String {
        let header = ["PID", "COMM", "RULE", "DESIRED", "CURRENT", "STATE"]
        // A comm or path with spaces or control bytes stays one cell on one line.
        let cells = rows.map { row in
            [String(row.pid), DisplayText.field(row.comm), DisplayText.field(row.rule), String(row.desired),
             row.current.map(String.init) ?? "-", row.state + (row.reason.map { ": " + DisplayText.escaped($0) } ?? "")]
        }
        let widths = header.indices.map { column in
            ([header] + cells).map { $0[column].count }.max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                column == cells.count - 1 ? cell : cell.padding(widths[column] + 1)
            }.joined() + "\n"
        }
        return ([header] + cells).map(line).joined()
    }

    static func json(_ rows: [StatusRow]) -> String {
        let objects = rows.map { row in
            var fields = [
                "\"pid\":\(row.pid)", "\"comm\":\(DisplayText.json(row.comm))", "\"rule\":\(DisplayText.json(row.rule))",
                "\"desired\":\(row.desired)", "\"current\":\(row.current.map(String.init) ?? "null")",
                "\"state\":\(DisplayText.json(row.state))",
            ]
            if let reason = row.reason { fields.append("\"reason\":\(DisplayText.json(reason))") }
            return "{" + fields.joined(separator: ",") + "}"
        }
        return "[" + objects.joined(separator: ",\n") + "]\n"
    }
}
