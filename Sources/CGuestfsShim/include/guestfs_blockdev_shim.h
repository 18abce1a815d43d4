#ifndef GUESTFS_BLOCKDEV_SHIM_H
#define GUESTFS_BLOCKDEV_SHIM_H
#include <stdint.h>

/* Block-device ioctls whose request numbers are function-like macros
 * (_IOR/_IO) that Swift cannot import. Each returns the ioctl's result
 * (-1 with errno set on failure). */
int guestfs_shim_blk_getsize64(int fd, uint64_t *size);
int guestfs_shim_blk_getss(int fd, int *size);
int guestfs_shim_blk_getbsz(int fd, int *size);
int guestfs_shim_blk_getro(int fd, int *ro);
int guestfs_shim_blk_setro(int fd, int ro);
int guestfs_shim_blk_flsbuf(int fd);
int guestfs_shim_blk_rrpart(int fd);
int guestfs_shim_blk_setra(int fd, unsigned long sectors);
int guestfs_shim_blk_discard(int fd, uint64_t offset, uint64_t length);
/* open(2)'s O_DIRECT, which Glibc's Swift module leaves out (_GNU_SOURCE). */
int guestfs_shim_o_direct(void);
/* Zeroes [offset, offset + length) of the device (BLKZEROOUT: the
 * device's write-zeroes command if it has one, else the kernel writes
 * zero pages); both must be multiples of the logical sector size. */
int guestfs_shim_blk_zeroout(int fd, uint64_t offset, uint64_t length);
int guestfs_shim_blk_discardzeroes(int fd, unsigned int *zeroes);
/* RAID_VERSION/GET_ARRAY_INFO on an md node: 0 if it is a running array,
 * -1 with errno (ENODEV: not an array) otherwise. */
int guestfs_shim_md_get_array_info(int fd);
#endif
