#!/usr/bin/env bash
# list_9p and mount_9p (libguestfs 1.46's behaviour; 1.48's daemon answers
# "9p support was removed"): qemu, through a wrapper given as
# LIBGUESTFS_HV, exports a host folder as a virtio-9p device with tag
# "hostshare"; list-9p finds the tag, mount-9p mounts it under the guest
# and a file written on the host is read in the guest, and one written in
# the guest appears on the host. A missing tag fails with mount's message.
source "$(dirname "$0")/lib.sh"

QEMU=$(command -v qemu-system-x86_64) || skip "no qemu-system-x86_64"
mkdir "$TMP/share"
echo "from the host" > "$TMP/share/hello.txt"
cat > "$TMP/qemu-9p" <<WRAP
#!/bin/sh
# Add the 9p device only to the appliance's own run, not to probes.
case " \$* " in
*" -kernel "*) exec "$QEMU" "\$@" -fsdev local,id=share9p,path=$TMP/share,security_model=none \\
                   -device virtio-9p-pci,fsdev=share9p,mount_tag=hostshare ;;
*) exec "$QEMU" "\$@" ;;
esac
WRAP
chmod +x "$TMP/qemu-9p"
truncate -s 64M "$TMP/d.img"
if ! LIBGUESTFS_HV="$TMP/qemu-9p" ours_fish --format=raw -a "$TMP/d.img" <<'FISH'
run
list-9p
mkfs ext4 /dev/sda
mount /dev/sda /
mkdir /share
mount-9p hostshare /share
cat /share/hello.txt
write /share/from-guest.txt "from the guest"
-mount-9p no-such-tag /share
umount /share
echo session-done
FISH
then
    show_out; fail "guestfish exited with status $?"
fi
grep -qx hostshare "$TMP/out" || { show_out; fail "list-9p did not list the tag"; }
grep -qx "from the host" "$TMP/out" || { show_out; fail "the host's file was not read through 9p"; }
[[ $(cat "$TMP/share/from-guest.txt" 2>/dev/null) == "from the guest" ]] || { show_out; fail "the guest's write did not reach the host"; }
grep -q "no-such-tag on /share: mount: " "$TMP/out" || { show_out; fail "no error for a missing tag"; }
grep -qx session-done "$TMP/out" || { show_out; fail "session did not finish"; }
pass "list-9p found the tag, mount-9p shared files both ways, a missing tag failed"
