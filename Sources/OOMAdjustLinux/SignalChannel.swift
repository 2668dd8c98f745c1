import CNetlink
import CLinuxSystem
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
        try nothingOrErrno { sigemptyset(&mask) }.get()
        // EINVAL for a number that is no signal.
        for signal in signals { try nothingOrErrno { sigaddset(&mask, signal) }.get() }
        var previous = sigset_t()
        try nothingOrReturnedErrno { pthread_sigmask(SIG_BLOCK, &mask, &previous) }.get()
        previousMask = previous
        fileDescriptor = try valueOrErrno { signalfd(-1, &mask, Int32(SFD_NONBLOCK | SFD_CLOEXEC)) }.get()
    }

    deinit {
        closeDescriptor(fileDescriptor)
        _ = nothingOrReturnedErrno { pthread_sigmask(SIG_SETMASK, &previousMask, nil) }
    }

    /// The next pending signal, or nil when none is (EAGAIN: the descriptor does not block).
    public func next() -> CInt? {
        var info = signalfd_siginfo()
        // signalfd hands out whole records only.
        guard case .success(MemoryLayout<signalfd_siginfo>.size) = valueOrErrno({ read(fileDescriptor, &info, MemoryLayout<signalfd_siginfo>.size) })
        else { return nil }
        return CInt(info.ssi_signo)
    }
}
