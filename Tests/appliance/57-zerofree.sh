#!/usr/bin/env bash
# zerofree in the appliance, ours beside the reference: an ext4 filesystem
# holds a file with a marker pattern, the file is deleted (its blocks are
# free but still hold the pattern), then zerofree. Each appliance's whole
# partition is downloaded before and after: the pattern must be there
# before, gone after, every kept file intact and e2fsck clean. Ours does
# the work in the daemon (direct reads, the disk's write-zeroes), so this
# is the check that qemu's write-zeroes path leaves zeros, as the
# reference's block-by-block writes do. Also: 1 KiB blocks, and the
# "mounted rw" refusal worded as the reference's.
# The reference's side (its counts and its refusal message) is recorded in
# Tests/appliance/reference/LIBVER/57-zerofree/ref.txt (lib.sh: ref_records;
# REF_RECORD=1 scripts/appliance-test 57-zerofree.sh re-records it): while
# the record is valid the reference appliance runs only if ours differs.
source "$(dirname "$0")/lib.sh"
ref_records
# the reference's results, one line per block size, then its refusal
REF_TXT=$TMP/ref.txt
REF_FROM=live
if ref_recorded ref.txt "$REF_TXT" && grep -q '^ref, 4096-byte' "$REF_TXT" && grep -q '^ref, 1024-byte' "$REF_TXT" \
        && grep -q '^refusal: ' "$REF_TXT"; then
    REF_FROM=recorded
else
    : >"$REF_TXT"
fi

run() { # ours|ref blocksize -> $TMP/<which>-<bs>.{before,after}, $TMP/out
    local which=$1 bs=$2 fish=ours_fish
    [[ $which == ref ]] && fish=ref_fish
    $fish -N "$TMP/$which-$bs.img=disk:64M" <<EOF || { show_out; fail "$which ($bs-byte blocks): the script failed"; }
part-disk /dev/sda mbr
mkfs ext4 /dev/sda1 blocksize:$bs
mount /dev/sda1 /
fill-pattern "ZEROFREE-MARKER-0123456789-" 3000000 /gone
write /keep "kept, and not a marker"
sync
rm /gone
-zerofree /dev/sda1
umount /
download /dev/sda1 $TMP/$which-$bs.before
zerofree /dev/sda1
download /dev/sda1 $TMP/$which-$bs.after
mount /dev/sda1 /
cat /keep
EOF
}

markers() { { grep -a -o -F 'ZEROFREE-MARKER-0123456789-' "$1" || true; } | wc -l; }

# The reference appliance now and then names the user's disk /dev/sdb (its
# kernel probed its own root disk first; ours checks the order at start-up):
# such a run of the reference works on the wrong disk, so it runs once more.
for bs in 4096 1024; do
    for which in ours ref; do
        if [[ $which == ref && $REF_FROM == recorded ]]; then
            echo "$(grep "^ref, $bs-byte" "$REF_TXT") (recorded)"
            continue
        fi
        run $which $bs
        if [[ $which == ref ]] && grep -q '/dev/sdb1 is mounted rw' "$TMP/out"; then
            echo "ref ($bs): the reference named its disks one letter on: once more"
            run $which $bs
        fi
        grep -q 'filesystem /dev/sda1 is mounted rw' "$TMP/out" \
            || { show_out; fail "$which: zerofree on a mounted filesystem did not refuse with the tool's message"; }
        grep -q '^kept, and not a marker$' "$TMP/out" || { show_out; fail "$which ($bs): /keep changed"; }
        before=$(markers "$TMP/$which-$bs.before")
        after=$(markers "$TMP/$which-$bs.after")
        (( before > 50000 )) || fail "$which ($bs): only $before markers on disk before zerofree (the test is wrong)"
        [[ $after == 0 ]] || fail "$which ($bs): $after of $before markers left after zerofree"
        e2fsck -fn "$TMP/$which-$bs.after" >"$TMP/fsck" 2>&1 || { show_out "$TMP/fsck"; fail "$which ($bs): e2fsck after zerofree"; }
        rm -f "$TMP/$which-$bs".{img,before,after}
        echo "$which, $bs-byte blocks: $before markers before, none after, e2fsck clean"
        if [[ $which == ref ]]; then
            echo "$which, $bs-byte blocks: $before markers before, none after, e2fsck clean" >>"$REF_TXT"
        fi
    done
done
# The message of the refusal, word for word, as the reference's.
ours_fish -N "$TMP/m.img=fs:ext4:32M" -m /dev/sda1 zerofree /dev/sda1 || true
ours_msg=$(grep zerofree "$TMP/out")
ref_refusal() {
    for _ in 1 2; do
        rm -f "$TMP/m.img"
        ref_fish -N "$TMP/m.img=fs:ext4:32M" -m /dev/sda1 zerofree /dev/sda1 || true
        ref_msg=$(grep zerofree "$TMP/out")
        [[ $ref_msg != *"/dev/sdb1 is mounted rw"* ]] && break
    done
}
if [[ $REF_FROM == recorded ]]; then
    ref_msg=$(sed -n 's/^refusal: //p' "$REF_TXT")
    if [[ $ours_msg != "$ref_msg" ]]; then
        echo "(ours differs from the recorded refusal [$ref_msg]: the reference runs live)"
        ref_refusal
    fi
else
    ref_refusal
fi
[[ $ours_msg == "$ref_msg" ]] || fail "mounted rw: ours [$ours_msg], reference [$ref_msg]"
if [[ $REF_FROM == live ]]; then
    echo "refusal: $ref_msg" >>"$REF_TXT"
    ref_record ref.txt "$REF_TXT"
fi
pass "zerofree leaves no deleted data (4 KiB and 1 KiB blocks), files and fsck intact, as the reference; refusal message the same"
