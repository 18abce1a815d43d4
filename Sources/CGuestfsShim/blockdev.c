#define _GNU_SOURCE
#include <stddef.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <linux/major.h>
#include <linux/fs.h>
#include <linux/raid/md_u.h>
#include "guestfs_blockdev_shim.h"

int guestfs_shim_blk_getsize64(int fd, uint64_t *size) { return ioctl(fd, BLKGETSIZE64, size); }
int guestfs_shim_blk_getss(int fd, int *size) { return ioctl(fd, BLKSSZGET, size); }
int guestfs_shim_blk_getbsz(int fd, int *size) { return ioctl(fd, BLKBSZGET, size); }
int guestfs_shim_blk_getro(int fd, int *ro) { return ioctl(fd, BLKROGET, ro); }
int guestfs_shim_blk_setro(int fd, int ro) { return ioctl(fd, BLKROSET, &ro); }
int guestfs_shim_blk_flsbuf(int fd) { return ioctl(fd, BLKFLSBUF, 0); }
int guestfs_shim_blk_rrpart(int fd) { return ioctl(fd, BLKRRPART, 0); }
int guestfs_shim_blk_setra(int fd, unsigned long sectors) { return ioctl(fd, BLKRASET, sectors); }

int guestfs_shim_blk_discard(int fd, uint64_t offset, uint64_t length) {
  uint64_t range[2] = { offset, length };
  return ioctl(fd, BLKDISCARD, range);
}

int guestfs_shim_o_direct(void) { return O_DIRECT; }

int guestfs_shim_blk_zeroout(int fd, uint64_t offset, uint64_t length) {
  uint64_t range[2] = { offset, length };
  return ioctl(fd, BLKZEROOUT, range);
}

int guestfs_shim_blk_discardzeroes(int fd, unsigned int *zeroes) {
  return ioctl(fd, BLKDISCARDZEROES, zeroes);
}

int guestfs_shim_md_get_array_info(int fd) {
  mdu_array_info_t info;
  return ioctl(fd, GET_ARRAY_INFO, &info);
}
