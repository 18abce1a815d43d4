#if canImport(Glibc)
import Glibc
#endif
import GuestfsProtocol

/// One connection to the library: writes the launch flag, then reads each
/// call, checks its header, dispatches it and replies, until the channel
/// closes. Malformed input gets an error reply (or is skipped) and the
/// session goes on.
public final class Session {
    let channel: Channel
    let input: InputBuffer
    let actions: GuestfsActions
    let context: DaemonContext
    let transfer: Transfer
    private var reply = XDRWriter(capacity: 64 * 1024)
    private var current = MessageHeader(procedure: 0, direction: .call, serial: 0)
    /// Called with one line per call when verbose.
    public var log: ((String) -> Void)?
    public private(set) var callsServed = 0
    /// Poll briefly for the next call after each reply (ReplyPolling); nil:
    /// always block at once (the standalone daemon, tests).
    var replyPolling: ReplyPolling?

    /// Polls up to `maxMicros` after each reply before blocking (0: never).
    public func pollAfterReplies(maxMicros: Int) {
        replyPolling = maxMicros > 0 ? ReplyPolling(maxMicros: Int64(maxMicros)) : nil
    }

    public init(channel: Channel, actions: GuestfsActions) {
        self.channel = channel
        self.actions = actions
        self.context = actions.context
        input = InputBuffer(channel: channel)
        transfer = Transfer(fileIn: FileInStream(input: input),
                            fileOut: FileOutSink(input: input, channel: channel))
        context.progressReporter.send = { [unowned self] proc, serial, position, total in
            try self.sendProgress(procedure: proc, serial: serial, position: position, total: total)
        }
        transfer.fileOut.sendReply = { [unowned self] in
            // A separate writer: the dispatcher holds `reply` while the
            // handler streams.
            var w = XDRWriter(capacity: 64)
            self.encodeReplyStart(status: .ok, into: &w)
            w.patch(UInt32(w.count - 4), at: 0)
            try w.bytes.withUnsafeBytes { try self.channel.writeAll($0) }
        }
    }

    /// Serves until the library goes away.
    public func run(sendLaunchFlag: Bool = true) throws {
        if sendLaunchFlag { try channel.writeWord(GuestfsConstants.launchFlag) }
        while try serveOne() {}
    }

    /// Reads and answers one call. Returns false at end of file.
    func serveOne() throws -> Bool {
        if input.buffered == 0, var polling = replyPolling {
            let start = ReplyPolling.nowMicros()
            if try !polling.poll(channel, since: start) {
                guard try input.fill(4) else { return false }
                polling.arrived(afterMicros: ReplyPolling.nowMicros() - start)
            }
            replyPolling = polling
        }
        guard try input.fill(4) else { return false }
        let word = input.peekWord()
        if FlagWord.isFlag(word) {
            // A cancel that arrives after its transfer ended, or a flag the
            // library has no business sending: nothing to answer.
            input.consume(4)
            return true
        }
        // A frame starts with a length and a header whose program or
        // version is ours; anything else is noise to skip byte by byte
        // until the stream makes sense again.
        if word < UInt32(MessageHeader.size) {
            input.consume(1)
            return true
        }
        guard try input.fill(12) else { return false }
        guard input.peekWord(at: 4) == GuestfsConstants.program || input.peekWord(at: 8) == GuestfsConstants.protocolVersion else {
            input.consume(1)
            return true
        }
        let length = Int(word)
        if length > GuestfsConstants.messageMax {
            guard try input.fill(4 + MessageHeader.size) else { return false }
            var r = XDRReader(input.view(MessageHeader.size, at: 4))
            let header = try MessageHeader(xdr: &r)
            guard try input.discard(4 + length) else { return false }
            current = header
            try sendError(DaemonError(message: "message of \(length) bytes exceeds the maximum of \(GuestfsConstants.messageMax) bytes"))
            return true
        }
        guard try input.fill(4 + length) else { return false }
        // The per-call time in the verbose log wants the precise clock;
        // nothing reads it otherwise.
        let started = log != nil ? preciseNanoseconds() : 0
        var r = XDRReader(input.view(length, at: 4))
        let header = try MessageHeader(xdr: &r)
        current = header
        let procedure = try handleCall(header: header, args: &r)
        callsServed += 1
        if let log {
            let ms = Double(preciseNanoseconds() - started) / 1e6
            log("guestfsd: \(procedure?.name ?? "proc \(header.procedure)") (\(length) bytes) \(String(format2(ms))) ms")
        }
        return true
    }

    /// Runs one call whose frame is in `args` (positioned after the header).
    /// The frame is consumed before the handler runs, so FileIn chunks are
    /// next in the input.
    private func handleCall(header: MessageHeader, args r: inout XDRReader) throws -> Procedure? {
        let frameLength = 4 + r.bytes.count
        let problem: String?
        let procedure = Procedure(rawValue: header.procedure)
        if header.program != GuestfsConstants.program {
            problem = "wrong program (\(hex(header.program)), expected \(hex(GuestfsConstants.program)))"
        } else if header.version != GuestfsConstants.protocolVersion {
            problem = "wrong protocol version (\(header.version), expected \(GuestfsConstants.protocolVersion))"
        } else if header.direction != MessageDirection.call.rawValue {
            problem = "unexpected message direction \(header.direction) (expected a call)"
        } else if header.status != MessageStatus.ok.rawValue {
            problem = "unexpected message status \(header.status) in a call"
        } else if procedure == nil {
            problem = "unknown procedure number \(header.procedure), set LIBGUESTFS_PATH to point to the matching libguestfs appliance directory"
        } else if procedure!.optargCount < 64, header.optargsBitmask >> UInt64(procedure!.optargCount) != 0 {
            problem = "unknown option in optional arguments bitmask (this can happen if a program is compiled against a newer version of libguestfs, then run against an older version of the daemon)"
        } else {
            problem = nil
        }
        guard let procedure, problem == nil else {
            input.consume(frameLength)
            if let procedure, procedure.hasFileIn, header.program == GuestfsConstants.program,
               header.version == GuestfsConstants.protocolVersion,
               header.direction == MessageDirection.call.rawValue {
                // The upload follows the call: refuse it and eat it.
                transfer.fileIn.begin(active: true)
                try channel.writeWord(GuestfsConstants.cancelFlag)
                try transfer.fileIn.drain()
            }
            try sendError(DaemonError(message: problem!))
            return procedure
        }

        let fileIn = transfer.fileIn, fileOut = transfer.fileOut
        fileIn.begin(active: procedure.hasFileIn)
        fileOut.begin(active: procedure.hasFileOut)
        context.progressReporter.begin(procedure: header.procedure, serial: header.serial)
        context.progressHint = header.progressHint
        reply.reset()
        beginReply(status: .ok)
        // A call that may write a device makes every cache about the disks
        // stale, before it runs (its own library calls start fresh) and
        // after, before the reply (whatever it did, failed or not).
        let writesDevices = DiskChanges.mayWriteDevices(procedure)
        if writesDevices { context.devicesMayHaveChanged() }
        var failure: DaemonError?
        do {
            if procedure.hasFileIn || procedure.hasFileOut {
                // Transfers read the channel through the same buffer (chunks,
                // cancel flags): take the args out of it first.
                let argsBytes = Array(UnsafeRawBufferPointer(rebasing: r.bytes[r.offset...]))
                input.consume(frameLength)
                try argsBytes.withUnsafeBytes { raw in
                    var ar = XDRReader(raw)
                    try actions.dispatch(procedure, args: &ar, optargsBitmask: header.optargsBitmask,
                                         transfer: transfer, reply: &reply)
                }
            } else {
                // Nothing else reads the channel during the call: decode in place.
                defer { input.consume(frameLength) }
                try actions.dispatch(procedure, args: &r, optargsBitmask: header.optargsBitmask,
                                     transfer: transfer, reply: &reply)
            }
        } catch is TransferCancelled {
            failure = DaemonError(message: "file transfer cancelled by the library")
        } catch {
            failure = DaemonError.from(error)
        }
        if writesDevices { context.devicesMayHaveChanged() }

        if procedure.hasFileIn, !fileIn.finished {
            if failure != nil {
                // Tell the library to stop sending, then eat what is in flight.
                try channel.writeWord(GuestfsConstants.cancelFlag)
            }
            try fileIn.drain()
        }
        if procedure.hasFileOut, fileOut.started {
            // The reply is gone: a failure can only abort the data stream.
            try fileOut.finish(cancelled: failure != nil)
            return procedure
        }
        if let failure {
            try sendError(failure)
            return procedure
        }
        if reply.count - 4 > GuestfsConstants.messageMax {
            try sendError(DaemonError(message: "\(procedure.name): the reply (\(reply.count - 4) bytes) exceeds the maximum message size of \(GuestfsConstants.messageMax) bytes; use a call that streams its output"))
            return procedure
        }
        try sendReply()
        if procedure.hasFileOut {
            try fileOut.finish(cancelled: false)
        }
        if context.exitAfterReply { exit(EXIT_SUCCESS) }
        return procedure
    }

    /// Starts a reply to the current call in `reply`: length placeholder and header.
    private func beginReply(status: MessageStatus) {
        encodeReplyStart(status: status, into: &reply)
    }

    private func encodeReplyStart(status: MessageStatus, into reply: inout XDRWriter) {
        reply.write(UInt32(0))
        var h = current
        h.direction = MessageDirection.reply.rawValue
        h.status = status.rawValue
        h.program = GuestfsConstants.program
        h.version = GuestfsConstants.protocolVersion
        h.optargsBitmask = 0
        h.progressHint = 0
        h.encode(xdr: &reply)
    }

    private func sendReply() throws {
        reply.patch(UInt32(reply.count - 4), at: 0)
        try reply.bytes.withUnsafeBytes { try channel.writeAll($0) }
    }

    private func sendError(_ error: DaemonError) throws {
        reply.reset()
        beginReply(status: .error)
        MessageError(errnoName: error.errnoName, message: error.message).encode(xdr: &reply)
        try sendReply()
    }

    private func sendProgress(procedure: UInt32, serial: UInt32, position: UInt64, total: UInt64) throws {
        var w = XDRWriter(capacity: 28)
        w.write(GuestfsConstants.progressFlag)
        w.write(procedure)
        w.write(serial)
        w.write(position)
        w.write(total)
        try w.bytes.withUnsafeBytes { try channel.writeAll($0) }
    }
}

/// CLOCK_MONOTONIC in nanoseconds (the verbose per-call times, ReplyPolling).
func preciseNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

private func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }

private func format2(_ v: Double) -> String {
    let hundredths = Int((v * 100).rounded())
    let frac = hundredths % 100
    return "\(hundredths / 100).\(frac < 10 ? "0" : "")\(frac)"
}
