#!/usr/bin/env bash
# libguestfs-test-tool (Debian's) passes against our appliance.
# It launches with one scratch disk; the daemon calls it makes are
# part_disk, mkfs (ext2), mount, touch and internal_autosync.
source "$(dirname "$0")/lib.sh"

if LIBGUESTFS_PATH=$OURS LIBGUESTFS_TRACE=1 timeout 600 libguestfs-test-tool >"$TMP/out" 2>&1; then
    grep -q 'TEST FINISHED OK' "$TMP/out" || { show_out; fail "no 'TEST FINISHED OK'"; }
    pass "libguestfs-test-tool: TEST FINISHED OK"
fi
show_out "$TMP/out" 30
# Name the procedure that failed, to track what the daemon still lacks.
last=$(grep -oE 'libguestfs: trace: [a-z0-9_]+' "$TMP/out" | grep -v ' = ' | tail -n1 | sed 's/.*trace: //' || true)
err=$(grep -E 'error:' "$TMP/out" | tail -n1 || true)
fail "libguestfs-test-tool failed (${last:-before any call}): ${err:-see output}"
