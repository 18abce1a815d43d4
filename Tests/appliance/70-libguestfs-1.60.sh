#!/usr/bin/env bash
# tier: full
# Our appliance with libguestfs 1.60 (Debian unstable: libguestfs0t64
# 1.60.1, guestfs-tools 1.56), in a Debian unstable root that the test makes
# itself (scripts/debian-root sid: mmdebstrap, cached under
# /var/cache/guestfsd-tests/): its libguestfs-test-tool, every compat script
# against 1.60's own reference appliance (recorded outputs in
# Tests/appliance/compat/reference/1.60.1, live where no record matches),
# guestmount listings, python3-guestfs readdir, and guestfs-tools 1.56's
# virt-inspector, virt-customize and virt-sysprep on the real Debian guest
# (Tests/guests/make-debian-guest, made on the host and bound read-only
# into the root), ours beside the reference (libguestfs-inside.sh).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SUITE=sid LIBRARY=1.60
command -v mmdebstrap >/dev/null || skip "mmdebstrap is not installed (scripts/setup)"
GUEST=$("$ROOT/Tests/guests/make-debian-guest" bookworm) || fail "could not build the Debian guest image"
export GUESTS_DIR=$(dirname "$GUEST")
INSIDE_ENV=(INSPECTION_TOOLS="inspector customize sysprep" GUEST_IMAGE="/guests/${GUEST##*/}")
source "$ROOT/Tests/appliance/libguestfs-root.sh"
