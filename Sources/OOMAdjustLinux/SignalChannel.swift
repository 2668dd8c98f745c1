import CNetlink
import Glibc
import SystemPackage

/// Signals delivered as readable data on a descriptor (signalfd), so the event loop handles them in
/// turn with everything else and no work ever runs inside a signal handler.
public final class SignalChannel {
    public let fileDescriptor: CInt
    private var previousMask = sigset_t()

    /// Blocks `signals` for this thread (before any other thread exists, so for the process) and opens
    /// a signalfd for them.
    public init(_ signals: [CInt]) throws(Errno) {
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in signals { sigaddset(&mask, signal) }
        let status = pthread_sigmask(SIG_BLOCK, &mask, &previousMask)
        if status != 0 { throw Errno(rawValue: status) }
        fileDescriptor = try valueOrErrno { signalfd(-1, &mask, Int32(SFD_NONBLOCK | SFD_CLOEXEC)) }.get()
    }

    deinit {
        close(fileDescriptor)
        pthread_sigmask(SIG_SETMASK, &previousMask, nil)
    }

    /// The next pending signal, or nil when none is.
    public func next() -> CInt? {
        var info = signalfd_siginfo()
        let count = read(fileDescriptor, &info, MemoryLayout<signalfd_siginfo>.size)
        guard count == MemoryLayout<signalfd_siginfo>.size else { return nil }
        return CInt(info.ssi_signo)
    }
}
