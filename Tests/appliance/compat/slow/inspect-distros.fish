# disks: 200M
# Inspection of many systems on one GPT disk (small ext2 trees): the RHEL
# family by release files, old Ubuntu by lsb-release, SLES, FreeBSD, NetBSD,
# OpenBSD (which upstream 1.48 reports as freebsd), Hurd, Minix, FreeDOS,
# Arch, CoreOS root + /usr (which reorders the roots), openSUSE; hostnames
# from each system's own file.
# Not in the CI run (the reference takes about 9 minutes under TCG): run it
# by hand with scripts/compat Tests/appliance/compat/slow/inspect-distros.fish
part-init /dev/sda gpt
part-add /dev/sda p 2048 26623
part-add /dev/sda p 26624 51199
part-add /dev/sda p 51200 75775
part-add /dev/sda p 75776 100351
part-add /dev/sda p 100352 124927
part-add /dev/sda p 124928 149503
part-add /dev/sda p 149504 174079
part-add /dev/sda p 174080 198655
part-add /dev/sda p 198656 223231
part-add /dev/sda p 223232 247807
part-add /dev/sda p 247808 272383
part-add /dev/sda p 272384 296959
part-add /dev/sda p 296960 321535
part-add /dev/sda p 321536 346111
mkfs ext2 /dev/sda1
mkfs ext2 /dev/sda2
mkfs ext2 /dev/sda3
mkfs ext2 /dev/sda4
mkfs ext2 /dev/sda5
mkfs ext2 /dev/sda6
mkfs ext2 /dev/sda7
mkfs ext2 /dev/sda8
mkfs ext2 /dev/sda9
mkfs vfat /dev/sda10
mkfs ext2 /dev/sda11
mkfs ext2 /dev/sda12
mkfs ext2 /dev/sda13
mkfs ext2 /dev/sda14
mount /dev/sda1 /
mkdir-p /bin
mkdir-p /etc
write /etc/os-release "ID=\"centos\"\nVERSION_ID=\"7\"\nPRETTY_NAME=\"CentOS Linux 7 (Core)\"\n"
write /etc/centos-release "CentOS Linux release 7.9.2009 (Core)\n"
write /etc/redhat-release "CentOS Linux release 7.9.2009 (Core)\n"
write /etc/fstab "/dev/sda1 / ext2 defaults 0 0\n"
mkdir-p /etc/sysconfig
write /etc/sysconfig/network "NETWORKING=yes\nHOSTNAME=\"c7.example\"\n"
umount-all
mount /dev/sda2 /
mkdir-p /bin
mkdir-p /etc
write /etc/redhat-release "Red Hat Enterprise Linux Server release 6.10 (Santiago)\n"
write /etc/fstab ""
write /etc/HOSTNAME "rhel6\n"
write /etc/hostname "ignored\n"
umount-all
mount /dev/sda3 /
mkdir-p /bin
mkdir-p /etc
write /etc/lsb-release "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=10.04\nDISTRIB_CODENAME=lucid\nDISTRIB_DESCRIPTION=\"Ubuntu 10.04.1 LTS\"\n"
write /etc/debian_version "squeeze/sid\n"
write /etc/hosts "127.0.0.1 localhost\n"
umount-all
mount /dev/sda4 /
mkdir-p /bin
mkdir-p /etc
write /etc/SuSE-release "SUSE Linux Enterprise Server 11 (x86_64)\nVERSION = 11\nPATCHLEVEL = 4\n"
write /etc/fstab "/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_drive0-part4 / ext2 defaults 0 0\n"
umount-all
mount /dev/sda5 /
mkdir-p /bin
mkdir-p /etc
write /etc/freebsd-update.conf ""
write /etc/fstab "# Device Mountpoint FStype Options Dump Pass\n/dev/ada0p2 / ufs rw 1 1\n/dev/ada0p3 none swap sw 0 0\n/dev/ada0s1e /var ufs rw 2 2\n/dev/vtbd1p1 /data ufs rw 2 2\n"
write /etc/motd "FreeBSD 13.2-RELEASE releng/13.2-n254617-525ecfdad597 GENERIC\n\nWelcome to FreeBSD!\n"
write /etc/rc.conf "sshd_enable=\"YES\"\nhostname=\"fbsd.example\"\n"
umount-all
mount /dev/sda6 /
mkdir-p /bin
write /netbsd ""
mkdir-p /etc
write /etc/release "NetBSD 9.3 (GENERIC) #0: Thu Aug  4 15:30:37 UTC 2022\n"
write /etc/fstab "/dev/wd0a / ffs rw 1 1\n/dev/sd1f /data ffs rw 1 2\n/dev/ld0e /home ffs rw 1 2\n"
write /etc/rc.conf "hostname=nbsd\n"
umount-all
mount /dev/sda7 /
mkdir-p /bin
write /bsd ""
mkdir-p /etc
write /etc/motd "OpenBSD 7.3 (GENERIC) #1072: Sat Mar 25 10:25:16 MDT 2023\n"
write /etc/fstab "0123456789abcdef.a / ffs rw 1 1\n0123456789abcdef.d /usr ffs rw,nodev 1 2\n/dev/sd0e /home ffs rw 1 2\n"
write /etc/myname "obsd.example\n"
umount-all
mount /dev/sda8 /
mkdir-p /etc
mkdir-p /hurd
write /hurd/console ""
write /hurd/hello ""
write /hurd/null ""
mkdir-p /etc
write /etc/debian_version "12.0\n"
write /etc/fstab "/dev/hd0s8 / ext2 defaults 0 1\n/dev/hd0s2 /home ext2 defaults 0 2\n"
write /etc/hostname "hurd\n"
umount-all
mount /dev/sda9 /
mkdir-p /bin
mkdir-p /service
write /service/vm ""
mkdir-p /etc
write /etc/fstab "/dev/c0d0p0s0 / mfs rw 0 1\n"
write /etc/version "3.4.0 (r0)\n"
write /etc/hostname.file "minix\n"
umount-all
mount /dev/sda10 /
mkdir-p /FDOS
write /FDOS/FREEDOS.BSS ""
umount-all
mount /dev/sda11 /
mkdir-p /bin
mkdir-p /etc
write /etc/os-release "NAME=\"Arch Linux\"\nPRETTY_NAME=\"Arch Linux\"\nID=arch\nBUILD_ID=rolling\n"
write /etc/fstab ""
write /etc/hostname "archy\n"
umount-all
mount /dev/sda12 /
mkdir-p /root
mkdir-p /home
mkdir-p /usr
mkdir-p /etc/coreos
write /etc/coreos/update.conf "GROUP=stable\n"
mkdir-p /etc
write /etc/hostname "core1\n"
umount-all
mount /dev/sda13 /
mkdir-p /bin
mkdir-p /share/coreos
mkdir-p /local
mkdir-p /lib
write /lib/os-release "NAME=CoreOS\nID=coreos\nVERSION_ID=766.4.0\nPRETTY_NAME=\"CoreOS 766.4.0\"\n"
umount-all
mount /dev/sda14 /
mkdir-p /bin
mkdir-p /etc
write /etc/os-release "NAME=\"openSUSE Leap\"\nVERSION=\"15.5\"\nID=\"opensuse-leap\"\nVERSION_ID=\"15.5\"\nPRETTY_NAME=\"openSUSE Leap 15.5\"\n"
write /etc/fstab "UUID=0000 / ext2 defaults 0 0\n"
umount-all
inspect-os
inspect-get-type /dev/sda1
inspect-get-distro /dev/sda1
inspect-get-product-name /dev/sda1
inspect-get-major-version /dev/sda1
inspect-get-minor-version /dev/sda1
inspect-get-hostname /dev/sda1
inspect-get-package-format /dev/sda1
inspect-get-package-management /dev/sda1
inspect-get-mountpoints /dev/sda1
inspect-get-filesystems /dev/sda1
inspect-get-type /dev/sda2
inspect-get-distro /dev/sda2
inspect-get-product-name /dev/sda2
inspect-get-major-version /dev/sda2
inspect-get-minor-version /dev/sda2
inspect-get-hostname /dev/sda2
inspect-get-package-format /dev/sda2
inspect-get-package-management /dev/sda2
inspect-get-mountpoints /dev/sda2
inspect-get-filesystems /dev/sda2
inspect-get-type /dev/sda3
inspect-get-distro /dev/sda3
inspect-get-product-name /dev/sda3
inspect-get-major-version /dev/sda3
inspect-get-minor-version /dev/sda3
inspect-get-hostname /dev/sda3
inspect-get-package-format /dev/sda3
inspect-get-package-management /dev/sda3
inspect-get-mountpoints /dev/sda3
inspect-get-filesystems /dev/sda3
inspect-get-type /dev/sda4
inspect-get-distro /dev/sda4
inspect-get-product-name /dev/sda4
inspect-get-major-version /dev/sda4
inspect-get-minor-version /dev/sda4
inspect-get-hostname /dev/sda4
inspect-get-package-format /dev/sda4
inspect-get-package-management /dev/sda4
inspect-get-mountpoints /dev/sda4
inspect-get-filesystems /dev/sda4
inspect-get-type /dev/sda5
inspect-get-distro /dev/sda5
inspect-get-product-name /dev/sda5
inspect-get-major-version /dev/sda5
inspect-get-minor-version /dev/sda5
inspect-get-hostname /dev/sda5
inspect-get-package-format /dev/sda5
inspect-get-package-management /dev/sda5
inspect-get-mountpoints /dev/sda5
inspect-get-filesystems /dev/sda5
inspect-get-type /dev/sda6
inspect-get-distro /dev/sda6
inspect-get-product-name /dev/sda6
inspect-get-major-version /dev/sda6
inspect-get-minor-version /dev/sda6
inspect-get-hostname /dev/sda6
inspect-get-package-format /dev/sda6
inspect-get-package-management /dev/sda6
inspect-get-mountpoints /dev/sda6
inspect-get-filesystems /dev/sda6
inspect-get-type /dev/sda7
inspect-get-distro /dev/sda7
inspect-get-product-name /dev/sda7
inspect-get-major-version /dev/sda7
inspect-get-minor-version /dev/sda7
inspect-get-hostname /dev/sda7
inspect-get-package-format /dev/sda7
inspect-get-package-management /dev/sda7
inspect-get-mountpoints /dev/sda7
inspect-get-filesystems /dev/sda7
inspect-get-type /dev/sda8
inspect-get-distro /dev/sda8
inspect-get-product-name /dev/sda8
inspect-get-major-version /dev/sda8
inspect-get-minor-version /dev/sda8
inspect-get-hostname /dev/sda8
inspect-get-package-format /dev/sda8
inspect-get-package-management /dev/sda8
inspect-get-mountpoints /dev/sda8
inspect-get-filesystems /dev/sda8
inspect-get-type /dev/sda9
inspect-get-distro /dev/sda9
inspect-get-product-name /dev/sda9
inspect-get-major-version /dev/sda9
inspect-get-minor-version /dev/sda9
inspect-get-hostname /dev/sda9
inspect-get-package-format /dev/sda9
inspect-get-package-management /dev/sda9
inspect-get-mountpoints /dev/sda9
inspect-get-filesystems /dev/sda9
inspect-get-type /dev/sda10
inspect-get-distro /dev/sda10
inspect-get-product-name /dev/sda10
inspect-get-major-version /dev/sda10
inspect-get-minor-version /dev/sda10
inspect-get-hostname /dev/sda10
inspect-get-package-format /dev/sda10
inspect-get-package-management /dev/sda10
inspect-get-mountpoints /dev/sda10
inspect-get-filesystems /dev/sda10
inspect-get-type /dev/sda11
inspect-get-distro /dev/sda11
inspect-get-product-name /dev/sda11
inspect-get-major-version /dev/sda11
inspect-get-minor-version /dev/sda11
inspect-get-hostname /dev/sda11
inspect-get-package-format /dev/sda11
inspect-get-package-management /dev/sda11
inspect-get-mountpoints /dev/sda11
inspect-get-filesystems /dev/sda11
inspect-get-type /dev/sda12
inspect-get-distro /dev/sda12
inspect-get-product-name /dev/sda12
inspect-get-major-version /dev/sda12
inspect-get-minor-version /dev/sda12
inspect-get-hostname /dev/sda12
inspect-get-package-format /dev/sda12
inspect-get-package-management /dev/sda12
inspect-get-mountpoints /dev/sda12
inspect-get-filesystems /dev/sda12
inspect-get-type /dev/sda14
inspect-get-distro /dev/sda14
inspect-get-product-name /dev/sda14
inspect-get-major-version /dev/sda14
inspect-get-minor-version /dev/sda14
inspect-get-hostname /dev/sda14
inspect-get-package-format /dev/sda14
inspect-get-package-management /dev/sda14
inspect-get-mountpoints /dev/sda14
inspect-get-filesystems /dev/sda14
-inspect-get-type /dev/sda13
