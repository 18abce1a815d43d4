#!/usr/bin/env bash
# list_filesystems on Windows dynamic disks (Tests/guests/make-ldm-disks)
# lists the volumes' filesystems (/dev/mapper/ldm_vol_*, mapped at boot)
# and not the partitions the kernel makes for each disk's LDM extents:
# those are members of the disk group (upstream means to skip them, see
# RHBZ#887520, but its list_filesystems fails on these disks instead).
# A basic disk beside them is listed as usual.
source "$(dirname "$0")/lib.sh"

"$PY" "$ROOT/Tests/guests/make-ldm-disks" "$TMP/d1.img" "$TMP/d2.img" 32 || fail "make-ldm-disks failed"
truncate -s 32M "$TMP/plain.img"
v=/dev/mapper/ldm_vol_LdmTest-Dg0_Volume
if ! ours_fish --format=raw -a "$TMP/d1.img" -a "$TMP/d2.img" -a "$TMP/plain.img" run : \
        mkfs ext4 ${v}1 : mkfs vfat ${v}3 : part-disk /dev/sdc mbr : mkfs vfat /dev/sdc1 : \
        echo PARTS : list-partitions : echo FILESYSTEMS : list-filesystems; then
    show_out; fail "guestfish failed"
fi
parts=$(sed -n '/^PARTS$/,/^FILESYSTEMS$/p' "$TMP/out")
fss=$(sed '1,/^FILESYSTEMS$/d' "$TMP/out")
# the kernel did parse the LDM database (else this test proves nothing)
[[ $parts == *"/dev/sda3"* && $parts == *"/dev/sdb2"* ]] || { show_out; fail "no LDM partitions from the kernel"; }
want="${v}1: ext4
${v}2: unknown
${v}3: vfat
/dev/sdc1: vfat"
[[ $fss == "$want" ]] || { show_out; fail "list-filesystems: expected:
$want"; }
pass "list-filesystems shows the LDM volumes, not their member partitions"
