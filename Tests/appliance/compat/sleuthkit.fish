# disks: 100M
# needs: icat blkls
# Sleuthkit's icat and blkls: download-inode of live files, of deleted
# ones (NTFS keeps a deleted file's runs, so icat -r brings its bytes back;
# ext4 drops a deleted file's extents) and of a directory, and
# download-blocks of every block and of the unallocated ones. Each download
# is also compared with the host's icat/blkls run on a copy of the same
# filesystem. (Errors of the tools themselves: upstream cancels the
# download, ours answers the tool's message: SleuthkitTests. So does
# unallocated:false, which upstream takes as true.)
feature-available sleuthkit
available sleuthkit
part-init /dev/sda mbr
part-add /dev/sda p 2048 18431
part-add /dev/sda p 18432 -2048
# no orphan file: Debian 13's mke2fs (1.54's reference) would put one in
# inode 12 and number the files one higher
mkfs ext4 /dev/sda1 features:^orphan_file
mkfs ntfs /dev/sda2
mount /dev/sda1 /
fill-pattern "forensics" 20000 /big
write /small "hello deleted world\n"
mkdir /dir
write /dir/kept "kept\n"
fill-pattern "deleted!" 30000 /gone
# on the disk before they are deleted (ext4 allocates late)
sync
rm /small
rm /gone
umount-all
mount /dev/sda2 /
fill-pattern "forensics" 20000 /big.bin
download /big.bin ntfs-big.orig
write /small.txt "hello deleted world\n"
rm /big.bin
rm /small.txt
umount-all
download-inode /dev/sda1 12 ext4-big.out
download-inode /dev/sda1 13 ext4-small.out
download-inode /dev/sda1 15 ext4-kept.out
download-inode /dev/sda1 14 ext4-dir.out
download-inode /dev/sda1 16 ext4-gone.out
download-inode /dev/sda2 64 ntfs-big.out
download-inode /dev/sda2 65 ntfs-small.out
! md5sum ext4-big.out ext4-small.out ext4-kept.out ext4-gone.out ntfs-big.out ntfs-small.out ntfs-big.orig; wc -c ext4-dir.out
! cat ntfs-small.out; cmp ntfs-big.orig ntfs-big.out && echo deleted NTFS file recovered
download-blocks /dev/sda1 0 8191 ext4-all.out
download-blocks /dev/sda1 0 8191 ext4-unallocated.out unallocated:true
download-blocks /dev/sda1 1000 1010 ext4-some.out
download-blocks /dev/sda2 0 1000000 ntfs-unallocated.out unallocated:true
! wc -c ext4-all.out ext4-unallocated.out ext4-some.out ntfs-unallocated.out; grep -c deleted! ext4-unallocated.out
# the same bytes as the host's tools give for a copy of the filesystems
download /dev/sda1 ext4.img
download /dev/sda2 ntfs.img
! for i in 12 13 14 15 16; do icat -r ext4.img $i | cmp - ext4-$(case $i in 12) echo big;; 13) echo small;; 14) echo dir;; 15) echo kept;; 16) echo gone;; esac).out && echo inode $i: same; done
! icat -r ntfs.img 64 | cmp - ntfs-big.out && echo ntfs inode 64: same
! blkls -e ext4.img 0-8191 | cmp - ext4-all.out && echo all blocks: same
! blkls ext4.img 0-8191 | cmp - ext4-unallocated.out && echo unallocated blocks: same
! blkls -e ext4.img 1000-1010 | cmp - ext4-some.out && echo blocks 1000-1010: same
! blkls ntfs.img 0-1000000 | cmp - ntfs-unallocated.out && echo ntfs unallocated blocks: same
-download-inode /dev/sda1 -1 x.out
-download-blocks /dev/sda1 -1 10 x.out
-download-blocks /dev/sda1 10 10 x.out
-download-blocks /dev/sda1 10 9 x.out
