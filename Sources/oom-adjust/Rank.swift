import ArgumentParser
import OOMAdjustAgent
import OOMAdjustCore
import OOMAdjustLinux

extension OOMAdjust {
    struct Rank: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List processes in the order the kernel's OOM killer would choose its victims now. Changes nothing.",
            discussion: """
                The order is the kernel's own (mm/oom_kill.c, oom_badness): resident memory, swap and \
                page tables in pages, plus oom_score_adj times a thousandth of the memory the OOM is \
                measured against, highest first; of equal points the newer process goes first. \
                Processes the kernel never chooses (oom_score_adj -1000, PID 1, exiting ones) come \
                last, marked; kernel threads are left out. OOM_SCORE is the kernel's \
                /proc/PID/oom_score, which measures every process against the whole machine. With \
                --cgroup the measure is that cgroup's limit (plus the swap it may use), as in a \
                memory-cgroup OOM there, so the order can differ from OOM_SCORE's. --json prints an \
                array of objects with the keys rank, points, oom_score, pid, comm, uid, rss_kib, \
                swap_kib, oom_score_adj, rule, desired, state, reason, never_chosen.
                """
        )

        @OptionGroup var ruleFiles: ConfigOptions

        @Option(
            name: .long,
            help: ArgumentHelp(
                "Rank only what a memory-cgroup OOM in this cgroup could choose from: its processes and those of every cgroup below it. A directory (/sys/fs/cgroup/memory/NAME on cgroup v1, /sys/fs/cgroup/NAME on v2) or a path as /proc/PID/cgroup and the kernel's kill reports name it (/NAME).",
                valueName: "path"),
            completion: .directory)
        var cgroup: String?

        @Option(name: .long, help: ArgumentHelp("How many rows to show, first to be killed first; 0 shows all.", valueName: "n"))
        var limit = 20

        @Flag(help: "Print a JSON array instead of a table.")
        var json = false

        func validate() throws {
            guard limit >= 0 else {
                throw ValidationError("--limit must be 0 (show all) or a positive number of rows, e.g. --limit 50; got \(limit)")
            }
            if let cgroup, cgroup.isEmpty {
                throw ValidationError("--cgroup needs a cgroup, e.g. --cgroup /sys/fs/cgroup/memory/batch or --cgroup /system.slice/ssh.service")
            }
        }

        func run() throws {
            let rules = try loadOrPrint(ruleFiles)
            let procRoot = try openProcOrPrint()
            let machine: SystemMemory
            do {
                machine = try procRoot.systemMemory()
            } catch {
                printError("oom-adjust: cannot read /proc/meminfo: \(error)")
                throw ExitStatus.failure
            }
            var pids: [Int32]?
            var domain = machine.domainSize
            var heading = "As a global OOM would choose (measured against \(Self.size(pages: domain.totalPages, pageKiB: domain.pageKiB)) of RAM and swap)"
            if let cgroup {
                let resolved: MemoryCgroup
                do {
                    resolved = try MemoryCgroup.resolve(cgroup)
                    pids = try resolved.members()
                } catch let problem as CgroupProblem {
                    printError("oom-adjust: --cgroup: \(problem)")
                    throw ExitCode.validationFailure
                } catch {
                    printError("oom-adjust: --cgroup: cannot list the processes of \(cgroup): \(error)")
                    throw ExitStatus.failure
                }
                if let size = resolved.domainSize(machine: machine) {
                    domain = size
                    heading = "As a memory-cgroup OOM in \(resolved.path) would choose (cgroup v\(resolved.version), measured against its limit of \(Self.size(pages: size.totalPages, pageKiB: size.pageKiB)))"
                } else {
                    let why = resolved.hasMemoryController ? "it has no memory limit of its own" : "the memory controller does not govern it (cgroup v\(resolved.version))"
                    printError("oom-adjust: note: \(resolved.path) cannot run out of memory by itself: \(why); its processes are ranked as a global OOM would rank them")
                    heading = "The processes of \(resolved.path) as a global OOM would choose (measured against \(Self.size(pages: domain.totalPages, pageKiB: domain.pageKiB)) of RAM and swap)"
                }
            }
            let ranked: [RankedProcess]
            do {
                ranked = try RankInspector(rules: rules, procRoot: procRoot).rank(pids: pids, in: domain, scored: limit)
            } catch {
                printError("oom-adjust: cannot list /proc: \(error)")
                throw ExitStatus.failure
            }
            let rows = (limit == 0 ? ranked[...] : ranked.prefix(limit)).map { RankRow($0, pageKiB: domain.pageKiB) }
            if json {
                print(RankRow.json(rows), terminator: "")
            } else {
                let choosable = ranked.filter { $0.entry.position != nil }.count
                print("\(heading): \(ranked.count) process\(ranked.count == 1 ? "" : "es"), \(choosable) of them choosable\(rows.count < ranked.count ? ", the first \(rows.count) shown" : "")")
                print(RankRow.table(rows), terminator: "")
            }
        }

        static func size(pages: Int, pageKiB: Int) -> String {
            let (kib, overflow) = pages.multipliedReportingOverflow(by: pageKiB)
            return overflow || kib >= 1 << 50 ? "no limit" : RankRow.size(kib: kib, unit: " ") + "iB"
        }
    }
}

/// One line of `rank`.
struct RankRow {
    let rank: Int?
    let points: Int?
    let oomScore: Int?
    let pid: Int32
    let comm: String
    let uid: UInt32?
    let residentKiB: Int
    let swapKiB: Int
    let oomScoreAdj: Int
    let rule: String?
    let desired: Int?
    let state: String
    let reason: String?
    let neverChosen: String?

    init(_ ranked: RankedProcess, pageKiB: Int) {
        let candidate = ranked.entry.candidate
        rank = ranked.entry.position
        points = ranked.entry.points
        oomScore = candidate.oomScore
        pid = candidate.pid
        comm = candidate.comm.description
        uid = candidate.uid
        residentKiB = candidate.residentKiB
        swapKiB = candidate.swapKiB
        oomScoreAdj = Int(candidate.oomScoreAdj.rawValue)
        rule = ranked.rule?.location.description
        desired = ranked.rule.map { Int($0.score.rawValue) }
        state = ranked.state.name
        if case .refused(let refusal) = ranked.state { reason = refusal.description } else { reason = nil }
        neverChosen = ranked.entry.neverChosen?.rawValue
    }

    /// What the STATE column says: whether the value is the one the rule wants.
    var stateText: String {
        switch state {
        case "unmatched": return "-"
        case "differs": return "differs (rule wants \(desired.map(String.init) ?? "?"))"
        case "refused": return "refused: " + DisplayText.escaped(reason ?? "")
        default: return state
        }
    }

    static func table(_ rows: [RankRow]) -> String {
        let header = ["RANK", "OOM_SCORE", "PID", "COMM", "UID", "RSS", "ADJ", "RULE", "STATE", "NOTE"]
        let cells = rows.map { row -> [String] in
            let rank: String = row.rank.map { String($0) } ?? "-"
            let score: String = row.oomScore.map { String($0) } ?? "-"
            let uid: String = row.uid.map { String($0) } ?? "-"
            let note: String = row.neverChosen.map { "never chosen: \($0)" } ?? ""
            // A comm or a path is whatever a process or an administrator made it: one cell, escaped.
            return [
                rank, score, String(row.pid), DisplayText.field(row.comm), uid, size(kib: row.residentKiB), String(row.oomScoreAdj),
                row.rule.map(DisplayText.field) ?? "-", row.stateText, note,
            ]
        }
        let widths = header.indices.map { column in ([header] + cells).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            var text = cells.enumerated().map { column, cell in
                column == cells.count - 1 ? cell : cell.padding(widths[column] + 1)
            }.joined()
            while text.last == " " { text.removeLast() }
            return text + "\n"
        }
        return ([header] + cells).map(line).joined()
    }

    static func json(_ rows: [RankRow]) -> String {
        func number<T: BinaryInteger>(_ value: T?) -> String { value.map { "\($0)" } ?? "null" }
        func text(_ value: String?) -> String { value.map(DisplayText.json) ?? "null" }
        let objects = rows.map { row in
            "{" + [
                "\"rank\":\(number(row.rank))", "\"points\":\(number(row.points))", "\"oom_score\":\(number(row.oomScore))",
                "\"pid\":\(row.pid)", "\"comm\":\(DisplayText.json(row.comm))", "\"uid\":\(number(row.uid))",
                "\"rss_kib\":\(row.residentKiB)", "\"swap_kib\":\(row.swapKiB)", "\"oom_score_adj\":\(row.oomScoreAdj)",
                "\"rule\":\(text(row.rule))", "\"desired\":\(number(row.desired))", "\"state\":\(DisplayText.json(row.state))",
                "\"reason\":\(text(row.reason))", "\"never_chosen\":\(text(row.neverChosen))",
            ].joined(separator: ",") + "}"
        }
        return "[" + objects.joined(separator: ",\n") + "]\n"
    }

    /// KiB as `812K`, `60.1M`, `1.2G` (or with `unit` between the number and the letter).
    static func size(kib: Int, unit: String = "") -> String {
        if kib < 1024 { return "\(kib)\(unit)K" }
        let (divisor, letter): (Int, String) = kib < 1 << 20 ? (1, "M") : kib < 1 << 30 ? (1024, "G") : (1 << 20, "T")
        // Tenths, rounded to nearest.
        let tenths = (kib / divisor * 10 + 512) / 1024
        return "\(tenths / 10).\(tenths % 10)\(unit)\(letter)"
    }
}
