#!/usr/bin/env bash
# rsync_out and rsync_in over the appliance's network (guestfish --network:
# libguestfs gives qemu user networking on 169.254.0.0/16, the host being
# 169.254.2.2; /init brings up eth0 with DHCP) against an `rsync --daemon`
# on the host: a guest tree arrives on the host byte for byte (symlink
# included), a host tree arrives in the guest, deletedest removes a stale
# file, and a missing module directory fails with rsync's message.
source "$(dirname "$0")/lib.sh"

command -v rsync >/dev/null || skip "no rsync on the host"
mkdir -p "$TMP/share/in/deep"
printf 'from the host\n' >"$TMP/share/in/deep/h"
head -c 100000 /dev/urandom >"$TMP/share/in/blob"
port=$((20000 + RANDOM % 20000))
cat >"$TMP/rsyncd.conf" <<CONF
pid file = $TMP/rsyncd.pid
use chroot = false
[m]
    path = $TMP/share
    read only = false
    munge symlinks = false
    uid = root
    gid = root
CONF
rsync --daemon --no-detach --address=127.0.0.1 --port=$port --config="$TMP/rsyncd.conf" &
rsyncd=$!
trap 'kill $rsyncd 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 50); do rsync "rsync://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.1; done

truncate -s 64M "$TMP/d.img"
remote=rsync://169.254.2.2:$port/m
if ! ours_fish --network --format=raw -a "$TMP/d.img" <<FISH
run
mkfs ext4 /dev/sda
mount /dev/sda /
mkdir-p /src/sub
write /src/a "from the guest\n"
fill-pattern "guest-pattern-" 50000 /src/sub/blob
ln-s a /src/link
rsync-out /src $remote/ archive:true
mkdir /got
write /got/stale x
rsync-in $remote/in/ /got archive:true deletedest:true
ls /got
cat /got/deep/h
checksum sha256 /got/blob
-rsync-in $remote/nothing/ /got archive:true
echo session-done
FISH
then
    show_out; fail "guestfish exited with status $?"
fi
grep -qx session-done "$TMP/out" || { show_out; fail "session did not finish"; }
[[ $(cat "$TMP/share/src/a" 2>/dev/null) == "from the guest" ]] || { show_out; fail "rsync-out: /src/a did not reach the host"; }
expected=$(head -c 50000 < <(yes guest-pattern- | tr -d '\n'))
[[ $(cat "$TMP/share/src/sub/blob") == "$expected" ]] || fail "rsync-out: the pattern file differs on the host"
[[ $(readlink "$TMP/share/src/link") == a ]] || fail "rsync-out: the symlink was not kept"
[[ $(sed -n '/^blob$/,/^deep$/p' "$TMP/out" | tr '\n' ' ') == "blob deep " ]] || { show_out; fail "rsync-in: /got is not the host's tree (deletedest)"; }
grep -qx stale "$TMP/out" && { show_out; fail "rsync-in: deletedest left the stale file"; }
grep -qx "from the host" "$TMP/out" || { show_out; fail "rsync-in: the host's file was not read back"; }
grep -q "^$(sha256sum "$TMP/share/in/blob" | cut -d' ' -f1)\$" "$TMP/out" || { show_out; fail "rsync-in: the binary file differs"; }
grep -q "rsync_in: '$remote/nothing/' to '/got': rsync: \[sender\] change_dir \"nothing\" (in m) failed: No such file or directory (2)" "$TMP/out" \
    || { show_out; fail "no rsync error for a missing directory"; }
pass "rsync-out and rsync-in moved trees both ways over the appliance's network"
