# disks: 64M
# reference-packages: rsync policycoreutils grub-pc-bin
# needs: supermin rsync setfiles syslinux extlinux grub-install /usr/lib/grub/i386-pc/modinfo.sh
# rsync between guest directories with each optarg (Debian's reference
# appliance lacks rsync: the reference here is it plus rsync, setfiles and
# grub-pc-bin, as for selinux.fish and bootloaders.fish), and
# rsync_in/rsync_out without the network: rsync's own connect error. A
# source through a relative symlink (an absolute one differs on purpose:
# upstream follows it into the appliance's root, ours inside the guest).
feature-available rsync
available rsync
mkfs ext4 /dev/sda
mount /dev/sda /
mkdir-p /src/sub
write /src/a "hello rsync\n"
fill-pattern "rsync-pattern-" 70000 /src/sub/blob
chmod 0751 /src/sub/blob
ln-s a /src/link
mkdir /plain
rsync /src /plain
ls /plain
mkdir /dst
rsync /src /dst archive:true
ls /dst/src
checksum sha256 /dst/src/sub/blob
readlink /dst/src/link
stat /dst/src/sub/blob
rsync /src /dst/new
exists /dst/new
mkdir /mirror
write /mirror/stale old
rsync /src/ /mirror archive:true
ls /mirror
rsync /src/ /mirror archive:true deletedest:true
ls /mirror
cat /mirror/a
ln-s src /rel
rsync /rel/ /viaLink archive:true
ls /viaLink
-rsync /missing /dst
-rsync relative /dst
-rsync /src relative
-rsync-in rsync://10.0.2.2/m/ /dst archive:true
-rsync-out /src rsync://10.0.2.2/m/
