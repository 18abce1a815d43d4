#!/usr/bin/env bash
# No stale state between calls (issue 12), with real device-mapper: one
# session on our appliance runs a seeded random storage sequence; after every step LVM's device sizes must
# be the devices' and new PVs must fit, and the answers and disk states must
# be those of Debian's reference appliance running the same sequence.
# FRESH_STATE_SEED=N repeats a run (the seed is printed); FRESH_STATE_STEPS
# sets the length of the random part (default 10).
source "$(dirname "$0")/lib.sh"

$PY -c 'import guestfs' 2>/dev/null || skip "python3-guestfs is not installed"
[[ -s $OURS/root || -s $OURS/initramfs.x86_64.img ]] || "$ROOT/appliance-build/build"
seed=${FRESH_STATE_SEED:-$(date +%s)}
if ! $PY "$ROOT/Tests/appliance/fresh_state.py" "$OURS" "$seed" "${FRESH_STATE_STEPS:-10}" >"$TMP/out" 2>&1; then
    show_out "$TMP/out" 80
    fail "seed $seed: our session differs from the reference or a PV outgrew its device"
fi
tail -n 1 "$TMP/out"
pass "seed $seed: one session gives the reference's answers and every PV fits its device"
