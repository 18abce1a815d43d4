#if canImport(Glibc)
import Glibc
#endif
import CAllocCounter
import GuestfsClient
import GuestfsDaemon
import GuestfsProtocol

// guestfsd-bench ping SOCKET N      ping_daemon round trips per second
// guestfsd-bench micro              hot paths of the protocol code, no I/O

func seconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Times `body` and counts the heap allocations it makes per iteration.
func measure(_ name: String, iterations: Int, bytes: Int = 0, _ body: () throws -> Void) rethrows {
    try body()  // warm up: first-use allocations are not the steady state
    let allocationsBefore = alloc_counter_get()
    let start = seconds()
    for _ in 0..<iterations { try body() }
    let elapsed = seconds() - start
    let allocations = Double(alloc_counter_get() - allocationsBefore) / Double(iterations)
    var line = "\(name): \(String(format1(Double(iterations) / elapsed))) ops/s, \(String(format1(elapsed / Double(iterations) * 1e6))) us/op"
    if bytes > 0 { line += ", \(String(format1(Double(bytes) * Double(iterations) / elapsed / 1e6))) MB/s" }
    line += ", \(String(format1(allocations))) allocations/op"
    print(line)
}

func format1(_ v: Double) -> String {
    let tenths = Int((v * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
}

let args = CommandLine.arguments
switch args.count > 1 ? args[1] : "" {
case "ping":
    guard args.count == 4, let n = Int(args[3]) else { fatalError("usage: guestfsd-bench ping SOCKET N") }
    let client = try GuestfsClient.connect(unixPath: args[2])
    try client.waitForLaunch()
    for _ in 0..<100 { try client.pingDaemon() }
    let start = seconds()
    for _ in 0..<n { try client.pingDaemon() }
    print(Int(Double(n) / (seconds() - start)))

case "micro":
    // A 4 MiB frame of pwrite args: encode, then decode.
    let payload = [UInt8](repeating: 0xab, count: GuestfsConstants.messageMax - 4096)
    let args = PwriteArgs(path: "/some/file", content: payload, offset: 12345)
    var w = XDRWriter(capacity: GuestfsConstants.messageMax + 64)
    measure("encode 4 MiB pwrite args", iterations: 200, bytes: payload.count) {
        w.reset()
        MessageHeader(procedure: Procedure.pwrite.rawValue, direction: .call, serial: 1).encode(xdr: &w)
        args.encode(xdr: &w)
    }
    let frame = w.bytes
    try measure("decode 4 MiB pwrite args", iterations: 200, bytes: payload.count) {
        try frame.withUnsafeBytes { raw in
            var r = XDRReader(raw)
            _ = try MessageHeader(xdr: &r)
            let a = try PwriteArgs(xdr: &r, optargsBitmask: 0)
            precondition(a.content.count == payload.count)
        }
    }
    let data = [UInt8](repeating: 7, count: GuestfsConstants.maxChunkSize)
    var cw = XDRWriter(capacity: 9000)
    measure("encode 8 KiB chunk", iterations: 200_000, bytes: data.count) {
        cw.reset()
        data.withUnsafeBytes { encodeChunk(cancel: false, data: $0, into: &cw) }
    }
    let chunk = cw.bytes
    try measure("decode 8 KiB chunk (zero copy)", iterations: 200_000, bytes: data.count) {
        try chunk.withUnsafeBytes { raw in
            var r = XDRReader(raw, offset: 4)
            _ = try r.readInt32()
            let view = try r.readOpaqueView()
            precondition(view.count == data.count)
        }
    }
    let statArgs = StatnsArgs(path: "/etc/hostname")
    var sw = XDRWriter(capacity: 256)
    try measure("encode+decode statns call header and args", iterations: 500_000) {
        sw.reset()
        MessageHeader(procedure: Procedure.statns.rawValue, direction: .call, serial: 9).encode(xdr: &sw)
        statArgs.encode(xdr: &sw)
        try sw.bytes.withUnsafeBytes { raw in
            var r = XDRReader(raw)
            _ = try MessageHeader(xdr: &r)
            _ = try StatnsArgs(xdr: &r, optargsBitmask: 0)
        }
    }
    // The generated dispatcher on an empty call and on a call with args,
    // without any I/O (ping_daemon: no args, no reply body; echo_daemon:
    // a list of strings in, a string out).
    let bench = try DispatchBench(actions: Handlers(context: DaemonContext(sysroot: Sysroot(root: "/nonexistent"))))
    try measure("dispatch ping_daemon (empty call)", iterations: 1_000_000) {
        try bench.dispatch(.pingDaemon, args: UnsafeRawBufferPointer(start: nil, count: 0))
    }
    var ew = XDRWriter()
    EchoDaemonArgs(words: ["hello", "world"]).encode(xdr: &ew)
    let echoArgs = ew.bytes
    try measure("dispatch echo_daemon [hello, world]", iterations: 500_000) {
        try echoArgs.withUnsafeBytes { try bench.dispatch(.echoDaemon, args: $0) }
    }
default:
    print("usage: guestfsd-bench ping SOCKET N | micro")
    exit(2)
}
