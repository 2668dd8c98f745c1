import OOMAdjustCore
import Testing

/// The kernel's choice of victim (mm/oom_kill.c: oom_badness, oom_unkillable_task, select_bad_process)
/// and the measure it is taken against (constrained_alloc, mem_cgroup_get_max).
@Suite struct OOMRankingTests {
    static func candidate(
        _ pid: Int32, rssKiB: Int, adj: Int = 0, swapKiB: Int = 0, pteKiB: Int = 0, kernelThread: Bool = false,
        memory: Bool = true, start: UInt64 = 0
    ) -> OOMCandidate {
        OOMCandidate(
            pid: pid, comm: Comm("p\(pid)"), uid: 0, residentKiB: rssKiB, swapKiB: swapKiB, pageTableKiB: pteKiB,
            hasMemory: memory, isKernelThread: kernelThread, oomScoreAdj: OOMScore(adj)!, oomScore: nil, startTicks: start)
    }

    /// 24 GiB of RAM, no swap, 4 KiB pages: this machine.
    static let machine = OOMDomainSize.machine(ramPages: 6_170_896, swapPages: 0, pageKiB: 4)

    @Test func pointsAreMemoryInPagesPlusTheValueTimesAThousandthOfTheDomain() {
        let plain = Self.candidate(10, rssKiB: 201_728, swapKiB: 400, pteKiB: 644)
        #expect(OOMRanking.points(of: plain, in: Self.machine) == .success((201_728 + 400 + 644) / 4))
        // The kernel divides before it multiplies: adj × (totalpages / 1000).
        let adjusted = Self.candidate(11, rssKiB: 4096, adj: 300)
        #expect(OOMRanking.points(of: adjusted, in: Self.machine) == .success(1024 + 300 * 6170))
        let lowered = Self.candidate(12, rssKiB: 4096, adj: -999)
        #expect(OOMRanking.points(of: lowered, in: Self.machine) == .success(1024 - 999 * 6170))
    }

    @Test func theKernelNeverChoosesInitKernelThreadsTheExitingOrMinus1000() {
        #expect(OOMRanking.points(of: Self.candidate(1, rssKiB: 9999, adj: 1000), in: Self.machine) == .failure(.initProcess))
        #expect(OOMRanking.points(of: Self.candidate(2, rssKiB: 0, kernelThread: true, memory: false), in: Self.machine) == .failure(.kernelThread))
        #expect(OOMRanking.points(of: Self.candidate(3, rssKiB: 0, memory: false), in: Self.machine) == .failure(.noMemory))
        #expect(OOMRanking.points(of: Self.candidate(4, rssKiB: 1 << 30, adj: -1000), in: Self.machine) == .failure(.unkillable))
    }

    @Test func theOomScoreFileIsTheSamePointsOnTheMachinesScale() {
        // proc_oom_score: (1000 + points * 1000 / totalpages) * 2 / 3, computed here for the figures
        // `rank` printed on this machine (50593 points → 672).
        #expect(OOMRanking.oomScore(points: 50_593, machine: Self.machine) == 672)
        #expect(OOMRanking.oomScore(points: nil, machine: Self.machine) == 0)
        #expect(OOMRanking.oomScore(points: 1024 + 1000 * 6170, machine: Self.machine) == 1333)
    }

    @Test func theOrderIsHighestFirstNewerBeforeOlderOnATieAndTheNeverChosenLast() {
        let candidates = [
            Self.candidate(1, rssKiB: 50_000),
            Self.candidate(20, rssKiB: 8192, start: 500),
            Self.candidate(21, rssKiB: 8192, start: 900),
            Self.candidate(22, rssKiB: 4096, adj: 1000),
            Self.candidate(23, rssKiB: 100_000, adj: -1000),
            Self.candidate(24, rssKiB: 0, memory: false),
            Self.candidate(25, rssKiB: 100_000, adj: -500),
        ]
        let ranked = OOMRanking.order(candidates, in: Self.machine)
        #expect(ranked.map(\.candidate.pid) == [22, 21, 20, 25, 1, 23, 24])
        #expect(ranked.map(\.position) == [1, 2, 3, 4, nil, nil, nil])
        #expect(ranked.map(\.neverChosen) == [nil, nil, nil, nil, .initProcess, .unkillable, .noMemory])
    }

    @Test func aSmallCgroupsMeasureMakesTheValueWeighLess() {
        // 100 MiB with 0 against 30 MiB with 200: on the machine the value wins by far; against a 128 MiB
        // cgroup, 200 × 32 pages is less than the 70 MiB between them, and the large one goes first.
        let large = Self.candidate(30, rssKiB: 100 * 1024)
        let small = Self.candidate(31, rssKiB: 30 * 1024, adj: 200)
        #expect(OOMRanking.order([large, small], in: Self.machine).first?.candidate.pid == 31)
        let cgroup = OOMDomainSize.memoryCgroup(limitPages: 32768, swap: .separate(pages: nil), swappiness: 60, totalSwapPages: 0, pageKiB: 4)
        #expect(cgroup.totalPages == 32768)
        #expect(OOMRanking.order([large, small], in: cgroup).first?.candidate.pid == 30)
    }

    @Test func aCgroupsMeasureIsItsLimitPlusTheSwapItMayUse() {
        // cgroup v2: memory.max plus memory.swap.max, no more than the swap there is.
        #expect(OOMDomainSize.memoryCgroup(limitPages: 1000, swap: .separate(pages: 300), swappiness: 60, totalSwapPages: 5000, pageKiB: 4).totalPages == 1300)
        #expect(OOMDomainSize.memoryCgroup(limitPages: 1000, swap: .separate(pages: nil), swappiness: 60, totalSwapPages: 200, pageKiB: 4).totalPages == 1200)
        // cgroup v1: the combined limit's excess over the memory limit is the swap.
        #expect(OOMDomainSize.memoryCgroup(limitPages: 1000, swap: .combined(pages: 1500), swappiness: 60, totalSwapPages: 5000, pageKiB: 4).totalPages == 1500)
        #expect(OOMDomainSize.memoryCgroup(limitPages: 1000, swap: .combined(pages: 1000), swappiness: 60, totalSwapPages: 5000, pageKiB: 4).totalPages == 1000)
        // Swappiness 0: no swap counts.
        #expect(OOMDomainSize.memoryCgroup(limitPages: 1000, swap: .separate(pages: 300), swappiness: 0, totalSwapPages: 5000, pageKiB: 4).totalPages == 1000)
        // A machine: RAM plus swap.
        #expect(OOMDomainSize.machine(ramPages: 100, swapPages: 50, pageKiB: 4).totalPages == 150)
    }
}
