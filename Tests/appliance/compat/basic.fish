# disks: 2x100M
# A first compat script: partitions, ext4, files, stat.
list-devices
part-disk /dev/sda mbr
list-partitions
mkfs ext4 /dev/sda1 label:COMPAT
vfs-type /dev/sda1
vfs-label /dev/sda1
mount /dev/sda1 /
mkdir /dir
write /dir/file "hello\n"
cat /dir/file
ls /
stat /dir/file
umount-all
blockdev-getsize64 /dev/sdb
-is-dir /nonexistent
