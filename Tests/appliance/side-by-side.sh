# Sourced by the tests that run one tool on our appliance and on the
# reference and compare (71-inspect-encrypted, 72-inspect-luks-on-lvm).
# The caller sets OURS, OUT (where outputs go) and REFCACHE (the
# reference's outputs kept between runs); `tool NAME CMD...` then runs CMD
# on both (the reference only when its output is not cached), masks the
# outputs and adds NAME to the `same` or `different` array. A reference
# output is cached only when ours matched it.
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
# tool NAME CMD...: CMD on both appliances (the reference's output cached)
tool() {
    local name=$1; shift
    local which t0 times="" sides="ref ours"
    if [[ -s $REFCACHE/$name.ref ]]; then
        cp "$REFCACHE/$name.ref" "$OUT/$name.ref"; sides=ours; times="ref cached, "
    fi
    for which in $sides; do
        t0=$(date +%s.%N)
        set +e
        run "$which" "$@" >"$OUT/$name.$which.raw" 2>&1
        echo "exit status: $?" >>"$OUT/$name.$which.raw"
        set -e
        times+="$which $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s, "
        mask <"$OUT/$name.$which.raw" >"$OUT/$name.$which"
    done
    local fixed
    fixed=$ROOT/Tests/appliance/fixed/$(guestfish --version | awk '{print $2; exit}')/$name.fixed
    if diff -u --label "reference/$name" --label "ours/$name" "$OUT/$name.ref" "$OUT/$name.ours" >"$OUT/$name.diff"; then
        echo "SAME       $name (${times%, })"
        same+=("$name")
    elif [[ -f $fixed ]] && cmp -s <(diff -a "$OUT/$name.ref" "$OUT/$name.ours") <(grep -a -v '^#' "$fixed"); then
        echo "SAME       $name (${times%, }), but for the expected differences in ${fixed#"$ROOT"/}"
        same+=("$name")
    else
        echo "DIFFERENT  $name (${times%, })"
        head -n 40 "$OUT/$name.diff" | sed 's/^/    | /'
        different+=("$name")
        return 0
    fi
    # the reference's output is kept only when ours matched it: a run of
    # the reference that named its disks one letter on is not kept
    [[ $sides == "ref ours" ]] && cp "$OUT/$name.ref" "$REFCACHE/$name.ref"
    return 0
}
