#!/usr/bin/env bash
# Each guestfish script in Tests/appliance/compat/ gives the same (masked)
# output on our appliance and on Debian's reference appliance.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bad=()
for f in "$ROOT"/Tests/appliance/compat/*.fish; do
    if ! bash "$ROOT/scripts/compat" "$f"; then bad+=("${f##*/}"); fi
done
((${#bad[@]} == 0)) || fail "outputs differ from the reference for: ${bad[*]}"
pass "every compat script matches the reference"
