/// Who may be granted protection (a value below 0).
///
/// `comm` belongs to the process: anyone can copy a binary under the name `sshd` or call
/// prctl(PR_SET_NAME, "sshd"). Handing such a process -1000 would let an unprivileged user make a
/// memory hog unkillable, so a protective rule is applied only to a process that is what its name says:
/// a root-owned executable that nobody else can write, whose name agrees with the comm, run by a system
/// account. `exe=` and `user=` qualifiers replace the checks they vouch for; `trust=name` opts out.
public struct TrustPolicy: Sendable, Equatable {
    /// UID_MIN from /etc/login.defs: uids below it are system accounts.
    public let systemUIDLimit: UInt32

    public init(systemUIDLimit: UInt32 = 1000) {
        self.systemUIDLimit = systemUIDLimit
    }

    /// nil when the process may have the rule's protective value, else why not.
    public func refusal<Facts: ProcessFacts>(for rule: Rule, _ process: inout Facts) -> TrustRefusal? {
        if rule.trustsName { return nil }
        if !rule.namesExecutable {
            guard let file = process.executableFile() else { return .executableUnreadable }
            guard file.isRegular else { return .executableNotRegular }
            guard file.ownerUID == 0 else { return .executableNotOwnedByRoot(uid: file.ownerUID) }
            guard !file.isWritableByGroupOrOthers else { return .executableWritable(mode: file.permissions) }
            guard let name = process.executableName() else { return .executableUnreadable }
            // The kernel cuts the comm to 15 bytes, so only that much of the executable's name can agree.
            guard Comm(name) == process.comm else {
                return .nameDisagrees(comm: process.comm, executable: String(decoding: name, as: UTF8.self))
            }
        }
        if !rule.namesUser {
            guard let uid = process.realUID() else { return .uidUnreadable }
            guard uid < systemUIDLimit else { return .notSystemAccount(uid: uid, limit: systemUIDLimit) }
        }
        return nil
    }
}

/// Why the trust policy refused a protective value.
public enum TrustRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    case executableUnreadable
    case executableNotRegular
    case executableNotOwnedByRoot(uid: UInt32)
    case executableWritable(mode: UInt32)
    case nameDisagrees(comm: Comm, executable: String)
    case uidUnreadable
    case notSystemAccount(uid: UInt32, limit: UInt32)
    /// Only an exec, a fork or a sweep may grant protection; a rename never does.
    case commChange

    public var description: String {
        switch self {
        case .executableUnreadable:
            return "its executable cannot be inspected"
        case .executableNotRegular:
            return "its executable is not a regular file"
        case .executableNotOwnedByRoot(let uid):
            return "its executable is owned by uid \(uid), not root"
        case .executableWritable(let mode):
            return "its executable is writable by group or others (mode 0\(String(mode, radix: 8)))"
        case .nameDisagrees(let comm, let executable):
            return "its name `\(comm)` does not agree with its executable `\(executable)`"
        case .uidUnreadable:
            return "its uid cannot be read"
        case .notSystemAccount(let uid, let limit):
            return "it runs as uid \(uid), not a system account (below UID_MIN \(limit))"
        case .commChange:
            return "a comm change alone never grants protection"
        }
    }

    /// A short token for tables and JSON.
    public var code: String {
        switch self {
        case .executableUnreadable: return "exe-unreadable"
        case .executableNotRegular: return "exe-not-regular"
        case .executableNotOwnedByRoot: return "exe-not-root-owned"
        case .executableWritable: return "exe-writable"
        case .nameDisagrees: return "name-disagrees"
        case .uidUnreadable: return "uid-unreadable"
        case .notSystemAccount: return "not-system-account"
        case .commChange: return "comm-change"
        }
    }
}
