#!/usr/bin/env bash
# alone: a benchmark (launch times side by side), run last and by itself
# Launch time of our appliance and of Debian's reference appliance, in one
# run: a warm-up each, then LAUNCH_RUNS (default 3) alternating launches;
# prints each run and the medians. Fails only if a launch fails; prints a
# warning if ours takes more than half the reference's time (the goal).
source "$(dirname "$0")/lib.sh"

if ! $PY "$ROOT/Tests/appliance/launch_time.py" --runs "${LAUNCH_RUNS:-3}" --ours "$OURS" >"$TMP/out" 2>&1; then
    show_out; fail "a launch failed"
fi
cat "$TMP/out"
r=$(sed -n 's/.*ratio=\([0-9.]*\).*/\1/p' "$TMP/out")
if awk -v r="$r" 'BEGIN { exit !(r > 0.5) }'; then
    echo "WARNING: ours/reference launch time ratio $r is above the 0.5 goal" >&2
fi
pass "$(grep '^RESULT' "$TMP/out" | sed 's/^RESULT //')"
