#!/usr/bin/env bash
# Our appliance with Debian 13's libguestfs 1.54, in a Debian 13 root that
# the test makes itself (scripts/debian13-root: mmdebstrap, cached under
# /var/cache/guestfsd-tests/, a few minutes the first time): its
# libguestfs-test-tool, every compat script against 1.54's own reference
# appliance, guestmount listings and python3-guestfs readdir
# (libguestfs-1.54-inside.sh does the work inside the root).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $(id -u) == 0 ]] || skip "needs root (mmdebstrap, unshare, chroot)"
command -v unshare >/dev/null || skip "no unshare"
if ! bash "$ROOT/scripts/debian13-root" build; then
    # No archive to fetch from (offline machine): say so, loudly.
    [[ -f $(bash "$ROOT/scripts/debian13-root" path)/.guestfsd-tests-complete ]] ||
        skip "could not build the Debian 13 root (no network to the Debian archive?)"
fi
[[ -s $OURS/root || -s $OURS/initramfs.x86_64.img ]] || fail "no appliance at $OURS"

# file-architecture.fish's samples need the cross libcs the host has and
# the Debian 13 root lacks: made here, copied inside (make-arch-samples).
rm -rf "$ROOT/.build-appliance/arch-samples"
"$ROOT/Tests/guests/make-arch-samples" "$ROOT/.build-appliance/arch-samples" || fail "could not make the file_architecture samples"
start=$(date +%s)
if APPLIANCE_DIR=$OURS bash "$ROOT/scripts/debian13-root" run bash /src/Tests/appliance/libguestfs-1.54-inside.sh \
        >"$TMP/out" 2>&1; then
    cat "$TMP/out"
    pass "libguestfs 1.54: test tool, compat scripts, guestmount and python readdir match ($(($(date +%s) - start)) s)"
fi
cat "$TMP/out"
fail "libguestfs 1.54: $(grep '^DIFFERENT' "$TMP/out" | tail -n1)"
