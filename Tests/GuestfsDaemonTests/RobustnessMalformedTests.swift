import Foundation
import GuestfsClient
@testable import GuestfsDaemon
import GuestfsProtocol
import Testing

// Robustness, part 2: malformed traffic against the LIVE daemon (the real
// guestfsd binary, standalone). After every case the next valid call must
// work; the daemon must never crash or hang. Also replays the fuzzer's
// regression inputs (Tests/Fuzz/regressions) through an in-process Session.

/// XDR bytes built inline.
func rbXDR(_ body: (inout XDRWriter) -> Void) -> [UInt8] {
    var w = XDRWriter()
    body(&w)
    return w.bytes
}

/// A whole call frame with the given header fields.
func rbFrame(_ proc: UInt32, args: [UInt8] = [], serial: UInt32 = 7, bitmask: UInt64 = 0,
             program: UInt32 = GuestfsConstants.program, version: UInt32 = GuestfsConstants.protocolVersion,
             direction: UInt32 = 0, status: UInt32 = 0, lengthOverride: UInt32? = nil) -> [UInt8] {
    var frame = GuestfsClient.callFrame(procedure: proc, serial: serial, argsBytes: args, optargsBitmask: bitmask,
                                        program: program, version: version, direction: direction, status: status)
    if let lengthOverride {
        withUnsafeBytes(of: lengthOverride.bigEndian) { frame.replaceSubrange(0..<4, with: $0) }
    }
    return frame
}

func rbChunk(_ data: [UInt8], cancel: Bool = false) -> [UInt8] {
    var w = XDRWriter()
    data.withUnsafeBytes { encodeChunk(cancel: cancel, data: $0, into: &w) }
    return w.bytes
}

func rbWord(_ v: UInt32) -> [UInt8] { rbXDR { $0.write(v) } }

/// Counts what a robustness run saw; printed as one line scripts/robustness
/// collects ("ROBUSTNESS <part>: key=value ...").
final class RobustnessTally: @unchecked Sendable {
    let part: String
    var tried = 0, crashes = 0, hangs = 0, escapes = 0, bytesLost = 0
    var failures: [String] = []

    init(_ part: String) { self.part = part }

    func report() {
        print("ROBUSTNESS \(part): inputs=\(tried) crashes=\(crashes) hangs=\(hangs) escapes=\(escapes) bytes_lost=\(bytesLost)")
        for f in failures { print("ROBUSTNESS \(part): FAILED \(f)") }
    }
}

/// What the daemon must do with a malformed input.
enum Expectation {
    /// An error reply to this serial, whose message contains the text.
    case errorReply(serial: UInt32, containing: String)
    /// Nothing: the bytes are skipped or ignored.
    case silence
    /// Either of the above (resynchronisation may or may not see a call).
    case anything
    /// A success reply to this serial (upstream accepts it too).
    case okReply(serial: UInt32)
}

struct MalformedCase {
    let name: String
    let bytes: [UInt8]
    let expect: Expectation
}

enum MalformedCorpus {
    static let ping = Procedure.pingDaemon.rawValue
    static let echo = Procedure.echoDaemon.rawValue
    static let isFile = Procedure.isFile.rawValue
    static let upload = Procedure.upload.rawValue

    /// Deterministic noise (no flags, no frame can be found in it by chance
    /// for the fixed seed; asserted by the test itself).
    static func noise(_ n: Int, seed: UInt64) -> [UInt8] {
        var x = seed
        return (0..<n).map { _ in
            x = x &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: x >> 33)
        }
    }

    static var cases: [MalformedCase] {
        var c: [MalformedCase] = []
        func err(_ name: String, _ bytes: [UInt8], _ serial: UInt32, _ text: String) {
            c.append(MalformedCase(name: name, bytes: bytes, expect: .errorReply(serial: serial, containing: text)))
        }
        func quiet(_ name: String, _ bytes: [UInt8]) { c.append(MalformedCase(name: name, bytes: bytes, expect: .silence)) }

        quiet("length 0", rbWord(0))
        for n: UInt32 in [1, 3, 4, 39] { quiet("length \(n) (below a header)", rbWord(n) + [UInt8](repeating: 0, count: Int(n))) }
        let over = GuestfsConstants.messageMax + 1
        err("length just over 4 MiB with a valid header", rbFrame(ping, args: [UInt8](repeating: 0xab, count: over - MessageHeader.size), serial: 101),
            101, "exceeds the maximum")
        err("length 4 MiB + 4 KiB, echo with a huge string", rbFrame(echo, args: rbXDR { w in
            w.write(UInt32(1)); w.write(String(repeating: "x", count: GuestfsConstants.messageMax + 4000)) }, serial: 102),
            102, "exceeds the maximum")
        err("wrong program", rbFrame(ping, serial: 103, program: 0x1234_5678), 103, "wrong program")
        err("wrong version", rbFrame(ping, serial: 104, version: 3), 104, "wrong protocol version")
        err("direction reply", rbFrame(ping, serial: 105, direction: 1), 105, "direction")
        err("direction 7", rbFrame(ping, serial: 106, direction: 7), 106, "direction")
        err("status error", rbFrame(ping, serial: 107, status: 1), 107, "status")
        err("status 0xffffffff", rbFrame(ping, serial: 108, status: 0xffff_ffff), 108, "status")
        for (i, p) in [UInt32(0), 523, 1 << 31, 0xffff_ffff, 4, 6].enumerated() {
            err("unknown procedure \(p)", rbFrame(p, serial: 110 + UInt32(i)), 110 + UInt32(i), "unknown procedure number")
        }
        err("string length past the frame", rbFrame(isFile, args: rbXDR { $0.write(UInt32(1000)); $0.write(UInt32(0x2f2f2f2f)) }, serial: 120),
            120, "decode")
        err("string length 0xffffffff", rbFrame(isFile, args: rbXDR { $0.write(UInt32(0xffff_ffff)) }, serial: 121), 121, "decode")
        err("list count 0xffffffff", rbFrame(echo, args: rbXDR { $0.write(UInt32(0xffff_ffff)); $0.write("a") }, serial: 122), 122, "decode")
        err("list count past the frame", rbFrame(echo, args: rbXDR { $0.write(UInt32(3)); $0.write("only") }, serial: 123), 123, "decode")
        err("args missing entirely", rbFrame(isFile, serial: 124), 124, "decode")
        err("bool 2", rbFrame(isFile, args: rbXDR { $0.write("/x"); $0.write(UInt32(2)) }, serial: 125, bitmask: 1), 125, "decode")
        err("bool 0xffffffff", rbFrame(isFile, args: rbXDR { $0.write("/x"); $0.write(UInt32(0xffff_ffff)) }, serial: 126, bitmask: 1), 126, "decode")
        err("embedded NUL in a path", rbFrame(isFile, args: rbXDR { $0.writeOpaque([UInt8]("/etc\0/passwd".utf8)); $0.write(false) }, serial: 127),
            127, "decode")
        err("optargs bit 63", rbFrame(isFile, args: rbXDR { $0.write("/x"); $0.write(false) }, serial: 128, bitmask: 1 << 63),
            128, "unknown option in optional arguments bitmask")
        err("optargs bit 1 of a one-optarg procedure", rbFrame(isFile, args: rbXDR { $0.write("/x"); $0.write(false) }, serial: 129, bitmask: 2),
            129, "unknown option")
        err("optargs on a procedure without any", rbFrame(ping, serial: 130, bitmask: 0xffff_ffff_ffff_ffff), 130, "unknown option")
        quiet("garbage between calls", noise(997, seed: 42))
        quiet("CANCEL_FLAG where a call belongs", rbWord(GuestfsConstants.cancelFlag))
        quiet("two CANCEL_FLAGs", rbWord(GuestfsConstants.cancelFlag) + rbWord(GuestfsConstants.cancelFlag))
        quiet("PROGRESS_FLAG from the client", rbWord(GuestfsConstants.progressFlag))
        quiet("PROGRESS_FLAG with a 24-byte body", rbWord(GuestfsConstants.progressFlag) + [UInt8](repeating: 0, count: 24))
        quiet("LAUNCH_FLAG from the client", rbWord(GuestfsConstants.launchFlag))
        quiet("a reply frame's bytes (no program/version at the call offsets)", [0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8])
        err("upload with a bad header: the chunks are refused and eaten",
            rbFrame(upload, args: rbXDR { $0.write("/up") }, serial: 140, status: 1) + rbChunk([1, 2, 3]) + rbChunk([]), 140, "status")
        err("upload with an unknown optarg bit: chunks eaten",
            rbFrame(upload, args: rbXDR { $0.write("/up") }, serial: 141, bitmask: 1) + rbChunk([UInt8](repeating: 7, count: 8192)) + rbChunk([]),
            141, "unknown option")
        c.append(MalformedCase(name: "upload with a chunk length below 8", bytes:
            rbFrame(upload, args: rbXDR { $0.write("/up-bad-chunk") }, serial: 142) + rbWord(3) + [1, 2, 3], expect: .errorReply(serial: 142, containing: "")))
        c.append(MalformedCase(name: "upload with a chunk over 8 KiB of data", bytes:
            rbFrame(upload, args: rbXDR { $0.write("/up-big-chunk") }, serial: 143) + rbChunk([UInt8](repeating: 9, count: 20000)) + rbChunk([]),
            expect: .anything))
        c.append(MalformedCase(name: "upload with a chunk whose opaque runs past it", bytes:
            rbFrame(upload, args: rbXDR { $0.write("/up-past") }, serial: 144) + rbXDR { $0.write(UInt32(12)); $0.write(UInt32(0)); $0.write(UInt32(5000)); $0.write(UInt32(0)) }
            + rbChunk([]), expect: .anything))
        c.append(MalformedCase(name: "upload cancelled with data in the cancel chunk", bytes:
            rbFrame(upload, args: rbXDR { $0.write("/up-cancel") }, serial: 145) + rbChunk([1, 2]) + rbChunk([3, 4, 5], cancel: true) + rbChunk([]),
            expect: .anything))
        // Upstream's XDR stubs never look past the args either: accepted.
        c.append(MalformedCase(name: "frame with trailing bytes after the args", bytes:
            rbFrame(echo, args: rbXDR { $0.write(UInt32(1)); $0.write("hi"); $0.write(UInt32(0xdead_beef)) }, serial: 146),
            expect: .okReply(serial: 146)))
        return c
    }
}

/// Sends a case, checks the daemon's answer, then a ping; counts hangs.
func runMalformedCase(_ mc: MalformedCase, on client: GuestfsClient, tally: RobustnessTally) {
    tally.tried += 1
    do {
        try client.sendRaw(mc.bytes)
        let pingSerial = try client.sendCall(procedure: MalformedCorpus.ping, argsBytes: [])
        var reply = try client.readReply(timeoutSeconds: 20)
        switch mc.expect {
        case let .errorReply(serial, text):
            if reply.header.serial != serial || reply.header.status != 1 {
                tally.failures.append("\(mc.name): expected an error reply to \(serial), got serial \(reply.header.serial) status \(reply.header.status)")
            } else if let e = reply.error, !text.isEmpty, !e.message.contains(text) {
                tally.failures.append("\(mc.name): error '\(e.message)' lacks '\(text)'")
            }
            reply = try client.readReply(timeoutSeconds: 20)
        case let .okReply(serial):
            if reply.header.serial != serial || reply.header.status != 0 {
                tally.failures.append("\(mc.name): expected a success reply to \(serial), got serial \(reply.header.serial) status \(reply.header.status)")
            }
            reply = try client.readReply(timeoutSeconds: 20)
        case .silence:
            break
        case .anything:
            while reply.header.serial != pingSerial { reply = try client.readReply(timeoutSeconds: 20) }
        }
        if reply.header.serial != pingSerial || reply.header.status != 0 {
            tally.failures.append("\(mc.name): the ping after it got serial \(reply.header.serial) status \(reply.header.status) \(reply.error?.message ?? "")")
        }
    } catch GuestfsClientError.protocolViolation(let m) where m.contains("timed out") {
        tally.hangs += 1
        tally.failures.append("\(mc.name): hang (no reply in 20 s)")
    } catch {
        tally.failures.append("\(mc.name): \(error)")
    }
}

/// Exit status of a finished daemon: nil when it was killed by a signal
/// (a crash).
func rbExitStatus(_ d: StandaloneDaemon, waitSeconds: Double = 10) -> Int32? {
    let deadline = Date().addingTimeInterval(waitSeconds)
    while d.process.isRunning && Date() < deadline { usleep(10_000) }
    if d.process.isRunning { return -1 }
    return d.process.terminationReason == .exit ? d.process.terminationStatus : nil
}

@Suite("robustness: malformed traffic against a live daemon", .serialized,
       .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"))
struct RobustnessMalformedTests {
    @Test func everyMalformedInputIsAnsweredOrSkippedAndTheNextCallWorks() throws {
        let tally = RobustnessTally("malformed")
        // The noise must not contain a flag or anything resembling a frame.
        let noise = MalformedCorpus.noise(997, seed: 42)
        #expect(!stride(from: 0, to: noise.count - 12, by: 1).contains { i in
            let w = { (o: Int) in (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(noise[i + o + $1]) } }
            return FlagWord.isFlag(w(0)) || w(4) == GuestfsConstants.program || w(8) == GuestfsConstants.protocolVersion
        })
        try withStandaloneDaemon { d in
            for mc in MalformedCorpus.cases {
                runMalformedCase(mc, on: d.client, tally: tally)
                if !d.process.isRunning {
                    tally.crashes += 1
                    tally.failures.append("\(mc.name): the daemon died")
                    break
                }
            }
            #expect(try d.client.echoDaemon(words: ["still", "serving"]) == "still serving")
            // The session must be clean: a last upload and download round trip.
            let data = (0..<30_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
            try d.client.upload(filename: .bytes(data), remotefilename: "/after-noise")
            let sink = DownloadSink()
            try d.client.download(remotefilename: "/after-noise", filename: sink)
            #expect(sink.bytes == data)
            d.stop()
            if let status = rbExitStatus(d) { #expect(status == 0, "daemon exit status \(status)\n\(d.stderr)") } else {
                tally.crashes += 1
                tally.failures.append("the daemon was killed by a signal at exit:\n\(d.stderr)")
            }
        }
        tally.report()
        #expect(tally.crashes == 0)
        #expect(tally.hangs == 0)
        #expect(tally.failures.isEmpty, "\(tally.failures.joined(separator: "\n"))")
        #expect(tally.tried >= 40)
    }

    /// Connections that end in the middle of something: the daemon must
    /// exit cleanly (status 0), not crash, not hang.
    @Test func connectionsEndingMidMessageExitCleanly() throws {
        let tally = RobustnessTally("eof")
        let upload = MalformedCorpus.upload
        let endings: [(String, [UInt8])] = [
            ("nothing at all", []),
            ("fewer than 4 bytes of a length", [0, 0]),
            ("a length and half a header", rbWord(100) + Array(rbFrame(MalformedCorpus.ping).dropFirst(4).prefix(20))),
            ("a whole header, args missing", Array(rbFrame(MalformedCorpus.echo, args: rbXDR { $0.write(UInt32(1)); $0.write("x") }).dropLast(4))),
            ("an oversize frame cut short", rbFrame(MalformedCorpus.ping, lengthOverride: UInt32(GuestfsConstants.messageMax + 10)) + [UInt8](repeating: 1, count: 100_000)),
            ("an upload with no chunks", rbFrame(upload, args: rbXDR { $0.write("/u1") })),
            ("an upload cut inside a chunk", rbFrame(upload, args: rbXDR { $0.write("/u2") }) + Array(rbChunk([UInt8](repeating: 1, count: 8192)).prefix(5000))),
            ("an upload without its final chunk", rbFrame(upload, args: rbXDR { $0.write("/u3") }) + rbChunk([1, 2, 3])),
            ("a download whose reader goes away", rbFrame(Procedure.download.rawValue, args: rbXDR { $0.write("/big") })),
            ("a lone CANCEL_FLAG", rbWord(GuestfsConstants.cancelFlag)),
        ]
        for (name, bytes) in endings {
            tally.tried += 1
            let d = try StandaloneDaemon()
            if name.contains("download") {
                // A file big enough that the download is still streaming when
                // the client disappears.
                try d.client.upload(filename: .generated(count: 8_000_000, generator: { _, b in b.initializeMemory(as: UInt8.self, repeating: 0x33) }),
                                    remotefilename: "/big")
            }
            try d.client.sendRaw(bytes)
            shutdown(d.client.fd, Int32(SHUT_RDWR))
            switch rbExitStatus(d) {
            case nil:
                tally.crashes += 1
                tally.failures.append("\(name): killed by a signal\n\(d.stderr)")
            case .some(-1):
                tally.hangs += 1
                tally.failures.append("\(name): still running 10 s after the client left")
            case let status?:
                if status != 0 { tally.failures.append("\(name): exit status \(status): \(d.stderr)") }
            }
            d.stop()
        }
        tally.report()
        #expect(tally.crashes == 0)
        #expect(tally.hangs == 0)
        #expect(tally.failures.isEmpty, "\(tally.failures.joined(separator: "\n"))")
    }
}

/// Fuzzer findings stay fixed: every input in Tests/Fuzz/regressions (and a
/// sample of hand-made stream inputs) goes through an in-process Session
/// the way guestfsd-fuzz feeds it; the session must end by itself.
@Suite("robustness: fuzz regression inputs")
struct RobustnessFuzzRegressionTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/regressions").path

    static var inputs: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    @Test func everyRegressionInputIsHandled() throws {
        let names = Self.inputs
        for name in names {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.directory + "/" + name)))
            #expect(try replayFuzzInput(bytes), "\(name): the session did not end")
        }
        print("ROBUSTNESS fuzz-regressions: inputs=\(names.count) crashes=0 hangs=0")
    }

    @Test func malformedCasesThroughAnInProcessSession() throws {
        for mc in MalformedCorpus.cases where mc.bytes.count < 1 << 20 {
            #expect(try replayFuzzInput([0] + mc.bytes), "\(mc.name)")
        }
    }
}

/// Feeds one guestfsd-fuzz input (first byte: 3 = args decoding, else a
/// client byte stream) the way the fuzzer does. True when it completed.
func replayFuzzInput(_ input: [UInt8]) throws -> Bool {
    guard let mode = input.first else { return true }
    let rest = Array(input.dropFirst())
    if mode % 4 == 3 {
        guard rest.count >= 12 else { return true }
        return rest.withUnsafeBytes { raw in
            var r = XDRReader(raw)
            let number = (try? r.readUInt32()) ?? 0
            let bitmask = (try? r.readUInt64()) ?? 0
            let all = Procedure.allCases
            let p = Procedure(rawValue: number) ?? all[Int(number % UInt32(all.count))]
            guard let args = try? decodeArguments(of: p, from: &r, optargsBitmask: bitmask) else { return true }
            var w = XDRWriter()
            args.encode(xdr: &w)
            let first = w.bytes
            let again = first.withUnsafeBytes { raw2 -> [UInt8]? in
                var r2 = XDRReader(raw2)
                guard let v = try? decodeArguments(of: p, from: &r2, optargsBitmask: args.optargsBitmask) else { return nil }
                var w2 = XDRWriter()
                v.encode(xdr: &w2)
                return w2.bytes
            }
            return again == first
        }
    }
    var pair: [Int32] = [0, 0]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0 else { throw POSIXError(.EIO) }
    let fds = pair
    let actions = ProtocolTestActions(clock: FakeClock())
    let session = Session(channel: Channel(descriptor: .init(rawValue: fds[1])), actions: actions)
    let done = DispatchSemaphore(value: 0)
    let box = UncheckedBox(session)
    Thread {
        try? box.value.run()
        // The channel closes when the session goes; end the stream now so
        // the peer below sees end of file whoever holds the last reference.
        shutdown(fds[1], Int32(SHUT_RDWR))
        done.signal()
    }.start()
    // The peer: write everything, close the write side, drain replies.
    let writer = Thread {
        rest.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = send(fds[0], raw.baseAddress! + off, raw.count - off, Int32(MSG_NOSIGNAL))
                if n <= 0 { break }
                off += n
            }
        }
        shutdown(fds[0], Int32(SHUT_WR))
    }
    writer.start()
    var scratch = [UInt8](repeating: 0, count: 65536)
    let deadline = Date().addingTimeInterval(20)
    while Date() < deadline {
        var p = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
        if poll(&p, 1, 200) > 0 {
            if recv(fds[0], &scratch, scratch.count, 0) <= 0 { break }
        }
    }
    let finished = done.wait(timeout: .now() + 5) == .success
    close(fds[0])
    return finished
}
