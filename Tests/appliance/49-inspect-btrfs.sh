#!/usr/bin/env bash
# retry: it runs the reference appliance live, which now and then names its disks one letter on
# A Fedora-style guest on btrfs, root and /home as subvolumes mounted
# through fstab's subvol= (issue 16): virt-inspector's XML on our appliance
# is identical to the reference's. The image is made once, by guestfish on
# the reference appliance, so both inspect the same bytes, with fixed
# filesystem UUIDs, so that every build of it is inspected alike: the
# reference's virt-inspector output is recorded in Tests/appliance/reference/
# LIBVER/49-inspect-btrfs (lib.sh: ref_records; REF_RECORD=1
# scripts/appliance-test 49-inspect-btrfs.sh re-records it) and the
# reference inspects live only when the record is stale or ours differs.
source "$(dirname "$0")/lib.sh"
ref_records "$ROOT/Tests/guests/make-rpm-root"

IMG=$TMP/fedora-btrfs.img
# The reference appliance names its own root disk first now and then, so the
# guest's disk shows as /dev/sdb or /dev/sdc in its answers: mask the letter.
masked() { sed -E 's|/dev/sd[a-z]|/dev/sdX|g'; }
truncate -s 1G "$IMG"
cat >"$TMP/os-release" <<'OS'
NAME="Fedora Linux"
VERSION="39 (Server Edition)"
ID=fedora
VERSION_ID=39
PRETTY_NAME="Fedora Linux 39 (Server Edition)"
OS
printf 'Fedora release 39 (Thirty Nine)\n' >"$TMP/fedora-release"
cat >"$TMP/fstab" <<'FSTAB'
LABEL=fedora  /      btrfs  subvol=root,compress=zstd:1  0 0
LABEL=fedora  /home  btrfs  subvol=home,compress=zstd:1  0 0
LABEL=boot    /boot  ext4   defaults                     1 2
FSTAB
# an rpm database with a few packages, so virt-inspector lists applications
"$ROOT/Tests/guests/make-rpm-root" "$TMP/rpmroot" 2>/dev/null || fail "could not make the rpm database"
tar -C "$TMP/rpmroot" -cf "$TMP/rpmroot.tar" .
ref_fish --format=raw -a "$IMG" <<FISH || { show_out; fail "could not build the btrfs guest"; }
run
part-init /dev/sda mbr
part-add /dev/sda p 2048 411647
part-add /dev/sda p 411648 -64
mkfs ext4 /dev/sda1 label:boot
set-uuid /dev/sda1 49b00100-0000-4000-8000-000000000001
mkfs-btrfs /dev/sda2 label:fedora
set-uuid /dev/sda2 49b00200-0000-4000-8000-000000000002
mount /dev/sda2 /
btrfs-subvolume-create /root
btrfs-subvolume-create /home
mkdir-p /root/etc
mkdir-p /root/usr/bin
mkdir /root/boot
mkdir /root/home
mkdir /home/alice
ln-s usr/bin /root/bin
upload $TMP/os-release /root/etc/os-release
upload $TMP/fedora-release /root/etc/fedora-release
upload $TMP/fstab /root/etc/fstab
write /root/etc/hostname "fedora-btrfs.example.com\n"
upload /bin/ls /root/usr/bin/ls
upload /bin/bash /root/usr/bin/bash
tar-in $TMP/rpmroot.tar /root
umount-all
mount /dev/sda1 /
write /config-6.5.6-300.fc39.x86_64 "# kernel config\n"
umount-all
FISH

status=0
LIBGUESTFS_PATH=$OURS virt-inspector --format=raw -a "$IMG" >"$TMP/ours.xml" 2>"$TMP/ours.err" || status=$?
echo "exit status $status" >>"$TMP/ours.err"
# the reference's: recorded (masked), or live
ref_live() {
    local status=0
    env -u LIBGUESTFS_PATH virt-inspector --format=raw -a "$IMG" >"$TMP/ref.xml.raw" 2>"$TMP/ref.err.raw" || status=$?
    echo "exit status $status" >>"$TMP/ref.err.raw"
    masked <"$TMP/ref.xml.raw" >"$TMP/ref.xml"
    masked <"$TMP/ref.err.raw" >"$TMP/ref.err"
    grep -q "<distro>fedora</distro>" "$TMP/ref.xml" || { cat "$TMP/ref.xml" "$TMP/ref.err" >&2; fail "the reference did not see Fedora"; }
    grep -q '<name>zeta-tools</name>' "$TMP/ref.xml" || { cat "$TMP/ref.xml" >&2; fail "the reference listed no applications"; }
    grep -q 'btrfsvol:/dev/sdX2/home' "$TMP/ref.xml" || { cat "$TMP/ref.xml" >&2; fail "the reference did not map /home to its subvolume"; }
}
same_as_ref() { cmp -s "$TMP/ref.err" <(masked <"$TMP/ours.err") && cmp -s "$TMP/ref.xml" <(masked <"$TMP/ours.xml"); }
from=live
if ref_recorded ref.xml "$TMP/ref.xml" && ref_recorded ref.err "$TMP/ref.err"; then
    from=recorded
    if ! same_as_ref; then
        echo "(ours differs from the recorded reference output: the reference runs live)"
        ref_live; from=live
        same_as_ref && echo "(the record was stale: REF_RECORD=1 scripts/appliance-test 49-inspect-btrfs.sh re-records it)"
    fi
else
    ref_live
fi
if ! diff -u "$TMP/ref.err" <(masked <"$TMP/ours.err") >&2; then
    fail "virt-inspector's messages or exit status differ from the reference's ($from)"
fi
if ! diff -u "$TMP/ref.xml" <(masked <"$TMP/ours.xml") >&2; then
    fail "virt-inspector's XML differs from the reference's ($from)"
fi
if [[ $from == live ]]; then
    ref_record ref.xml "$TMP/ref.xml"
    ref_record ref.err "$TMP/ref.err"
fi
pass "virt-inspector on a btrfs guest with root and home subvolumes: identical to the reference ($from)"
