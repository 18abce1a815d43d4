import Foundation
import GuestfsClient
@testable import GuestfsDaemon
import GuestfsProtocol
import GuestfsTestDoubles
import Testing

/// A clock the tests move by hand.
final class FakeClock: DaemonClock, @unchecked Sendable {
    var now: UInt64 = 1_000_000_000
    func nanoseconds() -> UInt64 { now }
    func advance(seconds: Double) { now += UInt64(seconds * 1e9) }
}

/// Handlers for protocol tests: a few procedures with behaviour the tests
/// can steer (no root, no disks).
final class ProtocolTestActions: UnimplementedGuestfsActions {
    let context: DaemonContext
    let clock: FakeClock
    var uploaded: [UInt8] = []
    var uploadCompleted = false

    init(clock: FakeClock) {
        self.clock = clock
        context = DaemonContext(sysroot: Sysroot(root: "/nonexistent-sysroot"), clock: clock)
    }

    func pingDaemon() throws {}

    /// Reports the optargs it got: the union table takes 1.48's frame
    /// (two optargs) and 1.54's (three, with `cipher`).
    func cryptsetupOpen(device: String, key: String, mapname: String, readonly: Bool?, crypttype: String?, cipher: String?) throws {
        throw DaemonError(EINVAL, "got \(mapname) readonly=\(readonly.map(String.init) ?? "-") crypttype=\(crypttype ?? "-") cipher=\(cipher ?? "-")")
    }

    func echoDaemon(words: [String]) throws -> String { words.joined(separator: " ") }

    /// Collects the upload; "/fail-after-first-chunk" makes the daemon give
    /// up part way, as a full disk would.
    func upload(filename: FileInStream, remotefilename: String) throws {
        uploaded = []
        uploadCompleted = false
        while let chunk = try filename.nextChunk() {
            uploaded.append(contentsOf: chunk)
            if remotefilename == "/fail-after-first-chunk" {
                throw DaemonError(ENOSPC, "\(remotefilename): No space left on device")
            }
        }
        uploadCompleted = true
    }

    /// Sends `size` bytes named by the path ("/bytes/N"), or fails before
    /// any data for other paths.
    func download(remotefilename: String, filename: FileOutSink) throws {
        guard remotefilename.hasPrefix("/bytes/"), let n = Int(remotefilename.dropFirst(7)) else {
            throw DaemonError(ENOENT, "\(remotefilename): No such file or directory")
        }
        try filename.start()
        var sent = 0
        var block = [UInt8](repeating: 0, count: 10_000)
        while sent < n {
            let m = min(block.count, n - sent)
            for i in 0..<m { block[i] = UInt8(truncatingIfNeeded: sent + i) }
            try block.withUnsafeBytes { try filename.write(UnsafeRawBufferPointer(rebasing: $0[0..<m])) }
            sent += m
        }
    }

    /// Simulates a long call: 20 steps of 0.25 s on the fake clock.
    func sleep(secs: Int32) throws {
        for step in 0...20 {
            if step > 0 { clock.advance(seconds: 0.25) }
            try context.progress(UInt64(step), of: 20)
        }
    }

    /// A reply larger than the protocol allows.
    func pread(path: String, count: Int32, offset: Int64) throws -> [UInt8] {
        [UInt8](repeating: 1, count: GuestfsConstants.messageMax + 10)
    }
}

/// Hands a non-Sendable value to the one thread that will use it.
final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// A daemon session on one end of a socketpair, a client on the other.
final class SessionHarness {
    let client: GuestfsClient
    let actions: ProtocolTestActions
    let clock = FakeClock()
    private let thread: Thread
    private let done = DispatchSemaphore(value: 0)

    init() throws {
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else {
            throw GuestfsClientError.system(errno, "socketpair")
        }
        actions = ProtocolTestActions(clock: clock)
        let channel = Channel(descriptor: .init(rawValue: fds[1]))
        let session = Session(channel: channel, actions: actions)
        let done = self.done
        let box = UncheckedBox(session)
        thread = Thread {
            try? box.value.run()
            done.signal()
        }
        thread.start()
        client = GuestfsClient(fd: fds[0])
        try client.waitForLaunch(timeoutSeconds: 5)
    }

    /// Closes the client end; the session must then exit by itself.
    func closeAndWaitForExit() -> Bool {
        shutdown(client.fd, Int32(SHUT_RDWR))
        return done.wait(timeout: .now() + 5) == .success
    }

    func rawCall(_ proc: UInt32, args: [UInt8] = [], bitmask: UInt64 = 0, program: UInt32 = GuestfsConstants.program,
                 version: UInt32 = GuestfsConstants.protocolVersion, direction: UInt32 = 0, status: UInt32 = 0) throws -> GuestfsClient.Reply {
        let serial = try client.sendCall(procedure: proc, argsBytes: args, optargsBitmask: bitmask, program: program,
                                         version: version, direction: direction, status: status)
        let reply = try client.readReply(timeoutSeconds: 5)
        #expect(reply.header.serial == serial)
        #expect(reply.header.direction == 1)
        return reply
    }
}

private func xdr(_ body: (inout XDRWriter) -> Void) -> [UInt8] {
    var w = XDRWriter()
    body(&w)
    return w.bytes
}

@Suite("session over a socketpair") struct SessionTests {
    @Test func launchFlagThenPingAndEcho() throws {
        let h = try SessionHarness()
        try h.client.pingDaemon()
        #expect(try h.client.echoDaemon(words: ["hello", "world"]) == "hello world")
        #expect(h.closeAndWaitForExit(), "session did not exit at end of file")
    }

    @Test(arguments: [
        ("wrong program", UInt32(0x1234_5678), GuestfsConstants.protocolVersion, UInt32(0), UInt32(0), "wrong program"),
        ("wrong version", GuestfsConstants.program, UInt32(3), UInt32(0), UInt32(0), "wrong protocol version"),
        ("reply direction", GuestfsConstants.program, GuestfsConstants.protocolVersion, UInt32(1), UInt32(0), "direction"),
        ("error status", GuestfsConstants.program, GuestfsConstants.protocolVersion, UInt32(0), UInt32(1), "status"),
    ])
    func badHeadersGetAnErrorReplyAndTheSessionGoesOn(_ c: (String, UInt32, UInt32, UInt32, UInt32, String)) throws {
        let h = try SessionHarness()
        let reply = try h.rawCall(92, program: c.1, version: c.2, direction: c.3, status: c.4)
        #expect(reply.header.status == 1, "\(c.0)")
        #expect(reply.error?.message.contains(c.5) == true, "\(c.0): \(reply.error?.message ?? "no error")")
        try h.client.pingDaemon()
        #expect(h.closeAndWaitForExit())
    }

    @Test func cryptsetupOpenTakesTheFramesOfBothLibraries() throws {
        let h = try SessionHarness()
        let proc = Procedure.cryptsetupOpen.rawValue
        func frame(_ optargs: Int) -> [UInt8] {
            xdr { w in
                w.write("/dev/null"); w.write("key"); w.write("map")  // a node that exists
                w.write(true as Bool); w.write("luks2")
                if optargs == 3 { w.write("aes-xts-plain64") }
            }
        }
        // libguestfs 1.48: two optargs on the wire, both given
        var reply = try h.rawCall(proc, args: frame(2), bitmask: 0b11)
        #expect(reply.error?.message == "got map readonly=true crypttype=luks2 cipher=-")
        // 1.54: three on the wire, only cipher given
        reply = try h.rawCall(proc, args: frame(3), bitmask: 0b100)
        #expect(reply.error?.message == "got map readonly=- crypttype=- cipher=aes-xts-plain64")
        // 1.54 without cipher: the field is there, empty, and not given
        reply = try h.rawCall(proc, args: frame(2) + [0, 0, 0, 0], bitmask: 0b10)
        #expect(reply.error?.message == "got map readonly=- crypttype=luks2 cipher=-")
        // a bit for cipher in a frame without it: refused, not defaulted
        reply = try h.rawCall(proc, args: frame(2), bitmask: 0b111)
        #expect(reply.error?.message.hasPrefix("daemon failed to decode procedure arguments") == true)
        try h.client.pingDaemon()
    }

    @Test(arguments: [UInt32(0), 523, 1 << 31, 0xffff_fff0])
    func unknownProcedureNumbers(_ proc: UInt32) throws {
        let h = try SessionHarness()
        let reply = try h.rawCall(proc)
        #expect(reply.header.status == 1)
        #expect(reply.error?.message.hasPrefix("unknown procedure number \(proc),") == true)
        try h.client.pingDaemon()
    }

    @Test func optargsBitmaskWiderThanTheProcedureIsRefused() throws {
        let h = try SessionHarness()
        // is_file has one optarg: bit 1 is beyond it.
        let args = xdr { w in w.write("/x"); w.write(false) }
        let reply = try h.rawCall(Procedure.isFile.rawValue, args: args, bitmask: 0b10)
        #expect(reply.error?.message.contains("unknown option in optional arguments bitmask") == true)
        // ping_daemon has none: any bit is too wide.
        let reply2 = try h.rawCall(Procedure.pingDaemon.rawValue, bitmask: 1 << 63)
        #expect(reply2.header.status == 1)
        try h.client.pingDaemon()
    }

    @Test func truncatedArgumentsAreAnErrorNotACrash() throws {
        let h = try SessionHarness()
        // echo_daemon with a list count of 3 and only one string.
        let args = xdr { w in w.write(UInt32(3)); w.write("only") }
        let reply = try h.rawCall(Procedure.echoDaemon.rawValue, args: args)
        #expect(reply.error?.message.hasPrefix("daemon failed to decode procedure arguments") == true)
        let bool2 = xdr { w in w.write("/x"); w.write(UInt32(2)) }
        #expect(try h.rawCall(Procedure.isFile.rawValue, args: bool2, bitmask: 1).header.status == 1)
        #expect(try h.client.echoDaemon(words: ["still", "here"]) == "still here")
    }

    @Test func oversizeFrameIsAnsweredAndDrainedThenTheNextCallWorks() throws {
        let h = try SessionHarness()
        let length = GuestfsConstants.messageMax + 100
        var w = XDRWriter(capacity: length + 4)
        w.write(UInt32(length))
        MessageHeader(procedure: 92, direction: .call, serial: 4242).encode(xdr: &w)
        w.writeZeros(length - MessageHeader.size)
        try h.client.sendRaw(w.bytes)
        let reply = try h.client.readReply(timeoutSeconds: 10)
        #expect(reply.header.serial == 4242)
        #expect(reply.error?.message.contains("exceeds the maximum") == true)
        try h.client.pingDaemon()
    }

    @Test func flagsAndGarbageBetweenCallsAreSkipped() throws {
        let h = try SessionHarness()
        var noise = XDRWriter()
        noise.write(GuestfsConstants.cancelFlag)
        noise.write(GuestfsConstants.progressFlag)
        noise.write(UInt32(0))  // a zero length
        try h.client.sendRaw(noise.bytes + [0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0xff, 0x00, 0x13])
        #expect(try h.client.echoDaemon(words: ["after", "noise"]) == "after noise")
    }

    @Test func replyTooLargeBecomesAnError() throws {
        let h = try SessionHarness()
        #expect(throws: GuestfsClientError.self) { _ = try h.client.pread(path: "/big", count: 1, offset: 0) }
        do {
            _ = try h.client.pread(path: "/big", count: 1, offset: 0)
        } catch GuestfsClientError.daemon(_, let message) {
            #expect(message.contains("exceeds the maximum message size"))
        }
        try h.client.pingDaemon()
    }

    @Test func notImplementedProceduresAnswerENOTSUP() throws {
        let h = try SessionHarness()
        #expect(daemonErrno { try h.client.augClose() } == "ENOTSUP")
        // Device arguments are checked before the handler: a missing disk is ENOENT.
        #expect(daemonErrno { try h.client.zerofree(device: "/dev/sdq") } == "ENOENT")
    }

    // MARK: FileIn

    @Test func uploadCompletes() throws {
        let h = try SessionHarness()
        let data = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try h.client.upload(filename: .bytes(data), remotefilename: "/ok")
        #expect(h.actions.uploadCompleted)
        #expect(h.actions.uploaded == data)
        try h.client.pingDaemon()
    }

    @Test func uploadCancelledByTheLibrary() throws {
        let h = try SessionHarness()
        let data = [UInt8](repeating: 9, count: 50_000)
        do {
            try h.client.upload(filename: .cancelling(after: 20_000, bytes: data), remotefilename: "/ok")
            Issue.record("a cancelled upload must fail")
        } catch GuestfsClientError.daemon(_, let message) {
            #expect(message == "file upload cancelled")
        }
        #expect(!h.actions.uploadCompleted)
        #expect(try h.client.echoDaemon(words: ["next"]) == "next")
    }

    @Test func uploadCancelledByTheDaemon() throws {
        let h = try SessionHarness()
        let data = [UInt8](repeating: 3, count: 2_000_000)
        do {
            try h.client.upload(filename: .bytes(data), remotefilename: "/fail-after-first-chunk")
            Issue.record("the upload must fail")
        } catch GuestfsClientError.daemon(let errno, let message) {
            #expect(errno == "ENOSPC")
            #expect(message.contains("No space left on device"))
        }
        #expect(h.client.daemonCancelledUpload, "the daemon did not send CANCEL_FLAG")
        #expect(try h.client.echoDaemon(words: ["next"]) == "next")
    }

    // MARK: FileOut

    @Test func downloadCompletesInChunksOfAtMost8K() throws {
        let h = try SessionHarness()
        let sink = DownloadSink()
        var largest = 0
        sink.onData = { largest = max(largest, $0.count) }
        try h.client.download(remotefilename: "/bytes/123457", filename: sink)
        #expect(sink.bytes.count == 123_457)
        #expect(sink.bytes.enumerated().allSatisfy { $0.element == UInt8(truncatingIfNeeded: $0.offset) })
        #expect(largest == GuestfsConstants.maxChunkSize)
        let empty = DownloadSink()
        try h.client.download(remotefilename: "/bytes/0", filename: empty)
        #expect(empty.bytes.isEmpty)
        try h.client.pingDaemon()
    }

    @Test func downloadErrorBeforeDataIsAnErrorReply() throws {
        let h = try SessionHarness()
        #expect(daemonErrno { try h.client.download(remotefilename: "/missing", filename: DownloadSink()) } == "ENOENT")
        try h.client.pingDaemon()
    }

    @Test func downloadCancelledByTheLibraryMidStream() throws {
        let h = try SessionHarness()
        let sink = DownloadSink(cancelAfter: 100_000)
        #expect(throws: GuestfsClientError.transferCancelled) {
            try h.client.download(remotefilename: "/bytes/50000000", filename: sink)
        }
        #expect(sink.count < 50_000_000)
        #expect(try h.client.echoDaemon(words: ["next"]) == "next")
    }

    // MARK: Progress

    @Test func progressFollowsTheRateRule() throws {
        let h = try SessionHarness()
        try h.client.sleep(secs: 0)
        // Steps are 0.25 s apart: nothing before 2 s (step 8), then at
        // least 1/3 s apart (every second step), and the final 100%.
        let positions = h.client.progressMessages.map(\.position)
        #expect(positions == [8, 10, 12, 14, 16, 18, 20])
        #expect(h.client.progressMessages.allSatisfy { $0.total == 20 && $0.procedure == Procedure.sleep.rawValue })
    }
}

@Suite struct ProgressReporterRules {
    @Test func finalMessageAlwaysFollowsAnEarlierOne() throws {
        let clock = FakeClock()
        let r = ProgressReporter(clock: clock)
        var sent: [UInt64] = []
        r.send = { _, _, p, _ in sent.append(p) }
        r.begin(procedure: 1, serial: 1)
        try r.report(position: 1, total: 10)
        clock.advance(seconds: 2.1)
        try r.report(position: 5, total: 10)
        try r.report(position: 10, total: 10)
        try r.report(position: 10, total: 10)
        #expect(sent == [5, 10])
        // A short call sends nothing, not even 100%.
        r.begin(procedure: 1, serial: 2)
        sent = []
        try r.report(position: 10, total: 10)
        #expect(sent.isEmpty)
    }
}

@Suite struct SysrootConfinement {
    @Test func dotDotAndSymlinksStayInsideTheSysroot() throws {
        let root = NSTemporaryDirectory() + "sysroot-" + UUID().uuidString.prefix(8)
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: root + "/abs", withDestinationPath: "/etc")
        try fm.createSymbolicLink(atPath: root + "/rel", withDestinationPath: "../../../../etc")
        try fm.createSymbolicLink(atPath: root + "/loop", withDestinationPath: "/loop")
        try fm.createSymbolicLink(atPath: root + "/etc/passwd-link", withDestinationPath: "/etc/passwd")
        defer { try? fm.removeItem(atPath: root) }
        let s = Sysroot(root: root)
        #expect(try s.resolve("/../../etc/passwd") == root + "/etc/passwd")
        #expect(try s.resolve("/abs/passwd") == root + "/etc/passwd")
        #expect(try s.resolve("/rel/shadow") == root + "/etc/shadow")
        #expect(try s.resolve("/etc/passwd-link") == root + "/etc/passwd")
        #expect(try s.resolve("/etc/passwd-link", followFinal: false) == root + "/etc/passwd-link")
        #expect(try s.resolve("/missing/../x") == root + "/x")
        #expect(throws: DaemonError.self) { try s.resolve("/loop/x") }
        #expect(throws: DaemonError.self) { try s.resolve("relative") }
        #expect(throws: DaemonError.self) { try s.resolve("/" + String(repeating: "a/", count: 3000)) }
    }
}

@Suite struct DeviceNameTranslation {
    @Test func aliasesAndPartitionsMapToLoopNodesAndBack() throws {
        let d = DeviceNames(drives: ["/dev/null", "/dev/zero"])
        #expect(d.listDevices() == ["/dev/sda", "/dev/sdb"])
        #expect(try d.node(for: "/dev/vdb") == "/dev/zero")
        #expect(try d.node(for: "/dev/hda") == "/dev/null")
        #expect(throws: DaemonError.self) { try d.node(for: "/dev/sdc") }
        let loops = DeviceNames(drives: ["/dev/loop7"])
        #expect(loops.canonical("/dev/loop7p3") == "/dev/sda3")
        #expect(loops.canonical("/dev/loop7") == "/dev/sda")
        #expect(loops.canonical("/dev/mapper/vg-lv") == "/dev/mapper/vg-lv")
        #expect(DeviceNames.letters(forIndex: 25) == "z")
        #expect(DeviceNames.letters(forIndex: 26) == "aa")
        #expect(DeviceNames.index(ofLetters: "aa") == 26)
    }
}
