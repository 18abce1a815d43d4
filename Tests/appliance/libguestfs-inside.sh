#!/usr/bin/env bash
# Run inside a Debian root (scripts/debian-root SUITE run) by
# 70-libguestfs-1.54.sh (Debian 13) and 70-libguestfs-1.60.sh (Debian
# unstable): the checkout is at /src (read-only), our appliance at
# /appliance, and /tmp is a scratch directory. Each check prints "ok: ..."
# or "DIFFERENT: ..."; exit status 1 if any check failed.
# With INSPECTION_TOOLS="inspector customize ..." and GUEST_IMAGE, also the
# root's virt tools on that guest (70-inspection-tools.sh), ours beside the
# reference.
set -uo pipefail
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg
OURS=/appliance
bad=()
t0=$(date +%s)
step() { echo "== $* ($(($(date +%s) - t0)) s)"; }
VERSION=$(guestfish --version | awk '{print $2; exit}')

step "libguestfs $(dpkg-query -W -f '${Version}' libguestfs0t64 2>/dev/null || echo '?') (guestfish $VERSION)"

# 1. libguestfs-test-tool against ours.
step "libguestfs-test-tool on our appliance"
if LIBGUESTFS_PATH=$OURS timeout 600 libguestfs-test-tool >/tmp/test-tool.out 2>&1 &&
        grep -q 'TEST FINISHED OK' /tmp/test-tool.out; then
    echo "ok: TEST FINISHED OK"
else
    tail -n 30 /tmp/test-tool.out | sed 's/^/    | /'
    bad+=(test-tool)
fi

# 2. Every compat script: ours against this library's own reference
# appliance (supermin builds it at the first launch, cached in the root's
# /var/tmp): its outputs recorded in /src/Tests/appliance/compat/reference/
# VERSION (scripts/compat --record --in SUITE), a live run where no record
# matches. Two scripts at a time (one VM each when recorded).
# None is left out. Where the reference appliance's own tools are other
# versions than ours (Debian 12's), or where ours gives upstream 1.60's
# answer and an older reference does not, the outputs must differ exactly
# as /src/Tests/appliance/compat/reference/VERSION/NAME.fixed says, its
# reason in its first lines (README, "Where ours differs from a
# reference"): under 1.54 btrfs, scrub, inspect and luks; under 1.60
# btrfs, scrub, ntfs, mdadm, inspect-windows and tsk.
files=(/src/Tests/appliance/compat/*.fish)
step "compat scripts (${#files[@]}, two at a time)"
mkdir -p /tmp/compat-logs
i=0
for f in "${files[@]}"; do
    while (($(jobs -rp | wc -l) >= ${COMPAT_JOBS:-2})); do wait -n || true; done
    ( if APPLIANCE_DIR=$OURS COMPAT_OUTDIR=/tmp/compat bash /src/scripts/compat "$f" >/tmp/compat-logs/$i 2>&1; then
          touch /tmp/compat-logs/$i.ok; fi ) &
    i=$((i + 1))
done
wait
i=0
for f in "${files[@]}"; do
    cat /tmp/compat-logs/$i
    if [[ -f /tmp/compat-logs/$i.ok ]]; then echo "ok: ${f##*/}"; else bad+=("compat:${f##*/}"); fi
    i=$((i + 1))
done
step "compat scripts done"

# 3. One disk for the FUSE and Python checks, made by the reference. The
# disk and the reference's listings are recorded in the root, per version of
# this script (like the compat outputs above).
REC=/var/cache/libguestfs-reference/$(sha256sum "$0" | cut -c1-16)
if [[ -f $REC/done ]]; then
    step "test disk and reference listings recorded earlier ($REC)"
    cp --sparse=always "$REC/disk.img" /tmp/disk.img
else
    step "making a test disk"
    env -u LIBGUESTFS_PATH guestfish -N /tmp/disk.img=fs:ext4:64M -m /dev/sda1 <<'EOF' || bad+=(disk)
mkdir /dir
write /dir/hello "hello world\n"
mkdir-p /dir/sub/deeper
ln-s hello /dir/link
mkfifo 0640 /dir/fifo
touch /dir/empty
chmod 0600 /dir/empty
chown 1000 100 /dir/sub
EOF
fi
# which of ours/ref to run (the reference only when not recorded)
sides() { echo ours; [[ -f $REC/done ]] || echo ref; }

# 4. guestmount: the same listings through FUSE from ours and the reference.
for which in $(sides); do
    step "guestmount ($which)"
    mkdir -p /tmp/mnt-$which
    if [[ $which == ours ]]; then export LIBGUESTFS_PATH=$OURS; else unset LIBGUESTFS_PATH; fi
    if guestmount --ro -a /tmp/disk.img -m /dev/sda1 /tmp/mnt-$which; then
        # ".." of the mount point is the scratch directory, not the guest's
        (cd /tmp/mnt-$which && { ls -lan --time-style=+%s . | grep -v ' \.\.$'; ls -lan --time-style=+%s dir dir/sub; } &&
            cat dir/hello && readlink dir/link) >/tmp/fuse.$which 2>&1
        guestunmount /tmp/mnt-$which || bad+=("guestunmount:$which")
    else
        echo "guestmount failed" >/tmp/fuse.$which
    fi
    unset LIBGUESTFS_PATH
done
[[ -f $REC/done ]] && cp "$REC/fuse.ref" "$REC/readdir.ref" /tmp/
if diff -u --label reference --label ours /tmp/fuse.ref /tmp/fuse.ours; then
    echo "ok: guestmount listings identical ($(wc -l </tmp/fuse.ours) lines)"
    grep -q 'hello world' /tmp/fuse.ours || { echo "DIFFERENT: no file content through FUSE"; bad+=(guestmount); }
else
    bad+=(guestmount)
fi

# 5. python3-guestfs readdir (a library call on top of internal_readdir since 1.54).
for which in $(sides); do
    step "python readdir ($which)"
    if [[ $which == ours ]]; then export LIBGUESTFS_PATH=$OURS; else unset LIBGUESTFS_PATH; fi
    python3 - >/tmp/readdir.$which 2>&1 <<'EOF'
import guestfs
g = guestfs.GuestFS(python_return_dict=True)
g.add_drive_opts("/tmp/disk.img", format="raw", readonly=1)
g.launch()
g.mount_ro("/dev/sda1", "/")
for d in ("/", "/dir", "/dir/sub"):
    for e in sorted(g.readdir(d), key=lambda e: e["name"]):
        print(d, e["name"], e["ftyp"], e["ino"])
try:
    g.readdir("/dir/hello")
except RuntimeError as e:
    print("error:", e)
g.shutdown()
g.close()
EOF
    unset LIBGUESTFS_PATH
done
if diff -u --label reference --label ours /tmp/readdir.ref /tmp/readdir.ours; then
    echo "ok: python readdir identical ($(wc -l </tmp/readdir.ours) lines)"
else
    bad+=(python-readdir)
fi

# Record the reference's side once everything matched.
if ((${#bad[@]} == 0)) && [[ ! -f $REC/done ]]; then
    mkdir -p "$REC" && cp --sparse=always /tmp/disk.img "$REC/" && cp /tmp/fuse.ref /tmp/readdir.ref "$REC/" &&
        touch "$REC/done"
fi

# 6. The root's virt tools on a real guest (70-inspection-tools.sh, its
# reference outputs cached in the root's /var/cache/inspection-ref-outputs).
if [[ -n ${INSPECTION_TOOLS:-} ]]; then
    step "virt tools on $GUEST_IMAGE: $INSPECTION_TOOLS"
    if APPLIANCE_DIR=$OURS TOOLS=$INSPECTION_TOOLS GUEST_IMAGE=$GUEST_IMAGE \
            REF_OUTPUTS_DIR=/var/cache/inspection-ref-outputs bash /src/Tests/appliance/70-inspection-tools.sh; then
        echo "ok: virt tools ($INSPECTION_TOOLS)"
    else
        bad+=("virt-tools")
    fi
fi

step "done"
if ((${#bad[@]})); then
    echo "DIFFERENT: ${bad[*]}"
    exit 1
fi
echo "all checks identical to libguestfs $VERSION's reference"
