import Foundation
import Testing

/// What the service tests need beyond the shared harness: a stand-in for systemd's notify socket, and
/// the rule for tools that may be missing.
enum ServiceSupport {
    /// Set in CI: a test that cannot run for want of a tool (systemd-analyze, dpkg-deb) fails instead
    /// of being skipped.
    static let requireAll = ProcessInfo.processInfo.environment["OOM_ADJUST_REQUIRE_ALL_TESTS"] == "1"

    /// The first of `candidates` that is an executable file.
    static func tool(_ name: String) -> String? {
        for directory in ["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"] {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    static let systemdAnalyze = tool("systemd-analyze")

    /// CLOCK_MONOTONIC in microseconds: the clock of MONOTONIC_USEC.
    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
    }

    /// The shipped unit.
    static var unitPath: String { Harness.packageRoot.appendingPathComponent("etc/oom-adjust.service").path }
}

/// An AF_UNIX datagram socket standing in for systemd's NOTIFY_SOCKET, on a path or in the abstract
/// namespace.
final class NotifyListener: @unchecked Sendable {
    private let descriptor: Int32
    /// The value for NOTIFY_SOCKET.
    let address: String
    private let path: String?

    init(abstract: Bool, in directory: URL) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw HarnessError("socket: errno \(errno)") }
        let name: [UInt8]
        if abstract {
            let unique = "oa-notify-\(UUID().uuidString.prefix(12))"
            address = "@" + unique
            name = [0] + Array(unique.utf8)
            path = nil
        } else {
            let file = directory.appendingPathComponent("notify.sock").path
            address = file
            name = Array(file.utf8)
            path = file
        }
        var storage = sockaddr_un()
        storage.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &storage.sun_path) { $0.copyBytes(from: name) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + name.count + (abstract ? 0 : 1))
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else {
            close(descriptor)
            throw HarnessError("bind \(address): errno \(errno)")
        }
    }

    deinit {
        close(descriptor)
        if let path { unlink(path) }
    }

    /// The next datagram, or nil when none arrives within `seconds`.
    func receive(seconds: Double) -> String? {
        var descriptors = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)]
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return nil }
            let ready = poll(&descriptors, 1, Int32(max(1, remaining * 1000)))
            if ready < 0 && errno == EINTR { continue }
            if ready <= 0 { return nil }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count < 0 { return nil }
            return String(decoding: buffer[..<count], as: UTF8.self)
        }
    }

    /// Datagrams in arrival order up to and including the first with `assignment` as one of its lines
    /// (all of them if it never comes within `seconds`).
    func receive(until assignment: String, seconds: Double = 20) -> [String] {
        var messages: [String] = []
        let deadline = Date().addingTimeInterval(seconds)
        while let message = receive(seconds: deadline.timeIntervalSinceNow) {
            messages.append(message)
            if Self.assignments(message).contains(assignment) { break }
        }
        return messages
    }

    /// Everything that arrives within `seconds`.
    func drain(seconds: Double) -> [(at: Date, message: String)] {
        var messages: [(Date, String)] = []
        let deadline = Date().addingTimeInterval(seconds)
        while let message = receive(seconds: deadline.timeIntervalSinceNow) { messages.append((Date(), message)) }
        return messages
    }

    static func assignments(_ message: String) -> [String] {
        message.split(separator: "\n").map(String.init)
    }

    static func value(of key: String, in message: String) -> String? {
        assignments(message).first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
    }
}
