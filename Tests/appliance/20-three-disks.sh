#!/usr/bin/env bash
# Disks attached: every one is listed by the first list-devices call (the
# appliance waits for the SCSI scan), each name is the disk libguestfs
# attached at that position (sizes tell them apart: the kernel names disks
# in the order its asynchronous probes run, and /init must make that the
# target order; once in CI the appliance's root came out as /dev/sda), the
# daemon answers, and the session ends cleanly. One disk, three, eight,
# then six launched three times: a swap is a race, so more disks and
# launches give it more chances to show. Each launch is verbose: the
# daemon's start-up check that every /dev/sdX is the disk at the SCSI
# target libguestfs attached in that position (DiskOrder; it refuses to
# start otherwise) must have run over the user's disks and the root.
source "$(dirname "$0")/lib.sh"

check() { # number of disks
    local count=$1 i args=() want=""
    for ((i = 0; i < count; i++)); do
        truncate -s $((64 + 16 * i))M "$TMP/d$i.img"
        args+=(-a "$TMP/d$i.img")
    done
    {
        echo run
        echo list-devices
        for ((i = 0; i < count; i++)); do
            echo "blockdev-getsize64 /dev/sd$(printf "\\x$(printf %x $((97 + i)))")"
        done
        echo ping-daemon
        echo umount-all
        echo "echo session-done"
    } >"$TMP/script"
    LIBGUESTFS_PATH=$OURS guestfish -v --format=raw "${args[@]}" <"$TMP/script" >"$TMP/out" 2>"$TMP/err" \
        || { show_out "$TMP/err"; show_out; fail "$count disks: guestfish exited with status $?"; }
    grep -q "guestfsd: disk names follow SCSI addresses ($((count + 1)) sd disks)" "$TMP/err" \
        || { grep -i 'guestfsd' "$TMP/err" | head -5 >&2; fail "$count disks: no start-up check of the disk names over $((count + 1)) disks"; }
    local devs sizes
    devs=$(grep '^/dev/' "$TMP/out" | tr '\n' ' ')
    for ((i = 0; i < count; i++)); do
        want+="/dev/sd$(printf "\\x$(printf %x $((97 + i)))") "
    done
    [[ $devs == "$want" ]] || { show_out; fail "$count disks: list-devices gave '$devs'"; }
    sizes=$(grep -E '^[0-9]+$' "$TMP/out" | tr '\n' ' ')
    want=""
    for ((i = 0; i < count; i++)); do want+="$(((64 + 16 * i) << 20)) "; done
    [[ $sizes == "$want" ]] || { show_out; fail "$count disks: sizes by name '$sizes', attached '$want'"; }
    grep -qx session-done "$TMP/out" || { show_out; fail "$count disks: session did not finish"; }
}

check 1
check 3
check 8
for round in 1 2 3; do check 6; done
pass "1, 3 and 8 disks, then 6 disks three times: each listed, each name the disk attached at that position (checked by the daemon at start-up too), session ended"
