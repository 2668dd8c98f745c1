// PID 1 of a throwaway VM (scripts/record-oom-kmsg-vm.sh): causes a memory-cgroup OOM kill (cgroup v2)
// and a global OOM kill, then prints every /dev/kmsg record, hex-encoded so the serial line cannot
// change a byte, between markers on the console, and powers off.
//
// The memory cgroup holds a 64 MiB hog (oom_score_adj 300) and a 8 MiB keeper (-500) under a 32 MiB
// limit; the global OOM is a hog with oom_score_adj 1000 that touches more than the VM has.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static void put(const char *path, const char *text) {
    int fd = open(path, O_WRONLY);
    if (fd < 0 || write(fd, text, strlen(text)) < 0) dprintf(2, "write %s: %s\n", path, strerror(errno));
    if (fd >= 0) close(fd);
}

static void hog(const char *name, const char *cgroup, const char *adj, size_t mib) {
    pid_t child = fork();
    if (child == 0) {
        prctl(PR_SET_NAME, name);
        if (cgroup) { char pid[32]; snprintf(pid, sizeof pid, "%d", getpid()); put(cgroup, pid); }
        if (adj) put("/proc/self/oom_score_adj", adj);
        for (size_t i = 0; i < mib; i++) {
            char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED) _exit(3);
            memset(p, 1, 1 << 20);
        }
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    dprintf(1, "hog %s: %s %d\n", name, WIFSIGNALED(status) ? "signal" : "exit", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

int main(void) {
    mount("proc", "/proc", "proc", 0, NULL);
    mount("sysfs", "/sys", "sysfs", 0, NULL);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL);
    int console = open("/dev/console", O_WRONLY);
    dup2(console, 1); dup2(console, 2);
    put("/proc/sys/kernel/printk", "1");
    put("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
    mkdir("/sys/fs/cgroup/oa-vm", 0755);
    put("/sys/fs/cgroup/oa-vm/memory.max", "33554432");
    // A memory-cgroup OOM: 64 MiB in a 32 MiB cgroup, beside a smaller process that the rules would keep.
    pid_t companion = fork();
    if (companion == 0) {
        prctl(PR_SET_NAME, "oa keeper");
        char pid[32]; snprintf(pid, sizeof pid, "%d", getpid()); put("/sys/fs/cgroup/oa-vm/cgroup.procs", pid);
        put("/proc/self/oom_score_adj", "-500");
        char *p = mmap(NULL, 8 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        memset(p, 1, 8 << 20);
        pause();
        _exit(0);
    }
    sleep(1);
    hog("oa (v2) m,cg", "/sys/fs/cgroup/oa-vm/cgroup.procs", "300", 64);
    kill(companion, SIGKILL);
    waitpid(companion, NULL, 0);
    // A global OOM: more than the VM has, the hog marked to go first.
    hog("oa global (1)", NULL, "1000", 4096);
    int kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
    char record[8192];
    struct utsname name;
    uname(&name);
    dprintf(1, "=== kmsg begin %s ===\n", name.release);
    for (;;) {
        ssize_t n = read(kmsg, record, sizeof record);
        if (n < 0 && errno == EPIPE) continue;
        if (n <= 0) break;
        static char line[5 + 2 * sizeof record + 2];
        size_t used = 0;
        memcpy(line, "KMSG ", 5);
        used = 5;
        for (ssize_t i = 0; i < n; i++) used += sprintf(line + used, "%02x", (unsigned char)record[i]);
        line[used++] = '\n';
        write(1, line, used);
    }
    dprintf(1, "=== kmsg end ===\n");
    sync();
    reboot(RB_POWER_OFF);
    return 0;
}
