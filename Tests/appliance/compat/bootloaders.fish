# disks: 64M 32M
# reference-packages: rsync policycoreutils grub-pc-bin
# needs: supermin rsync setfiles syslinux extlinux grub-install /usr/lib/grub/i386-pc/modinfo.sh
# SYSLINUX on a whole-device FAT (boot sector bytes, ldlinux files, the
# directory optarg), EXTLINUX on a mounted ext4 partition, grub-install on
# an MBR disk (boot code and embedded core image). Debian's reference
# appliance lacks grub-pc-bin, so its grub_install fails ("grub-install:
# error: /usr/lib/grub/i386-pc/modinfo.sh doesn't exist. Please specify
# --target or --directory."): the reference here is it plus grub-pc-bin
# (and rsync and policycoreutils, for one reference for the three scripts).
feature-available "syslinux extlinux grub"
available "syslinux extlinux grub"
mkfs vfat /dev/sdb
syslinux /dev/sdb
pread-device /dev/sdb 8 3
pread-device /dev/sdb 2 510
mount /dev/sdb /
ls /
filesize /ldlinux.c32
checksum sha256 /ldlinux.c32
filesize /ldlinux.sys
mkdir-p /boot/syslinux
umount-all
syslinux /dev/sdb directory:/boot/syslinux
mount /dev/sdb /
ls /boot/syslinux
checksum sha256 /boot/syslinux/ldlinux.c32
umount-all
-syslinux /dev/sda
-syslinux /dev/sdb directory:/no/such/dir
part-init /dev/sda mbr
part-add /dev/sda p 2048 -1
part-set-bootable /dev/sda 1 true
mkfs ext4 /dev/sda1
mount /dev/sda1 /
mkdir-p /boot/extlinux
extlinux /boot/extlinux
ls /boot/extlinux
checksum sha256 /boot/extlinux/ldlinux.c32
pread-device /dev/sda1 8 3
pread-device /dev/sda1 2 510
-extlinux /missing
grub-install / /dev/sda
ls /boot/grub
is-file /boot/grub/i386-pc/core.img
is-file /boot/grub/i386-pc/normal.mod
checksum sha256 /boot/grub/i386-pc/boot.img
pread-device /dev/sda 5 384
pread-device /dev/sda 2 510
-grub-install /nowhere /dev/sda
