# Shared helpers for the appliance tests (sourced, bash).
# A test exits 0 = pass, 77 = skip (print why, loudly), anything else = fail.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export LIBGUESTFS_BACKEND=direct
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
OURS=${APPLIANCE_DIR:-$ROOT/.build-appliance/appliance}
PY=/usr/bin/python3

TMP=$(mktemp -d /tmp/appliance-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

pass() { echo "PASS: $*"; exit 0; }
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() {
    echo "################################################################" >&2
    echo "SKIP: $*" >&2
    echo "################################################################" >&2
    exit 77
}

# guestfish against our appliance; stdout+stderr to $TMP/out, status in $?
ours_fish() { LIBGUESTFS_PATH=$OURS guestfish "$@" >"$TMP/out" 2>&1; }
# ... and against Debian's reference appliance
ref_fish() { env -u LIBGUESTFS_PATH guestfish "$@" >"$TMP/out" 2>&1; }

# True if the output says a procedure is not (yet) implemented by our daemon.
not_implemented() {
    grep -qiE 'not implemented|not supported|ENOTSUP|unknown procedure|Operation not supported' "${1:-$TMP/out}"
}

show_out() { sed 's/^/    | /' "${1:-$TMP/out}" | tail -n "${2:-40}" >&2; }

# Our initramfs ("old-style") layout, built beside $OURS (or found up to
# date: appliance-build/build stops early when its inputs are unchanged);
# sets INITRAMFS_DIR. The daemon is the same release build as the fixed
# appliance's (GUESTFSD, if set, is used by both).
initramfs_appliance() {
    INITRAMFS_DIR=${OURS%/}-initramfs
    APPLIANCE_LAYOUT=initramfs APPLIANCE_DIR=$INITRAMFS_DIR APPLIANCE_QUIET=1 \
        "$ROOT/appliance-build/build" >"$TMP/build.log" 2>&1 \
        || { show_out "$TMP/build.log"; fail "APPLIANCE_LAYOUT=initramfs appliance-build/build failed"; }
    [[ -s $INITRAMFS_DIR/vmlinuz.x86_64 && -s $INITRAMFS_DIR/initramfs.x86_64.img && ! -e $INITRAMFS_DIR/root ]] \
        || fail "$INITRAMFS_DIR is not an initramfs appliance: $(ls "$INITRAMFS_DIR" | tr '\n' ' ')"
}

# Recorded reference outputs. A test whose reference side depends only on
# its inputs keeps the reference appliance's outputs in the repository, in
# Tests/appliance/reference/LIBVER/TEST/ (LIBVER: this guestfish's version),
# with KEY there: a hash of the test, of the files that make its inputs
# (the guest builders it names) and of Debian's libguestfs packages. While
# KEY matches, the test takes the reference's outputs from there instead of
# running the reference appliance (about three times our launch time under
# TCG); when it does not, or when ours differs from the record, the
# reference runs live. Re-recording, for any such test:
#   REF_RECORD=1 scripts/appliance-test TEST
# writes every live reference output that ours matched (the reference now
# and then names its disks one letter on: such a run matches nothing and is
# never recorded); REFRESH_REF=1 makes every reference output live.
REF_LIBVER=$(guestfish --version 2>/dev/null | awk '{print $2; exit}' || true)
REF_RECORD_FORMAT=1
# the reference appliance's packages: their versions are in the key
REF_PACKAGES=(libguestfs0 libguestfs0t64 guestfs-tools guestfsd supermin)
# ref_records FILE...: the inputs besides the test itself
#   -> REFREC (the folder), REFREC_KEY, REFREC_VALID (1 when KEY matches)
ref_records() {
    local test=${BASH_SOURCE[-1]} f
    REFREC=$ROOT/Tests/appliance/reference/${REF_LIBVER:-unknown}/$(basename "$test" .sh)
    REFREC_KEY=$( {
        echo "format $REF_RECORD_FORMAT"
        for f in "$test" "$@"; do echo "== ${f##*/}"; cat "$f"; done
        dpkg-query -W -f='${Package} ${Version}\n' "${REF_PACKAGES[@]}" 2>/dev/null || true
    } | sha256sum | cut -c1-24)
    REFREC_VALID=
    [[ ${REFRESH_REF:-} != 1 && -f $REFREC/KEY && $(head -n1 "$REFREC/KEY") == "$REFREC_KEY" ]] && REFREC_VALID=1
    if [[ -z $REFREC_VALID && ${REFRESH_REF:-} != 1 ]]; then
        local why="none recorded for libguestfs ${REF_LIBVER:-unknown}"
        [[ -f $REFREC/KEY ]] && why="the record is stale: the test, its guest builders or Debian's libguestfs changed"
        echo "(reference outputs: $why (${REFREC#"$ROOT"/}); the reference runs live where this machine has not cached its output;" \
             "REF_RECORD=1 scripts/appliance-test $(basename "$test") records them)"
    fi
    return 0
}
# ref_recorded NAME DEST: the recorded output NAME copied to DEST, if valid
ref_recorded() {
    [[ -n ${REFREC_VALID:-} && -f $REFREC/$1 ]] || return 1
    cp "$REFREC/$1" "$2"
}
# ref_record NAME SRC: under REF_RECORD=1, SRC becomes the recorded output
# NAME (a stale record's folder is emptied first)
ref_record() {
    [[ ${REF_RECORD:-} == 1 ]] || return 0
    if [[ ! -f $REFREC/KEY || $(head -n1 "$REFREC/KEY") != "$REFREC_KEY" ]]; then
        rm -rf "$REFREC"; mkdir -p "$REFREC"
        { echo "$REFREC_KEY"
          echo "# recorded by REF_RECORD=1 scripts/appliance-test $(basename "${BASH_SOURCE[-1]}"), reference appliance:"
          dpkg-query -W -f='# ${Package} ${Version}\n' "${REF_PACKAGES[@]}" 2>/dev/null || true
        } >"$REFREC/KEY"
    fi
    cp "$2" "$REFREC/$1"
    echo "(recorded ${REFREC#"$ROOT"/}/$1)"
}
