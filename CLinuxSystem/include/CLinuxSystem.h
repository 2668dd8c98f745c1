// CLinuxSystem: the few Linux calls and constants Swift's Glibc module cannot reach, for the Linux
// layer's /proc, signal and file code (as swift-nio's CNIOLinux does). Not about netlink: that is
// CNetlink's. Every function returns -1 and sets errno on failure; nothing here logs or retries.
#ifndef C_LINUX_SYSTEM_H
#define C_LINUX_SYSTEM_H

#include <stddef.h>
// Linux headers Swift's Glibc module leaves out, re-exported for the Linux layer.
#include <sys/signalfd.h>

/// O_PATH, which glibc defines only under _GNU_SOURCE, so Swift's Glibc module does not see it.
/// A /proc/PID directory opened this way costs no permission check and still pins that process.
extern const int CLinuxSystem_O_PATH;

/// getdents64(2), which glibc wraps only through the variadic syscall(2) Swift cannot call.
long CLinuxSystem_getdents64(int fd, void *buf, size_t length);

/// openat2(2) with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS: opens `path` as if `root` were the file
/// system's root, so absolute symlinks and `..` stay inside it. glibc has no wrapper (only syscall(2),
/// which is variadic). -1 with ENOSYS before Linux 5.6.
int CLinuxSystem_open_in_root(int root, const char *path, int flags);

#endif
