// A process for the integration tests to copy under unique names and drive.
//
//   oom-adjust-testproc sleep SECONDS          sleep, then exit
//   oom-adjust-testproc fork WHEN SECONDS      at WHEN, fork one child that only sleeps (no exec)
//   oom-adjust-testproc rename NAME SECONDS [WHEN]  at WHEN (default 300), rename the main thread to NAME
//   oom-adjust-testproc exec WHEN PATH ARGS...  at WHEN, execv(PATH, [PATH] + ARGS)
//   oom-adjust-testproc threads COUNT SECONDS  create COUNT short-lived threads, then sleep
//   oom-adjust-testproc alloc MIB SECONDS [GROW_MIB]  touch MIB MiB; on SIGUSR1 touch GROW_MIB more
//   oom-adjust-testproc spawn COUNT PATH ARGS...  run PATH COUNT times in a row (an exec storm)
//   oom-adjust-testproc forks COUNT            fork COUNT children that exit at once (a fork storm)
//   oom-adjust-testproc supervise COUNT PATH ARGS...  respawn the worker PATH until COUNT have run
//   oom-adjust-testproc forkdrop WHEN UID SECONDS  at WHEN, fork a child that setuid's to UID (after the
//                                                   same delay again, when WHEN is one)
//   oom-adjust-testproc forkexec WHEN PATH ARGS...  at WHEN, fork a child that execs PATH (likewise)
//   oom-adjust-testproc renamefork NAME WHEN SECONDS  rename to NAME, and at WHEN fork a sleeping child
//
// WHEN is a delay in milliseconds, or `usr1`: on SIGUSR1, which a test sends once it has checked what
// must hold before, so that no machine is too slow for the order the test relies on.
//
// It prints "ready PID" (and "child PID") on stdout, so a test knows whom to look at.
import Glibc

let arguments = CommandLine.arguments

/// Unbuffered, so the test reading the pipe sees each line at once.
func say(_ line: String, to descriptor: CInt = STDOUT_FILENO) {
    let text = line + "\n"
    _ = text.withCString { write(descriptor, $0, strlen($0)) }
}

func usage() -> Never {
    say("usage: \(arguments[0]) sleep|fork|rename|exec|threads|alloc|spawn|forks|supervise|forkdrop|forkexec|renamefork ...", to: STDERR_FILENO)
    exit(64)
}

/// PR_SET_NAME through the prctl wrapper in StressModes.swift.
func setThreadName(_ name: String) {
    let PR_SET_NAME: CInt = 15
    name.withCString { prctl(PR_SET_NAME, UInt(bitPattern: $0)) }
}
guard arguments.count >= 3 else { usage() }
func seconds(_ text: String) -> UInt32 { UInt32(text) ?? 30 }

/// A WHEN argument. Made before "ready" is said: SIGUSR1 must be blocked before a test may send it.
struct Moment {
    let milliseconds: UInt32?

    init(_ text: String) {
        milliseconds = text == "usr1" ? nil : UInt32(text) ?? 0
        if milliseconds == nil { blockUSR1() }
    }

    func wait() {
        if let milliseconds {
            usleep(milliseconds * 1000)
        } else {
            _ = waitForUSR1(until: secondsSinceBoot() + 3600)
        }
    }
}

switch arguments[1] {
case "sleep":
    say("ready \(getpid())")
    sleep(seconds(arguments[2]))
case "fork":
    guard arguments.count >= 4 else { usage() }
    let moment = Moment(arguments[2])
    say("ready \(getpid())")
    moment.wait()
    let child = fork()
    if child == 0 {
        sleep(seconds(arguments[3]))
        exit(0)
    }
    say("child \(child)")
    sleep(seconds(arguments[3]))
    kill(child, SIGKILL)
    waitpid(child, nil, 0)
case "rename":
    guard arguments.count >= 4 else { usage() }
    let moment = Moment(arguments.count >= 5 ? arguments[4] : "300")
    say("ready \(getpid())")
    moment.wait()
    setThreadName(arguments[2])
    say("renamed")
    sleep(seconds(arguments[3]))
case "exec":
    guard arguments.count >= 4 else { usage() }
    let moment = Moment(arguments[2])
    say("ready \(getpid())")
    moment.wait()
    let argv = arguments[3...].map { strdup($0) } + [nil]
    execv(arguments[3], argv)
    say("exec failed: errno \(errno)", to: STDERR_FILENO)
    exit(71)
case "threads":
    guard arguments.count >= 4, let count = Int(arguments[2]) else { usage() }
    for _ in 0..<count {
        var thread = pthread_t()
        pthread_create(&thread, nil, emptyThread, nil)
        pthread_join(thread, nil)
    }
    say("ready \(getpid())")
    sleep(seconds(arguments[3]))
case "alloc":
    guard let mebibytes = Int(arguments[2]), arguments.count >= 4 else { usage() }
    allocate(mebibytes: mebibytes, seconds: seconds(arguments[3]), growth: arguments.count >= 5 ? Int(arguments[4]) ?? mebibytes : mebibytes)
case "spawn":
    guard arguments.count >= 4, let count = Int(arguments[2]) else { usage() }
    spawnRepeatedly(count: count, path: arguments[3], arguments: Array(arguments[4...]))
case "forks":
    guard let count = Int(arguments[2]) else { usage() }
    forkRepeatedly(count: count)
case "supervise":
    guard arguments.count >= 4, let count = Int(arguments[2]) else { usage() }
    supervise(incarnations: count, path: arguments[3], arguments: Array(arguments[4...]))
case "forkdrop":
    guard arguments.count >= 5, let uid = UInt32(arguments[3]) else { usage() }
    let moment = Moment(arguments[2])
    forkChild(at: moment, seconds: seconds(arguments[4])) {
        // A while as the parent's copy first, so the fork and the uid change can be told apart.
        usleep((moment.milliseconds ?? 0) * 1000)
        // As root, setgid and setuid set the real, effective and saved ids alike (setresuid needs _GNU_SOURCE).
        guard setgid(uid) == 0, setuid(uid) == 0 else { exit(75) }
        say("dropped \(getpid()) \(getuid())")
    }
case "forkexec":
    guard arguments.count >= 4 else { usage() }
    let moment = Moment(arguments[2])
    let argv = arguments[3...].map { strdup($0) } + [nil]
    forkChild(at: moment, seconds: 60) {
        usleep((moment.milliseconds ?? 0) * 1000)
        execv(arguments[3], argv)
        exit(71)
    }
case "renamefork":
    guard arguments.count >= 5 else { usage() }
    let moment = Moment(arguments[3])
    setThreadName(arguments[2])
    say("renamed")
    forkChild(at: moment, seconds: seconds(arguments[4])) {}
default:
    usage()
}

/// Says ready, waits for `moment`, forks a child that runs `child` (in the child, dying with its
/// parent) and then sleeps, says "child PID", and sleeps `seconds` itself.
func forkChild(at moment: Moment, seconds: UInt32, _ child: () -> Void) {
    say("ready \(getpid())")
    moment.wait()
    let pid = fork()
    if pid == 0 {
        dieWithParent()
        child()
        sleep(seconds)
        exit(0)
    }
    guard pid > 0 else { exit(74) }
    say("child \(pid)")
    sleep(seconds)
    kill(pid, SIGKILL)
    waitpid(pid, nil, 0)
}
