// Directory reading for the /proc sweep.
#define _GNU_SOURCE
#include "CNetlink.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

long CNetlink_getdents64(int fd, void *buf, size_t length) { return syscall(SYS_getdents64, fd, buf, length); }

const int CNetlink_O_PATH = O_PATH;
