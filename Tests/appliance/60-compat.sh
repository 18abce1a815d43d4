#!/usr/bin/env bash
# Each guestfish script in Tests/appliance/compat/ gives the same (masked)
# output on our appliance as on Debian's reference appliance: the
# reference's output recorded in Tests/appliance/compat/reference/VERSION/
# (scripts/compat --record), or a live run where no valid record is there or
# ours differs from it (scripts/compat). COMPAT_JOBS scripts run at a time
# (default 2: with records, one VM each, one a core); their reports are
# printed whole, in order.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
JOBS=${COMPAT_JOBS:-2}
files=("$ROOT"/Tests/appliance/compat/*.fish)
i=0
for f in "${files[@]}"; do
    while (($(jobs -rp | wc -l) >= JOBS)); do wait -n || true; done
    ( if bash "$ROOT/scripts/compat" "$f" >"$TMP/$i.log" 2>&1; then touch "$TMP/$i.ok"; fi ) &
    i=$((i + 1))
done
wait
bad=() i=0
for f in "${files[@]}"; do
    cat "$TMP/$i.log"
    [[ -f $TMP/$i.ok ]] || bad+=("${f##*/}")
    i=$((i + 1))
done
((${#bad[@]} == 0)) || fail "outputs differ from the reference for: ${bad[*]}"
pass "every compat script matches the reference"
