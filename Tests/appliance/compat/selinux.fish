# disks: 64M
# reference-packages: rsync policycoreutils grub-pc-bin
# needs: supermin rsync setfiles syslinux extlinux grub-install /usr/lib/grub/i386-pc/modinfo.sh
# getcon/setcon with no policy loaded (the kernel's AppArmor answers), and
# selinux_relabel with a guest's hand-written file_contexts: labels read
# back, a label kept unless forced, /dev never relabelled, a missing
# specfile (Debian's reference appliance lacks setfiles: the reference here
# is it plus rsync, policycoreutils and grub-pc-bin).
feature-available "selinux selinuxrelabel"
available "selinux selinuxrelabel"
getcon
-setcon unconfined_u:unconfined_r:unconfined_t:s0
mkfs ext4 /dev/sda
mount /dev/sda /
mkdir-p /etc/selinux/targeted/contexts/files
write /etc/selinux/targeted/contexts/files/file_contexts "/.*\t\tsystem_u:object_r:default_t:s0\n/\t\tsystem_u:object_r:root_t:s0\n/bin(/.*)?\tsystem_u:object_r:bin_t:s0\n/etc(/.*)?\tsystem_u:object_r:etc_t:s0\n/home(/.*)?\tunconfined_u:object_r:user_home_t:s0\n/tmp\t-d\tsystem_u:object_r:tmp_t:s0\n/etc/passwd\t--\tsystem_u:object_r:passwd_file_t:s0\n"
mkdir-p /bin
mkdir-p /home/u
mkdir-p /tmp
mkdir-p /var/x
mkdir-p /dev
write /bin/ls ELF
write /etc/passwd "root:x:0:0::/root:/bin/sh\n"
write /home/u/notes n
write /dev/node ""
ln-s /bin/ls /bin/sh
lsetxattr security.selinux unconfined_u:object_r:bin_t:s0 30 /bin/ls
selinux-relabel /etc/selinux/targeted/contexts/files/file_contexts /
lgetxattr / security.selinux
lgetxattr /bin security.selinux
lgetxattr /bin/ls security.selinux
lgetxattr /bin/sh security.selinux
lgetxattr /etc/passwd security.selinux
lgetxattr /etc/selinux security.selinux
lgetxattr /home/u/notes security.selinux
lgetxattr /tmp security.selinux
lgetxattr /var/x security.selinux
lgetxattr /lost+found security.selinux
-lgetxattr /dev security.selinux
-lgetxattr /dev/node security.selinux
selinux-relabel /etc/selinux/targeted/contexts/files/file_contexts /bin force:true
lgetxattr /bin/ls security.selinux
-selinux-relabel /etc/selinux/none/file_contexts /
-selinux-relabel /etc/selinux/targeted/contexts/files/file_contexts /missing
-selinux-relabel relative /
