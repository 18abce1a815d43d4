# disks: 100M
# Augeas through the daemon's one handle: edits of /etc/hosts, /etc/fstab,
# /etc/ssh/sshd_config and /etc/default/grub read back with cat; listings,
# variables and tree edits; upstream's errors (before aug-init, after
# aug-close, bad paths, too many matches, a save the lens cannot write).
-aug-get /files/etc/hosts
-aug-close
-aug-ls /
-aug-save
mkfs ext4 /dev/sda
mount /dev/sda /
mkdir-p /etc/ssh
mkdir-p /etc/default
write /etc/hosts "127.0.0.1 localhost\n::1 localhost ip6-localhost\n"
write /etc/fstab "UUID=abcd / ext4 errors=remount-ro 0 1\n/dev/sdb1 none swap sw 0 0\n"
write /etc/default/grub "GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n"
write /etc/ssh/sshd_config "# comment\nPermitRootLogin no\nPort 22\n"
aug-init / 0
aug-match /files/etc/hosts/*
aug-match /files/etc/fstab/*/file
aug-ls /files/etc/hosts/2
aug-ls /files/etc/default/grub
aug-get /files/etc/hosts/1/ipaddr
aug-get /files/etc/ssh/sshd_config/PermitRootLogin
aug-label /files/etc/hosts/1
aug-label /files/etc/hosts/1/canonical
-aug-get /files/etc/hosts/*/ipaddr
-aug-get /files/etc/nope
-aug-get /files/etc/hosts/[
-aug-match /files/etc/hosts[
-aug-set /files/etc/hosts/*/ipaddr 10.0.0.1
-aug-insert /files/etc/hosts/* 5 true
-aug-ls /files/etc/hosts/
-aug-ls /files/etc/hosts]
-aug-ls /files/etc/hosts*
-aug-label /files/nope
-aug-mv /files/etc/hosts/* /files/etc/x
-aug-rm /files/etc/hosts/[
-aug-defvar v /files/etc/hosts/[
-aug-defnode n /files/etc/hosts/* x
-aug-setm /files/etc/hosts/[ alias x
-aug-clear /files/etc/hosts/*
# the four files
aug-set /files/etc/hosts/1/ipaddr 10.0.0.1
aug-defnode n /files/etc/hosts/3/ipaddr 192.168.1.10
aug-defnode n /files/etc/hosts/3/ipaddr 192.168.1.11
aug-set /files/etc/hosts/3/canonical server
aug-set /files/etc/fstab/1/opt[1]/value remount-rw
aug-set /files/etc/fstab/01/spec /dev/sdc1
aug-set /files/etc/fstab/01/file /data
aug-set /files/etc/fstab/01/vfstype xfs
aug-set /files/etc/fstab/01/opt defaults
aug-set /files/etc/fstab/01/dump 0
aug-set /files/etc/fstab/01/passno 2
aug-set /files/etc/ssh/sshd_config/PermitRootLogin yes
aug-set /files/etc/ssh/sshd_config/PasswordAuthentication no
aug-set /files/etc/default/grub/GRUB_TIMEOUT 10
aug-set /files/etc/default/grub/GRUB_CMDLINE_LINUX_DEFAULT "\"quiet splash\""
aug-rm /files/etc/default/grub/GRUB_DEFAULT
# variables and tree edits
aug-defvar h /files/etc/hosts/*
aug-match $h/ipaddr
aug-defvar h ""
aug-insert /files/etc/hosts/1 0 true
aug-label /files/etc/hosts/*[1]
aug-rm /files/etc/hosts/0
aug-setm /files/etc/hosts/* alias[last()+1] x
aug-setm /files/etc/hosts/*/ipaddr[.='::1'] "" ::2
aug-clear /files/etc/hosts/1/alias
-aug-get /files/etc/hosts/1/alias
aug-set /files/etc/hosts/1/alias lh
aug-mv /files/etc/hosts/3/alias /files/etc/hosts/2/alias[last()+1]
aug-save
cat /etc/hosts
cat /etc/fstab
cat /etc/ssh/sshd_config
cat /etc/default/grub
# a tree the lens cannot write: the save fails, the details are under /augeas
aug-rm /files/etc/hosts/1/canonical
-aug-save
aug-get /augeas/files/etc/hosts/error
aug-ls /augeas/files/etc/hosts/error
aug-get /augeas/files/etc/hosts/error/path
cat /etc/hosts
# another lens for a file, loaded on demand; the save flags
aug-init / 96
aug-match /files//*
write /etc/custom.conf "a=1\nb=2\n"
aug-transform Shellvars /etc/custom.conf
aug-load
aug-get /files/etc/custom.conf/b
aug-set /files/etc/custom.conf/a 3
aug-save
cat /etc/custom.conf
aug-transform Shellvars /etc/custom.conf remove:true
aug-match /augeas/load/Shellvars/*
aug-init / 66
aug-transform Sshd /etc/ssh/sshd_config
aug-load
aug-set /files/etc/ssh/sshd_config/Port 2222
aug-save
cat /etc/ssh/sshd_config.augnew
aug-close
-aug-close
-aug-match /files
-aug-init relative 0
aug-init /etc 64
aug-match /augeas/root
aug-get /augeas/root
aug-close
umount-all
