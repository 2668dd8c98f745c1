import SystemPackage

/// A failed system call with the name of the call, as swift-nio's `IOError` carries its function: a
/// log line then says which step failed ("openat: Permission denied"), not only the errno.
///
/// The name is a `StaticString`, so attaching it costs nothing on the paths that do not fail.
public struct SystemCallError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The call as its manual page names it: `openat`, `pread`, `write`.
    public let function: StaticString
    public let errno: Errno

    public init(_ function: StaticString, _ errno: Errno) {
        self.function = function
        self.errno = errno
    }

    public var description: String { "\(function): \(errno)" }

    public static func == (left: SystemCallError, right: SystemCallError) -> Bool {
        left.errno == right.errno && left.function.description == right.function.description
    }
}
