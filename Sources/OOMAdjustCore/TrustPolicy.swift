/// Who may be granted protection (a value below 0).
///
/// `comm` belongs to the process: anyone can copy a binary under the name `sshd` or call
/// prctl(PR_SET_NAME, "sshd"). Handing such a process -1000 would let an unprivileged user make a
/// memory hog unkillable, so a protective rule is applied only to a process that is what its name says:
/// the host's own root-owned executable that nobody else can write, whose name agrees with the comm, run
/// by a system account, with no code slipped in through the dynamic loader, and not renamed since it
/// started. `exe=` and `user=` qualifiers replace the checks they vouch for; `trust=name` opts out.
public struct TrustPolicy: Sendable, Equatable {
    /// UID_MIN from /etc/login.defs: uids below it are system accounts.
    public let systemUIDLimit: UInt32

    public init(systemUIDLimit: UInt32 = 1000) {
        self.systemUIDLimit = systemUIDLimit
    }

    /// Whether the process may have the rule's protective value. `sticky` is what the agent has seen of
    /// it since its last exec (a rename, loader injection), which its current facts may no longer show.
    public func judge<Facts: ProcessFacts & ~Copyable>(_ rule: Rule, _ process: inout Facts, sticky: StickyRefusal? = nil) -> TrustJudgement {
        // A renamed process is trusted by no name, not even one the administrator said to trust; only
        // exe= vouches for what it runs.
        if sticky == .renamed && !rule.namesExecutable { return .refused(.renamedSinceExec) }
        if rule.trustsName { return .granted }
        if case .loader(let request)? = sticky { return .refused(.loaderRequest(request)) }
        guard let path = process.executablePath(), let running = process.executableFile() else {
            return .refused(.executableUnreadable)
        }
        if !rule.namesExecutable {
            guard running.isRegular else { return .refused(.executableNotRegular) }
            guard running.ownerUID == 0 else { return .refused(.executableNotOwnedByRoot(uid: running.ownerUID)) }
            guard !running.isWritableByGroupOrOthers else { return .refused(.executableWritable(mode: running.permissions)) }
            // The kernel cuts the comm to 15 bytes, so only that much of the executable's name can agree.
            // A root-owned system symlink to the very file vouches for its own name too (mysqld ->
            // mariadbd): the comm is the name the program was exec'd by.
            let name = basename(path)
            guard Comm(name) == process.comm || vouchingSymlink(for: running, &process) != nil else {
                return .refused(.nameDisagrees(comm: process.comm, executable: String(decoding: name, as: UTF8.self)))
            }
        }
        // The path is the process's own view; only the host's file at that path is what the rule or the
        // checks above vouch for. A bind mount, a private mount namespace or a container's root can put
        // any file there for the process alone.
        let replaced = path.hasDeletedSuffix
        if !replaced {
            let text = String(decoding: path, as: UTF8.self)
            switch process.hostFile(at: path) {
            case .found(let host) where host.isSameFile(as: running): break
            case .found: return .refused(.notHostExecutable(path: text, hostHasFile: true))
            case .missing: return .refused(.notHostExecutable(path: text, hostHasFile: false))
            case .unreadable: return .refused(.hostExecutableUnreadable(path: text))
            }
        }
        if !rule.namesUser {
            guard let uid = process.realUID() else { return .refused(.uidUnreadable) }
            guard uid < systemUIDLimit else { return .refused(.notSystemAccount(uid: uid, limit: systemUIDLimit)) }
        }
        guard let loader = process.loaderEnvironment() else { return .refused(.environmentUnreadable) }
        if let request = loader.untrustedRequest(directory: { process.fileInProcessView(at: $0) }) {
            return .refused(.loaderRequest(request))
        }
        // A binary replaced on disk since exec cannot be compared with the host's file any more; all else
        // holds, so it is the daemon that was there before the upgrade.
        return replaced ? .replacedBinary : .granted
    }
}

extension TrustPolicy {
    /// The symlink in a system directory (`SystemDirectories`), in the host's view, that is named as the
    /// process's comm, owned by root, and leads to the file the process runs; nil when there is none.
    /// Such a link is how distributions keep an old name working (`/usr/sbin/mysqld` -> `mariadbd`).
    public func vouchingSymlink<Facts: ProcessFacts & ~Copyable>(for running: ExecutableFile, _ process: inout Facts) -> [UInt8]? {
        let name = process.comm.bytes
        guard !name.isEmpty, !name.contains(UInt8(ascii: "/")) else { return nil }
        let privateDirectories = process.hostSubdirectories(of: SystemDirectories.parentOfPrivateDirectories).map {
            SystemDirectories.parentOfPrivateDirectories + [UInt8(ascii: "/")] + $0
        }
        for directory in SystemDirectories.fixed + privateDirectories {
            let candidate = directory + [UInt8(ascii: "/")] + name
            if let link = process.hostSymlink(at: candidate), link.ownerUID == 0, link.target.isSameFile(as: running) {
                return candidate
            }
        }
        return nil
    }

    /// `vouchingSymlink` for whatever the process runs.
    public func vouchingSymlink<Facts: ProcessFacts & ~Copyable>(_ process: inout Facts) -> [UInt8]? {
        guard let running = process.executableFile() else { return nil }
        return vouchingSymlink(for: running, &process)
    }
}

/// What the trust policy makes of one protective rule for one process.
public enum TrustJudgement: Hashable, Sendable {
    case granted
    /// Every check holds but the executable's identity, which cannot be checked because the binary was
    /// replaced on disk since the process started (a package upgrade): it is kept as it is.
    case replacedBinary
    case refused(TrustRefusal)
}

/// What the agent has seen of a process since its last exec that refuses it protection until it execs
/// again, whatever its facts say later: a process can rename itself back, or rewrite its own
/// environment once the loader has read it. Its forks inherit it: they run the same code.
public enum StickyRefusal: Hashable, Sendable {
    /// It (or the process it was forked from) changed its comm.
    case renamed
    /// Its environment asked the loader for code nobody vouched for.
    case loader(LoaderRequest)
}

/// Why protection was refused.
public enum TrustRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    case executableUnreadable
    case executableNotRegular
    case executableNotOwnedByRoot(uid: UInt32)
    case executableWritable(mode: UInt32)
    case nameDisagrees(comm: Comm, executable: String)
    /// The running file is not the one the host has at its path (or the host has none there).
    case notHostExecutable(path: String, hostHasFile: Bool)
    case hostExecutableUnreadable(path: String)
    case uidUnreadable
    case notSystemAccount(uid: UInt32, limit: UInt32)
    case environmentUnreadable
    case loaderRequest(LoaderRequest)
    /// It renamed itself, or was forked by a process that had, since its last exec.
    case renamedSinceExec
    /// One of the rule's own conditions could not be checked.
    case qualifierUnreadable(key: String)

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
        case .notHostExecutable(let path, let hostHasFile):
            let host = hostHasFile ? "is not the file the host has at \(path)" : "runs from \(path), where the host has no file"
            return "its executable \(host): it comes from a bind mount, a private mount namespace or a container's root"
        case .hostExecutableUnreadable(let path):
            return "the host's file at \(path) cannot be inspected"
        case .uidUnreadable:
            return "its uid cannot be read"
        case .notSystemAccount(let uid, let limit):
            return "it runs as uid \(uid), not a system account (below UID_MIN \(limit))"
        case .environmentUnreadable:
            return "its environment cannot be read, so code the dynamic loader may add cannot be ruled out"
        case .loaderRequest(let request):
            return request.description
        case .renamedSinceExec:
            return "it changed its comm (or descends from a process that did) since its last exec, and a comm change never grants protection by name"
        case .qualifierUnreadable(let key):
            return "its \(key) cannot be read, so the rule's \(key)= cannot be checked"
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
        case .notHostExecutable: return "exe-not-host-file"
        case .hostExecutableUnreadable: return "host-file-unreadable"
        case .uidUnreadable: return "uid-unreadable"
        case .notSystemAccount: return "not-system-account"
        case .environmentUnreadable: return "environ-unreadable"
        case .loaderRequest: return "loader-injection"
        case .renamedSinceExec: return "renamed"
        case .qualifierUnreadable: return "qualifier-unreadable"
        }
    }
}
