# disks: 300M 100M
# Inspection: a Debian-like root with a Grub /boot, a Fedora-like root on
# an LV (usr-merged /bin), an Alpine root on a second disk, swap; fstab
# names of every kind (LABEL, UUID, /dev/mapper, /dev/VG/LV, /dev/vdX,
# /dev/xvdX, by-id, md, cciss, btrfs subvol, PARTUUID, pseudo filesystems).
# No binaries in the trees: the architecture is "unknown" on both sides.
part-init /dev/sda mbr
part-add /dev/sda p 2048 206847
part-add /dev/sda p 206848 264191
part-add /dev/sda p 264192 -2048
part-disk /dev/sdb mbr
mkfs ext4 /dev/sda1 label:ROOTFS
mkfs ext4 /dev/sda2 label:BOOT
pvcreate /dev/sda3
vgcreate vg /dev/sda3
lvcreate root vg 64
lvcreate home vg 32
mkfs ext4 /dev/vg/root
mkfs ext4 /dev/vg/home
mkfs ext2 /dev/sdb1
# /boot
mount /dev/sda2 /
mkdir-p /grub
write /grub/grub.cfg "set default=0\n"
umount-all
# Debian
mount /dev/sda1 /
mkdir-p /etc
mkdir-p /bin
write /etc/os-release "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nID=debian\n"
write /etc/debian_version "12.4\n"
write /etc/hostname "# the name\n\nbookworm.example\n"
write /etc/fstab "# /etc/fstab\nLABEL=ROOTFS / ext4 errors=remount-ro 0 1\nLABEL=BOOT /boot ext4 defaults 0 2\nUUID=00000000-dead-beef-0000-000000000000 /gone ext4 defaults 0 2\nPARTUUID=1234abcd-01 /p ext4 defaults 0 0\n/dev/vg/home /home ext4 defaults 0 2\n/dev/mapper/vg-home /home2 ext4 defaults 0 2\n/dev/mapper/nothere-lv /x ext4 defaults 0 2\n/dev/vda5 none swap sw 0 0\n/dev/xvdb1 /srv ext2 defaults 0 2\n/dev/sdb1 /data btrfs defaults,subvol=@data,compress=zstd 0 0\n/dev/disk/by-id/ata-QEMU_HARDDISK_QM00001-part1 /byid ext4 defaults 0 0\n/dev/md0 /raid ext4 defaults 0 0\n/dev/cciss/c0d0p1 /cc ext4 defaults 0 0\n/dev/sda1 ///usr//local// ext4 defaults 0 0\ntmpfs /tmp tmpfs defaults 0 0\nproc /proc proc defaults 0 0\n/dev/sr0 /media/cdrom0 udf,iso9660 user,noauto 0 0\n/dev/fd0 /floppy auto noauto 0 0\n"
umount-all
# Fedora on an LV
mount /dev/vg/root /
mkdir-p /usr/bin
ln-s usr/bin /bin
mkdir-p /etc
write /usr/bin/dnf-3 "#!/usr/bin/python3\n"
ln-s dnf-3 /usr/bin/dnf
write /etc/os-release "NAME=\"Fedora Linux\"\nVERSION=\"38 (Server Edition)\"\nID=fedora\nVERSION_ID=38\nPRETTY_NAME=\"Fedora Linux 38 (Server Edition)\"\n"
write /etc/redhat-release "Fedora release 38 (Thirty Eight)\n"
write /etc/sysconfig-not-used ""
write /etc/hostname "fedora.example\n"
write /etc/fstab "/dev/mapper/vg-root / ext4 defaults 1 1\nLABEL=BOOT /boot ext4 defaults 1 2\n/dev/vg/home /home ext4 defaults 1 2\n"
umount-all
# Alpine on the second disk
mount /dev/sdb1 /
mkdir-p /etc
mkdir-p /bin
write /etc/alpine-release "3.18.4\n"
write /etc/os-release "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.18.4\nPRETTY_NAME=\"Alpine Linux v3.18\"\n"
write /etc/hosts "127.0.0.1 localhost\n"
write /etc/hostname "alpine\n"
umount-all
# Something mounted before inspection is unmounted by it.
mount-ro /dev/sda1 /
inspect-os
mounts
inspect-get-roots
inspect-get-type /dev/sda1
inspect-get-distro /dev/sda1
inspect-get-product-name /dev/sda1
inspect-get-product-variant /dev/sda1
inspect-get-major-version /dev/sda1
inspect-get-minor-version /dev/sda1
inspect-get-arch /dev/sda1
inspect-get-hostname /dev/sda1
inspect-get-package-format /dev/sda1
inspect-get-package-management /dev/sda1
inspect-get-format /dev/sda1
inspect-is-live /dev/sda1
inspect-is-netinst /dev/sda1
inspect-is-multipart /dev/sda1
inspect-get-mountpoints /dev/sda1
inspect-get-filesystems /dev/sda1
inspect-get-drive-mappings /dev/sda1
-inspect-get-windows-systemroot /dev/sda1
-inspect-get-windows-software-hive /dev/sda1
-inspect-get-windows-system-hive /dev/sda1
-inspect-get-windows-current-control-set /dev/sda1
inspect-get-type /dev/vg/root
inspect-get-distro /dev/vg/root
inspect-get-product-name /dev/vg/root
inspect-get-major-version /dev/vg/root
inspect-get-minor-version /dev/vg/root
inspect-get-hostname /dev/vg/root
inspect-get-package-format /dev/vg/root
inspect-get-package-management /dev/vg/root
inspect-get-mountpoints /dev/vg/root
inspect-get-filesystems /dev/vg/root
inspect-get-distro /dev/sdb1
inspect-get-product-name /dev/sdb1
inspect-get-major-version /dev/sdb1
inspect-get-minor-version /dev/sdb1
inspect-get-hostname /dev/sdb1
inspect-get-package-management /dev/sdb1
inspect-get-mountpoints /dev/sdb1
inspect-get-filesystems /dev/sdb1
-inspect-get-type /dev/vg/home
inspect-os
mounts
