#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>
#include "guestfs_shim_secret.h"

int guestfs_shim_secret_memfd(void)
{
  return memfd_create("guestfsd-key", MFD_CLOEXEC);
}

void guestfs_shim_wipe(void *p, size_t n)
{
  if (p != NULL && n > 0)
    explicit_bzero(p, n);
}
