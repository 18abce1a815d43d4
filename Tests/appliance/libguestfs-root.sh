# Sourced by 70-libguestfs-1.54.sh and 70-libguestfs-1.60.sh (after lib.sh,
# with SUITE and LIBRARY set, and INSIDE_ENV: extra NAME=VALUE for the
# inside script): builds the Debian root of SUITE if missing
# (scripts/debian-root), then runs libguestfs-inside.sh in it with our
# appliance at /appliance.
[[ $(id -u) == 0 ]] || skip "needs root (mmdebstrap, unshare, chroot)"
command -v unshare >/dev/null || skip "no unshare"
if ! bash "$ROOT/scripts/debian-root" "$SUITE" build; then
    # No archive to fetch from (offline machine): say so, loudly.
    [[ -f $(bash "$ROOT/scripts/debian-root" "$SUITE" path)/.guestfsd-tests-complete ]] ||
        skip "could not build the Debian $SUITE root (no network to the Debian archive?)"
fi
[[ -s $OURS/root || -s $OURS/initramfs.x86_64.img ]] || fail "no appliance at $OURS"

# file-architecture.fish's samples need the cross libcs the host has and
# the Debian roots lack: made here, copied inside (make-arch-samples).
# Made once for both roots' tests, which run side by side: under a lock,
# into a new folder renamed into place, kept while the maker is unchanged.
samples=$ROOT/.build-appliance/arch-samples
mkdir -p "$ROOT/.build-appliance"
key=$(sha256sum "$ROOT/Tests/guests/make-arch-samples" | cut -c1-16)
(
    flock 9
    if [[ ! -d $samples || $(cat "$samples.made-by" 2>/dev/null) != "$key" ]]; then
        rm -rf "$samples.tmp"
        "$ROOT/Tests/guests/make-arch-samples" "$samples.tmp" &&
            rm -rf "$samples" && mv "$samples.tmp" "$samples" && echo "$key" >"$samples.made-by"
    fi
) 9>"$samples.lock" || fail "could not make the file_architecture samples"
start=$(date +%s)
# COMPAT_RECORD_MISSING=1 (scripts/compat) records missing references:
# the records' folder is then writable inside
if APPLIANCE_DIR=$OURS DEBIAN_ROOT_RECORDS=${COMPAT_RECORD_MISSING:+1} bash "$ROOT/scripts/debian-root" "$SUITE" run \
        env "${INSIDE_ENV[@]}" COMPAT_RECORD_MISSING=${COMPAT_RECORD_MISSING:-} COMPAT_JOBS=${COMPAT_JOBS:-2} bash /src/Tests/appliance/libguestfs-inside.sh >"$TMP/out" 2>&1; then
    cat "$TMP/out"
    pass "libguestfs $LIBRARY: all checks match its reference ($(($(date +%s) - start)) s)"
fi
cat "$TMP/out"
fail "libguestfs $LIBRARY: $(grep '^DIFFERENT' "$TMP/out" | tail -n1)"
