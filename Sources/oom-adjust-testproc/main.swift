// A process for the integration tests to copy under unique names and drive.
//
//   oom-adjust-testproc sleep SECONDS          sleep, then exit
//   oom-adjust-testproc fork DELAY_MS SECONDS  wait DELAY_MS, fork one child that only sleeps (no exec)
//   oom-adjust-testproc rename NAME SECONDS    sleep 0.3 s, rename the main thread to NAME, sleep
//   oom-adjust-testproc exec DELAY_MS PATH ARGS...  wait DELAY_MS, then execv(PATH, [PATH] + ARGS)
//   oom-adjust-testproc threads COUNT SECONDS  create COUNT short-lived threads, then sleep
//   oom-adjust-testproc alloc MIB SECONDS [GROW_MIB]  touch MIB MiB; on SIGUSR1 touch GROW_MIB more
//   oom-adjust-testproc spawn COUNT PATH ARGS...  run PATH COUNT times in a row (an exec storm)
//   oom-adjust-testproc forks COUNT            fork COUNT children that exit at once (a fork storm)
//   oom-adjust-testproc supervise COUNT PATH ARGS...  respawn the worker PATH until COUNT have run
//   oom-adjust-testproc children COUNT SECONDS  fork COUNT waiting children; SIGUSR1 kills them
//   oom-adjust-testproc forkdrop DELAY_MS UID SECONDS  wait DELAY_MS (0: for SIGUSR1), fork a child that
//                                                      waits DELAY_MS, then setuid(UID)
//   oom-adjust-testproc forkexec DELAY_MS PATH ARGS...  wait, fork a child that waits DELAY_MS, then execs PATH
//   oom-adjust-testproc renamefork NAME DELAY_MS SECONDS  rename to NAME, wait DELAY_MS, fork a sleeping child
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
    say("usage: \(arguments[0]) sleep|fork|rename|exec|threads|alloc|spawn|forks|supervise|children|forkdrop|forkexec|renamefork ...", to: STDERR_FILENO)
    exit(64)
}

/// PR_SET_NAME through the prctl wrapper in StressModes.swift.
func setThreadName(_ name: String) {
    let PR_SET_NAME: CInt = 15
    name.withCString { prctl(PR_SET_NAME, UInt(bitPattern: $0)) }
}
guard arguments.count >= 3 else { usage() }
func seconds(_ text: String) -> UInt32 { UInt32(text) ?? 30 }

switch arguments[1] {
case "sleep":
    say("ready \(getpid())")
    sleep(seconds(arguments[2]))
case "fork":
    guard arguments.count >= 4 else { usage() }
    say("ready \(getpid())")
    usleep((UInt32(arguments[2]) ?? 0) * 1000)
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
    say("ready \(getpid())")
    usleep(300_000)
    setThreadName(arguments[2])
    say("renamed")
    sleep(seconds(arguments[3]))
case "exec":
    guard arguments.count >= 4 else { usage() }
    say("ready \(getpid())")
    usleep((UInt32(arguments[2]) ?? 0) * 1000)
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
case "children":
    guard arguments.count >= 4, let count = Int(arguments[2]) else { usage() }
    keepChildren(count: count, seconds: seconds(arguments[3]))
case "forkdrop":
    guard arguments.count >= 5, let delay = UInt32(arguments[2]), let uid = UInt32(arguments[3]) else { usage() }
    forkChild(delayMilliseconds: delay, seconds: seconds(arguments[4])) {
        // A while as the parent's copy first, so the fork and the uid change can be told apart.
        usleep(delay * 1000)
        // As root, setgid and setuid set the real, effective and saved ids alike (setresuid needs _GNU_SOURCE).
        guard setgid(uid) == 0, setuid(uid) == 0 else { exit(75) }
        say("dropped \(getpid()) \(getuid())")
    }
case "forkexec":
    guard arguments.count >= 4, let delay = UInt32(arguments[2]) else { usage() }
    let argv = arguments[3...].map { strdup($0) } + [nil]
    forkChild(delayMilliseconds: delay, seconds: 60) {
        usleep(delay * 1000)
        execv(arguments[3], argv)
        exit(71)
    }
case "renamefork":
    guard arguments.count >= 5, let delay = UInt32(arguments[3]) else { usage() }
    setThreadName(arguments[2])
    say("renamed")
    forkChild(delayMilliseconds: delay, seconds: seconds(arguments[4])) {}
default:
    usage()
}
