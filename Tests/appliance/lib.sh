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
