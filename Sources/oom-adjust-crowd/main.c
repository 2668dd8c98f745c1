// oom-adjust-crowd: a crowd of waiting processes for the integration tests, cheap to create.
//
//   oom-adjust-crowd COUNT SECONDS
//
// Forks COUNT children that only wait, says "ready PID MADE" on stdout, and on SIGUSR1 kills them all
// (saying "reaped MADE" once they are gone); after SECONDS it kills them and exits. The tests copy it
// under a name unique to the run, so the children's comm and executable are that name.
//
// Why C: a fork copies the parent's page tables, and the debug-built Swift test program maps enough
// that 10,000 forks took over 8 s on an idle machine (and 14 s on a busy one). From this program, whose
// only library is libc, a fork costs tens of microseconds.
//
// Children someone else kills vanish at once, never lingering as zombies: SIGCHLD is ignored, so the
// kernel reaps them. Each child dies with this process (PR_SET_PDEATHSIG), so a killed test leaves
// nothing behind.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void child(pid_t parent) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    // The parent may have died before the line above took effect.
    if (getppid() != parent) _exit(0);
    for (;;) pause();
}

int main(int argc, char **argv) {
    char *end = NULL;
    long count = argc == 3 ? strtol(argv[1], &end, 10) : -1;
    if (argc != 3 || *end != '\0' || count < 0 || atoi(argv[2]) <= 0) {
        fprintf(stderr, "usage: %s COUNT SECONDS\n", argv[0]);
        return 64;
    }
    unsigned seconds = (unsigned)atoi(argv[2]);
    pid_t *children = calloc((size_t)count + 1, sizeof *children);
    if (children == NULL) {
        perror("calloc");
        return 71;
    }
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    signal(SIGCHLD, SIG_IGN);
    pid_t self = getpid();
    long made = 0;
    for (; made < count; made++) {
        pid_t pid = fork();
        if (pid == 0) child(self);
        if (pid < 0) {
            fprintf(stderr, "fork %ld of %ld: %s\n", made + 1, count, strerror(errno));
            break;
        }
        children[made] = pid;
    }
    // One write, unbuffered, so the test reading the pipe sees the whole line at once.
    char line[64];
    int length = snprintf(line, sizeof line, "ready %d %ld\n", (int)self, made);
    if (write(STDOUT_FILENO, line, (size_t)length) != length) return 74;

    struct timespec timeout = {.tv_sec = seconds, .tv_nsec = 0};
    while (sigtimedwait(&usr1, NULL, &timeout) < 0 && errno == EINTR) {}
    for (long i = 0; i < made; i++) kill(children[i], SIGKILL);
    // With SIGCHLD ignored, wait returns (ECHILD) once every child is gone.
    while (wait(NULL) >= 0 || errno == EINTR) {}
    length = snprintf(line, sizeof line, "reaped %ld\n", made);
    if (write(STDOUT_FILENO, line, (size_t)length) != length) return 74;
    return 0;
}
