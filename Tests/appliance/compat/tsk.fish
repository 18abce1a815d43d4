# disks: 100M 10M
# mask: tsk_[a-z]+_nsec: [0-9]+
# libtsk in process: filesystem-walk and find-inode (the library decodes
# the daemon's stream of XDR tsk_dirent structs) on ext2, ext4, vfat and
# NTFS, each with deleted files, a directory, a symbolic link (and a hard
# link on ext2: find-inode answers both names). The ext filesystems are
# 8 MiB, one block group, so that their inode numbers are the same on
# every run.
feature-available libtsk
available libtsk
part-init /dev/sda mbr
part-add /dev/sda p 2048 18431
part-add /dev/sda p 18432 34815
part-add /dev/sda p 34816 100351
part-add /dev/sda p 100352 -2048
mkfs ext2 /dev/sda1
# no orphan file: Debian 13's mke2fs (1.54's reference) would put one in
# inode 12 and number the files one higher
mkfs ext4 /dev/sda2 features:^orphan_file
mkfs vfat /dev/sda3
mkfs ntfs /dev/sda4
mount /dev/sda1 /
fill-pattern "forensics" 20000 /big
write /small "hello deleted world\n"
mkdir /dir
write /dir/kept "kept\n"
ln-s dir/kept /link
ln /dir/kept /hard
rm /big
rm /small
umount-all
mount /dev/sda2 /
fill-pattern "forensics" 20000 /big
write /small "hello deleted world\n"
mkdir /dir
write /dir/kept "kept\n"
ln-s dir/kept /link
mknod-c 0644 1 3 /chardev
mkfifo 0644 /fifo
rm /big
rm /small
umount-all
mount /dev/sda3 /
fill-pattern "forensics" 20000 /big.bin
write /small.txt "hello deleted world\n"
mkdir /dir
write /dir/kept.txt "kept\n"
write "/A long file name.txt" "long\n"
rm /big.bin
rm /small.txt
umount-all
mount /dev/sda4 /
fill-pattern "forensics" 20000 /big.bin
write /small.txt "hello deleted world\n"
mkdir /dir
write /dir/kept.txt "kept\n"
ln-s dir/kept.txt /link
rm /big.bin
rm /small.txt
umount-all
filesystem-walk /dev/sda1
find-inode /dev/sda1 15
find-inode /dev/sda1 2
# no name has the inode (12 was /big, deleted): the library (1.48) fails,
# with no message, to decode an empty list
-find-inode /dev/sda1 12
-find-inode /dev/sda1 99999
echo after the empty lists
filesystem-walk /dev/sda2
find-inode /dev/sda2 16
filesystem-walk /dev/sda3
find-inode /dev/sda3 4
filesystem-walk /dev/sda4
find-inode /dev/sda4 64
find-inode /dev/sda4 5
-find-inode /dev/sda4 -1
# no filesystem: libtsk's own message
-filesystem-walk /dev/sdb
-find-inode /dev/sdb 2
-filesystem-walk /dev/sda
