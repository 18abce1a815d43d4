#!/usr/bin/env bash
# retry: it runs the reference appliance live, which now and then names its disks one letter on
# Inspection of libguestfs's own phony Fedora "luks-on-lvm" layout
# (Tests/guests/make-fedora-luks-on-lvm): four LUKS volumes on LVs, opened
# by the library with --key for each LV after launch, and an fstab naming
# the root LABEL=ROOT, a label on one of them. virt-inspector and
# guestfish -i (mountpoints, findfs-label, files through the mounted root)
# on our appliance and on the reference, outputs (stdout, stderr, exit
# status) compared unmasked except for temporary paths. The reference's
# outputs are recorded in Tests/appliance/reference/LIBVER/72-inspect-luks-
# on-lvm (REF_RECORD=1 scripts/appliance-test 72-inspect-luks-on-lvm.sh
# re-records them) and cached beside the image (ref-outputs/KEY/);
# REFRESH_REF=1 ignores both, KEEP=1 keeps the outputs. Before the fix, ours
# resolved no label on an opened LUKS volume: the root's "/" was missing
# from inspect_get_mountpoints and -i failed mounting /boot.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v cryptsetup >/dev/null || skip "cryptsetup is not installed (scripts/setup: cryptsetup-bin)"
command -v rpmbuild >/dev/null || skip "rpmbuild is not installed (scripts/setup: rpm)"
IMG=$("$ROOT/Tests/guests/make-fedora-luks-on-lvm") || fail "could not build the luks-on-lvm guest"
OUT=$TMP/out.d
mkdir -p "$OUT"
[[ ${KEEP:-} == 1 ]] && { OUT=$(mktemp -d /tmp/inspect-luks-on-lvm.XXXXXX); echo "outputs in $OUT"; }
REF_COMMANDS=1
CACHE_DIR=$(dirname "$IMG")
key=$( { cat "$CACHE_DIR/guest-fedora-luks-on-lvm.stamp"; dpkg-query -W -f='${Version}' libguestfs0 guestfs-tools 2>/dev/null
         echo "$REF_COMMANDS"; cat "${BASH_SOURCE[0]}"; } | sha256sum | cut -c1-16)
REFCACHE=$CACHE_DIR/ref-outputs/luks-on-lvm-$key
[[ ${REFRESH_REF:-} == 1 ]] && rm -rf "$REFCACHE"
mkdir -p "$REFCACHE"

source "$(dirname "${BASH_SOURCE[0]}")/side-by-side.sh"
# the reference's outputs recorded in Tests/appliance/reference (lib.sh)
ref_records "$ROOT/Tests/appliance/side-by-side.sh" "$ROOT/Tests/guests/make-fedora-luks-on-lvm" "$ROOT/Tests/guests/make-rpm-root"

ROOTDEV=/dev/mapper/luks-3c0a1d2e-0000-4a5b-8c6d-000000000001
keys=()
for lv in Root LV1 LV2 LV3; do keys+=(--key "/dev/VG/$lv:key:FEDORA-$lv"); done
cat >"$OUT/inspect.fish" <<EOF
inspect-get-roots
inspect-get-mountpoints $ROOTDEV
inspect-get-filesystems $ROOTDEV
inspect-get-product-name $ROOTDEV
findfs-label ROOT
findfs-label LV2
findfs-uuid 01234567-0123-0123-0123-012345678902
mountpoints
cat /etc/fedora-release
ls /boot/grub
list-dm-devices
list-filesystems
EOF
tool guestfish-luks-on-lvm guestfish --ro -i --format=raw -a "$IMG" "${keys[@]}" -f "$OUT/inspect.fish"
tool inspector-luks-on-lvm virt-inspector --format=raw -a "$IMG" "${keys[@]}"

# The fix's point, stated on our output itself: "/" is the LUKS volume.
grep -qx "/: $ROOTDEV" "$OUT/guestfish-luks-on-lvm.ours" \
    || { show_out "$OUT/guestfish-luks-on-lvm.ours"; fail "ours: no '/: $ROOTDEV' in inspect-get-mountpoints"; }
echo "same: ${#same[@]}, different: ${#different[@]}"
((${#different[@]} == 0)) || fail "different from the reference: ${different[*]}"
pass "luks-on-lvm guest (LABEL=ROOT on an opened LUKS volume): virt-inspector and guestfish -i as the reference"
