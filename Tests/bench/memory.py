#!/usr/bin/python3
"""Host memory of appliances, ours beside the reference (python3-guestfs,
force_tcg), from one run:

  memory.py OUR_APPLIANCE_DIR [--one] [--parallel N,N,...] [--rounds R]

--one: qemu VmRSS and VmHWM of one appliance after launch and the small
workload (part_disk, mkfs ext4, mount, write, cat), median of R rounds
(ours and the reference alternately).
--parallel: N appliances launched at the same time, each doing the small
workload: wall time until all are done, the sum of their qemu VmRSS while
all are still up (and their Pss, where shared file pages count once), and the host's `free` (used and buff/cache) before the launches and while all
are up (the difference shows whether the root image's page cache is
shared).

Prints one line per figure: "name ours ref ratio".
"""
import multiprocessing
import os
import statistics
import sys
import time

import guestfs

OURS = sys.argv[1]
os.environ["LIBGUESTFS_BACKEND"] = "direct"
os.environ["LIBGUESTFS_BACKEND_SETTINGS"] = "force_tcg"


def use(which):
    if which == "ours":
        os.environ["LIBGUESTFS_PATH"] = OURS
    else:
        os.environ.pop("LIBGUESTFS_PATH", None)


def status_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError("no %s for pid %d" % (field, pid))


def pss_kib(pid):
    """Proportional set size: file pages shared by N processes count 1/N
    in each (the kernel file, the root image's page cache if mapped, qemu's
    own binary)."""
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    raise RuntimeError("no Pss for pid %d" % pid)


def free_kib():
    """(used, buff/cache) as free(1) counts them."""
    m = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":")
            m[k] = int(v.split()[0])
    cache = m["Buffers"] + m["Cached"] + m["SReclaimable"]
    return m["MemTotal"] - m["MemFree"] - cache, cache


def workload(which):
    """Launch + the small workload; returns (handle, qemu pid)."""
    use(which)
    g = guestfs.GuestFS(python_return_dict=True)
    g.add_drive_scratch(256 << 20)
    g.launch()
    g.part_disk("/dev/sda", "mbr")
    g.mkfs("ext4", "/dev/sda1")
    g.mount("/dev/sda1", "/")
    g.write("/hello", b"hello, world\n" * 100)
    if g.cat("/hello") != "hello, world\n" * 100:
        raise RuntimeError("%s: cat returned something else" % which)
    return g, g.get_pid()


def one(which):
    g, pid = workload(which)
    rss, hwm = status_kib(pid, "VmRSS"), status_kib(pid, "VmHWM")
    g.shutdown()
    g.close()
    return rss, hwm


def child(which, start, results, release):
    start.wait()
    t0 = time.perf_counter()
    try:
        g, pid = workload(which)
        results.put((time.perf_counter() - t0, status_kib(pid, "VmRSS"), None, pid))
    except Exception as e:  # reported by the parent
        results.put((0, 0, str(e), 0))
        return
    release.wait()
    g.shutdown()
    g.close()


def parallel(which, n):
    start = multiprocessing.Event()
    release = multiprocessing.Event()
    results = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=child, args=(which, start, results, release)) for _ in range(n)]
    for p in procs:
        p.start()
    time.sleep(0.5)
    before = free_kib()
    t0 = time.perf_counter()
    start.set()
    got = [results.get() for _ in range(n)]
    wall = time.perf_counter() - t0
    during = free_kib()
    pss = sum(pss_kib(pid) for _, _, e, pid in got if not e)
    release.set()
    for p in procs:
        p.join()
    errors = [e for _, _, e, _ in got if e]
    if errors:
        raise RuntimeError("%s: %s" % (which, errors[0]))
    return wall, sum(r for _, r, _, _ in got), before, during, pss


def line(name, ours, ref, unit):
    print("  %-44s ours %9.1f  ref %9.1f  %-4s ratio %.2f" % (name, ours, ref, unit, ours / ref), flush=True)


def main():
    args = sys.argv[2:]
    rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 3
    if "--one" in args:
        res = {"ours": [], "ref": []}
        for _ in range(rounds):
            for which in ("ours", "ref"):
                res[which].append(one(which))
        for i, name in ((0, "qemu VmRSS, one appliance (MB)"), (1, "qemu VmHWM, one appliance (MB)")):
            o = statistics.median(r[i] for r in res["ours"]) / 1024
            r = statistics.median(r[i] for r in res["ref"]) / 1024
            line(name, o, r, "MB")
    if "--parallel" in args:
        for n in [int(x) for x in args[args.index("--parallel") + 1].split(",")]:
            res = {w: parallel(w, n) for w in ("ours", "ref")}
            o, r = res["ours"], res["ref"]
            line("N=%d: wall until all done (s)" % n, o[0], r[0], "s")
            line("N=%d: sum of qemu VmRSS (MB)" % n, o[1] / 1024, r[1] / 1024, "MB")
            line("N=%d: sum of qemu Pss (MB)" % n, o[4] / 1024, r[4] / 1024, "MB")
            line("N=%d: free: used, all up - before (MB)" % n, (o[3][0] - o[2][0]) / 1024, (r[3][0] - r[2][0]) / 1024, "MB")
            line("N=%d: free: buff/cache, all up - before (MB)" % n, (o[3][1] - o[2][1]) / 1024, (r[3][1] - r[2][1]) / 1024, "MB")


if __name__ == "__main__":
    main()
