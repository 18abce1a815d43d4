#!/usr/bin/env bash
# Three disks attached: every one is listed by the first list-devices call
# (the appliance waits for the SCSI scan), the daemon answers, and the
# session ends cleanly.
source "$(dirname "$0")/lib.sh"

for d in a b c; do truncate -s 64M "$TMP/$d.img"; done
if ! ours_fish --format=raw -a "$TMP/a.img" -a "$TMP/b.img" -a "$TMP/c.img" <<'FISH'
run
list-devices
ping-daemon
umount-all
echo session-done
FISH
then
    show_out; fail "guestfish exited with status $?"
fi
devs=$(grep '^/dev/' "$TMP/out" | tr '\n' ' ')
[[ $devs == "/dev/sda /dev/sdb /dev/sdc " ]] || { show_out; fail "list-devices gave '$devs'"; }
grep -qx session-done "$TMP/out" || { show_out; fail "session did not finish"; }
pass "three disks listed ($devs), ping-daemon and umount-all answered, exit 0"
