import Glibc
import SystemPackage

/// Running the agent under the real-time scheduler with its memory locked, so that neither a busy CPU
/// nor a page fault stands between an exec and the agent's write.
public enum RealtimeScheduling {
    /// The SCHED_FIFO priorities Linux accepts (sched_get_priority_min/max(SCHED_FIFO)).
    public static let priorities: ClosedRange<Int> = 1...99

    /// sched_setscheduler(0, SCHED_FIFO, {priority}) for the calling process.
    ///
    /// EPERM: the caller lacks CAP_SYS_NICE and RLIMIT_RTPRIO is below `priority`, or (with
    /// CONFIG_RT_GROUP_SCHED) its cgroup has no real-time budget. EINVAL: `priority` is out of range.
    public static func setFIFO(priority: Int) throws(Errno) {
        var parameters = sched_param()
        parameters.sched_priority = CInt(clamping: priority)
        try nothingOrErrno { sched_setscheduler(0, SCHED_FIFO, &parameters) }.get()
    }

    /// mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT): every page mapped now and later stays resident
    /// once it has been touched.
    ///
    /// MCL_ONFAULT (Linux 4.4+) keeps mlockall from faulting in every writable page of every mapped
    /// library: the Swift runtime and Foundation's data segments alone would add about 2.6 MiB of
    /// private memory the agent never uses. The pages the event path uses are touched by the start-up
    /// sweep and the first events, and stay locked from then on. Kernels without it answer EINVAL, and
    /// get the plain form.
    ///
    /// Without CAP_IPC_LOCK the locked total is capped by RLIMIT_MEMLOCK: EPERM when that limit is 0,
    /// ENOMEM when what is mapped now exceeds it.
    public static func lockMemory() throws(Errno) {
        switch nothingOrErrno({ mlockall(CInt(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) }) {
        case .success: return
        case .failure(.invalidArgument): try nothingOrErrno { mlockall(CInt(MCL_CURRENT | MCL_FUTURE)) }.get()
        case .failure(let error): throw error
        }
    }

    /// getrlimit(RLIMIT_RTPRIO): the highest SCHED_FIFO priority allowed without CAP_SYS_NICE.
    public static func priorityLimit() throws(Errno) -> UInt64 {
        try softLimit(__RLIMIT_RTPRIO)
    }

    /// getrlimit(RLIMIT_MEMLOCK): how many bytes may be locked without CAP_IPC_LOCK (RLIM_INFINITY is
    /// UInt64.max).
    public static func memoryLockLimit() throws(Errno) -> UInt64 {
        try softLimit(__RLIMIT_MEMLOCK)
    }

    /// Swift's Glibc sees RLIMIT_* only under their enum spellings (`__RLIMIT_*`), hence the parameter type.
    private static func softLimit(_ resource: __rlimit_resource) throws(Errno) -> UInt64 {
        var limit = rlimit()
        try nothingOrErrno { getrlimit(__rlimit_resource_t(resource.rawValue), &limit) }.get()
        return UInt64(limit.rlim_cur)
    }
}
