import Foundation
import OOMAdjustCore
import SeededRandom
import Testing

/// The /dev/kmsg record format and the OOM report's lines, on real records from several kernels
/// (Tests/Fixtures/kmsg; each file says where it came from).
@Suite struct KernelLogParserTests {
    // MARK: Records

    @Test func aRecordIsPrioritySequenceTimeFlagsAndText() throws {
        let record = try #require(KernelLogRecord(Array("3,813,302202761,-;Memory cgroup out of memory: Killed\n".utf8)))
        #expect(record.facility == 0 && record.level == 3)
        #expect(record.sequence == 813 && record.microseconds == 302_202_761)
        #expect(record.flags == UInt8(ascii: "-") && record.isComplete)
        #expect(record.string == "Memory cgroup out of memory: Killed")
    }

    @Test func escapesAreDecodedAndDictionaryLinesSkipped() throws {
        let raw = Array("12,7,99,c,extra;oa\\x5ck\\xc3\\xa9 \\x0a end\\x\n SUBSYSTEM=memory\n DEVICE=+x\n".utf8)
        let record = try #require(KernelLogRecord(raw))
        #expect(record.facility == 1 && record.level == 4 && record.flags == UInt8(ascii: "c"))
        // \x5c is the backslash itself; an escape that is not one (a lone "\x") stays as it is.
        #expect(record.text == Array("oa\\k".utf8) + [0xC3, 0xA9, 0x20, 0x0A] + Array(" end\\x".utf8))
    }

    @Test func garbageIsNotARecord() {
        for text in ["", ";", "no semicolon at all\n", "6,1,2;too few fields\n", "x,1,2,-;not a number\n", "6,1,2,--;flags\n",
                     "6,-1,2,-;negative\n", "6,99999999999999999999999,2,-;overflow\n", String(repeating: "7", count: 200) + ";far\n"]
        {
            #expect(KernelLogRecord(Array(text.utf8)) == nil, "\(text)")
        }
    }

    @Test func aRecordWithoutItsNewlineIsMarkedIncomplete() throws {
        let record = try #require(KernelLogRecord(Array("6,5,6,-;Memory cgroup out of memory: Killed process 9 (a".utf8)))
        #expect(!record.isComplete)
        #expect(record.string.hasSuffix("(a"))
    }

    @Test func everyRecordedLineIsARecordInSequence() throws {
        for name in KernelLogFixtures.names where name.hasSuffix(".kmsg") {
            let records = try KernelLogFixtures.records(name)
            #expect(!records.isEmpty, "\(name)")
            #expect(records.allSatisfy { $0.isComplete }, "\(name)")
            #expect(zip(records, records.dropFirst()).allSatisfy { $0.sequence + 1 == $1.sequence }, "\(name)")
        }
    }

    // MARK: The kills in the fixtures

    struct Expected: CustomTestStringConvertible, Sendable {
        let fixture: String
        let pid: Int32
        let comm: [UInt8]
        let uid: UInt32?
        let oomScoreAdj: Int?
        let residentKiB: Int
        /// nil: global.
        let cgroup: String??
        let others: [Int32]?
        var testDescription: String { fixture }
    }

    static let v1Cgroup = "/process_api/02b5ac66d81210ecf7371005f58badd1/oa-kmsg-4192"

    static let expected: [Expected] = [
        Expected(fixture: "linux-6.18-memcg-v1-comm-spaces-commas-parens.kmsg", pid: 4241, comm: Array("oa (k) m,sg x".utf8), uid: 0, oomScoreAdj: 0, residentKiB: 65280 + 8652, cgroup: .some(v1Cgroup), others: []),
        Expected(fixture: "linux-6.18-memcg-v1-comm-like-the-fields-after-it.kmsg", pid: 4255, comm: Array("x) total-vm:1kB".utf8), uid: 0, oomScoreAdj: 0, residentKiB: 65280 + 8736, cgroup: .some(v1Cgroup), others: []),
        Expected(fixture: "linux-6.18-memcg-v1-comm-like-the-summary-tail.kmsg", pid: 4256, comm: Array("a,task=b,pid=1".utf8), uid: 0, oomScoreAdj: 0, residentKiB: 65152 + 8748, cgroup: .some(v1Cgroup), others: []),
        Expected(fixture: "linux-6.18-memcg-v1-comm-backslash-utf8.kmsg", pid: 4267, comm: Array("oa\\k".utf8) + [0xC3, 0xA9], uid: 0, oomScoreAdj: 0, residentKiB: 65024 + 8680, cgroup: .some(v1Cgroup), others: []),
        Expected(fixture: "linux-6.12-memcg-v2.kmsg", pid: 130, comm: Array("oa (v2) m,cg".utf8), uid: 0, oomScoreAdj: 300, residentKiB: 24448 + 472, cgroup: .some("/oa-vm"), others: [129]),
        Expected(fixture: "linux-6.12-global.kmsg", pid: 131, comm: Array("oa global (1)".utf8), uid: 0, oomScoreAdj: 1000, residentKiB: 195072 + 264, cgroup: nil, others: []),
        Expected(fixture: "linux-6.1-memcg-v2.kmsg", pid: 78, comm: Array("oa (v2) m,cg".utf8), uid: 0, oomScoreAdj: 300, residentKiB: 24276 + 536, cgroup: .some("/oa-vm"), others: [77]),
        Expected(fixture: "linux-6.1-global.kmsg", pid: 79, comm: Array("oa global (1)".utf8), uid: 0, oomScoreAdj: 1000, residentKiB: 195900 + 324, cgroup: nil, others: []),
        // Published lines: no summary quoted, so the cgroup is unknown and no candidates are known.
        Expected(fixture: "linux-5.4-ubuntu-memcg.dmesg", pid: 63214, comm: Array("uwsgi".utf8), uid: 0, oomScoreAdj: 986, residentKiB: 164992 + 52176 + 92, cgroup: .some(nil), others: nil),
        Expected(fixture: "linux-6.16-debian-global.dmesg", pid: 3581527, comm: Array("uwsgi".utf8), uid: 33, oomScoreAdj: 0, residentKiB: 263092 + 29128, cgroup: nil, others: nil),
        // The summary came, but the task list's header did not: the rows cannot be read.
        Expected(fixture: "unstated-version-global-stress-ng.dmesg", pid: 1811, comm: Array("stress-ng".utf8), uid: 1000, oomScoreAdj: 1000, residentKiB: 64, cgroup: nil, others: nil),
    ]

    @Test(arguments: expected)
    func theKillIsPutTogetherFromItsLines(_ expected: Expected) throws {
        let kills = try KernelLogFixtures.kills(expected.fixture)
        try #require(kills.count == 1, "\(kills)")
        let kill = kills[0]
        #expect(kill.pid == expected.pid)
        #expect(kill.comm == expected.comm, "\(kill.commText)")
        #expect(kill.uid == expected.uid)
        #expect(kill.oomScoreAdj.map { Int($0.rawValue) } == expected.oomScoreAdj)
        #expect(kill.residentKiB == expected.residentKiB)
        switch expected.cgroup {
        case nil:
            guard case .global = kill.domain else { Issue.record("expected a global OOM, got \(kill.domain)"); break }
        case .some(let cgroup):
            guard case .memoryCgroup(let got) = kill.domain else { Issue.record("expected a memcg OOM, got \(kill.domain)"); break }
            #expect(got.map { String(decoding: $0, as: UTF8.self) } == cgroup)
        }
        #expect(kill.others?.map(\.pid) == expected.others)
        #expect(!kill.groupKill)
    }

    @Test func aSummaryNamesItsCgroupsTheVictimAndTheConstraint() throws {
        let memcg = try #require(KernelLogFixtures.records("linux-6.12-memcg-v2.kmsg").lazy.compactMap { OOMKillSummary($0.text) }.first)
        #expect(memcg == OOMKillSummary(constraint: "CONSTRAINT_MEMCG", oomCgroup: Array("/oa-vm".utf8), taskCgroup: Array("/oa-vm".utf8), comm: Array("oa (v2) m,cg".utf8), pid: 130, uid: 0))
        let global = try #require(KernelLogFixtures.records("linux-6.1-global.kmsg").lazy.compactMap { OOMKillSummary($0.text) }.first)
        #expect(global == OOMKillSummary(constraint: "CONSTRAINT_NONE", oomCgroup: nil, taskCgroup: Array("/".utf8), comm: Array("oa global (1)".utf8), pid: 79, uid: 0))
        let tail = try #require(KernelLogFixtures.records("linux-6.18-memcg-v1-comm-like-the-summary-tail.kmsg").lazy.compactMap { OOMKillSummary($0.text) }.first)
        #expect(tail.comm == Array("a,task=b,pid=1".utf8) && tail.pid == 4256)
        #expect(tail.taskCgroup == Array(Self.v1Cgroup.utf8))
        let pod = try #require(KernelLogFixtures.records("unstated-version-memcg-pod-truncated.dmesg").lazy.compactMap { OOMKillSummary($0.text) }.first)
        #expect(pod.uid == 525287 && pod.pid == 32550 && pod.comm == Array("uvicorn".utf8))
        #expect(String(decoding: pod.taskCgroup ?? [], as: UTF8.self).hasSuffix("/cri-containerd-799855c3e9e23ea07677c581b96f444dffb0932d7a907973bb08a8391803c559.scope"))
        #expect(String(decoding: pod.oomCgroup ?? [], as: UTF8.self).hasSuffix("-pod17d1d0b1_bbeb_4252_a45c_c9f426d1cb34.slice"))
    }

    @Test func theOldKillLineWithoutUIDOrValueStillMakesKills() throws {
        // Linux 5.3: "Killed process PID (COMM) total-vm:..., shmem-rss:NkB" and nothing after.
        let kills = try KernelLogFixtures.kills("linux-5.3-ubuntu-global-old-format.dmesg")
        #expect(kills.map(\.pid) == [15784, 15925, 15783, 15934])
        #expect(kills.map(\.commText) == ["python3", "(resolved)", "python3", "(resolved)"])
        #expect(kills.allSatisfy { $0.uid == nil && $0.oomScoreAdj == nil })
        #expect(kills.allSatisfy { if case .global(nil) = $0.domain { true } else { false } })
        #expect(kills[1].residentKiB == 4064 + 3584)
    }

    @Test func truncatedLinesMakeNoKill() throws {
        // A kill line cut off after its comm, and a summary cut off before its victim.
        #expect(try KernelLogFixtures.kills("unstated-version-memcg-pod-truncated.dmesg").isEmpty)
        #expect(try KernelLogFixtures.kills("unstated-version-memcg-podman-truncated-summary.dmesg").isEmpty)
    }

    @Test func taskRowsFollowTheirHeadersColumns() throws {
        let old = try #require(OOMTaskRow.columns(ofHeader: Array("[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name".utf8)))
        let keeper = try #require(OOMTaskRow(Array("[     77]     0    77     2301     2177    53248        0          -500 oa keeper".utf8), columns: old))
        #expect(keeper == OOMTaskRow(pid: 77, uid: 0, residentPages: 2177, oomScoreAdj: -500, comm: Array("oa keeper".utf8)))
        let new = try #require(OOMTaskRow.columns(ofHeader: Array("[  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem pgtables_bytes swapents oom_score_adj name".utf8)))
        let pod = try #require(OOMTaskRow(Array("[  32550] 525287 32550 67713442   536771   522690    14081         0  4608000        0           992 uvicorn".utf8), columns: new))
        #expect(pod == OOMTaskRow(pid: 32550, uid: 525287, residentPages: 536771, oomScoreAdj: 992, comm: Array("uvicorn".utf8)))
        // A name that starts with a space keeps it; a row of the other layout does not parse.
        #expect(OOMTaskRow(Array("[  1] 0 1 2 3 4 5 6 7 8 0  lead".utf8), columns: new)?.comm == Array(" lead".utf8))
        #expect(OOMTaskRow(Array("[     77]     0    77     2301     2177    53248        0          -500 oa keeper".utf8), columns: new) == nil)
        #expect(OOMTaskRow.columns(ofHeader: Array("[ 1234]     0  1234 ...".utf8)) == nil)
    }

    // MARK: Reports that arrive in pieces

    static func record(_ sequence: UInt64, _ text: String) -> KernelLogRecord {
        KernelLogRecord(facility: 0, level: 6, sequence: sequence, microseconds: sequence * 10, text: Array(text.utf8))
    }

    @Test func theCandidatesAreTheLargestOthersAndLeaveOutTheUnkillable() throws {
        var assembler = OOMReportAssembler()
        var sequence: UInt64 = 0
        func feed(_ text: String) -> OOMKill? {
            sequence += 1
            return assembler.consume(Self.record(sequence, text))
        }
        _ = feed("big invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0")
        _ = feed("Tasks state (memory values in pages):")
        _ = feed("[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name")
        for pid in 100..<130 { _ = feed("[   \(pid)]     0   \(pid)     9999     \(pid)    53248        0             0 w\(pid)") }
        _ = feed("[   200]     0   200     9999     5000    53248        0         -1000 sshd")
        _ = feed("[   201]     0   201     9999     4000    53248        0             0 big")
        _ = feed("usb 1-1: interleaved from another CPU")
        _ = feed("oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/m,task_memcg=/m/n,task=big,pid=201,uid=0")
        let kill = try #require(feed("Memory cgroup out of memory: Killed process 201 (big) total-vm:39996kB, anon-rss:16000kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:52kB oom_score_adj:0"))
        #expect(kill.candidateCount == 32)
        #expect(kill.others?.map(\.pid) == Array((122..<130).reversed()))
        #expect(kill.taskCgroup == Array("/m/n".utf8) && kill.cgroupText == "/m")
    }

    @Test func aGroupKillBelongsToTheReportThatStartedIt() throws {
        var assembler = OOMReportAssembler()
        let lines = [
            "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/job,task_memcg=/job,task=a,pid=10,uid=0",
            "Memory cgroup out of memory: Killed process 10 (a) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0",
            "Tasks in /job are going to be killed due to memory.oom.group set",
            "Memory cgroup out of memory: Killed process 11 (b) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0",
        ]
        let kills = lines.enumerated().compactMap { assembler.consume(Self.record(UInt64($0.offset), $0.element)) }
        #expect(kills.map(\.pid) == [10, 11])
        #expect(kills.map(\.groupKill) == [false, true])
        #expect(kills.map(\.cgroupText) == ["/job", "/job"])
    }

    @Test func aSummaryOfAnotherVictimOrAnEarlierReportIsNotBorrowed() throws {
        var assembler = OOMReportAssembler()
        _ = assembler.consume(Self.record(1, "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/old,task_memcg=/old,task=a,pid=10,uid=0"))
        let otherKill = assembler.consume(Self.record(2, "Out of memory: Killed process 12 (c) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, UID:5 pgtables:4kB oom_score_adj:7"))
        let other = try #require(otherKill)
        #expect(other.domain == .global(constraint: nil) && other.taskCgroup == nil && other.uid == 5)
        // A new report forgets the old one's summary.
        _ = assembler.consume(Self.record(3, "x invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0"))
        let lateKill = assembler.consume(Self.record(4, "Memory cgroup out of memory: Killed process 10 (a) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0"))
        let late = try #require(lateKill)
        #expect(late.domain == .memoryCgroup(nil))
    }

    @Test func otherLinesThatMentionKillsAreNotKills() {
        var assembler = OOMReportAssembler()
        for text in [
            "oom_reaper: reaped process 1811 (stress-ng), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB",
            "Memory cgroup out of memory: Kill process 1234 (x) score 1000 or sacrifice child",
            "Out of memory and no killable processes...",
            "my-daemon: Killed process 5 (x) total-vm:1kB",  // a message that is not the kernel's
            "Killed process 5 (x) total-vm:1kB, anon-rss:9 kB",
            "Killed process 5 (x) total-vm:1kB, anon-rss:9kB",
            "Killed process 5 (x)",
            "Killed process (x) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB",
            "Killed process 99999999999 (x) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB",
            "Killed process 5 (this name is far too long) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB",
        ] {
            let kill = assembler.consume(Self.record(1, text))
            #expect(kill == nil, "\(text)")
        }
    }

    @Test func aRecordAProcessWroteToTheKernelLogIsNeverAKill() throws {
        // What `echo "<0>Out of memory: Killed process ..." > /dev/kmsg` leaves: facility 1 (user), since
        // the kernel does not let a writer claim facility 0.
        let forged = try #require(KernelLogRecord(Array("12,900,1,-;Out of memory: Killed process 1 (systemd) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0\n".utf8)))
        var assembler = OOMReportAssembler()
        #expect(forged.facility == 1)
        let kill = assembler.consume(forged)
        #expect(kill == nil)
    }

    // MARK: Truncation and noise

    @Test func everyPrefixOfEveryRecordedRecordIsHandled() throws {
        // A reader may get a record cut anywhere; whatever the cut, parsing returns, and a kill is only
        // reported when the kill line kept everything up to the fields after the comm.
        for name in KernelLogFixtures.names {
            for line in try KernelLogFixtures.lines(name) {
                for length in 0...line.count {
                    let prefix = Array(line.prefix(length))
                    if let record = KernelLogRecord(prefix), let kill = KilledProcessLine(record.text) {
                        #expect(record.string.contains("Killed process \(kill.pid) ("), "\(name): \(record.string)")
                    }
                    var assembler = OOMReportAssembler()
                    if let record = KernelLogRecord(prefix) { _ = assembler.consume(record) }
                    _ = OOMKillSummary(prefix)
                    _ = KilledProcessLine(prefix)
                }
            }
        }
    }

    @Test func randomAndMutatedBytesNeverCrashTheParsers() throws {
        var random = SplitMix64(seed: 0x6b6d_7367)
        let seeds = try KernelLogFixtures.names.flatMap { try KernelLogFixtures.lines($0) }
        var assembler = OOMReportAssembler()
        var kills = 0
        for _ in 0..<20_000 {
            var bytes = seeds[Int(random.next() % UInt64(seeds.count))]
            for _ in 0..<(1 + random.next() % 4) {
                let position = Int(random.next() % UInt64(bytes.count + 1))
                switch random.next() % 4 {
                case 0: if position < bytes.count { bytes[position] = UInt8(truncatingIfNeeded: random.next()) }
                case 1: bytes.insert(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "x"), UInt8(truncatingIfNeeded: random.next())], at: position)
                case 2: bytes.removeSubrange(position..<min(bytes.count, position + Int(random.next() % 16)))
                default: bytes.insert(contentsOf: [UInt8(ascii: ","), UInt8(ascii: ")"), UInt8(ascii: " "), UInt8(ascii: "(")].shuffled(using: &random), at: position)
                }
            }
            if let record = KernelLogRecord(bytes), let kill = assembler.consume(record) {
                kills += 1
                #expect(kill.comm.count <= Comm.maximumLength)
            }
        }
        #expect(kills > 0, "some mutated kill lines still parse")
    }
}
