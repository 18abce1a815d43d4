#!/usr/bin/env bash
# tier: full
# alone: it installs into the Debian roots that the 1.54 and 1.60 tests use
# The Debian package (scripts/package), installed as a user would in fresh
# Debian roots: Debian 12 (libguestfs 1.48) and Debian 13 (1.54), and
# unstable (1.60) when PACKAGE_SUITES names sid. Each root is cached by
# scripts/debian-root (mmdebstrap) and every run gets a throw-away overlay
# of it (`fresh`). package-inside.sh does the work inside: apt-get install
# ./the.deb; libguestfs-test-tool and a guestfish session with no
# LIBGUESTFS_PATH, on our kernel, root and daemon; a reinstall of
# libguestfs0 and an upgrade of ours keep it; apt-get purge brings back
# Debian's supermin appliance exactly, which then passes
# libguestfs-test-tool. In the Debian 12 root also the libvirt backend:
# libvirtd started here, a TCG domain, libguestfs-test-tool and a compat
# script. Several minutes per root (each purge builds Debian's supermin
# appliance).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $(id -u) == 0 ]] || skip "needs root (dpkg, mmdebstrap, unshare, chroot)"
command -v unshare >/dev/null || skip "no unshare"
[[ -s $OURS/root && -s $OURS/kernel ]] || fail "no fixed appliance at $OURS"
SUITES=${PACKAGE_SUITES:-bookworm trixie}

for s in $SUITES; do
    if ! bash "$ROOT/scripts/debian-root" "$s" build; then
        # No archive to fetch from (offline machine): say so, loudly.
        [[ -f $(bash "$ROOT/scripts/debian-root" "$s" path)/.guestfsd-tests-complete ]] ||
            skip "could not build the $s root (no network to the Debian archive?)"
    fi
done

# The package, from the appliance under test; lintian runs in scripts/package.
WORK=$ROOT/.build-appliance/package/test
rm -rf "$WORK"; mkdir -p "$WORK/debs"
DEB=$(APPLIANCE_DIR=$OURS bash "$ROOT/scripts/package" "$WORK" | tail -n1) || fail "scripts/package failed"
[[ -s $DEB ]] || fail "scripts/package made no .deb"
commit=$(debugfs -R 'cat /etc/guestfs-appliance' "$OURS/root" 2>/dev/null | sed -n 's/^commit=//p')
# An upgrade: the same package with a later version.
version=$(dpkg-deb -f "$DEB" Version)
dpkg-deb -R "$DEB" "$WORK/up"
sed -i "s/^Version: .*/Version: $version+test1/" "$WORK/up/DEBIAN/control"
dpkg-deb --root-owner-group -Znone --build "$WORK/up" "$WORK/guestfsd-appliance_${version}+test1_amd64.deb" >/dev/null
rm -rf "$WORK/up"
# libguestfs0's .deb as downloaded for the roots (the reinstall without
# network); without it the reinstall goes through apt.
cp -l /var/cache/guestfsd-tests/apt-archives/libguestfs0*.deb "$WORK/debs/" 2>/dev/null || true

for s in $SUITES; do
    extra=
    [[ $s == bookworm ]] && extra=libvirt
    echo "== $s"
    start=$(date +%s)
    if APPLIANCE_DIR=$OURS bash "$ROOT/scripts/debian-root" "$s" fresh bash /src/Tests/appliance/package-inside.sh \
            "/src/${DEB#"$ROOT"/}" "/src/${WORK#"$ROOT"/}/guestfsd-appliance_${version}+test1_amd64.deb" \
            "$commit" $extra >"$TMP/$s.out" 2>&1; then
        cat "$TMP/$s.out"
        echo "-- $s: passed ($(($(date +%s) - start)) s)"
    else
        cat "$TMP/$s.out"
        fail "package in $s: $(grep '^FAILED' "$TMP/$s.out" | tail -n1)"
    fi
done
size=$(($(stat -c %s "$DEB") / 1000000))
rm -rf "$WORK"
pass "package ${DEB##*/} ($size MB): install, reinstall of libguestfs0, upgrade and purge in: $SUITES"
