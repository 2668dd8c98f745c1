import OOMAdjustCore
import Testing

/// The legacy oom_adj scale converts exactly as the kernel's oom_adj_write (fs/proc/base.c) converts a
/// write to /proc/PID/oom_adj, so a rule means what it meant under the old cron script.
@Suite struct LegacyConversionTests {
    @Test(arguments: [
        (-17, -1000), (-16, -941), (-8, -470), (-1, -58), (0, 0), (1, 58), (3, 176), (5, 294), (10, 588),
        (14, 823), (15, 1000),
    ])
    func kernelTable(_ legacy: Int, _ native: Int16) {
        #expect(OOMScore(legacyOOMAdj: legacy)?.rawValue == native)
    }

    /// The kernel: `oom_adj == OOM_ADJUST_MAX ? OOM_SCORE_ADJ_MAX : oom_adj * OOM_SCORE_ADJ_MAX / -OOM_DISABLE`,
    /// in C int arithmetic, which truncates toward zero (-8000 / 17 is -470, not -471).
    static func kernelConversion(_ n: Int32) -> Int32 {
        if n == 15 { return 1000 }
        let magnitude = abs(n) * 1000 / 17  // truncation of a non-negative quotient
        return n < 0 ? -magnitude : magnitude
    }

    @Test func everyLegacyValueMatchesTheKernel() {
        for n in Int32(-17)...15 {
            #expect(OOMScore(legacyOOMAdj: Int(n)).map { Int32($0.rawValue) } == Self.kernelConversion(n), "oom_adj \(n)")
        }
        #expect(OOMScore.legacyRange == -17...15)
    }

    @Test func conversionIsMonotonicAndSymmetricBelowFifteen() {
        let scores = OOMScore.legacyRange.compactMap { OOMScore(legacyOOMAdj: $0)?.rawValue }
        #expect(scores.count == 33)
        #expect(scores == scores.sorted())
        #expect(Set(scores).count == scores.count)
        for n in 1...14 {
            #expect(OOMScore(legacyOOMAdj: -n).map { -$0.rawValue } == OOMScore(legacyOOMAdj: n)?.rawValue)
        }
    }

    @Test(arguments: [-18, 16, -1000, 1000, Int.min, Int.max])
    func outsideTheLegacyRange(_ value: Int) {
        #expect(OOMScore(legacyOOMAdj: value) == nil)
    }

    @Test func nativeScoreBounds() {
        #expect(OOMScore(-1000)?.rawValue == -1000)
        #expect(OOMScore(1000)?.rawValue == 1000)
        #expect(OOMScore(0)?.rawValue == 0)
        #expect(OOMScore(-1001) == nil)
        #expect(OOMScore(1001) == nil)
        #expect(OOMScore(Int.min) == nil)
        #expect(OOMScore(Int.max) == nil)
    }

    @Test func scoreEqualsTakesTheNativeValueUnconverted() {
        let parsed = parse("a score=-1000\nb score=1000\nc score=-17\nd score=15\ne score=-1001\nf score=1001\n")
        #expect(parsed.rules.map(\.score.rawValue) == [-1000, 1000, -17, 15])
        expectDiagnostics(
            parsed.diagnostics,
            [.error(line: 5, "`score=-1001` is out of range"), .error(line: 6, "`score=1001` is out of range")],
            path: "inline.conf")
    }

    @Test func legacyValuesThroughTheParser() {
        let parsed = parse("a -17\nb -8\nc -1\nd 0\ne 3\nf 5\ng 10\nh 15\n")
        #expect(parsed.rules.map(\.score.rawValue) == [-1000, -470, -58, 0, 176, 294, 588, 1000])
    }

    @Test func protectiveMeansBelowZero() {
        #expect(OOMScore(-1)!.isProtective)
        #expect(OOMScore(legacyOOMAdj: -17)!.isProtective)
        #expect(!OOMScore(0)!.isProtective)
        #expect(!OOMScore(1000)!.isProtective)
    }

    @Test func scoresOrderAndPrintAsTheirValue() {
        #expect(OOMScore(-1000)! < OOMScore(0)!)
        #expect(!(OOMScore(5)! < OOMScore(5)!))
        #expect(OOMScore(-470)!.description == "-470")
        #expect(OOMScore(legacyOOMAdj: 3) == OOMScore(176))
    }
}
