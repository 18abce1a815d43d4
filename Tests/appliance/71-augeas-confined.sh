#!/usr/bin/env bash
# Augeas stays in the guest: /etc/hosts in the guest is an absolute
# symlink to /init, a file every appliance has. Upstream's Augeas (rooted
# at /sysroot) follows it out of the guest and parses the appliance's own
# /init (error nodes under /augeas/files/etc/hosts), and a save would write
# through it. Ours resolves the link inside the guest, where /init does not
# exist: nothing is loaded for the file, and the save writes the guest's
# /etc/hosts. One launch of our appliance.
source "$(dirname "$0")/lib.sh"

truncate -s 100M "$TMP/disk.img"
ours_fish --format=raw -a "$TMP/disk.img" <<'FISH' || { show_out; fail "guestfish failed"; }
run
mkfs ext4 /dev/sda
mount /dev/sda /
mkdir /etc
ln-s /init /etc/hosts
aug-init / 0
echo LOADED:
aug-match /augeas/files/etc/hosts/*
aug-match /files/etc/hosts/*
aug-set /files/etc/hosts/1/ipaddr 192.0.2.1
aug-set /files/etc/hosts/1/canonical written
aug-save
echo SAVED:
cat /etc/hosts
is-symlink /etc/hosts
exists /init
FISH
expected=$'LOADED:\nSAVED:\n192.0.2.1\twritten\n\nfalse\nfalse'
if [[ $(cat "$TMP/out") != "$expected" ]]; then
    show_out
    fail "Augeas read or wrote outside the guest (expected: nothing loaded, the guest's /etc/hosts written)"
fi
pass "Augeas resolved the guest's absolute symlink inside the guest: the appliance's /init was neither read nor written"
