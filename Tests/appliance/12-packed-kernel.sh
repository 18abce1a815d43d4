#!/usr/bin/env bash
# The packed kernel (appliance-build/pack-kernel, pvh-lz4/) on its own,
# without libguestfs: qemu boots it through PVH, the stub unpacks the
# kernel, and the kernel runs the initrd's shell, which prints a marker.
# Then the same kernel with one segment's block length made wrong: the stub
# must refuse it (a triple fault: qemu -no-reboot exits at once) before any
# kernel code runs, not decode garbage or hang.
source "$(dirname "$0")/lib.sh"

kernel=$OURS/kernel
[[ -f $kernel && -f $OURS/initrd ]] || skip "no fixed appliance at $OURS"
# A packed kernel has exactly two PT_LOAD segments (blocks and stub); the
# plain ELF (APPLIANCE_KERNEL=elf) has four.
loads=$(readelf -lW "$kernel" | grep -c ' LOAD ')
[[ $loads == 2 ]] || skip "the appliance's kernel is not packed ($loads PT_LOAD segments)"

boot() { # kernel -> console output in $TMP/console; status of qemu
    timeout 120 qemu-system-x86_64 -accel tcg -m 512 -cpu max -nodefaults -nographic -no-reboot \
        -serial "file:$TMP/console" -kernel "$1" -initrd "$OURS/initrd" \
        -append 'panic=1 console=ttyS0 root=/dev/sda rdinit=/bin/sh -- -c "echo packed-kernel-$((6 * 7)); poweroff -f"' \
        </dev/null >/dev/null 2>&1
}

boot "$kernel" || true
grep -q 'Linux version' "$TMP/console" && grep -q 'packed-kernel-42' "$TMP/console" \
    || { cat "$TMP/console"; fail "the packed kernel did not reach the initrd's shell"; }

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
pass "packed kernel boots to the initrd's shell; with a corrupt block qemu stopped after ${took}s (status $status) before the kernel ran"
