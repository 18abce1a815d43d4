#!/usr/bin/env bash
# retry: it runs the reference appliance live, which now and then names its disks one letter on
# Archives carry the guest's numeric owners, never the appliance's names
# (issue 20): tar-out (plain, numericowner, gzip), tgz-out, txz-out and
# cpio-out of a tree owned by uids/gids that Debian names (0, 1, 42, 65534)
# and that it does not (1000, 4242) list the same owner fields on our
# appliance and on the reference. Also: `ll` shows numbers on both.
source "$(dirname "$0")/lib.sh"

make_archives() { # which(ours|ref) -> archives in $TMP/$which/
    local which=$1 dir=$TMP/$1
    mkdir -p "$dir"
    truncate -s 64M "$dir/disk.img"
    local script
    script=$(cat <<FISH
run
mkfs ext4 /dev/sda
mount /dev/sda /
mkdir /o
write /o/root root
write /o/daemon daemon
write /o/shadow g42
write /o/nobody nobody
write /o/user user
write /o/odd odd
mkdir /o/sub
chown 1 1 /o/daemon
chown 0 42 /o/shadow
chown 65534 65534 /o/nobody
chown 1000 1000 /o/user
chown 4242 4242 /o/odd
chown 1000 42 /o/sub
tar-out /o $dir/plain.tar
tar-out /o $dir/numeric.tar numericowner:true
tar-out /o $dir/notnumeric.tar numericowner:false
tar-out /o $dir/gzip.tgz compress:gzip
tgz-out /o $dir/tgz.tgz
txz-out /o $dir/txz.txz
cpio-out /o $dir/newc.cpio
ll /o
FISH
)
    if [[ $which == ours ]]; then
        ours_fish --format=raw -a "$dir/disk.img" <<<"$script" || { show_out; fail "guestfish failed on ours"; }
    else
        ref_fish --format=raw -a "$dir/disk.img" <<<"$script" || { show_out; fail "guestfish failed on the reference"; }
    fi
    # ll's owner columns (dates and sizes of directories masked)
    awk '{ print $1, $3, $4, $NF }' "$TMP/out" >"$dir/ll.txt"
    rm -f "$dir/disk.img"
}

list_owners() { # archive -> "uname:gname uid/gid name" per member, sorted
    case $1 in
    *.cpio) cpio --quiet -itv -F "$1" | awk '{ print $3 ":" $4, $NF }' ;;
    *) "$PY" -c '
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    for m in t:
        print("%s:%s %d/%d %s" % (m.uname, m.gname, m.uid, m.gid, m.name))' "$1" ;;
    esac | sort
}

make_archives ours
make_archives ref
bad=0
for a in "$TMP"/ref/*.tar "$TMP"/ref/*.tgz "$TMP"/ref/*.txz "$TMP"/ref/*.cpio; do
    name=${a##*/}
    [[ -s $TMP/ours/$name ]] || { echo "ours made no $name" >&2; bad=1; continue; }
    list_owners "$a" >"$TMP/$name.ref"
    list_owners "$TMP/ours/$name" >"$TMP/$name.ours"
    [[ $(wc -l <"$TMP/$name.ref") -ge 7 ]] || { echo "reference's $name lists too few members" >&2; bad=1; }
    if ! diff -u "$TMP/$name.ref" "$TMP/$name.ours" >&2; then bad=1; fi
done
grep -q '4242/4242 ./odd' "$TMP/plain.tar.ours" || { echo "uid 4242 missing from ours" >&2; bad=1; }
if ! diff -u "$TMP/ref/ll.txt" "$TMP/ours/ll.txt" >&2; then bad=1; fi
((bad == 0)) || fail "archive owners differ from the reference"
pass "every archive lists the same owner fields as the reference's (numbers only)"
