#define _GNU_SOURCE
#include <sys/types.h>
#include <sys/xattr.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <linux/limits.h>
#include "guestfs_shim_files.h"

ssize_t guestfs_shim_listxattr(const char *path, char *list, size_t size, int follow) {
    return follow ? listxattr(path, list, size) : llistxattr(path, list, size);
}

ssize_t guestfs_shim_getxattr(const char *path, const char *name, void *value, size_t size, int follow) {
    return follow ? getxattr(path, name, value, size) : lgetxattr(path, name, value, size);
}

int guestfs_shim_setxattr(const char *path, const char *name, const void *value, size_t size, int follow) {
    return follow ? setxattr(path, name, value, size, 0) : lsetxattr(path, name, value, size, 0);
}

int guestfs_shim_removexattr(const char *path, const char *name, int follow) {
    return follow ? removexattr(path, name) : lremovexattr(path, name);
}

dev_t guestfs_shim_makedev(unsigned int major, unsigned int minor) {
    return makedev(major, minor);
}

long guestfs_shim_utime_now(void) { return UTIME_NOW; }
long guestfs_shim_utime_omit(void) { return UTIME_OMIT; }
int guestfs_shim_xattr_size_max(void) { return XATTR_SIZE_MAX; }
