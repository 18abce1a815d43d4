#!/usr/bin/env bash
# tier: full
# A compat script (basic.fish: two disks, partitions, ext4, files, stat)
# on the initramfs ("old-style") layout, diffed against the reference
# appliance as 60-compat does for the fixed one. 11-initramfs-layout.sh
# boots it with libguestfs-test-tool in the default tier.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

initramfs_appliance
APPLIANCE_DIR=$INITRAMFS_DIR COMPAT_OUTDIR=$TMP/compat bash "$ROOT/scripts/compat" "$ROOT/Tests/appliance/compat/basic.fish" \
    || fail "basic.fish differs from the reference on the initramfs layout"
pass "initramfs layout: basic.fish as the reference"
