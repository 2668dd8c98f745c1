// Probes what a service may do with the kernel log under a unit's sandbox (scripts/unit-sandbox-vm.sh):
// open /dev/kmsg for reading, read a record, seek to the end, open it for writing, call syslog(2); and
// reports its effective and bounding capabilities and whether hardware devices are visible.
// `kmsgprobe hog MIB` instead touches MIB MiB, to be OOM-killed in a memory-limited unit.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "hog")) {
        size_t bytes = (size_t)atoi(argv[2]) << 20;
        // volatile: the stores must happen, though nothing reads them.
        volatile char *memory = malloc(bytes);
        for (size_t i = 0; memory && i < bytes; i += 4096) memory[i] = 1;
        return 0;
    }
    int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
    if (fd < 0) { printf("open-read: %s\n", strerror(errno)); }
    else {
        char record[8192];
        ssize_t n = read(fd, record, sizeof record);
        if (n < 0) printf("open-read: ok; read: %s\n", strerror(errno));
        else printf("open-read: ok; read: %zd bytes: %.60s\n", n, record);
        lseek(fd, 0, SEEK_END);
        n = read(fd, record, sizeof record);
        printf("after SEEK_END: %s\n", n < 0 ? strerror(errno) : "a record");
        close(fd);
    }
    int w = open("/dev/kmsg", O_WRONLY);
    if (w < 0) printf("open-write: %s\n", strerror(errno));
    else { ssize_t n = write(w, "<7>kmsgprobe\n", 13); printf("write: %s\n", n < 0 ? strerror(errno) : "ok"); close(w); }
    long size = syscall(SYS_syslog, 10, 0, 0);
    printf("syslog(2) SIZE_BUFFER: %s\n", size < 0 ? strerror(errno) : "allowed");
    FILE *status = fopen("/proc/self/status", "r");
    char line[256];
    while (status && fgets(line, sizeof line, status)) if (!strncmp(line, "CapEff", 6) || !strncmp(line, "CapBnd", 6)) fputs(line, stdout);
    int d = open("/dev/sda", O_RDONLY); printf("dev entries: /dev/sda %s, /dev/mem %s\n", d >= 0 || errno != ENOENT ? "present" : "absent", access("/dev/mem", F_OK) == 0 ? "present" : "absent");
    return 0;
}
