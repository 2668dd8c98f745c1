import CNetlink
import Glibc
import OOMAdjustCore
import OOMAdjustLinux

/// What one input is fed to. Each returns normally or traps: a trap (or a sanitizer report) is a find.
enum FuzzTarget: String, CaseIterable {
    /// CNetlink_decode and ProcessEvent(decoded:): any bytes a socket could hand over.
    case decode
    /// ConfigParser.parse: any bytes a config file could hold.
    case config

    func run(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .decode: Self.decode(bytes)
        case .config: Self.config(bytes)
        }
    }

    /// `bytes` must be an allocation of exactly its count, so a read past the end is caught (by
    /// AddressSanitizer, or by the guard page `GuardedBuffer` puts right after it).
    static func decode(_ bytes: UnsafeRawBufferPointer) {
        var event = CNetlink_event()
        let result = CNetlink_decode(bytes.baseAddress, bytes.count, 0, &event)
        if result == 0 {
            // Accepted: it held at least nlmsghdr + cn_msg + the event header, and comm ends in NUL.
            precondition(bytes.count >= 16 + 20 + 16, "accepted a datagram of \(bytes.count) bytes")
            precondition(event.comm.15 == 0, "comm is not NUL-terminated")
            _ = ProcessEvent(decoded: event)
        } else {
            precondition(errno == EBADMSG || errno == EPROTO, "unexpected errno \(errno)")
        }
        // From anyone but the kernel, the same bytes are refused before they are read.
        precondition(CNetlink_decode(bytes.baseAddress, bytes.count, 4242, &event) == -1 && errno == EPERM)
    }

    static func config(_ bytes: UnsafeRawBufferPointer) {
        let path = "/fuzz/oom_adjust.conf"
        let parsed = ConfigParser.parse(Array(bytes), path: path)
        let lines = bytes.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
        for diagnostic in parsed.diagnostics {
            precondition(diagnostic.path == path)
            if let line = diagnostic.line {
                precondition((1...lines).contains(line), "line \(line) of \(lines): \(diagnostic)")
            } else {
                precondition(bytes.count > ConfigParser.maximumFileSize, "no line: \(diagnostic)")
            }
        }
    }
}

/// An allocation of exactly `count` bytes that ends where an inaccessible page begins: reading one
/// byte too many faults at once, without a sanitizer.
struct GuardedBuffer: ~Copyable {
    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    private let mapping: UnsafeMutableRawPointer
    private let mappedBytes: Int
    let bytes: UnsafeMutableRawBufferPointer

    init(copying source: UnsafeRawBufferPointer) {
        let usable = (source.count + Self.pageSize - 1) / Self.pageSize * Self.pageSize
        mappedBytes = usable + Self.pageSize
        guard let mapped = mmap(nil, mappedBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            mapped != MAP_FAILED
        else { fatalError("mmap: errno \(errno)") }
        mapping = mapped
        precondition(mprotect(mapped + usable, Self.pageSize, PROT_NONE) == 0)
        bytes = UnsafeMutableRawBufferPointer(start: mapped + usable - source.count, count: source.count)
        if let base = source.baseAddress, source.count > 0 { bytes.baseAddress!.copyMemory(from: base, byteCount: source.count) }
    }

    deinit { munmap(mapping, mappedBytes) }
}
