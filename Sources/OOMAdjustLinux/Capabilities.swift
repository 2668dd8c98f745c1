import Glibc

/// The capabilities this process holds, as far as the agent's work depends on them.
public enum Capabilities {
    /// CAP_SYS_RESOURCE: lowering `oom_score_adj` below a process's floor, which every protective value
    /// does, and resetting the floor when protection is taken back.
    public static let sysResource = 24

    /// Whether capability number `capability` is in this process's effective set (`CapEff:` of
    /// /proc/self/status, read once per call; no libcap). nil when it cannot be read.
    public static func isEffective(_ capability: Int) -> Bool? {
        guard let status = (try? readFilePrefix(AT_FDCWD, "/proc/self/status", limit: 8192).get()),
            let field = field(in: status, after: Array("\nCapEff:".utf8)),
            let mask = UInt64(String(decoding: field, as: UTF8.self), radix: 16)
        else { return nil }
        return mask & (1 << UInt64(capability)) != 0
    }
}
