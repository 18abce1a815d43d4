#!/usr/bin/env python3
"""A minimal client of the guestfsd wire protocol, independent of our Swift
code: it speaks XDR by hand so that the daemon is checked by a peer that
shares none of its codecs.

Usage:
  wire_client.py SOCKET ping            ping_daemon, prints "ok"
  wire_client.py SOCKET echo WORD...    echo_daemon, prints the answer
  wire_client.py SOCKET bench N         N ping_daemon calls, prints calls/s
  wire_client.py SOCKET call PROC ARGS_HEX [BITMASK]  raw call, prints the reply
"""
import socket
import struct
import sys
import time

PROGRAM = 0x2000F5F5
VERSION = 4
LAUNCH_FLAG = 0xF5F55FF5
PROGRESS_FLAG = 0xFFFF5555
CANCEL_FLAG = 0xFFFFEEEE
PING_DAEMON = 92
ECHO_DAEMON = 195


def xdr_string(s):
    b = s.encode()
    return struct.pack(">I", len(b)) + b + b"\0" * ((4 - len(b) % 4) % 4)


class Client:
    def __init__(self, path, timeout=30):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        deadline = time.time() + timeout
        while True:
            try:
                self.sock.connect(path)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.02)
        self.serial = 0
        self.buf = b""

    def recv_exact(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(max(65536, n - len(self.buf)))
            if not data:
                raise EOFError("daemon closed the connection")
            self.buf += data
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def wait_launch(self):
        (w,) = struct.unpack(">I", self.recv_exact(4))
        if w != LAUNCH_FLAG:
            raise RuntimeError("expected launch flag, got %#x" % w)

    def call(self, proc, args=b"", bitmask=0):
        self.serial += 1
        header = struct.pack(">IIIII QQ I".replace(" ", ""), PROGRAM, VERSION, proc, 0, self.serial, 0, bitmask, 0)
        msg = header + args
        self.sock.sendall(struct.pack(">I", len(msg)) + msg)
        while True:
            (length,) = struct.unpack(">I", self.recv_exact(4))
            if length == PROGRESS_FLAG:
                self.recv_exact(24)
                continue
            if length == CANCEL_FLAG:
                continue
            frame = self.recv_exact(length)
            prog, vers, rproc, direction, serial, _hint, _mask, status = struct.unpack(">IIIIIQQI", frame[:40])
            assert (prog, vers, rproc, direction, serial) == (PROGRAM, VERSION, proc, 1, self.serial), frame[:40]
            body = frame[40:]
            if status == 1:
                (n,) = struct.unpack(">I", body[:4])
                errno_name = body[4:4 + n].decode()
                off = 4 + n + (4 - n % 4) % 4
                (m,) = struct.unpack(">I", body[off:off + 4])
                message = body[off + 4:off + 4 + m].decode(errors="replace")
                raise RuntimeError("daemon error [%s]: %s" % (errno_name, message))
            return body


def main():
    path, cmd = sys.argv[1], sys.argv[2]
    c = Client(path)
    c.wait_launch()
    if cmd == "ping":
        body = c.call(PING_DAEMON)
        assert body == b"", body
        print("ok")
    elif cmd == "echo":
        words = sys.argv[3:]
        args = struct.pack(">I", len(words)) + b"".join(xdr_string(w) for w in words)
        body = c.call(ECHO_DAEMON, args)
        (n,) = struct.unpack(">I", body[:4])
        print(body[4:4 + n].decode())
    elif cmd == "bench":
        n = int(sys.argv[3])
        start = time.perf_counter()
        for _ in range(n):
            c.call(PING_DAEMON)
        elapsed = time.perf_counter() - start
        print("%.0f" % (n / elapsed))
    elif cmd == "call":
        proc = int(sys.argv[3])
        args = bytes.fromhex(sys.argv[4]) if len(sys.argv) > 4 else b""
        bitmask = int(sys.argv[5]) if len(sys.argv) > 5 else 0
        try:
            print(c.call(proc, args, bitmask).hex())
        except RuntimeError as e:
            print(e)
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
