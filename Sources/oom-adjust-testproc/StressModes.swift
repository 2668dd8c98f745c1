// The modes the fault, storm and OOM tests drive: memory, exec and fork storms, and respawned workers.
// Each is bounded by its own arguments and ends by itself. (Crowds of waiting children come from
// oom-adjust-crowd, in C, where a fork is cheap.)
import Glibc

/// prctl(2) is variadic, which Swift cannot call; on x86-64 and arm64 a fixed five-argument call is
/// what glibc's prctl reads.
func prctl(_ option: CInt, _ argument: UInt) {
    typealias Prctl = @convention(c) (CInt, UInt, UInt, UInt, UInt) -> CInt
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "prctl") else { exit(70) }
    _ = unsafeBitCast(symbol, to: Prctl.self)(option, argument, 0, 0, 0)
}

/// In a freshly forked child: die with the parent, so a killed test leaves nothing behind.
func dieWithParent() {
    let PR_SET_PDEATHSIG: CInt = 1
    prctl(PR_SET_PDEATHSIG, UInt(SIGKILL))
}

/// A thread that does nothing. Declared here, not as a closure in main.swift: a closure there inherits
/// the top-level code's main-actor isolation, and Swift 6 traps when another thread calls it.
func emptyThread(_: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? { nil }

func secondsSinceBoot() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// Waits up to `seconds` for SIGUSR1 (blocked by the caller); true when it came.
func waitForUSR1(until deadline: Double) -> Bool {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGUSR1)
    while true {
        let remaining = deadline - secondsSinceBoot()
        if remaining <= 0 { return false }
        var timeout = timespec(tv_sec: Int(remaining), tv_nsec: Int((remaining - remaining.rounded(.down)) * 1e9))
        let signal = sigtimedwait(&set, nil, &timeout)
        if signal == SIGUSR1 { return true }
        if signal < 0 && errno != EINTR && errno != EAGAIN { return false }
    }
}

func blockUSR1() {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGUSR1)
    sigprocmask(SIG_BLOCK, &set, nil)
}

/// `alloc MIB SECONDS [GROW_MIB]`: map and touch MIB MiB, say ready, and on each SIGUSR1 touch
/// GROW_MIB more (default MIB) and say "grew TOTAL_MIB". Exits after SECONDS.
func allocate(mebibytes: Int, seconds: UInt32, growth: Int) {
    blockUSR1()
    func touch(_ count: Int) {
        guard count > 0 else { return }
        let bytes = count << 20
        guard let memory = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            memory != MAP_FAILED
        else { exit(72) }
        // One write a page makes every page resident: this is what the memory cgroup charges.
        for offset in stride(from: 0, to: bytes, by: 4096) { memory.storeBytes(of: 1, toByteOffset: offset, as: UInt8.self) }
    }
    touch(mebibytes)
    var total = mebibytes
    say("ready \(getpid())")
    let deadline = secondsSinceBoot() + Double(seconds)
    while waitForUSR1(until: deadline) {
        touch(growth)
        total += growth
        say("grew \(total)")
    }
}

/// `spawn COUNT PATH [ARGS...]`: run PATH COUNT times, one after another (an exec storm: a fork and an
/// exec event each). Says ready first and "done COUNT" at the end.
func spawnRepeatedly(count: Int, path: String, arguments: [String]) {
    say("ready \(getpid())")
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    for _ in 0..<count {
        var child: pid_t = 0
        guard posix_spawn(&child, path, nil, nil, argv, environ) == 0 else { exit(73) }
        var status: CInt = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
    }
    say("done \(count)")
}

/// `forks COUNT`: create COUNT processes that exit at once (a fork storm: one fork event each, the
/// cheapest process event). posix_spawn of a path that does not exist clones (CLONE_VM, so no page
/// tables are copied), fails the exec and exits, and glibc reaps it: a fork event for about 50 µs.
/// Says ready first and "done COUNT" at the end.
func forkRepeatedly(count: Int) {
    say("ready \(getpid())")
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup("oom-adjust-testproc-fork"), nil]
    for _ in 0..<count {
        var child: pid_t = 0
        guard posix_spawn(&child, "/nonexistent/oom-adjust-testproc", nil, nil, argv, environ) == ENOENT else { exit(74) }
    }
    say("done \(count)")
}

/// `supervise COUNT PATH [ARGS...]`: keep one worker (PATH ARGS) running, starting a new one whenever
/// the last exits, COUNT incarnations in all. Says "worker PID" for each, and "done" after the last.
func supervise(incarnations: Int, path: String, arguments: [String]) {
    say("ready \(getpid())")
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    for _ in 0..<incarnations {
        let child = fork()
        if child == 0 {
            dieWithParent()
            execv(path, argv)
            _exit(71)
        }
        guard child > 0 else { exit(74) }
        say("worker \(child)")
        var status: CInt = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
    }
    say("done")
}
