import Glibc
import SystemPackage

// Every libc call of this module goes through these, so EINTR and errno are handled in one place.

/// For calls that return -1 and set errno.
@inline(__always)
func valueOrErrno<I: FixedWidthInteger>(retryOnInterrupt: Bool = true, _ body: () -> I) -> Result<I, Errno> {
    while true {
        let value = body()
        if value != -1 { return .success(value) }
        let error = Errno(rawValue: errno)
        if retryOnInterrupt && error == .interrupted { continue }
        return .failure(error)
    }
}

@inline(__always)
func nothingOrErrno<I: FixedWidthInteger>(retryOnInterrupt: Bool = true, _ body: () -> I) -> Result<Void, Errno> {
    valueOrErrno(retryOnInterrupt: retryOnInterrupt, body).map { _ in () }
}

/// For calls that return NULL and set errno (opendir, fdopendir).
@inline(__always)
func pointerOrErrno<P>(retryOnInterrupt: Bool = true, _ body: () -> P?) -> Result<P, Errno> {
    while true {
        if let pointer = body() { return .success(pointer) }
        let error = Errno(rawValue: errno)
        if retryOnInterrupt && error == .interrupted { continue }
        return .failure(error)
    }
}

/// For calls that return the error number itself and leave errno alone (the pthread and `_r`
/// functions: pthread_sigmask, getpwnam_r).
@inline(__always)
func nothingOrReturnedErrno(retryOnInterrupt: Bool = true, _ body: () -> CInt) -> Result<Void, Errno> {
    while true {
        let status = body()
        if status == 0 { return .success(()) }
        let error = Errno(rawValue: status)
        if retryOnInterrupt && error == .interrupted { continue }
        return .failure(error)
    }
}

/// write(2) until every byte of `bytes` is written: a pipe or a signal may cut a write short.
public func writeAll(_ descriptor: CInt, _ bytes: UnsafeRawBufferPointer) -> Result<Void, Errno> {
    var offset = 0
    while offset < bytes.count {
        switch valueOrErrno({ write(descriptor, bytes.baseAddress! + offset, bytes.count - offset) }) {
        // write(2) returns 0 only for a zero-length write; anything else would loop here for ever.
        case .success(0): return .failure(.ioError)
        case .success(let count): offset += count
        case .failure(let error): return .failure(error)
        }
    }
    return .success(())
}

/// close(2), its error ignored. Never retried: Linux releases the descriptor even when close fails with
/// EINTR, and a second close could hit a descriptor opened meanwhile. (Where close's error matters, as
/// for a file just written, call `nothingOrErrno(retryOnInterrupt: false) { close(fd) }`.)
@inline(__always)
func closeDescriptor(_ descriptor: CInt) {
    _ = nothingOrErrno(retryOnInterrupt: false) { close(descriptor) }
}

/// readdir(3), which returns NULL at the end and on an error alike: only errno, cleared before the
/// call, tells them apart. `.success(nil)` is the end.
@inline(__always)
func nextDirectoryEntry(_ stream: OpaquePointer) -> Result<UnsafeMutablePointer<dirent>?, Errno> {
    errno = 0
    if let entry = readdir(stream) { return .success(entry) }
    return errno == 0 ? .success(nil) : .failure(Errno(rawValue: errno))
}

/// poll(2) on `descriptors`, for at most `timeoutMilliseconds` (-1: no limit); how many are ready.
///
/// An interruption (EINTR) counts as a timeout, 0 ready, rather than a poll again with the same
/// timeout: the caller's loop recomputes the time left to its next duty and polls again.
@discardableResult
public func poll(_ descriptors: inout [pollfd], timeoutMilliseconds: Int32) throws(Errno) -> Int {
    let count = nfds_t(descriptors.count)
    switch valueOrErrno(retryOnInterrupt: false, { Glibc.poll(&descriptors, count, timeoutMilliseconds) }) {
    case .success(let ready): return Int(ready)
    case .failure(.interrupted): return 0
    case .failure(let error): throw error
    }
}

/// CLOCK_MONOTONIC in nanoseconds: the clock of the proc connector's `timestamp_ns` (ktime_get_ns).
/// clock_gettime cannot fail for a clock the kernel always has, so there is no errno to look at.
public func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}
