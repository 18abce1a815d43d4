#!/usr/bin/env bash
# md arrays with a member wiped are assembled at boot, degraded, and their
# data is still readable: a RAID1 over two disks and a RAID5 over three
# are made and written, one member of each is zeroed, and after a relaunch
# /init has started both arrays on the remaining members.
# (Upstream's appliance runs `mdadm -As --no-degraded` first, which leaves
# such arrays assembled but inactive, members shown as spares, and the
# later `mdadm -As --run` does not start them: its mounts fail. Ours runs
# them, as the comment in upstream's init intends.)
source "$(dirname "$0")/lib.sh"

for i in 1 2 3 4 5; do truncate -s 32M "$TMP/d$i.img"; done
drives=()
for i in 1 2 3 4 5; do drives+=("add-drive $TMP/d$i.img format:raw"); done
{
    printf '%s\n' "${drives[@]}"
    echo run
    echo 'md-create r1 "/dev/sda /dev/sdb"'
    echo 'md-create /dev/md5 "/dev/sdc /dev/sdd /dev/sde" level:raid5'
    echo 'mkfs ext4 /dev/md127'
    echo 'mkfs ext4 /dev/md5'
    echo 'mount /dev/md127 /'
    echo 'write /raid1 "mirrored on two disks"'
    echo 'umount /'
    echo 'mount /dev/md5 /'
    echo 'fill-pattern "parity!" 4000000 /raid5'
    echo 'checksum md5 /raid5'
    echo 'umount /'
    echo 'md-stop /dev/md127'
    echo 'md-stop /dev/md5'
    echo 'zero-device /dev/sdb'
    echo 'zero-device /dev/sdd'
    echo 'shutdown'
    printf '%s\n' "${drives[@]}"
    echo run
    echo 'echo ---'
    echo 'list-md-devices'
    echo 'md-stat /dev/md127'
    echo 'md-stat /dev/md5'
    echo 'mount-ro /dev/md127 /'
    echo 'cat /raid1'
    echo 'umount /'
    echo 'mount-ro /dev/md5 /'
    echo 'checksum md5 /raid5'
} >"$TMP/script"

if ! ours_fish -f "$TMP/script"; then
    show_out; fail "the degraded arrays were not usable after a relaunch"
fi
want=$(sed -n '1p' "$TMP/out")   # the checksum written before the wipe
after=$(sed -n '/^---$/,$p' "$TMP/out")
grep -qx /dev/md5 <<<"$after" && grep -qx /dev/md127 <<<"$after" \
    || { show_out; fail "list-md-devices does not list both arrays after boot"; }
[[ $(grep -c 'mdstat_device:' <<<"$after") == 3 ]] \
    || { show_out; fail "md-stat does not show 1 + 2 remaining members"; }
grep -q 'mdstat_device: /dev/sdb' <<<"$after" && { show_out; fail "the wiped member /dev/sdb is in an array"; }
grep -qx 'mirrored on two disks' <<<"$after" || { show_out; fail "the RAID1 file is not readable"; }
[[ $want =~ ^[0-9a-f]{32}$ && $(tail -n1 <<<"$after") == "$want" ]] \
    || { show_out; fail "the RAID5 file's checksum changed (before: $want)"; }
pass "degraded RAID1 and RAID5 assembled at boot and readable"
