# disks: 200M
# NTFS with the ntfs-3g tools: probe, fix, resize, clone out and back in,
# ntfscat by inode, and the error cases (a download whose tool fails at
# once is cancelled by upstream and answered with the tool's message by ours:
# those are in NtfsTests).
feature-available ntfs3g
feature-available ntfsprogs
part-disk /dev/sda mbr
mkfs ntfs /dev/sda1
ntfs-3g-probe true /dev/sda1
ntfs-3g-probe false /dev/sda1
ntfs-3g-probe true /dev/sda
mount /dev/sda1 /
write /hello "hello from ntfs\n"
mkdir /dir
umount-all
ntfscat-i /dev/sda1 7 boot.out
ntfsfix /dev/sda1
ntfsfix /dev/sda1 clearbadsectors:true
ntfsresize /dev/sda1 size:100000000 force:true
vfs-minimum-size /dev/sda1
ntfsresize /dev/sda1 force:true
# after a resize the volume is marked for a check: only force goes on
-ntfsresize-size /dev/sda1 150000000
-ntfsresize /dev/sda1 size:1000000000000 force:true
-ntfsfix /dev/sda
# (without force ntfsclone refuses the volume marked for a check: upstream
# then cancels the download, ours answers ntfsclone's message instead)
ntfsclone-out /dev/sda1 img.ntfsclone force:true
ntfsclone-out /dev/sda1 meta.ntfsclone metadataonly:true force:true
zero-device /dev/sda1
vfs-type /dev/sda1
ntfsclone-in img.ntfsclone /dev/sda1
vfs-type /dev/sda1
mount /dev/sda1 /
cat /hello
ls /
umount-all
-ntfs-3g-probe true /dev/sdz
