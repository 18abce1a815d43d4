#!/usr/bin/env bash
# The packed kernel (appliance-build/pack-kernel, pvh-lz4/) on its own,
# without libguestfs: qemu boots it through PVH, the stub unpacks the
# kernel, and the kernel runs the initrd's shell, which prints a marker and
# /proc/cmdline. The stub's parameters (the build's APPLIANCE_KERNEL_PARAMS,
# read back from the kernel file) must come first, then qemu's -append
# unchanged; a command line too long for both must reach the kernel as qemu
# gave it, whole. Then the same kernel with one segment's block length made
# wrong: the stub must refuse it (a triple fault: qemu -no-reboot exits at
# once) before any kernel code runs, not decode garbage or hang.
source "$(dirname "$0")/lib.sh"

kernel=$OURS/kernel
[[ -f $kernel && -f $OURS/initrd ]] || skip "no fixed appliance at $OURS"
# A packed kernel has exactly two PT_LOAD segments (blocks and stub); the
# plain ELF (APPLIANCE_KERNEL=elf) has four.
loads=$(readelf -lW "$kernel" | grep -c ' LOAD ')
[[ $loads == 2 ]] || skip "the appliance's kernel is not packed ($loads PT_LOAD segments)"

# The parameters as pack-kernel stored them (struct pvh_params: marker,
# entry, count, 16 segments of 5 words, then a length and 256 bytes).
params=$(python3 - "$kernel" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
i = data.find(struct.pack("<I", 0x6B4C5A34))
assert i > 0, "no parameter block"
(n,) = struct.unpack_from("<I", data, i + 12 + 16 * 20)
print(data[i + 16 + 16 * 20:i + 16 + 16 * 20 + n].decode())
PY
)

# qemu's -append: [extra parameters] then the initrd's shell, which mounts
# /proc and prints a marker and the command line it got.
append() {
    echo "panic=1 console=ttyS0 root=/dev/sda ${1:-}rdinit=/bin/sh -- -c \"mkdir -p /proc; mount -t proc proc /proc; echo packed-kernel-\$((6 * 7)); echo cmdline=[\$(cat /proc/cmdline)]; poweroff -f\""
}
boot() { # kernel [extra parameters] -> console output in $TMP/console; status of qemu
    timeout 120 qemu-system-x86_64 -accel tcg -m 512 -cpu max -nodefaults -nographic -no-reboot \
        -serial "file:$TMP/console" -kernel "$1" -initrd "$OURS/initrd" -append "$(append "${2:-}")" \
        </dev/null >/dev/null 2>&1
}
# What the guest printed of its command line, up to rdinit= (the rest is
# the shell's script).
cmdline() { sed -n 's/^cmdline=\[\(.*\)rdinit=.*/\1/p' "$TMP/console" | head -1; }

boot "$kernel" || true
grep -q 'Linux version' "$TMP/console" && grep -q 'packed-kernel-42' "$TMP/console" \
    || { cat "$TMP/console"; fail "the packed kernel did not reach the initrd's shell"; }
got=$(cmdline)
want="${params:+$params }panic=1 console=ttyS0 root=/dev/sda "
[[ $got == "$want" ]] || fail "command line: got [$got], expected [$want]"

# qemu's command line padded to 2040 bytes: with the parameters in front it
# would pass the kernel's 2047, which would cut its end (the user's own
# parameters), so the stub must leave it as it is.
if [[ -n $params ]]; then
    base=$(append "guestfs_pad= ")
    pad=$(head -c $((2040 - ${#base})) /dev/zero | tr '\0' x)
    (( ${#params} + 1 + ${#base} + ${#pad} > 2047 )) || fail "test error: padding too short"
    boot "$kernel" "guestfs_pad=$pad " || true
    got=$(cmdline)
    [[ $got == "panic=1 console=ttyS0 root=/dev/sda guestfs_pad=$pad " ]] \
        || fail "long command line: got [${got:0:100}...], expected qemu's alone"
fi

# Corrupt: the first segment's block length (params: marker, entry, count,
# then per segment dst, filesz, memsz, src, srclen) set to 1.
python3 - "$kernel" "$TMP/bad" <<'EOF'
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
i = data.find(struct.pack("<I", 0x6B4C5A34))
assert i > 0, "no parameter block"
struct.pack_into("<I", data, i + 12 + 16, 1)
open(sys.argv[2], "wb").write(data)
EOF
start=$SECONDS
boot "$TMP/bad" && status=0 || status=$?
took=$((SECONDS - start))
[[ $status != 124 ]] || fail "qemu was still running after 120 s with a corrupt packed kernel"
if grep -qE 'packed-kernel-42|Linux version' "$TMP/console"; then fail "a corrupt packed kernel booted"; fi
pass "packed kernel boots to the initrd's shell with [${params}] in front of qemu's command line (a too-long one left whole); with a corrupt block qemu stopped after ${took}s (status $status) before the kernel ran"
