// Directory reading for the /proc sweep, and path resolution under another process's root.
#define _GNU_SOURCE
#include "CLinuxSystem.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

long CLinuxSystem_getdents64(int fd, void *buf, size_t length) { return syscall(SYS_getdents64, fd, buf, length); }

const int CLinuxSystem_O_PATH = O_PATH;

int CLinuxSystem_open_in_root(int root, const char *path, int flags) {
    struct open_how how = {.flags = (uint64_t)(unsigned)flags, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    return (int)syscall(SYS_openat2, root, path, &how, sizeof how);
}
