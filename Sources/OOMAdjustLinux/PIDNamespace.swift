import Glibc
import OOMAdjustCore

/// Which PID namespace a process is in, for the kubelet/agent split: a process in another PID
/// namespace than the host's belongs to a container, whose runtime sets its oom_score_adj (kubelet does
/// so for every container, from its QoS class), so rules leave it alone unless they name its cgroup.
///
/// A namespace is identified by the inode of its nsfs file, which `/proc/PID/ns/pid` resolves to.
/// Reading that link needs ptrace read access to the process (CAP_SYS_PTRACE for other users').
enum PIDNamespace {
    /// The kernel's initial PID namespace always has this inode (PROC_PID_INIT_INO in
    /// include/linux/proc_ns.h). The proc connector answers only there, so it is where a running agent is.
    static let initialInode: UInt64 = 0xEFFF_FFFC

    /// The inode of the PID namespace `ns/pid` under `directory` (a `/proc/PID` descriptor) names;
    /// nil when it cannot be read (the process exited, or the agent may not look). Read from the link's
    /// text, "pid:[INODE]", which costs a third of a stat of it: the stat resolves the link to an nsfs
    /// file on every matched process's path to its write.
    static func inode(under directory: CInt, _ path: UnsafePointer<CChar>) -> UInt64? {
        withUnsafeTemporaryAllocation(byteCount: 64, alignment: 1) { buffer -> UInt64? in
            let target = buffer.baseAddress!.assumingMemoryBound(to: CChar.self)
            guard case .success(let count) = valueOrErrno({ readlinkat(directory, path, target, buffer.count) }), count > 6
            else { return nil }
            let text = UnsafeRawBufferPointer(rebasing: buffer[..<count])
            guard text.starts(with: "pid:[".utf8), text.last == UInt8(ascii: "]") else { return nil }
            return DecimalText.unsigned(text.dropFirst(5).dropLast())
        }
    }

    /// The host's PID namespace: PID 1's, which is the host's init also when the agent runs in a
    /// container that shares the host's PID namespace (`--pid=host`, `hostPID: true`). A sandbox or an
    /// LSM may hide PID 1's namespace links even from root; then the kernel's initial PID namespace,
    /// the only one in which the agent can run at all.
    static func hostInode(procRoot: CInt) -> UInt64 {
        inode(under: procRoot, "1/ns/pid") ?? initialInode
    }

}
