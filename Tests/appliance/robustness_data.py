#!/usr/bin/python3
"""Robustness, part 5: no data lost (boots OUR appliance under TCG with
Debian's python3-guestfs).

1. Write files (ext4 on a partition, ext4 on an LVM LV), close the handle
   (internal_autosync unmounts and syncs) and reopen: every byte is there,
   the LV is listed.
2. Write more files and a new LV, g.sync(), then SIGKILL qemu (no clean
   shutdown at all); reopen: every byte and the new LV are still there.

Exit 0 = pass, 77 = skipped (no qemu / no appliance), 1 = fail. Prints one
"ROBUSTNESS appliance-data: ..." summary line.
"""
import hashlib
import os
import random
import shutil
import signal
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
APPLIANCE = os.environ.get("APPLIANCE_DIR", os.path.join(ROOT, ".build-appliance", "appliance"))


def skip(why):
    print("#" * 64, file=sys.stderr)
    print(f"SKIP robustness_data: {why}", file=sys.stderr)
    print("#" * 64, file=sys.stderr)
    print("ROBUSTNESS appliance-data: skipped")
    sys.exit(77)


if not shutil.which("qemu-system-x86_64"):
    skip("qemu-system-x86_64 is not installed")
if not (os.path.exists(os.path.join(APPLIANCE, "root")) or os.path.exists(os.path.join(APPLIANCE, "initramfs.x86_64.img"))):
    skip(f"no appliance in {APPLIANCE} (build it with appliance-build/build)")
try:
    import guestfs
except ImportError:
    skip("python3-guestfs is not installed")

os.environ["LIBGUESTFS_BACKEND"] = "direct"
os.environ["LIBGUESTFS_BACKEND_SETTINGS"] = "force_tcg"
os.environ["LIBGUESTFS_PATH"] = APPLIANCE

tmp = tempfile.mkdtemp(prefix="robustness-data.")
disks = [os.path.join(tmp, "a.img"), os.path.join(tmp, "b.img")]
for d in disks:
    with open(d, "wb") as f:
        f.truncate(256 * 1024 * 1024)

rng = random.Random(20241124)
expected = {}  # guest path -> sha256
written = 0
lost = 0
tried = 0
failures = []


def handle():
    g = guestfs.GuestFS(python_return_dict=True)
    for d in disks:
        g.add_drive_opts(d, format="raw")
    g.launch()
    return g


def mount_all(g):
    g.mount("/dev/sda1", "/")
    g.mkdir_p("/lvm")
    g.mount("/dev/VGR/LVR", "/lvm")


def put(g, path, size):
    """Writes a file of pseudo-random bytes: small ones with write, big ones
    with upload; remembers its checksum."""
    global written
    data = rng.randbytes(size)
    if size <= 2 * 1024 * 1024:
        g.write(path, data)
    else:
        local = os.path.join(tmp, "up.bin")
        with open(local, "wb") as f:
            f.write(data)
        g.upload(local, path)
    expected[path] = hashlib.sha256(data).hexdigest()
    written += size


def verify(g, stage):
    """Every remembered file must come back byte for byte."""
    global lost, tried
    for path, digest in sorted(expected.items()):
        tried += 1
        try:
            got = g.checksum("sha256", path)
        except RuntimeError as e:
            got = f"error: {e}"
        if got != digest:
            size = 0
            try:
                size = g.filesize(path)
            except RuntimeError:
                pass
            lost += max(size, 1)
            failures.append(f"{stage}: {path}: {got} != {digest}")


def sizes(n):
    return [rng.choice([0, 1, 511, 4096, 8191, 8193, 65536, 300_000, 1_500_000]) for _ in range(n)] + [5 * 1024 * 1024 + 17]


try:
    # 1. write, close cleanly, reopen
    g = handle()
    g.part_disk("/dev/sda", "mbr")
    g.mkfs("ext4", "/dev/sda1")
    g.pvcreate("/dev/sdb")
    g.vgcreate("VGR", ["/dev/sdb"])
    g.lvcreate("LVR", "VGR", 128)
    g.mkfs("ext4", "/dev/VGR/LVR")
    mount_all(g)
    g.mkdir_p("/dir/sub")
    for i, s in enumerate(sizes(12)):
        put(g, f"/dir/sub/f{i}", s)
    for i, s in enumerate(sizes(8)):
        put(g, f"/lvm/l{i}", s)
    g.shutdown()
    g.close()

    g = handle()
    lvs = g.lvs()
    if "/dev/VGR/LVR" not in lvs:
        failures.append(f"after close: lvs = {lvs}")
        lost += 1
    mount_all(g)
    verify(g, "after close and reopen")

    # 2. more data and a new LV, sync, then kill qemu outright
    g.lvcreate("LVK", "VGR", 32)
    for i, s in enumerate(sizes(6)):
        put(g, f"/dir/k{i}", s)
    for i, s in enumerate(sizes(4)):
        put(g, f"/lvm/k{i}", s)
    g.sync()
    pid = g.get_pid()
    os.kill(pid, signal.SIGKILL)
    time.sleep(1)
    try:
        g.close()
    except Exception:
        pass

    g = handle()
    lvs = g.lvs()
    for lv in ("/dev/VGR/LVR", "/dev/VGR/LVK"):
        if lv not in lvs:
            failures.append(f"after sync + kill: {lv} missing from lvs = {lvs}")
            lost += 1
    mount_all(g)
    verify(g, "after sync and kill -9 of qemu")
    g.shutdown()
    g.close()
except RuntimeError as e:
    failures.append(f"libguestfs error: {e}")
finally:
    shutil.rmtree(tmp, ignore_errors=True)

print(f"ROBUSTNESS appliance-data: inputs={tried} files={len(expected)} bytes_written={written} crashes=0 hangs=0 bytes_lost={lost}")
for f in failures:
    print(f"ROBUSTNESS appliance-data: FAILED {f}")
sys.exit(1 if failures else 0)
