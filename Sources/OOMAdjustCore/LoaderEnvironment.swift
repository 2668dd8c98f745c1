/// The variables of a process's environment that make the dynamic loader (ld.so) run code besides its
/// executable's: a library preloaded into it, an audit library, or directories searched before the
/// system's. A root-owned binary with any of these runs whatever code they name, so the binary alone
/// vouches for nothing.
public struct LoaderEnvironment: Hashable, Sendable {
    /// `LD_PRELOAD`, when set and not empty.
    public var preload: [UInt8]?
    /// `LD_AUDIT`, when set and not empty.
    public var audit: [UInt8]?
    /// `LD_LIBRARY_PATH`, when set (an empty value still means "the current directory").
    public var libraryPath: [UInt8]?

    public init(preload: [UInt8]? = nil, audit: [UInt8]? = nil, libraryPath: [UInt8]? = nil) {
        self.preload = preload
        self.audit = audit
        self.libraryPath = libraryPath
    }

    /// Picks the loader's variables out of a `/proc/PID/environ` block: `NAME=VALUE` entries, each ended
    /// by a NUL. As in glibc's loader, the first definition of a name counts; an empty LD_PRELOAD or
    /// LD_AUDIT asks for nothing.
    public init(environ: [UInt8]) {
        var start = 0
        while start < environ.count {
            let end = environ[start...].firstIndex(of: 0) ?? environ.count
            let entry = environ[start..<end]
            if preload == nil, let value = Self.value(of: Self.preloadName, in: entry), !value.isEmpty { preload = value }
            if audit == nil, let value = Self.value(of: Self.auditName, in: entry), !value.isEmpty { audit = value }
            if libraryPath == nil, let value = Self.value(of: Self.libraryPathName, in: entry) { libraryPath = value }
            start = end + 1
        }
    }

    static let preloadName = Array("LD_PRELOAD=".utf8)
    static let auditName = Array("LD_AUDIT=".utf8)
    static let libraryPathName = Array("LD_LIBRARY_PATH=".utf8)

    private static func value(of prefix: [UInt8], in entry: ArraySlice<UInt8>) -> [UInt8]? {
        guard entry.starts(with: prefix) else { return nil }
        return Array(entry.dropFirst(prefix.count))
    }

    /// The first request for code the loader would follow that nobody but root controls, or nil.
    /// `directory` looks a library directory up in the process's own view of the file system.
    public func untrustedRequest(directory: (_ path: [UInt8]) -> FileLookup) -> LoaderRequest? {
        if let preload { return LoaderRequest(variable: "LD_PRELOAD", value: preload, problem: .preloads) }
        if let audit { return LoaderRequest(variable: "LD_AUDIT", value: audit, problem: .audits) }
        guard let libraryPath else { return nil }
        // glibc splits LD_LIBRARY_PATH at both `:` and `;`; an empty element is the current directory.
        var elements: [ArraySlice<UInt8>] = [libraryPath[...]]
        for separator in [UInt8(ascii: ":"), UInt8(ascii: ";")] {
            elements = elements.flatMap { $0.split(separator: separator, omittingEmptySubsequences: false) }
        }
        for element in elements {
            let path = Array(element)
            func refuse(_ problem: LoaderRequest.Problem) -> LoaderRequest {
                LoaderRequest(variable: "LD_LIBRARY_PATH", value: path, problem: problem)
            }
            // `$ORIGIN`, `$LIB` and `$PLATFORM` are expanded by the loader at run time.
            guard path.first == UInt8(ascii: "/"), !path.contains(UInt8(ascii: "$")) else { return refuse(.relativeDirectory) }
            switch directory(path) {
            case .found(let file):
                guard file.isDirectory, file.ownerUID == 0, !file.isWritableByGroupOrOthers else {
                    return refuse(.openDirectory(ownerUID: file.ownerUID, mode: file.permissions))
                }
            case .missing: return refuse(.missingDirectory)
            case .unreadable: return refuse(.unreadableDirectory)
            }
        }
        return nil
    }
}

/// A loader variable that asks for code nobody vouched for.
public struct LoaderRequest: Hashable, Sendable, CustomStringConvertible {
    public enum Problem: Hashable, Sendable {
        case preloads
        case audits
        /// Empty, relative, or with a `$` token: resolved against whatever the process's situation is.
        case relativeDirectory
        case missingDirectory
        case unreadableDirectory
        /// Not a directory, not root's, or writable by group or others.
        case openDirectory(ownerUID: UInt32, mode: UInt32)
    }

    public let variable: String
    public let value: [UInt8]
    public let problem: Problem

    public init(variable: String, value: [UInt8], problem: Problem) {
        self.variable = variable
        self.value = value
        self.problem = problem
    }

    public var description: String {
        let value = String(decoding: self.value, as: UTF8.self)
        switch problem {
        case .preloads: return "its environment sets \(variable)=\(value): the dynamic loader runs that library's code in it"
        case .audits: return "its environment sets \(variable)=\(value): the dynamic loader runs that audit library's code in it"
        case .relativeDirectory:
            return "its \(variable) has the entry `\(value)`, which is not a fixed absolute directory (an empty one is the current directory)"
        case .missingDirectory: return "its \(variable) names \(value), which does not exist: whoever creates it decides what the loader finds"
        case .unreadableDirectory: return "its \(variable) names \(value), which cannot be inspected"
        case .openDirectory(let owner, let mode):
            return "its \(variable) names \(value), which is not a root-owned directory closed to others (owner uid \(owner), mode 0\(String(mode, radix: 8)))"
        }
    }
}
