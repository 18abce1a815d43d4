#!/usr/bin/env bash
# retry: it runs the reference appliance live, which now and then names its disks one letter on
# With the network on (guestfish --network), a command run in the guest
# sees the appliance's /etc/resolv.conf, so that names resolve (what
# virt-customize --install relies on), and the guest's own file is as it
# was afterwards: none stays none, the guest's own bytes stay its own.
# The same session runs on our appliance and on the reference (1.48's
# daemon renames the guest's file aside and copies the appliance's in;
# ours, as 1.60's, bind-mounts it read-only); each side's command output
# must be that side's appliance resolv.conf (`debug sh` reads it outside
# the guest).
source "$(dirname "$0")/lib.sh"

[[ -x /bin/busybox ]] || skip "no /bin/busybox (busybox-static) to put in the guest"
truncate -s 64M "$TMP/d.img"

session() { # which -> $TMP/out.which
    local which=$1
    rm -f "$TMP/d.img"; truncate -s 64M "$TMP/d.img"
    if [[ $which == ours ]]; then runner=ours_fish; else runner=ref_fish; fi
    $runner --network --format=raw -a "$TMP/d.img" <<'FISH' || true
run
mkfs ext4 /dev/sda
mount /dev/sda /
mkdir-p /bin
upload /bin/busybox /bin/busybox
chmod 0755 /bin/busybox
ln-s busybox /bin/cat
ln-s busybox /bin/sh
mkdir /etc
echo ==appliance
debug sh "cat /etc/resolv.conf"
echo ==none
command "cat /etc/resolv.conf"
echo ==after-none
exists /etc/resolv.conf
write /etc/resolv.conf "nameserver 192.0.2.53\n"
echo ==own
sh "cat /etc/resolv.conf"
echo ==after-own
cat /etc/resolv.conf
ls /etc
echo ==end
FISH
    cp "$TMP/out" "$TMP/out.$which"
}

check() { # which
    local o=$TMP/out.$1 app none own
    grep -qx '==end' "$o" || { show_out "$o"; fail "$1: the session did not finish"; }
    app=$(sed -n '/^==appliance$/,/^==none$/p' "$o" | sed '1d;$d')
    none=$(sed -n '/^==none$/,/^==after-none$/p' "$o" | sed '1d;$d')
    own=$(sed -n '/^==own$/,/^==after-own$/p' "$o" | sed '1d;$d')
    grep -q '^nameserver ' <<<"$app" || { show_out "$o"; fail "$1: the appliance has no nameserver (DHCP?)"; }
    [[ $none == "$app" ]] || { show_out "$o"; fail "$1: a command in a guest without resolv.conf did not see the appliance's"; }
    [[ $own == "$app" ]] || { show_out "$o"; fail "$1: a command in a guest with its own resolv.conf did not see the appliance's"; }
    [[ $(sed -n '/^==after-none$/{n;p}' "$o") == false ]] || { show_out "$o"; fail "$1: a resolv.conf was left in the guest"; }
    [[ $(sed -n '/^==after-own$/{n;p}' "$o") == "nameserver 192.0.2.53" ]] || { show_out "$o"; fail "$1: the guest's own resolv.conf changed"; }
    [[ $(sed -n '/^==after-own$/,/^==end$/p' "$o" | grep -c .) == 4 ]] || { show_out "$o"; fail "$1: /etc holds more than resolv.conf afterwards"; }
    echo "$1: commands saw the appliance's resolver ($(grep -c '^nameserver' <<<"$app") nameserver line(s)); the guest's file as it was"
}

session ours
check ours
session ref
check ref
pass "--network: commands in the guest resolve through the appliance's resolv.conf, on ours as on the reference"
