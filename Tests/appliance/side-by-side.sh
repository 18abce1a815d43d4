# Sourced by the tests that run one tool on our appliance and on the
# reference and compare (71-inspect-encrypted, 72-inspect-luks-on-lvm).
# The caller sets OURS, OUT (where outputs go) and REFCACHE (the
# reference's outputs kept between runs on this machine) and calls
# ref_records (lib.sh) with the files that make its guests; `tool NAME
# CMD...` then runs CMD on both, masks the outputs and adds NAME to the
# `same` or `different` array. The reference's output comes from the
# record in the repository (lib.sh: ref_records) when it is valid, else
# from REFCACHE, else from a live run; a recorded or cached output that
# differs from ours is checked against a live run. A live reference output
# is cached (and, under REF_RECORD=1, recorded) only when ours matched it.
#
# Where ours gives a newer upstream's answer that this library's reference
# does not (each case listed in the README), Tests/appliance/fixed/VERSION/
# NAME.fixed holds the expected difference: `diff REF OURS` (normal format)
# after `#` lines that say why. The outputs must differ exactly so.

run() {
    local which=$1; shift
    if [[ $which == ours ]]; then LIBGUESTFS_PATH=$OURS "$@"; else env -u LIBGUESTFS_PATH "$@"; fi
}
mask() { sed -E -e "s|$OUT|OUT|g" -e 's|/tmp/[A-Za-z0-9._-]+|/tmp/TMP|g'; }

same=() different=()
# matches NAME: ours and the reference's outputs the same, or different
# exactly as the .fixed file says (-> MATCH_NOTE)
matches() {
    local name=$1 fixed
    fixed=$ROOT/Tests/appliance/fixed/$REF_LIBVER/$name.fixed
    MATCH_NOTE=
    diff -u --label "reference/$name" --label "ours/$name" "$OUT/$name.ref" "$OUT/$name.ours" >"$OUT/$name.diff" && return 0
    if [[ -f $fixed ]] && cmp -s <(diff -a "$OUT/$name.ref" "$OUT/$name.ours") <(grep -a -v '^#' "$fixed"); then
        MATCH_NOTE=", but for the expected differences in ${fixed#"$ROOT"/}"
        return 0
    fi
    return 1
}
# side WHICH NAME CMD...: CMD on one appliance -> $OUT/NAME.WHICH (masked)
side() {
    local which=$1 name=$2 t0; shift 2
    t0=$(date +%s.%N)
    set +e
    run "$which" "$@" >"$OUT/$name.$which.raw" 2>&1
    echo "exit status: $?" >>"$OUT/$name.$which.raw"
    set -e
    times+="$which $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s, "
    mask <"$OUT/$name.$which.raw" >"$OUT/$name.$which"
}
# tool NAME CMD...: CMD on both appliances
tool() {
    local name=$1; shift
    local times="" from=live
    if ref_recorded "$name.ref" "$OUT/$name.ref"; then
        from=recorded times="ref recorded, "
    elif [[ -s $REFCACHE/$name.ref ]]; then
        cp "$REFCACHE/$name.ref" "$OUT/$name.ref"; from=cached times="ref cached, "
    else
        side ref "$name" "$@"
    fi
    side ours "$name" "$@"
    if ! matches "$name" && [[ $from != live ]]; then
        echo "(ours differs from the $from reference output: the reference runs live)"
        side ref "$name" "$@"
        matches "$name" && echo "(the $from reference output was stale: REF_RECORD=1 scripts/appliance-test $(basename "${BASH_SOURCE[-1]}") re-records it)"
        from=live
    fi
    if matches "$name"; then
        echo "SAME       $name (${times%, })$MATCH_NOTE"
        same+=("$name")
    else
        echo "DIFFERENT  $name (${times%, })"
        head -n 40 "$OUT/$name.diff" | sed 's/^/    | /'
        different+=("$name")
        return 0
    fi
    # a live reference output is kept only when ours matched it: a run of
    # the reference that named its disks one letter on is not kept
    [[ $from == live ]] && cp "$OUT/$name.ref" "$REFCACHE/$name.ref"
    [[ $from != recorded ]] && ref_record "$name.ref" "$OUT/$name.ref"
    return 0
}
