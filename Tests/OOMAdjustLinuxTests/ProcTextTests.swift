import OOMAdjustCore
import SystemPackage
import Testing

@testable import OOMAdjustLinux

/// The /proc text parsers, on recorded and hostile text: no root, no /proc.
@Suite struct ProcTextTests {
    static func stat(comm: String, state: String = "S", parent: Int = 1, threads: Int = 1, start: UInt64 = 4242) -> [UInt8] {
        // Fields 3 to 24 of a real stat line, with ppid (4), flags (9), num_threads (20), starttime (22).
        let rest = "\(state) \(parent) 100 100 0 -1 4194560 500 0 0 0 1 2 0 0 20 0 \(threads) 0 \(start) 123456 789"
        return Array("77 (\(comm)) \(rest)\n".utf8)
    }

    @Test(arguments: ["plain", "two words", "a) S 9 9 (", ") ) )", "(", "x)"])
    func statFieldsCountFromTheLastParenthesisWhateverTheComm(_ comm: String) throws {
        let text = Self.stat(comm: comm, state: "R", parent: 31, threads: 3, start: 9_000_000_000)
        let stat = try #require(ProcessStat(text))
        #expect(stat.state == UInt8(ascii: "R"))
        #expect(stat.parentPID == 31)
        #expect(stat.threads == 3)
        #expect(stat.startTime == 9_000_000_000)
        let oom = try text.withUnsafeBytes { raw in try OOMStatFields(raw) }
        #expect(oom.comm == Comm(comm))
        #expect(oom.flags == 4_194_560)
        #expect(oom.startTicks == 9_000_000_000)
    }

    @Test func aZombieWithThreadsLeftIsNotFinished() throws {
        #expect(try #require(ProcessStat(Self.stat(comm: "z", state: "Z", threads: 2))).isFinished == false)
        #expect(try #require(ProcessStat(Self.stat(comm: "z", state: "Z", threads: 1))).isFinished)
    }

    @Test func aTruncatedStatIsNoStat() {
        #expect(ProcessStat(Array("77 (cut) S 1 100".utf8)) == nil)
        #expect(ProcessStat(Array("no parenthesis at all".utf8)) == nil)
        #expect(throws: Errno.illegalByteSequence) { try Array("77 (cut) S 1".utf8).withUnsafeBytes { try OOMStatFields($0) } }
    }

    @Test func statusFieldsAreReadFromTheLinesThatStartWithTheirKeys() {
        let text = Array("Name:\tVmRSS: 99\nUid:\t1000\t1000\t1000\t1000\nVmRSS:\t    1740 kB\nVmSwap:\t 0 kB\nVmPTE:\t  52 kB\n".utf8)
        let fields = text.withUnsafeBytes { OOMStatusFields($0) }
        #expect(fields.uid == 1000)
        #expect(fields.residentKiB == 1740)
        #expect(fields.swapKiB == 0)
        #expect(fields.pageTableKiB == 52)
        // A kernel thread's status has no Vm lines.
        let kernelThread = Array("Name:\tkworker/0:1\nUid:\t0\t0\t0\t0\n".utf8).withUnsafeBytes { OOMStatusFields($0) }
        #expect(kernelThread.uid == 0 && kernelThread.residentKiB == nil)
    }

    @Test func aFieldIsTheRestOfItsLine() {
        let status = Array("Name:\tsshd\nUid:\t0\t0\t0\t0\nCapEff:\t000001ffffffffff\n".utf8)
        #expect(field(in: status, after: Array("\nCapEff:".utf8)) == Array("000001ffffffffff".utf8))
        #expect(field(in: status, after: Array("\nGid:".utf8)) == nil)
        #expect(lineRest(in: Array("3:cpu:/a\n1:name=systemd:/system.slice/x.service\n".utf8), containing: Array(":name=systemd:".utf8))
            == Array("/system.slice/x.service".utf8))
    }

    static func decimal(_ text: String) -> Int? { Array(text.utf8).withUnsafeBytes { parseDecimal($0) } }

    @Test func procDecimalsEndWithANewlineAndFitAnInt32() {
        #expect(Self.decimal("0\n") == 0)
        #expect(Self.decimal("-1000\n") == -1000)
        #expect(Self.decimal("667 \n") == 667)
        #expect(Self.decimal("2147483647") == Int(Int32.max))
        #expect(Self.decimal("2147483648") == nil)
        #expect(Self.decimal("-2147483648") == nil)
        #expect(Self.decimal("99999999999999999999999") == nil)
        #expect(Self.decimal("") == nil)
        #expect(Self.decimal("\n") == nil)
        #expect(Self.decimal("-") == nil)
        #expect(Self.decimal("12x") == nil)
        #expect(Self.decimal(" 12") == nil)
        #expect(Self.decimal("1\n2") == nil)
    }

    @Test func theSharedParserSaturatesSignedAndRefusesOverflowUnsigned() {
        #expect(DecimalText.integer("+5".utf8) == 5)
        #expect(DecimalText.integer("-5".utf8) == -5)
        #expect(DecimalText.integer("+".utf8) == nil)
        #expect(DecimalText.integer("".utf8) == nil)
        #expect(DecimalText.integer("99999999999999999999999".utf8) == Int.max)
        #expect(DecimalText.integer("-1234567".utf8, saturatingAt: 1_000_000) == -1_000_000)
        #expect(DecimalText.unsigned("18446744073709551615".utf8) == UInt64.max)
        #expect(DecimalText.unsigned("18446744073709551616".utf8) == nil)
        #expect(DecimalText.unsigned("-1".utf8) == nil)
        #expect(DecimalText.unsigned("".utf8) == nil)
    }

    @Test func decimalsAreFormattedWithoutAllocating() {
        for value: Int32 in [0, 7, -1000, Int32.max, Int32.min] {
            let text = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 16) { buffer in
                formatDecimal(value, into: buffer.baseAddress!)
                return String(cString: buffer.baseAddress!)
            }
            #expect(text == "\(value)")
        }
    }

    @Test func onlyAllDigitNamesInProcArePIDs() {
        func pid(_ name: String) -> Int32? { name.withCString { ProcRoot.pid(named: $0) } }
        #expect(pid("1") == 1)
        #expect(pid("4194304") == 4_194_304)
        #expect(pid("self") == nil)
        #expect(pid("0") == nil)
        #expect(pid("+1") == nil)
        #expect(pid("99999999999") == nil)
    }

    @Test func aFailedCallIsDescribedByItsName() {
        #expect(SystemCallError("openat", .permissionDenied).description == "openat: \(Errno.permissionDenied)")
        #expect(SystemCallError("pread", .noSuchProcess) != SystemCallError("openat", .noSuchProcess))
    }
}
