import Glibc
import SystemPackage

/// One state change or keep-alive for the service manager, as sd_notify(3) spells it.
public enum ServiceNotification: Equatable, Sendable {
    /// Start-up (or a reload) is complete: `READY=1`.
    case ready
    /// A reload began: `RELOADING=1` with `MONOTONIC_USEC`, which systemd 253+ needs to tell this
    /// reload from an older one.
    case reloading(monotonicMicroseconds: UInt64)
    /// Shutting down: `STOPPING=1`.
    case stopping
    /// The event loop is alive: `WATCHDOG=1`.
    case watchdog
    /// Free text for `systemctl status`: `STATUS=...`.
    case status(String)

    /// The `KEY=VALUE` lines this notification stands for.
    public var assignments: [String] {
        switch self {
        case .ready: return ["READY=1"]
        case .reloading(let microseconds): return ["RELOADING=1", "MONOTONIC_USEC=\(microseconds)"]
        case .stopping: return ["STOPPING=1"]
        case .watchdog: return ["WATCHDOG=1"]
        // A newline would end the assignment early and start a bogus one.
        case .status(let text): return ["STATUS=" + text.split(whereSeparator: \.isNewline).joined(separator: " ")]
        }
    }

    /// The text of one datagram carrying `notifications`: newline-separated assignments, in order.
    public static func message(_ notifications: [ServiceNotification]) -> String {
        notifications.flatMap(\.assignments).joined(separator: "\n")
    }
}

/// Where `NOTIFY_SOCKET` points: a file-system socket (`/run/systemd/notify`) or an abstract one
/// (`@name`, a leading NUL in `sun_path`).
public struct NotifySocketAddress: Equatable, Sendable, CustomStringConvertible {
    /// The bytes of `sun_path`, a leading NUL included for an abstract address, no trailing NUL.
    public let pathBytes: [UInt8]
    public var isAbstract: Bool { pathBytes.first == 0 }

    /// `sizeof(sun_path)`.
    static let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)

    /// Why a `NOTIFY_SOCKET` value cannot be used.
    public struct Unsupported: Error, Equatable, Sendable, CustomStringConvertible {
        public let value: String
        public let reason: String
        public var description: String { "NOTIFY_SOCKET=\(value): \(reason)" }
    }

    public init(parsing value: String) throws(Unsupported) {
        let bytes = Array(value.utf8)
        switch bytes.first {
        case UInt8(ascii: "/"):
            // One byte stays free for the terminating NUL.
            guard bytes.count < Self.capacity else {
                throw Unsupported(value: value, reason: "the path is longer than \(Self.capacity - 1) bytes")
            }
            pathBytes = bytes
        case UInt8(ascii: "@"):
            guard bytes.count > 1, bytes.count <= Self.capacity else {
                throw Unsupported(value: value, reason: "an abstract name must have 1 to \(Self.capacity - 1) bytes")
            }
            pathBytes = [0] + bytes.dropFirst()
        default:
            // systemd 254+ can also hand out vsock: addresses, which only VMs use.
            throw Unsupported(value: value, reason: "only an absolute path or an @abstract name is supported")
        }
        guard !pathBytes.dropFirst().contains(0) else {
            throw Unsupported(value: value, reason: "the address contains a NUL byte")
        }
    }

    public var description: String {
        isAbstract ? "@" + String(decoding: pathBytes.dropFirst(), as: UTF8.self) : String(decoding: pathBytes, as: UTF8.self)
    }
}

/// sd_notify(3) without libsystemd: datagrams to the service manager's `NOTIFY_SOCKET`.
public final class SystemdNotifier {
    public let address: NotifySocketAddress
    private let descriptor: CInt

    /// socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC). The socket is unbound and reused for every message.
    public init(address: NotifySocketAddress) throws(Errno) {
        self.address = address
        descriptor = try valueOrErrno { socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }.get()
    }

    deinit { closeDescriptor(descriptor) }

    /// The notifier `NOTIFY_SOCKET` asks for: nil when the variable is unset or empty (not started by a
    /// service manager that listens), an error when it is set to something this cannot use. The
    /// variable is left in place, as sd_notify(3) leaves it unless asked.
    public static func fromEnvironment() -> Result<SystemdNotifier, NotifierSetupError>? {
        guard let raw = getenv("NOTIFY_SOCKET") else { return nil }
        let value = String(cString: raw)
        if value.isEmpty { return nil }
        let address: NotifySocketAddress
        do {
            address = try NotifySocketAddress(parsing: value)
        } catch {
            return .failure(.unsupportedAddress(error))
        }
        do {
            return .success(try SystemdNotifier(address: address))
        } catch {
            return .failure(.socket(error))
        }
    }

    /// sendto(2) of one datagram with every notification, without blocking: a full queue at the
    /// service manager must not stall the event loop (a lost watchdog ping is repeated at the next one).
    public func send(_ notifications: [ServiceNotification]) throws(Errno) {
        let message = ServiceNotification.message(notifications)
        var storage = sockaddr_un()
        storage.sun_family = sa_family_t(AF_UNIX)
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)!
        withUnsafeMutableBytes(of: &storage.sun_path) { path in
            path.copyBytes(from: address.pathBytes)
        }
        // An abstract name's length is exact; a path's includes its NUL, as sd_notify sends it.
        let length = socklen_t(pathOffset + address.pathBytes.count + (address.isAbstract ? 0 : 1))
        // The closures rethrow untyped errors, so the outcome comes out as a value.
        let sent: Result<Int, Errno> = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                message.withCString { text in
                    valueOrErrno {
                        sendto(descriptor, text, strlen(text), Int32(MSG_NOSIGNAL | MSG_DONTWAIT), socketAddress, length)
                    }
                }
            }
        }
        if try sent.get() != message.utf8.count { throw Errno.messageTooLong }
    }
}

/// Why the notifier could not be set up; the service then runs without notifying.
public enum NotifierSetupError: Error, Equatable, CustomStringConvertible {
    case unsupportedAddress(NotifySocketAddress.Unsupported)
    case socket(Errno)

    public var description: String {
        switch self {
        case .unsupportedAddress(let problem): return problem.description
        case .socket(let errno): return "cannot create an AF_UNIX datagram socket: \(errno)"
        }
    }
}

/// The watchdog the service manager asks for, read as sd_watchdog_enabled(3) reads it.
public enum SystemdWatchdog {
    /// The interval in microseconds from `WATCHDOG_USEC`, or nil when there is no watchdog for this
    /// process: unset, zero or not a number, or `WATCHDOG_PID` names another process.
    public static func interval(usec: String?, pid: String?, ownPID: Int32) -> UInt64? {
        guard let usec, let microseconds = UInt64(usec), microseconds > 0 else { return nil }
        if let pid, !pid.isEmpty {
            guard let target = Int32(pid), target == ownPID else { return nil }
        }
        return microseconds
    }

    /// `interval` for this process's environment.
    public static func intervalFromEnvironment() -> UInt64? {
        func variable(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
        return interval(usec: variable("WATCHDOG_USEC"), pid: variable("WATCHDOG_PID"), ownPID: getpid())
    }
}
