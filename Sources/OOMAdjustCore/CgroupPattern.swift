/// A `cgroup=` value: a glob over cgroup paths in which `*`, `?` and brackets stay within one path
/// component, as in `exe=`, and a trailing `/**` that matches the directory before it and everything
/// below it.
///
/// A `*` that crossed `/` let `cgroup=*/ssh.service` match a user's own delegated
/// `/user.slice/user-1000.slice/user@1000.service/app.slice/ssh.service` as well as the system's sshd:
/// anyone with a delegated cgroup could pick the rule that applies to them.
public struct CgroupPattern: Hashable, Sendable, CustomStringConvertible {
    /// Everything before a trailing `/**`, or the whole pattern.
    let base: Glob
    /// The pattern ends in `/**`.
    public let matchesSubtree: Bool
    public let description: String

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case glob(Glob.Problem)
        /// `**` other than as the last component.
        case innerDoubleStar(String)

        public var description: String {
            switch self {
            case .glob(let problem): return problem.description
            case .innerDoubleStar(let text):
                return "`**` in `\(text)` is only allowed as the last component, `/**`, which matches the whole subtree; inside a path, `*` matches one component"
            }
        }
    }

    public init(_ text: String) throws(Problem) {
        let subtree = text.hasSuffix("/**")
        let base = subtree ? String(text.dropLast(3)) : text
        guard !base.contains("**") else { throw .innerDoubleStar(text) }
        do {
            self.base = try Glob(base, pathname: true)
        } catch {
            throw .glob(error)
        }
        matchesSubtree = subtree
        description = text
    }

    public func matches(_ path: [UInt8]) -> Bool {
        if base.matches(path) { return true }
        guard matchesSubtree else { return false }
        // `/**` alone is every cgroup.
        if base.description.isEmpty { return true }
        // Some ancestor of the path, up to a `/`, matches what comes before `/**`.
        for index in path.indices where index > path.startIndex && path[index] == UInt8(ascii: "/") {
            if base.matches(Array(path[..<index])) { return true }
        }
        return false
    }

    /// Whether the pattern has wildcards before any `/**`: those no longer cross `/`, which changes what
    /// a pattern written for the old meaning matches.
    public var hasComponentWildcards: Bool { Glob.isPattern(base.description) }
}
