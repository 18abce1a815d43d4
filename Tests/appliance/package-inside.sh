#!/usr/bin/env bash
# Run by 80-package.sh inside a fresh Debian root (scripts/debian-root SUITE
# fresh): installs our package as a user would and checks that the system's
# libguestfs uses it with no LIBGUESTFS_PATH, survives a reinstall of
# libguestfs0 and an upgrade of ours, and that a purge brings back Debian's
# supermin appliance exactly. The checkout is at /src (read-only), the
# packaged appliance at /appliance, /tmp is scratch.
#
#   package-inside.sh DEB UPGRADE_DEB COMMIT [libvirt]
#
# COMMIT is the commit the appliance was built from (its
# /etc/guestfs-appliance says so). With "libvirt", libvirtd is started and
# libguestfs-test-tool and one compat script run with LIBGUESTFS_BACKEND=libvirt.
# Each check prints "ok: ..." or "FAILED: ..."; exit status 1 if any failed.
set -uo pipefail
DEB=$1 UPGRADE_DEB=$2 COMMIT=$3 LIBVIRT=${4:-}
LIB=/usr/lib/x86_64-linux-gnu/guestfs
VAR=/var/lib/guestfsd-appliance
export DEBIAN_FRONTEND=noninteractive
unset LIBGUESTFS_PATH
bad=()
t0=$(date +%s)
step() { echo "== $* ($(($(date +%s) - t0)) s)"; }
ok() { echo "ok: $*"; }
failed() { echo "FAILED: $*"; bad+=("$1"); }
show() { tail -n "${2:-25}" "$1" | sed 's/^/    | /'; }

# the installed one: libguestfs0 (Debian 12) or libguestfs0t64 (13 and later)
libpkg=$(dpkg-query -W -f '${db:Status-Status} ${Package}\n' 'libguestfs0*' 2>/dev/null | awk '$1 == "installed" { print $2; exit }')
[[ -n $libpkg ]] || { echo "FAILED: no libguestfs0 installed"; exit 1; }
step "$(. /etc/os-release; echo "$PRETTY_NAME"): $libpkg $(dpkg-query -W -f '${Version}' "$libpkg")"
[[ $(guestfish get-path) == "$LIB" ]] && ok "the library's default path is $LIB" \
    || failed get-path "guestfish get-path says $(guestfish get-path), not $LIB"

# The stock state, to compare after the purge.
stock() {
    (cd "$LIB" && find . -printf '%p %y %m\n' | LC_ALL=C sort)
    (cd "$LIB" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    dpkg-divert --list | LC_ALL=C sort
}
stock >/tmp/stock.before
# (the roots leave out docs and locales: dpkg --verify lists those as missing)
dpkg --verify "$libpkg" >/tmp/verify.before 2>&1

# Our appliance answered: the daemon's own `debug help` (upstream's lists
# segv, binaries, ldd, ...) and /etc/guestfs-appliance of our root image.
OUR_DEBUG_HELP="Commands supported: help env error fds ls ll print progress qtrace setenv sh spew"
ours_answers() { # label -> checks a guestfish session on a scratch ext4 disk
    local out=/tmp/fish.$1
    guestfish -N /tmp/fish-$1.img=fs:ext4:64M -m /dev/sda1 >"$out" 2>&1 <<'EOF'
write /hello "hello from the guest"
cat /hello
echo ---
debug help ""
echo ---
debug sh "cat /etc/guestfs-appliance"
EOF
    local st=$?
    rm -f /tmp/fish-$1.img
    if ((st == 0)) && grep -qx 'hello from the guest' "$out" && grep -qx "$OUR_DEBUG_HELP" "$out" \
            && grep -qx "commit=$COMMIT" "$out"; then
        ok "$1: guestfish session on our daemon (debug help: ours; appliance commit=$COMMIT)"
    else
        show "$out"; failed "$1" "$1: guestfish did not reach our daemon (status $st)"
    fi
}

test_tool() { # label backend -> libguestfs-test-tool passes; log in /tmp/tt.LABEL
    local log=/tmp/tt.$1
    if LIBGUESTFS_BACKEND=$2 timeout 900 libguestfs-test-tool >"$log" 2>&1 && grep -q 'TEST FINISHED OK' "$log"; then
        ok "$1: libguestfs-test-tool (backend $2): TEST FINISHED OK"
        return 0
    fi
    show "$log" 40; failed "$1" "$1: libguestfs-test-tool (backend $2) failed"
    return 1
}

uses_ours() { # label log -> the log shows our kernel, root and /init
    if grep -q "$LIB/kernel" "$2" && grep -q "$LIB/root" "$2" && grep -q "^commit=$COMMIT" "$2" \
            && ! grep -qi 'supermin' "$2"; then
        ok "$1: the log shows $LIB/kernel, $LIB/root and our /init (commit=$COMMIT), no supermin"
    else
        grep -E 'kernel|root|supermin|commit=' "$2" | head -n 20 | sed 's/^/    | /'
        failed "$1" "$1: the log does not show our appliance"
    fi
}

diverted() { # label -> both supermin files diverted by us, stock copies intact
    local f n=0
    for f in base.tar.gz packages; do
        if [[ $(dpkg-divert --listpackage "$LIB/supermin.d/$f") == guestfsd-appliance && ! -e $LIB/supermin.d/$f \
                && -e $LIB/supermin.d/$f.distrib ]]; then
            n=$((n + 1))
        fi
    done
    local want want_now
    want=$(grep "supermin.d/base.tar.gz$" /tmp/stock.before | cut -d' ' -f1)
    want_now=$(sha256sum <"$LIB/supermin.d/base.tar.gz.distrib" | cut -d' ' -f1)
    if ((n == 2)) && [[ $want == "$want_now" ]]; then
        ok "$1: supermin.d/base.tar.gz and packages diverted to *.distrib, unchanged"
    else
        dpkg-divert --list | sed 's/^/    | /'; ls -l "$LIB/supermin.d" | sed 's/^/    | /'
        failed "$1" "$1: the supermin appliance is not diverted as it should be"
    fi
}

root_intact() { # label -> the generated root is the packaged image, sparse
    if (cd / && sha256sum --quiet -c /usr/lib/guestfsd-appliance/root.sha256) \
            && [[ $(stat -c %s "$VAR/root") == 4294967296 ]]; then
        ok "$1: $VAR/root is the built image (sha256), 4 GiB, $(du -m "$VAR/root" | cut -f1) MiB allocated"
    else
        ls -ls "$VAR" | sed 's/^/    | /'; failed "$1" "$1: $VAR/root is not the built image"
    fi
}

# ------------------------------------------------------------------ install
step "apt-get install ./${DEB##*/}"
cp "$DEB" /tmp/ && deb=/tmp/${DEB##*/}
if apt-get install -y -q "$deb" >/tmp/apt.install 2>&1; then
    ok "apt-get install ./${DEB##*/}"
else
    show /tmp/apt.install; failed install "apt-get install failed"
    echo "FAILED: ${bad[*]}"; exit 1
fi
diverted install
root_intact install
# What it takes on disk: the package's files and the image postinst made.
used_kb=$( { dpkg -L guestfsd-appliance | while read -r f; do [[ -f $f && ! -L $f ]] && echo "$f"; done
             echo "$VAR/root"; } | xargs du -k | awk '{s += $1} END {print s}')
if ((used_kb * 1024 <= 250 * 1000 * 1000)); then
    ok "installed: $((used_kb * 1024 / 1000000)) MB on disk (limit 250 MB)"
else
    failed size "installed: $((used_kb * 1024 / 1000000)) MB on disk, over 250 MB"
fi

step "libguestfs-test-tool with no LIBGUESTFS_PATH"
test_tool installed direct && uses_ours installed /tmp/tt.installed
step "guestfish session"
ours_answers installed

# ------------------------------------------------------------------ libvirt
if [[ $LIBVIRT == libvirt ]]; then
    step "libvirt: libvirtd"
    # qemu's console log goes through virtlogd; the domain is TCG
    # (LIBGUESTFS_BACKEND_SETTINGS=force_tcg: <domain type='qemu'>).
    # libvirt's private /dev for each domain (qemu.conf namespaces) cannot
    # be made in this chroot: qemu then fails with "Could not open
    # '/dev/urandom'". Off, as for libvirtd in a container.
    echo 'namespaces = []' >>/etc/libvirt/qemu.conf
    mkdir -p /run/libvirt /var/log/libvirt/qemu
    /usr/sbin/virtlogd -d
    /usr/sbin/libvirtd -d
    for _ in $(seq 100); do [[ -S /run/libvirt/libvirt-sock ]] && break; sleep 0.2; done
    if virsh -c qemu:///system version >/tmp/virsh.version 2>&1; then
        ok "libvirtd answers: $(grep -i 'running hypervisor' /tmp/virsh.version)"
        step "libvirt: libguestfs-test-tool"
        test_tool libvirt libvirt && uses_ours libvirt /tmp/tt.libvirt
    else
        show /tmp/virsh.version; failed libvirtd "libvirtd does not answer"
    fi
fi

# ------------------------------------------------------------------ reinstall libguestfs0
step "reinstall $libpkg"
ver=$(dpkg-query -W -f '${Version}' "$libpkg")
cached=$(ls "$(dirname "$DEB")"/debs/"${libpkg}_${ver/:/%3a}"_amd64.deb 2>/dev/null | head -n1)
if [[ -n $cached ]]; then
    how="dpkg -i of the .deb apt downloaded for the root"
    dpkg -i "$cached" >/tmp/reinstall 2>&1; st=$?
else
    how="apt-get install --reinstall"
    { apt-get update -q && apt-get install -y -q --reinstall "$libpkg"; } >/tmp/reinstall 2>&1; st=$?
    if ((st != 0)); then
        # the archive has moved on from the root's version: an upgrade then
        how="apt-get install: upgraded to the archive's version"
        apt-get install -y -q "$libpkg" >>/tmp/reinstall 2>&1; st=$?
    fi
fi
if ((st == 0)); then
    ok "$libpkg $ver reinstalled ($how: $(dpkg-query -W -f '${Version}' "$libpkg"))"
else
    show /tmp/reinstall; failed reinstall "$libpkg could not be reinstalled"
fi
diverted reinstall
ours_answers reinstall

# ------------------------------------------------------------------ upgrade ours
step "upgrade to ${UPGRADE_DEB##*/}"
cp "$UPGRADE_DEB" /tmp/ && up=/tmp/${UPGRADE_DEB##*/}
want=$(dpkg-deb -f "$up" Version)
if apt-get install -y -q "$up" >/tmp/apt.upgrade 2>&1 \
        && [[ $(dpkg-query -W -f '${Version}' guestfsd-appliance) == "$want" ]]; then
    ok "upgraded to $want"
else
    show /tmp/apt.upgrade; failed upgrade "upgrade to $want failed"
fi
diverted upgrade
root_intact upgrade
ours_answers upgrade

# ------------------------------------------------------------------ purge
step "apt-get purge guestfsd-appliance"
if apt-get purge -y -q guestfsd-appliance >/tmp/apt.purge 2>&1; then
    ok "apt-get purge"
else
    show /tmp/apt.purge; failed purge "apt-get purge failed"
fi
stock >/tmp/stock.after
dpkg --verify "$libpkg" >/tmp/verify.after 2>&1
if cmp -s /tmp/stock.before /tmp/stock.after && [[ ! -e $VAR ]] && cmp -s /tmp/verify.before /tmp/verify.after; then
    ok "the stock appliance is back exactly (files, modes, sha256, diversions; dpkg --verify $libpkg as before)"
else
    diff /tmp/stock.before /tmp/stock.after | sed 's/^/    | /'
    diff /tmp/verify.before /tmp/verify.after | sed 's/^/    | /'
    failed restore "the stock appliance is not restored exactly"
fi
step "libguestfs-test-tool on the stock appliance"
if test_tool stock direct; then
    if grep -q 'supermin' /tmp/tt.stock && ! grep -q "$LIB/kernel" /tmp/tt.stock; then
        ok "stock: the log shows Debian's supermin appliance"
    else
        failed stock-log "stock: the log does not show the supermin appliance"
    fi
fi

# ------------------------------------------------------------------ libvirt compat
if [[ $LIBVIRT == libvirt && -S /run/libvirt/libvirt-sock ]]; then
    step "libvirt: compat basic.fish (ours: the packaged appliance, /appliance; reference: Debian's)"
    if LIBGUESTFS_BACKEND=libvirt APPLIANCE_DIR=/appliance COMPAT_OUTDIR=/tmp/compat \
            bash /src/scripts/compat /src/Tests/appliance/compat/basic.fish >/tmp/compat.out 2>&1; then
        ok "libvirt: compat basic.fish: same output"
    else
        show /tmp/compat.out 40; failed compat "libvirt: compat basic.fish differs"
    fi
fi

step "done"
if ((${#bad[@]})); then echo "FAILED: ${bad[*]}"; exit 1; fi
echo "all checks passed"
