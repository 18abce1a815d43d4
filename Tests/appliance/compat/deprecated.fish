# disks: 200M 100M
# The ten deprecated procedures of libguestfs 1.48's table (sfdisk_N,
# sfdiskM, mkswap_L/U, mke2journal_L/U, mke2fs_J/JL/JU, resize2fs_M):
# results, and errors for bad labels, types, journals and units. Nothing
# printed depends on the e2fsprogs version (the block count after
# resize2fs-M does; DeprecatedTests checks it on the host).
# mask: e2fsck 1\.[0-9.]+ \([^)]*\)
sfdisk /dev/sda 0 0 0 ",40M ,40M"
sfdisk-N /dev/sda 3 0 0 0 ",40M"
part-list /dev/sda
-sfdisk-N /dev/sda 9 0 0 0 ",1M"
-sfdiskM /dev/sdb ",10"
mkswap-L swaplabel /dev/sda1
vfs-type /dev/sda1
vfs-label /dev/sda1
-mkswap-L 12345678901234567 /dev/sda1
mkswap-U 01234567-89ab-cdef-0123-456789abcdef /dev/sda2
vfs-uuid /dev/sda2
mke2journal-L 4096 jlabel /dev/sda3
vfs-type /dev/sda3
vfs-label /dev/sda3
mke2fs-JL ext4 4096 /dev/sdb jlabel
vfs-type /dev/sdb
tune2fs-l /dev/sdb | grep -E "^Journal (UUID|device)"
mke2journal-U 4096 11111111-2222-3333-4444-555555555555 /dev/sda3
vfs-uuid /dev/sda3
mke2fs-JU ext3 4096 /dev/sdb 11111111-2222-3333-4444-555555555555
vfs-type /dev/sdb
mke2fs-J ext2 4096 /dev/sdb /dev/sda3
vfs-type /dev/sdb
-mke2fs-J btrfs 4096 /dev/sdb /dev/sda3
-mke2fs-JL ext4 4096 /dev/sdb 12345678901234567
-mke2journal-L 4096 12345678901234567 /dev/sda3
-mke2fs-JU ext4 4096 /dev/sdb 99999999-2222-3333-4444-555555555555
mkfs ext4 /dev/sda2
resize2fs-M /dev/sda2
tune2fs-l /dev/sda2 | grep -E "^Block size"
-resize2fs-M /dev/sda1
