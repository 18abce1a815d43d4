#!/usr/bin/env bash
# retry: it runs the reference appliance live, which now and then names its disks one letter on
# Inspection of encrypted guests with their keys: virt-inspector --key and
# guestfish -i --key on an LVM-on-LUKS guest and a LUKS-on-LVM guest
# (Tests/guests/make-encrypted-guests), each run on our appliance and on
# the reference appliance, outputs (stdout, stderr, exit status) compared
# unmasked except for temporary paths. The host library (1.48) opens the
# LUKS partitions with cryptsetup_open as /dev/mapper/luks-UUID (keys by
# device name and by LUKS UUID), runs lvm_scan(true), then opens LUKS on
# the LVs, and inspects. About 1 min warm (the reference's outputs cached).
#
# The reference's outputs depend only on the images and Debian's
# libguestfs: they are recorded in Tests/appliance/reference/LIBVER/
# 71-inspect-encrypted (re-recorded by REF_RECORD=1 scripts/appliance-test
# 71-inspect-encrypted.sh) and cached beside the images (ref-outputs/KEY/).
# REFRESH_REF=1 ignores both; KEEP=1 keeps the outputs.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v cryptsetup >/dev/null || skip "cryptsetup is not installed (scripts/setup: cryptsetup-bin)"
mapfile -t IMGS < <("$ROOT/Tests/guests/make-encrypted-guests") || fail "could not build the encrypted guests"
[[ ${#IMGS[@]} == 2 ]] || fail "make-encrypted-guests printed ${#IMGS[@]} paths"
A=${IMGS[0]} B=${IMGS[1]}
OUT=$TMP/out.d
mkdir -p "$OUT"
[[ ${KEEP:-} == 1 ]] && { OUT=$(mktemp -d /tmp/inspect-encrypted.XXXXXX); echo "outputs in $OUT"; }
REF_COMMANDS=1
CACHE_DIR=$(dirname "$A")
key=$( { cat "$CACHE_DIR/guest-encrypted.stamp"; dpkg-query -W -f='${Version}' libguestfs0 guestfs-tools 2>/dev/null
         echo "$REF_COMMANDS"; } | sha256sum | cut -c1-16)
REFCACHE=$CACHE_DIR/ref-outputs/encrypted-$key
[[ ${REFRESH_REF:-} == 1 ]] && rm -rf "$REFCACHE"
mkdir -p "$REFCACHE"

source "$(dirname "${BASH_SOURCE[0]}")/side-by-side.sh"
# the reference's outputs recorded in Tests/appliance/reference (lib.sh)
ref_records "$ROOT/Tests/appliance/side-by-side.sh" "$ROOT/Tests/guests/make-encrypted-guests"

KEY=guestfsd-luks
cat >"$OUT/inspect.fish" <<'EOF'
inspect-get-roots
inspect-get-mountpoints /dev/cryptvg/root
cat /etc/hostname
list-dm-devices
list-filesystems
lvs
EOF
# LVM on LUKS: the key by device name, then by the LUKS UUID
tool inspector-lvm-on-luks virt-inspector --format=raw -a "$A" --key "/dev/sda1:key:$KEY"
tool guestfish-lvm-on-luks guestfish --ro -i --format=raw -a "$A" \
    --key "5a1c0e2b-7d3f-4e8a-9b6c-1d2e3f4a5b6c:key:$KEY" -f "$OUT/inspect.fish"
# LUKS on LVM
tool inspector-luks-on-lvm virt-inspector --format=raw -a "$B" --key "/dev/plainvg/root:key:$KEY"

echo "same: ${#same[@]}, different: ${#different[@]}"
((${#different[@]} == 0)) || fail "different from the reference: ${different[*]}"
pass "virt-inspector/guestfish --key on encrypted guests as the reference"
