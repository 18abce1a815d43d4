# disks: 32M
# scrub(1) on a file (through a symlink, then removed), on free space (the
# fill directory is removed) and on a whole device (its signature left at
# sector 0, a second scrub refused), and the errors of each call.
feature-available scrub
available scrub
mkfs ext4 /dev/sda
mount /dev/sda /
write /secret "SECRET-SECRET-SECRET"
write /keep "kept"
ln-s /secret /link
scrub-file /link
exists /secret
is-symlink /link
cat /keep
-scrub-file /missing
-scrub-file /link
mkdir /d
-scrub-file /d
scrub-freespace /fill
ls /
cat /keep
-scrub-freespace /d
umount-all
scrub-device /dev/sda
pread-device /dev/sda 16 0
-scrub-device /dev/sda
-mount /dev/sda /
