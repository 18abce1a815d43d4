#!/usr/bin/env bash
# tier: full
# virt-customize --selinux-relabel end to end, on the Debian guest
# (Tests/guests/make-debian-guest) made into an SELinux-shaped guest by
# virt-customize itself: /usr/sbin/load_policy, /etc/selinux/config
# (SELINUXTYPE=targeted) and a small hand-written file_contexts. The tool
# sees the selinuxrelabel group, runs selinux_relabel (force) with that
# specfile, and removes /.autorelabel; the labels are read back with
# getxattr security.selinux. (Debian's reference appliance lacks setfiles:
# there the tool only touches /.autorelabel.)
source "$(dirname "$0")/lib.sh"

IMG=$("$ROOT/Tests/guests/make-debian-guest" bookworm) || fail "could not build the guest image"
qemu-img create -q -f qcow2 -F raw -b "$IMG" "$TMP/g.qcow2"
printf '%s\n' \
    '/.*			system_u:object_r:default_t:s0' \
    '/			system_u:object_r:root_t:s0' \
    '/etc(/.*)?		system_u:object_r:etc_t:s0' \
    '/etc/hostname	--	system_u:object_r:hostname_etc_t:s0' \
    '/usr/bin(/.*)?		system_u:object_r:bin_t:s0' \
    '/root(/.*)?		unconfined_u:object_r:admin_home_t:s0' \
    >"$TMP/file_contexts"
if ! LIBGUESTFS_PATH=$OURS virt-customize --format=qcow2 -a "$TMP/g.qcow2" --no-network \
        --write /usr/sbin/load_policy:'#!/bin/sh' \
        --write /etc/selinux/config:'SELINUX=permissive
SELINUXTYPE=targeted
' \
        --mkdir /etc/selinux/targeted/contexts/files \
        --upload "$TMP/file_contexts":/etc/selinux/targeted/contexts/files/file_contexts \
        --touch /.autorelabel \
        --selinux-relabel >"$TMP/out" 2>&1; then
    show_out; fail "virt-customize failed"
fi
if ! ours_fish --ro --format=qcow2 -a "$TMP/g.qcow2" -i <<'FISH'
lgetxattr / security.selinux
echo
lgetxattr /etc/hostname security.selinux
echo
lgetxattr /etc/fstab security.selinux
echo
lgetxattr /usr/bin/ls security.selinux
echo
lgetxattr /root security.selinux
echo
lgetxattr /var security.selinux
echo
exists /.autorelabel
-lgetxattr /proc security.selinux
FISH
then
    show_out; fail "guestfish read-back failed"
fi
expected=$(printf '%s\n' system_u:object_r:root_t:s0 system_u:object_r:hostname_etc_t:s0 \
    system_u:object_r:etc_t:s0 system_u:object_r:bin_t:s0 unconfined_u:object_r:admin_home_t:s0 \
    system_u:object_r:default_t:s0 false)
got=$(tr -d '\0' <"$TMP/out" | grep -v "^$" | grep -v "lgetxattr: getxattr: No data available")
[[ $got == "$expected" ]] || { show_out; echo "expected:"; echo "$expected" | sed 's/^/    | /'; fail "labels differ"; }
grep -q "lgetxattr: getxattr: No data available" "$TMP/out" || { show_out; fail "/proc was relabelled"; }
pass "virt-customize --selinux-relabel labelled the guest from its file_contexts and removed /.autorelabel"
