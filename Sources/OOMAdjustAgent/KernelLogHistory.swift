import OOMAdjustCore
import OOMAdjustLinux
import SystemPackage

/// The OOM kills still in the kernel's log buffer, read from its oldest record: what `status` reports
/// without asking a running agent.
public enum KernelLogHistory {
    /// The most recent kill in the buffer, or nil when it holds none. Reading stops at the end of what
    /// the log holds now; an overrun while reading only loses records older than the ones that follow.
    public static func lastKill(path: String = KernelLog.defaultPath) throws(Errno) -> OOMKill? {
        let log = try KernelLog(path: path, fromEnd: false)
        var assembler = OOMReportAssembler()
        var last: OOMKill?
        // Bounded: a log that grows faster than it is read cannot keep this going.
        for _ in 0..<1_000_000 {
            switch try log.next() {
            case .empty: return last
            case .overrun: assembler.reset()
            case .record(nil): continue
            case .record(let record?): if let kill = assembler.consume(record) { last = kill }
            }
        }
        return last
    }
}
