/// The lines of the kernel's OOM report that say whom it killed and why (mm/oom_kill.c), each parsed
/// from a record's decoded text.
///
/// Names and cgroup paths in these lines are printed raw and may hold spaces, commas and parentheses, so
/// the parsers anchor on what the kernel prints after them, and use that a comm has at most 15 bytes.

/// `oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/a,task_memcg=/a/b,task=COMM,pid=N,uid=N`
/// (dump_oom_summary, Linux 4.19 and later). A global OOM prints `global_oom` instead of `oom_memcg=`;
/// without cpusets there is no `cpuset=` or `mems_allowed=`.
public struct OOMKillSummary: Equatable, Sendable {
    /// `CONSTRAINT_NONE` (global), `CONSTRAINT_MEMCG`, `CONSTRAINT_CPUSET`, `CONSTRAINT_MEMORY_POLICY`.
    public let constraint: String
    /// The memory cgroup whose limit was hit; nil for a global OOM.
    public let oomCgroup: [UInt8]?
    /// The victim's memory cgroup.
    public let taskCgroup: [UInt8]?
    public let comm: [UInt8]
    public let pid: Int32
    public let uid: UInt32

    public init(constraint: String, oomCgroup: [UInt8]?, taskCgroup: [UInt8]?, comm: [UInt8], pid: Int32, uid: UInt32) {
        self.constraint = constraint
        self.oomCgroup = oomCgroup
        self.taskCgroup = taskCgroup
        self.comm = comm
        self.pid = pid
        self.uid = uid
    }

    public init?(_ text: [UInt8]) {
        let marker = Array("oom-kill:constraint=".utf8)
        guard let start = text.firstBytes(marker) else { return nil }
        var end = text.endIndex
        while end > start.upperBound, text[end - 1] == UInt8(ascii: " ") { end -= 1 }
        // The end is fixed: ",pid=N,uid=N". Whatever precedes ",pid=" belongs to the comm.
        let uidMarker = Array(",uid=".utf8)
        guard let uidRange = text[..<end].lastBytes(uidMarker),
            let uid = DecimalText.unsigned(text[uidRange.upperBound..<end]).flatMap(UInt32.init(exactly:))
        else { return nil }
        let pidMarker = Array(",pid=".utf8)
        guard let pidRange = text[..<uidRange.lowerBound].lastBytes(pidMarker),
            let pid = DecimalText.unsigned(text[pidRange.upperBound..<uidRange.lowerBound]).flatMap(Int32.init(exactly:))
        else { return nil }
        // ",task=COMM": the comm is at most 15 bytes, so the marker starts at most 15 bytes before
        // ",pid="; of the candidates in that window the earliest is taken, since a comm may itself hold
        // ",task=" while the field before it ends in a cgroup path.
        let taskMarker = Array(",task=".utf8)
        let windowStart = max(start.upperBound, pidRange.lowerBound - Comm.maximumLength - taskMarker.count)
        guard let taskRange = text[windowStart..<pidRange.lowerBound].firstBytes(taskMarker) else { return nil }
        comm = Array(text[taskRange.upperBound..<pidRange.lowerBound])
        let head = text[start.upperBound..<taskRange.lowerBound]
        constraint = String(decoding: head.prefix { $0 != UInt8(ascii: ",") }, as: UTF8.self)
        guard !constraint.isEmpty else { return nil }
        let oomRange = head.firstBytes(Array(",oom_memcg=".utf8))
        let taskCgroupMarker = Array(",task_memcg=".utf8)
        let taskCgroupRange = head[(oomRange?.upperBound ?? head.startIndex)...].firstBytes(taskCgroupMarker)
        oomCgroup = oomRange.map { Array(head[$0.upperBound..<(taskCgroupRange?.lowerBound ?? head.endIndex)]) }
        taskCgroup = taskCgroupRange.map { Array(head[$0.upperBound...]) }
        self.pid = pid
        self.uid = uid
    }

    /// A memory cgroup's limit was hit; otherwise the whole machine (or a cpuset or memory policy of it)
    /// ran out.
    public var isMemoryCgroup: Bool { oomCgroup != nil }
}

/// `Memory cgroup out of memory: Killed process PID (COMM) total-vm:NkB, anon-rss:NkB, file-rss:NkB,
/// shmem-rss:NkB, UID:N pgtables:NkB oom_score_adj:N` (__oom_kill_process). `UID:`, `pgtables:` and
/// `oom_score_adj:` came with Linux 5.x; before 5.1 the line had no `MESSAGE: ` in front.
public struct KilledProcessLine: Equatable, Sendable {
    /// What precedes `: Killed process`: `Out of memory`, `Memory cgroup out of memory`, ...; nil when
    /// nothing does.
    public let message: String?
    public let pid: Int32
    public let comm: [UInt8]
    /// Every `NAME:VALUE` after the comm, `kB` dropped: `total-vm`, `anon-rss`, `file-rss`,
    /// `shmem-rss`, `UID`, `pgtables`, `oom_score_adj`.
    public let fields: [String: Int]

    public init(message: String?, pid: Int32, comm: [UInt8], fields: [String: Int]) {
        self.message = message
        self.pid = pid
        self.comm = comm
        self.fields = fields
    }

    public init?(_ text: [UInt8]) {
        let marker = Array("Killed process ".utf8)
        guard let range = text.firstBytes(marker) else { return nil }
        let before = text[..<range.lowerBound]
        if before.isEmpty {
            message = nil
        } else if before.count >= 2, before.suffix(2).elementsEqual(": ".utf8) {
            // The kernel's own: "Out of memory", "Memory cgroup out of memory", "Out of memory (...)".
            let said = String(decoding: before.dropLast(2), as: UTF8.self)
            guard said.lowercased().contains("out of memory") else { return nil }
            message = said
        } else {
            return nil
        }
        var index = range.upperBound
        let digitsStart = index
        while index < text.endIndex, isDigit(text[index]) { index += 1 }
        guard let pid = DecimalText.unsigned(text[digitsStart..<index]).flatMap(Int32.init(exactly:)),
            text[index...].starts(with: " (".utf8)
        else { return nil }
        let commStart = index + 2
        // The comm ends at the first ") " after which the rest parses as the kernel's fields; a comm
        // holding ") total-vm:" itself is then still read whole.
        var end = commStart
        var parsed: [String: Int]?
        while end <= min(commStart + Comm.maximumLength, text.endIndex - 2) {
            if text[end] == UInt8(ascii: ")"), text[end + 1] == UInt8(ascii: " "),
                let fields = Self.fields(text[(end + 2)...])
            {
                parsed = fields
                break
            }
            end += 1
        }
        guard let parsed else { return nil }
        self.pid = pid
        comm = Array(text[commStart..<end])
        fields = parsed
    }

    /// `total-vm:NkB, anon-rss:NkB, ... oom_score_adj:N`: names and values (every kernel since 4.x
    /// prints the first three), or nil when this is not it.
    static func fields(_ rest: ArraySlice<UInt8>) -> [String: Int]? {
        guard rest.starts(with: "total-vm:".utf8) else { return nil }
        var fields: [String: Int] = [:]
        for token in rest.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: ",") }) {
            guard let colon = token.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            var value = token[(colon + 1)...]
            if value.count > 2, value.suffix(2).elementsEqual("kB".utf8) { value = value.dropLast(2) }
            var negative = false
            if value.first == UInt8(ascii: "-") {
                negative = true
                value = value.dropFirst()
            }
            guard let number = DecimalText.unsigned(value), number <= UInt64(Int.max) else { return nil }
            fields[String(decoding: token[..<colon], as: UTF8.self)] = negative ? -Int(number) : Int(number)
        }
        return fields["total-vm"] == nil || fields["anon-rss"] == nil || fields["file-rss"] == nil ? nil : fields
    }

    public var uid: UInt32? { fields["UID"].flatMap(UInt32.init(exactly:)) }
    public var oomScoreAdj: OOMScore? { fields["oom_score_adj"].flatMap { OOMScore($0) } }
    /// anon + file + shmem resident memory, in KiB.
    public var residentKiB: Int? {
        guard let anon = fields["anon-rss"], let file = fields["file-rss"] else { return nil }
        return anon + file + (fields["shmem-rss"] ?? 0)
    }
    /// The memory-cgroup OOM killer's message, as opposed to the global one's.
    public var isMemoryCgroup: Bool { message?.hasPrefix("Memory cgroup") ?? false }
}

/// One row of the report's task list (dump_tasks), under a header naming its columns, which changed
/// over the versions:
///
///     [  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name
///     [  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem pgtables_bytes swapents oom_score_adj name
public struct OOMTaskRow: Equatable, Sendable {
    /// The process (the row's tgid).
    public let pid: Int32
    public let uid: UInt32
    /// Resident pages.
    public let residentPages: Int
    public let oomScoreAdj: Int
    public let comm: [UInt8]

    public init(pid: Int32, uid: UInt32, residentPages: Int, oomScoreAdj: Int, comm: [UInt8]) {
        self.pid = pid
        self.uid = uid
        self.residentPages = residentPages
        self.oomScoreAdj = oomScoreAdj
        self.comm = comm
    }

    /// The column names of a header line, `pid` first; nil for any other line.
    public static func columns(ofHeader text: [UInt8]) -> [String]? {
        guard let open = text.firstIndex(of: UInt8(ascii: "[")), let close = text[open...].firstIndex(of: UInt8(ascii: "]")),
            text[(open + 1)..<close].split(separator: UInt8(ascii: " ")).map({ String(decoding: $0, as: UTF8.self) }) == ["pid"]
        else { return nil }
        let names = text[(close + 1)...].split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
        guard names.last == "name", names.contains("rss"), names.contains("oom_score_adj"), names.contains("tgid") else { return nil }
        return ["pid"] + names
    }

    /// Parses a row given its header's columns.
    public init?(_ text: [UInt8], columns: [String]) {
        guard let open = text.firstIndex(of: UInt8(ascii: "[")), let close = text[open...].firstIndex(of: UInt8(ascii: "]")),
            DecimalText.unsigned(text[(open + 1)..<close].drop { $0 == UInt8(ascii: " ") }) != nil
        else { return nil }
        // Every column but the name is a number, right-aligned; the name follows the last one after
        // exactly one space and may itself begin with one.
        var values: [String: Int] = [:]
        var index = close + 1
        for column in columns.dropFirst().dropLast() {
            while index < text.endIndex, text[index] == UInt8(ascii: " ") { index += 1 }
            let negative = index < text.endIndex && text[index] == UInt8(ascii: "-")
            if negative { index += 1 }
            let start = index
            while index < text.endIndex, isDigit(text[index]) { index += 1 }
            guard let magnitude = DecimalText.unsigned(text[start..<index]), magnitude <= UInt64(Int.max) else { return nil }
            values[column] = negative ? -Int(magnitude) : Int(magnitude)
        }
        guard index < text.endIndex, text[index] == UInt8(ascii: " "),
            let tgid = values["tgid"].flatMap(Int32.init(exactly:)), let rss = values["rss"],
            let adj = values["oom_score_adj"]
        else { return nil }
        pid = tgid
        uid = values["uid"].flatMap(UInt32.init(exactly:)) ?? 0
        residentPages = rss
        oomScoreAdj = adj
        comm = Array(text[(index + 1)...])
    }
}

// MARK: Byte helpers

func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

extension Collection where Element == UInt8, Index == Int {
    func firstBytes(_ pattern: [UInt8]) -> Range<Int>? {
        guard !pattern.isEmpty, count >= pattern.count else { return nil }
        var start = startIndex
        while start <= endIndex - pattern.count {
            if self[start] == pattern[0], self[start..<(start + pattern.count)].elementsEqual(pattern) {
                return start..<(start + pattern.count)
            }
            start += 1
        }
        return nil
    }

    func lastBytes(_ pattern: [UInt8]) -> Range<Int>? {
        guard !pattern.isEmpty, count >= pattern.count else { return nil }
        var start = endIndex - pattern.count
        while start >= startIndex {
            if self[start] == pattern[0], self[start..<(start + pattern.count)].elementsEqual(pattern) {
                return start..<(start + pattern.count)
            }
            start -= 1
        }
        return nil
    }
}
