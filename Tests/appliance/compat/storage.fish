# disks: 300M 100M
# Partitions, filesystems, mount, zerofree, fsck, resize.
list-devices
part-init /dev/sda gpt
part-add /dev/sda p 2048 206847
part-add /dev/sda p 206848 -2048
part-list /dev/sda
part-get-parttype /dev/sda
part-set-name /dev/sda 1 first
part-get-name /dev/sda 1
part-set-gpt-type /dev/sda 2 0FC63DAF-8483-4772-8E79-3D69D8477DE4
part-get-gpt-type /dev/sda 2
list-partitions
part-disk /dev/sdb mbr
part-get-parttype /dev/sdb
part-set-bootable /dev/sdb 1 true
part-get-bootable /dev/sdb 1
part-set-mbr-id /dev/sdb 1 0x83
part-get-mbr-id /dev/sdb 1
part-to-dev /dev/sdb1
part-to-partnum /dev/sdb1
mkfs ext4 /dev/sda1 label:BOOT
mkfs ext2 /dev/sda2
mkfs vfat /dev/sdb1
list-filesystems
vfs-type /dev/sda1
vfs-label /dev/sda1
vfs-type /dev/sdb1
blockdev-getsize64 /dev/sda1
blockdev-getss /dev/sda
mount /dev/sda2 /
mkdir /boot
mount /dev/sda1 /boot
mounts
mountpoints
write /boot/keep "keep me"
fill 0x55 1000000 /boot/gone
sync
rm /boot/gone
-zerofree /dev/sda1
umount /boot
zerofree /dev/sda1
e2fsck-f /dev/sda1
resize2fs-size /dev/sda1 50M
e2fsck-f /dev/sda1
mount /dev/sda1 /boot
cat /boot/keep
umount-all
tune2fs-l /dev/sda2 | grep -E '^(Filesystem volume name|Block size|Filesystem magic number)'
get-e2label /dev/sda1
set-label /dev/sda2 DATA
vfs-label /dev/sda2
mkswap /dev/sdb1
vfs-type /dev/sdb1
