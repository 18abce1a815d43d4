#!/usr/bin/python3
"""Launch time of our appliance against the reference appliance.

Usage: launch_time.py [--runs N] [--ours DIR] [--only ours|reference]

Each run: create a handle, add one 64 MiB scratch disk, time launch() (until
the daemon has answered the library's first call), then ping_daemon and a
clean shutdown (timed separately). Launches alternate between the two
appliances so that machine load affects both alike; prints every run and the
medians, and a final `RESULT ours=...s reference=...s ratio=...` line.
Exit status 0 if every launch worked.
"""
import argparse
import os
import statistics
import sys
import time

import guestfs

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def launch_once(path):
    if path:
        os.environ["LIBGUESTFS_PATH"] = path
    else:
        os.environ.pop("LIBGUESTFS_PATH", None)
    g = guestfs.GuestFS(python_return_dict=True)
    g.set_backend("direct")
    g.add_drive_scratch(64 * 1024 * 1024)
    t0 = time.monotonic()
    g.launch()
    t1 = time.monotonic()
    g.ping_daemon()
    g.shutdown()
    t2 = time.monotonic()
    g.close()
    return t1 - t0, t2 - t1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--ours", default=os.path.join(ROOT, ".build-appliance", "appliance"))
    ap.add_argument("--only", choices=["ours", "reference"])
    a = ap.parse_args()
    os.environ.setdefault("LIBGUESTFS_BACKEND", "direct")
    os.environ.setdefault("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg")
    which = [("ours", a.ours), ("reference", None)]
    if a.only:
        which = [w for w in which if w[0] == a.only]
    times = {name: [] for name, _ in which}
    # Warm-up: the reference appliance is built (supermin) on first use and
    # both kernels/initramfs get into the page cache.
    for name, path in which:
        launch_once(path)
    for i in range(a.runs):
        for name, path in which:
            lt, st = launch_once(path)
            times[name].append(lt)
            print(f"run {i + 1} {name:9s} launch {lt:6.2f}s  ping+shutdown {st:5.2f}s", flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    parts = [f"{k}={v:.2f}s" for k, v in med.items()]
    if "ours" in med and "reference" in med:
        parts.append(f"ratio={med['ours'] / med['reference']:.2f}")
    print("RESULT " + " ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
