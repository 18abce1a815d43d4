#ifndef GUESTFS_SHIM_SECRET_H
#define GUESTFS_SHIM_SECRET_H
#include <stddef.h>

/* An anonymous in-memory file (memfd, close-on-exec) for handing a key to
 * a tool by path (/proc/PID/fd/N) without a name on any filesystem.
 * Returns the descriptor, or -1 with errno set. */
int guestfs_shim_secret_memfd(void);

/* Zeroes n bytes at p in a way the compiler may not elide. */
void guestfs_shim_wipe(void *p, size_t n);
#endif
