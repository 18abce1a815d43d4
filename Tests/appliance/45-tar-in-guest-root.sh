#!/usr/bin/env bash
# tar-in resolves names with the guest as root: a member below the guest's
# absolute symlink /etc/alt -> /usr/share/alt lands in the guest's
# /usr/share/alt (the reference appliance follows the link into its own
# root), and a member below a link to a place only the appliance has
# (/usr/sbin: the guest disk is empty there) fails.
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/stage/etc/alt" "$TMP/stage/etc/applog"
echo editor-from-archive >"$TMP/stage/etc/alt/editor"
echo probe >"$TMP/stage/etc/applog/probe"
tar -C "$TMP/stage" -cf "$TMP/alt.tar" etc/alt/editor
tar -C "$TMP/stage" -cf "$TMP/applog.tar" etc/applog/probe
truncate -s 64M "$TMP/disk.img"
ours_fish --format=raw -a "$TMP/disk.img" <<FISH || true
run
mkfs ext4 /dev/sda
mount /dev/sda /
mkdir-p /usr/share/alt
mkdir /etc
ln-s /usr/share/alt /etc/alt
ln-s /usr/sbin /etc/applog
tar-in $TMP/alt.tar /
cat /usr/share/alt/editor
is-symlink /etc/alt
-tar-in $TMP/applog.tar /
FISH
grep -qx editor-from-archive "$TMP/out" || { show_out; fail "the member did not land in the guest's /usr/share/alt"; }
grep -qx true "$TMP/out" || { show_out; fail "/etc/alt is no longer a symlink"; }
grep -q "tar_in: tar subcommand failed on directory: /: tar: etc/applog/probe: Cannot open" "$TMP/out" \
    || { show_out; fail "tar-in below a link to an appliance-only directory did not fail"; }
pass "tar-in followed the guest's absolute symlinks inside the guest"
