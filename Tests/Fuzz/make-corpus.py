#!/usr/bin/env python3
"""Writes the guestfsd-fuzz seed corpus from the protocol JSON.

Input format (see Sources/guestfsd-fuzz/Harness.swift): the first byte
picks the target; 0 = the rest is a client byte stream for a live Session,
3 = the rest is proc(4) | optargs bitmask(8) | args for decodeArguments.

Seeds: for every procedure a valid call frame with sample args (all
optargs given), as a stream and as a decode input; FileIn procedures are
followed by a chunk sequence; plus transfer, progress, oversize and noise
sequences. The procedures are the union of the JSONs given (oldest
first), as the daemon serves them; a procedure whose optargs grew also gets
the older library's shorter frame. Usage: make-corpus.py [PROTOCOL_JSON...] OUTDIR
"""
import json
import os
import struct
import sys

PROGRAM = 0x2000F5F5
VERSION = 4
CANCEL = 0xFFFFEEEE
PROGRESS = 0xFFFF5555
LAUNCH = 0xF5F55FF5

def u32(v): return struct.pack(">I", v & 0xFFFFFFFF)
def u64(v): return struct.pack(">Q", v & 0xFFFFFFFFFFFFFFFF)
def opaque(b):
    return u32(len(b)) + b + b"\0" * ((4 - len(b) % 4) % 4)
def string(s): return opaque(s.encode())
def strlist(l): return u32(len(l)) + b"".join(string(s) for s in l)

SAMPLE = {
    "Pathname": "/a/b", "Device": "/dev/sda", "Mountable": "/dev/sda1",
    "Dev_or_Path": "/dev/sda", "Mountable_or_Path": "/dev/sda1",
    "GUID": "01234567-89AB-CDEF-0123-456789ABCDEF", "Key": "secret",
    "PlainString": "x", "Filename": "/f",
}

def arg(a):
    t, k = a["type"], a.get("kind")
    if t == "String":
        if k in ("FileIn", "FileOut"):
            return b""  # travels as chunks, not in the args struct
        return string(SAMPLE.get(k, "x"))
    if t == "StringList":
        v = SAMPLE.get(k, "a")
        return strlist([v, v])
    if t in ("Int", "OInt"): return u32(1)
    if t in ("Int64", "OInt64"): return u64(1024)
    if t in ("Bool", "OBool"): return u32(1)
    if t == "OptString": return u32(1) + string("s")
    if t == "OString": return string("s")
    if t == "OStringList": return strlist(["o1", "o2"])
    if t == "BufferIn": return opaque(b"data\x00\xff")
    raise SystemExit(f"unknown arg type {t}")

def header(proc, serial, bitmask=0, prog=PROGRAM, vers=VERSION, direction=0, status=0):
    return (u32(prog) + u32(vers) + u32(proc) + u32(direction) + u32(serial)
            + u64(0) + u64(bitmask) + u32(status))

def frame(proc, args=b"", serial=1, bitmask=0, **kw):
    body = header(proc, serial, bitmask, **kw) + args
    return u32(len(body)) + body

def chunk(data, cancel=0):
    body = u32(cancel) + opaque(data)
    return u32(len(body)) + body

def chunks(total, size=8192, cancel_at=None):
    out, sent = b"", 0
    while sent < total:
        n = min(size, total - sent)
        out += chunk(bytes((sent + i) & 0xFF for i in range(n)))
        sent += n
        if cancel_at is not None and sent >= cancel_at:
            return out + chunk(b"", cancel=1)
    return out + chunk(b"")

def main():
    args = sys.argv[1:]
    here = os.path.join(os.path.dirname(__file__), "../../protocol")
    specs = args[:-1] or [os.path.join(here, "guestfs-1.48.json"), os.path.join(here, "guestfs-1.54.json")]
    out = args[-1]
    os.makedirs(out, exist_ok=True)
    union, older = {}, {}
    for js in specs:
        for p in json.load(open(js))["procedures"]:
            if p["proc"] in union and len(p["optargs"]) > len(union[p["proc"]]["optargs"]):
                older[p["proc"]] = union[p["proc"]]
            if p["proc"] not in union or len(p["optargs"]) > len(union[p["proc"]]["optargs"]):
                union[p["proc"]] = p
    procs = [union[n] for n in sorted(union)]
    byname = {p["name"]: p for p in procs}
    ping = frame(byname["ping_daemon"]["proc"], serial=99)

    def write(name, data):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)

    n = 0
    for p in procs:
        a = b"".join(arg(x) for x in p["args"] + p["optargs"])
        bitmask = (1 << len(p["optargs"])) - 1
        stream = frame(p["proc"], a, bitmask=bitmask)
        if any(x.get("kind") == "FileIn" for x in p["args"]):
            stream += chunks(10000)
        write(f"call-{p['name']}", b"\x00" + stream + ping)
        write(f"decode-{p['name']}", b"\x03" + u32(p["proc"]) + u64(bitmask) + a)
        n += 2
        if p["proc"] in older:
            q = older[p["proc"]]
            a = b"".join(arg(x) for x in q["args"] + q["optargs"])
            bitmask = (1 << len(q["optargs"])) - 1
            write(f"call-{p['name']}-older", b"\x00" + frame(p["proc"], a, bitmask=bitmask) + ping)
            write(f"decode-{p['name']}-older", b"\x03" + u32(p["proc"]) + u64(bitmask) + a)
            n += 2

    up = byname["upload"]["proc"]
    down = byname["download"]["proc"]
    sleep = byname["sleep"]["proc"]
    pread = byname["pread"]["proc"]
    echo = byname["echo_daemon"]["proc"]
    tar_in = byname["tar_in"]["proc"]
    extra = {
        "upload-ok": frame(up, string("/ok")) + chunks(30000) + ping,
        "upload-readall": frame(up, string("/readall")) + chunks(20000, size=1000) + ping,
        "upload-cancel-by-library": frame(up, string("/ok")) + chunks(30000, cancel_at=10000) + ping,
        "upload-fail-in-daemon": frame(up, string("/fail")) + chunks(30000) + ping,
        "upload-bad-chunk-length": frame(up, string("/ok")) + u32(3) + b"abc" + ping,
        "upload-then-eof": frame(up, string("/ok")) + chunk(b"x" * 100),
        "upload-bad-header": frame(up, string("/ok"), status=1) + chunks(9000) + ping,
        "tar-in-unimplemented": frame(tar_in, string("/") + string("") + u32(0) * 3) + chunks(5000) + ping,
        "download-ok": frame(down, string("/bytes/20000")) + ping,
        "download-missing": frame(down, string("/nope")) + ping,
        "download-abort": frame(down, string("/abort/9000")) + ping,
        "download-cancel": frame(down, string("/bytes/200000")) + u32(CANCEL) + ping,
        "progress": frame(sleep, u32(20)) + ping,
        "reply-too-large": frame(pread, string("/big") + u32(5 * 1024 * 1024) + u64(0)) + ping,
        "oversize-frame": u32(4 * 1024 * 1024 + 8) + header(99, 7) + ping,
        "flags-and-garbage": u32(CANCEL) + u32(PROGRESS) + u32(LAUNCH) + u32(0) + b"\x41" * 7 + ping,
        "echo-many": b"".join(frame(echo, strlist(["w"] * i), serial=i) for i in range(8)),
        "wrong-program": frame(99, prog=0x12345678) + ping,
        "wrong-version": frame(99, vers=3) + ping,
        "reply-direction": frame(99, direction=1) + ping,
        "unknown-procedures": frame(0) + frame(max(union) + 1) + frame(1 << 31) + ping,
        "optargs-high-bits": frame(byname["is_file"]["proc"], string("/x") + u32(0), bitmask=1 << 63) + ping,
        "bool-two": frame(byname["is_file"]["proc"], string("/x") + u32(2), bitmask=1) + ping,
        "string-past-frame": frame(echo, u32(1) + u32(1000) + b"abcd") + ping,
    }
    for name, data in extra.items():
        write(name, b"\x00" + data)
        n += 1
    print(f"make-corpus: {n} seeds in {out}")

main()
