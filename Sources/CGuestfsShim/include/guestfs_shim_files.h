#ifndef GUESTFS_SHIM_FILES_H
#define GUESTFS_SHIM_FILES_H
#include <sys/types.h>

/* Linux xattr calls, makedev and the utimensat specials, which Swift's
 * Glibc module does not show (sys/xattr.h, sys/sysmacros.h, macros). */
ssize_t guestfs_shim_listxattr(const char *path, char *list, size_t size, int follow);
ssize_t guestfs_shim_getxattr(const char *path, const char *name, void *value, size_t size, int follow);
int guestfs_shim_setxattr(const char *path, const char *name, const void *value, size_t size, int follow);
int guestfs_shim_removexattr(const char *path, const char *name, int follow);
dev_t guestfs_shim_makedev(unsigned int major, unsigned int minor);
long guestfs_shim_utime_now(void);
long guestfs_shim_utime_omit(void);
int guestfs_shim_xattr_size_max(void);
#endif
