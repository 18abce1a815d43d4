#!/usr/bin/python3
"""Side-by-side benchmarks: our appliance against Debian's reference
appliance, driven by python3-guestfs as a user would, alternating A B A B
in one run. Prints a table: figure, ours, reference, ratio.

  bench.py OUR_APPLIANCE_DIR [--quick]
"""
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time

import guestfs

OURS = sys.argv[1]
QUICK = "--quick" in sys.argv
os.environ["LIBGUESTFS_BACKEND"] = "direct"
os.environ["LIBGUESTFS_BACKEND_SETTINGS"] = "force_tcg"
TMP = tempfile.mkdtemp(prefix="guestfsd-bench-")
BUSYBOX = "/bin/busybox"


def handle(which):
    """A handle on our appliance ("ours") or the reference ("ref")."""
    if which == "ours":
        os.environ["LIBGUESTFS_PATH"] = OURS
    else:
        os.environ.pop("LIBGUESTFS_PATH", None)
    g = guestfs.GuestFS(python_return_dict=True)
    return g


def launched(which, disks=(("scratch", 1 << 30),)):
    g = handle(which)
    for kind, arg in disks:
        if kind == "scratch":
            g.add_drive_scratch(arg)
        else:
            g.add_drive(arg, format="raw")
    g.launch()
    return g


def with_ext4(which, size=1 << 30):
    g = launched(which, (("scratch", size),))
    g.part_disk("/dev/sda", "mbr")
    g.mkfs("ext4", "/dev/sda1")
    g.mount("/dev/sda1", "/")
    return g


def close(g):
    g.shutdown()
    g.close()


def timed(fn):
    start = time.perf_counter()
    r = fn()
    return time.perf_counter() - start, r


# ---------------------------------------------------------------- figures

def launch_time(which):
    def once():
        g = handle(which)
        g.add_drive_scratch(1 << 30)
        t, _ = timed(g.launch)
        close(g)
        return t
    return once


def small_calls(which, n):
    g = with_ext4(which, 256 << 20)
    g.write("/f", b"x")
    rates = {}
    for name, fn in (("ping_daemon", lambda: g.ping_daemon()),
                     ("is_file", lambda: g.is_file("/f")),
                     ("statns", lambda: g.statns("/f"))):
        t, _ = timed(lambda: [fn() for _ in range(n)])
        rates[name] = n / t
    close(g)
    return rates


def random_file(size_mb):
    """TMP/random.bin with size_mb MiB of random bytes (made once)."""
    src = os.path.join(TMP, "random.bin")
    if not os.path.exists(src):
        with open(src, "wb") as f:
            for _ in range(size_mb):
                f.write(os.urandom(1 << 20))
    return src


def transfer(which, size_mb):
    src = random_file(size_mb)
    want = hashlib.sha256(open(src, "rb").read()).hexdigest()
    g = with_ext4(which, (size_mb + 256) << 20)
    up, _ = timed(lambda: g.upload(src, "/random.bin"))
    dst = os.path.join(TMP, "back.bin")
    down, _ = timed(lambda: g.download("/random.bin", dst))
    close(g)
    got = hashlib.sha256(open(dst, "rb").read()).hexdigest()
    os.unlink(dst)
    if got != want:
        raise RuntimeError("%s: sha256 mismatch after upload/download" % which)
    return size_mb / up, size_mb / down


def tar_round_trip(which, nfiles):
    tree = os.path.join(TMP, "tree")
    tarball = os.path.join(TMP, "tree.tar")
    if not os.path.exists(tarball):
        os.makedirs(tree)
        for i in range(nfiles):
            d = os.path.join(tree, "d%02d" % (i % 50))
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "f%05d" % i), "wb") as f:
                f.write(os.urandom(64 + i % 512))
        os.system("tar -C %s -cf %s ." % (tree, tarball))
    g = with_ext4(which, 512 << 20)
    g.mkdir("/t")
    tin, _ = timed(lambda: g.tar_in(tarball, "/t"))
    out = os.path.join(TMP, "out.tar")
    tout, _ = timed(lambda: g.tar_out("/t", out))
    close(g)
    names = os.popen("tar -tf %s | grep -c '/f[0-9]'" % out).read().strip()
    os.unlink(out)
    if int(names) != nfiles:
        raise RuntimeError("%s: tar_out listed %s files, expected %d" % (which, names, nfiles))
    return nfiles / tin, nfiles / tout


def zerofree_time(which, size_mb):
    g = with_ext4(which, size_mb << 20)
    half = size_mb // 2
    g.fill(0x55, half << 20, "/fill")
    g.sync()
    g.rm("/fill")
    g.umount("/")
    t, _ = timed(lambda: g.zerofree("/dev/sda1"))
    close(g)
    return t


def lvs_rate(which, n):
    g = launched(which, (("scratch", 512 << 20),))
    g.pvcreate("/dev/sda")
    g.vgcreate("VG", ["/dev/sda"])
    for name in ("a", "b", "c"):
        g.lvcreate(name, "VG", 64)
    t, lvs = timed(lambda: [g.lvs() for _ in range(n)])
    if sorted(lvs[-1]) != ["/dev/VG/a", "/dev/VG/b", "/dev/VG/c"]:
        raise RuntimeError("%s: lvs returned %r" % (which, lvs[-1]))
    close(g)
    return n / t


def daemon_peak_rss_kib(which):
    """VmHWM of the daemon after an upload, read through `command` with a
    static busybox uploaded into the guest filesystem (both daemons bind
    /proc into the sysroot for command)."""
    src = random_file(64 if QUICK else 256)
    g = with_ext4(which, 512 << 20)
    g.upload(src, "/random.bin")
    g.upload(BUSYBOX, "/busybox")
    g.chmod(0o755, "/busybox")
    g.mkdir("/proc")  # command binds /proc only where the guest has the directory
    out = g.command(["/busybox", "sh", "-c",
                     "for p in $(/busybox pidof guestfsd); do /busybox grep VmHWM /proc/$p/status; done"])
    close(g)
    kib = max(int(line.split()[1]) for line in out.splitlines() if line.startswith("VmHWM"))
    return kib


def appliance_size_mb(which):
    if which == "ours":
        names = ("kernel", "initrd", "root") if os.path.exists(os.path.join(OURS, "root")) \
            else ("vmlinuz.x86_64", "initramfs.x86_64.img")
        files = [os.path.join(OURS, f) for f in names]
    else:
        d = "/var/tmp/.guestfs-%d/appliance.d" % os.getuid()
        files = [os.path.join(d, f) for f in ("kernel", "initrd", "root")]
    # Size on disk (the reference root image is sparse).
    return sum(os.stat(f).st_blocks * 512 for f in files) / 1e6


def inspector_time(which, image):
    """Wall time of virt-inspector (launch, inspection, applications,
    XML) on a real Debian guest; the XML must name the operating system."""
    env = dict(os.environ)
    if which == "ours":
        env["LIBGUESTFS_PATH"] = OURS
    else:
        env.pop("LIBGUESTFS_PATH", None)
    start = time.perf_counter()
    r = subprocess.run(["virt-inspector", "--format=raw", "-a", image], env=env,
                       capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if r.returncode != 0 or "<distro>debian</distro>" not in r.stdout:
        raise RuntimeError("virt-inspector on %s failed: %s" % (which, (r.stderr or r.stdout).strip()[-200:]))
    return elapsed


# ---------------------------------------------------------------- driver

def alternate(fn, rounds):
    """Runs fn("ours"), fn("ref") alternately; returns the lists."""
    res = {"ours": [], "ref": []}
    for _ in range(rounds):
        for which in ("ours", "ref"):
            res[which].append(fn(which))
    return res


def once(fn):
    """fn("ours") then fn("ref"), once each: (ours, ref)."""
    r = alternate(fn, 1)
    return r["ours"][0], r["ref"][0]


def figures(fn, unit, *names):
    """One measurement that gives several figures (higher is better): a
    row for each name, in the order fn returns them."""
    ours, ref = once(fn)
    for i, name in enumerate(names):
        row(name, ours[i], ref[i], unit, True)


ROWS = []


def row(name, ours, ref, unit, higher_is_better):
    ratio = ours / ref if ref else float("nan")
    ROWS.append((name, ours, ref, unit, ratio, higher_is_better))
    print("  %-36s ours %10.2f  ref %10.2f  %-8s ratio %.2f" % (name, ours, ref, unit, ratio), flush=True)


def guarded(name, fn):
    try:
        fn()
    except Exception as e:  # a figure that cannot be measured is reported, not hidden
        print("  %-36s FAILED: %s" % (name, str(e).splitlines()[0][:150]), flush=True)
        ROWS.append((name, None, None, "", None, True))


def main():
    n_small = 200 if QUICK else 1000
    print("benchmarks: ours=%s vs Debian's reference appliance (force_tcg)%s" % (OURS, " [quick]" if QUICK else ""), flush=True)

    def f_launch():
        r = alternate(lambda w: launch_time(w)(), 2 if QUICK else 5)
        row("launch (s, median)", statistics.median(r["ours"]), statistics.median(r["ref"]), "s", False)
    guarded("launch", f_launch)

    def f_small():
        ours, ref = once(lambda w: small_calls(w, n_small))
        for name in ("ping_daemon", "is_file", "statns"):
            row("%s (calls/s)" % name, ours[name], ref[name], "calls/s", True)
    guarded("small calls", f_small)

    size = 64 if QUICK else 256
    guarded("transfer", lambda: figures(lambda w: transfer(w, size), "MB/s",
                                        "upload %d MiB (MB/s)" % size, "download %d MiB (MB/s)" % size))

    nfiles = 1000 if QUICK else 5000
    guarded("tar", lambda: figures(lambda w: tar_round_trip(w, nfiles), "files/s",
                                   "tar_in %d files (files/s)" % nfiles, "tar_out %d files (files/s)" % nfiles))

    zsize = 256 if QUICK else 1024
    def f_zerofree():
        row("zerofree %d MiB ext4 (s)" % zsize, *once(lambda w: zerofree_time(w, zsize)), "s", False)
    guarded("zerofree", f_zerofree)

    def f_lvs():
        row("lvs x50 (calls/s)", *once(lambda w: lvs_rate(w, 50)), "calls/s", True)
    guarded("lvs", f_lvs)

    def f_rss():
        ours, ref = once(daemon_peak_rss_kib)
        row("daemon peak RSS after a 256 MiB upload (MiB)", ours / 1024, ref / 1024, "MiB", False)
    guarded("daemon peak RSS", f_rss)

    def f_inspector():
        image = os.environ.get("GUEST_IMAGE")
        if not image:
            raise RuntimeError("no GUEST_IMAGE (Tests/guests/make-debian-guest)")
        r = alternate(lambda w: inspector_time(w, image), 1 if QUICK else 3)
        row("virt-inspector, Debian 12 guest (s)", statistics.median(r["ours"]), statistics.median(r["ref"]), "s", False)
    guarded("virt-inspector", f_inspector)

    def f_size():
        row("appliance size on disk (MB)", appliance_size_mb("ours"), appliance_size_mb("ref"), "MB", False)
    guarded("appliance size", f_size)

    print()
    print("| figure | ours | reference | ratio (ours/ref) |")
    print("|---|---|---|---|")
    for name, ours, ref, unit, ratio, _ in ROWS:
        if ours is None:
            print("| %s | failed | | |" % name)
        else:
            print("| %s | %.2f | %.2f | %.2f |" % (name, ours, ref, ratio))


if __name__ == "__main__":
    main()
