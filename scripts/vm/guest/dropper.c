// oavm-dropper: the protected process of VM scenario 2b, compiled on the host by scripts/vm-test.sh
// and installed in the VM as a root-owned copy under the name a -500 rule gives it.
//
//   dropper setresuid PROTECTED BASELINE UID   a child drops to UID and stays in this binary
//   dropper exec PROTECTED BASELINE PROGRAM    a child stays root and execs PROGRAM 600
//
// It first waits until the agent has given it PROTECTED (at its own exec), then forks. For setresuid
// the child checks from the inside that the agent wrote BASELINE back and that the kernel's floor went
// with it: lowering to PROTECTED and to -1000 fails with EACCES while BASELINE itself can be written
// (so the refusal is the floor, not the file's permissions). For exec the parent watches the child's
// value. Prints what it saw, a line each, "ok: " or "no: " first; exits 0 when all held, 1 otherwise,
// 2 on a set-up error.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// Generous: the VM is emulated, and the machine running it may be busy.
static const int deadline_seconds = 15;

static int read_value(pid_t pid, int *value) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/oom_score_adj", (int)pid);
    FILE *file = fopen(path, "r");
    if (file == NULL) return -1;
    int ok = fscanf(file, "%d", value) == 1;
    fclose(file);
    return ok ? 0 : -1;
}

// Polls until pid's value is `wanted` or the deadline passes; leaves the last value seen in *seen.
static int wait_for_value(pid_t pid, int wanted, int *seen) {
    struct timespec pause = {0, 20 * 1000 * 1000};
    for (int round = 0; round < deadline_seconds * 50; round++) {
        if (read_value(pid, seen) == 0 && *seen == wanted) return 0;
        nanosleep(&pause, NULL);
    }
    return -1;
}

// Writes `value` to its own oom_score_adj; returns 0 or the errno of the open or the write.
static int write_own_value(int value, const char **step) {
    int fd = open("/proc/self/oom_score_adj", O_WRONLY);
    if (fd < 0) {
        *step = "open";
        return errno;
    }
    char text[16];
    int length = snprintf(text, sizeof text, "%d", value);
    int error = write(fd, text, length) == length ? 0 : errno;
    close(fd);
    *step = "write";
    return error;
}

static int child_that_drops(int baseline, int protected, uid_t uid) {
    if (setgroups(0, NULL) != 0 || setresgid(uid, uid, uid) != 0 || setresuid(uid, uid, uid) != 0) {
        printf("no: child cannot drop to uid %d: %s\n", (int)uid, strerror(errno));
        return 2;
    }
    // Changing credentials made /proc/self root-owned (not dumpable); a daemon's child would exec
    // next, which restores it. Restoring it here keeps the file writable by the child, so only the
    // kernel's floor can refuse a lower value.
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    int seen = 0, failures = 0;
    if (wait_for_value(getpid(), baseline, &seen) != 0) {
        printf("no: child (uid %d): oom_score_adj is still %d after %d s, expected the baseline %d\n", (int)uid, seen, deadline_seconds,
               baseline);
        failures++;
    } else {
        printf("ok: child (uid %d): oom_score_adj is back at the baseline %d\n", (int)uid, baseline);
    }
    int attempts[] = {protected, -1000};
    for (int i = 0; i < 2; i++) {
        const char *step = "";
        int error = write_own_value(attempts[i], &step);
        if (error == EACCES && strcmp(step, "write") == 0) {
            printf("ok: child (uid %d): writing %d refused with EACCES\n", (int)uid, attempts[i]);
        } else {
            printf("no: child (uid %d): writing %d: %s %s, expected the write to fail with EACCES\n", (int)uid, attempts[i], step,
                   error == 0 ? "succeeded" : strerror(error));
            failures++;
        }
    }
    const char *step = "";
    int error = write_own_value(baseline, &step);
    if (error != 0) {
        printf("no: child (uid %d): writing the baseline %d failed (%s: %s), so the refusals prove nothing\n", (int)uid, baseline, step,
               strerror(error));
        failures++;
    }
    return failures == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc != 5 || (strcmp(argv[1], "setresuid") != 0 && strcmp(argv[1], "exec") != 0)) {
        fprintf(stderr, "usage: %s setresuid|exec PROTECTED BASELINE UID|PROGRAM\n", argv[0]);
        return 2;
    }
    int protected = atoi(argv[2]), baseline = atoi(argv[3]), seen = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (wait_for_value(getpid(), protected, &seen) != 0) {
        printf("no: parent: oom_score_adj is %d after %d s, expected %d from the rule: nothing to test\n", seen, deadline_seconds, protected);
        return 2;
    }
    printf("ok: parent (pid %d, uid %d) protected at %d\n", (int)getpid(), (int)getuid(), protected);
    pid_t child = fork();
    if (child < 0) {
        printf("no: fork: %s\n", strerror(errno));
        return 2;
    }
    if (child == 0) {
        if (argv[1][0] == 's') _exit(child_that_drops(baseline, protected, (uid_t)atoi(argv[4])));
        execl(argv[4], argv[4], "600", (char *)NULL);
        printf("no: exec %s: %s\n", argv[4], strerror(errno));
        _exit(2);
    }
    int status = 0;
    if (argv[1][0] == 's') {
        waitpid(child, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
    }
    int result = 0;
    if (wait_for_value(child, baseline, &seen) != 0) {
        printf("no: child %d (exec of %s): oom_score_adj is still %d after %d s, expected the baseline %d\n", (int)child, argv[4], seen,
               deadline_seconds, baseline);
        result = 1;
    } else {
        printf("ok: child %d (exec of %s): oom_score_adj is back at the baseline %d\n", (int)child, argv[4], baseline);
    }
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
    return result;
}
