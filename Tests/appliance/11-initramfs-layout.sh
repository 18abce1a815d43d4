#!/usr/bin/env bash
# The initramfs ("old-style") layout, APPLIANCE_LAYOUT=initramfs: the
# daemon and the whole tree in initramfs.x86_64.img beside vmlinuz.x86_64,
# no root disk. Built into its own directory beside the fixed appliance
# (skipped when up to date), then Debian's libguestfs-test-tool boots it:
# qemu gets the initramfs as -initrd and no appliance drive, and the test
# finishes OK. The full tier also runs a compat script on it
# (61-initramfs-compat.sh).
source "$(dirname "$0")/lib.sh"

initramfs_appliance
if ! LIBGUESTFS_PATH=$INITRAMFS_DIR timeout 600 libguestfs-test-tool >"$TMP/out" 2>&1; then
    show_out "$TMP/out" 30
    fail "libguestfs-test-tool failed on the initramfs layout"
fi
grep -q 'TEST FINISHED OK' "$TMP/out" || { show_out; fail "no 'TEST FINISHED OK'"; }
# It booted that layout: the initramfs as -initrd, no appliance root drive.
grep -q -- "-initrd $INITRAMFS_DIR/initramfs.x86_64.img" "$TMP/out" \
    || { grep -E -- '-initrd|-kernel' "$TMP/out" | head -5 >&2; fail "qemu was not given $INITRAMFS_DIR/initramfs.x86_64.img"; }
! grep -q 'id=appliance' "$TMP/out" || fail "qemu was given an appliance root drive"
pass "initramfs layout: libguestfs-test-tool TEST FINISHED OK"
