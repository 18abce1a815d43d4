#if canImport(Glibc)
import Glibc
#endif
import GuestfsProtocol

/// An error reply from the daemon, or a failure of the connection.
public enum GuestfsClientError: Error, Equatable, CustomStringConvertible {
    /// The daemon answered with an error: its errno name ("" if none) and message.
    case daemon(errno: String, message: String)
    /// The connection closed.
    case connectionClosed
    /// The daemon sent something that does not follow the protocol.
    case protocolViolation(String)
    /// A transfer was cancelled (by us, or by the daemon).
    case transferCancelled
    case system(Int32, String)

    public var description: String {
        switch self {
        case let .daemon(e, m): return e.isEmpty ? m : "\(m) [\(e)]"
        case .connectionClosed: return "connection closed"
        case let .protocolViolation(s): return "protocol violation: \(s)"
        case .transferCancelled: return "transfer cancelled"
        case let .system(e, s): return "\(s): error \(e)"
        }
    }
}

/// A progress message from the daemon.
public struct ProgressMessage: Equatable, Sendable {
    public var procedure: UInt32
    public var serial: UInt32
    public var position: UInt64
    public var total: UInt64
}

/// The args type of procedures that have none.
public struct NoArguments: ProcedureArguments {
    public init() {}
    public init(xdr r: inout XDRReader, optargsBitmask: UInt64) throws(XDRError) {}
    public func encode(xdr w: inout XDRWriter) {}
    public var optargsBitmask: UInt64 { 0 }
}

/// Where upload data comes from.
public enum UploadSource {
    case bytes([UInt8])
    case file(String)
    /// Sends `bytes` but cancels (final chunk with cancel 1) after
    /// `after` bytes, as the library does when its source fails.
    case cancelling(after: Int, bytes: [UInt8])
    /// `count` bytes produced by `generator(offset, buffer)`, without
    /// holding them all in memory.
    case generated(count: Int, generator: (Int, UnsafeMutableRawBufferPointer) -> Void)
}

/// Where download data goes.
public final class DownloadSink {
    public private(set) var bytes: [UInt8] = []
    public private(set) var count = 0
    let fd: Int32?
    let keepBytes: Bool
    /// Send CANCEL_FLAG once this many bytes have arrived.
    public var cancelAfter: Int?
    /// Called with each chunk (checksums without storing).
    public var onData: ((UnsafeRawBufferPointer) -> Void)?

    /// Collects the data in memory.
    public init(cancelAfter: Int? = nil) {
        fd = nil
        keepBytes = true
        self.cancelAfter = cancelAfter
    }

    /// Writes the data to a file.
    public init(path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw GuestfsClientError.system(errno, "open \(path)") }
        self.fd = fd
        keepBytes = false
    }

    /// Counts (and hands to onData) without keeping the data.
    public init(discarding: Void) {
        fd = nil
        keepBytes = false
    }

    deinit { if let fd { close(fd) } }

    func receive(_ data: UnsafeRawBufferPointer) throws {
        count += data.count
        if keepBytes { bytes.append(contentsOf: data) }
        onData?(data)
        if let fd {
            var done = 0
            while done < data.count {
                let n = write(fd, data.baseAddress! + done, data.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw GuestfsClientError.system(errno, "write")
                }
                done += n
            }
        }
    }

    public var string: String { String(decoding: bytes, as: UTF8.self) }
}

/// A host-side client of the daemon protocol: used by the tests, the
/// benchmarks and for debugging a standalone daemon.
public final class GuestfsClient {
    public let fd: Int32
    private var serial: UInt32 = 0x1000
    private var buffer = [UInt8](repeating: 0, count: 1 << 17)
    private var bufferStart = 0
    private var bufferEnd = 0
    /// Called for each progress message.
    public var onProgress: ((ProgressMessage) -> Void)?
    /// Progress messages seen since the client was made.
    public private(set) var progressMessages: [ProgressMessage] = []
    /// Whether the daemon sent CANCEL_FLAG during the last upload.
    public private(set) var daemonCancelledUpload = false

    /// Takes ownership of a connected descriptor.
    public init(fd: Int32) {
        self.fd = fd
    }

    deinit { close(fd) }

    /// Connects to a daemon listening on a unix socket, retrying until
    /// `timeoutSeconds` while it starts.
    public static func connect(unixPath: String, timeoutSeconds: Double = 10) throws -> GuestfsClient {
        let deadline = now() + timeoutSeconds
        while true {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw GuestfsClientError.system(errno, "socket") }
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            let pathBytes = Array(unixPath.utf8)
            guard pathBytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
                close(fd)
                throw GuestfsClientError.system(ENAMETOOLONG, unixPath)
            }
            withUnsafeMutableBytes(of: &addr.sun_path) { raw in
                raw.copyBytes(from: pathBytes)
                raw[pathBytes.count] = 0
            }
            let r = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            if r == 0 { return GuestfsClient(fd: fd) }
            let e = errno
            close(fd)
            if now() > deadline { throw GuestfsClientError.system(e, "connect \(unixPath)") }
            usleep(20_000)
        }
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    // MARK: Raw I/O

    public func sendRaw(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = send(fd, raw.baseAddress! + done, raw.count - done, Int32(MSG_NOSIGNAL))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw GuestfsClientError.system(errno, "send")
                }
                done += n
            }
        }
    }

    func sendWord(_ w: UInt32) throws {
        try sendRaw(withUnsafeBytes(of: w.bigEndian) { Array($0) })
    }

    private func fillBuffer(_ n: Int, timeoutSeconds: Double? = nil) throws {
        while bufferEnd - bufferStart < n {
            if bufferStart > 0 {
                // Slide what is left to the front of the fixed buffer.
                let left = bufferEnd - bufferStart
                buffer.withUnsafeMutableBytes { raw in
                    if left > 0 { memmove(raw.baseAddress!, raw.baseAddress! + bufferStart, left) }
                }
                bufferStart = 0
                bufferEnd = left
            }
            if buffer.count < n { buffer.append(contentsOf: repeatElement(0, count: n - buffer.count)) }
            if let timeoutSeconds {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let r = poll(&p, 1, Int32(timeoutSeconds * 1000))
                if r == 0 { throw GuestfsClientError.protocolViolation("timed out waiting for the daemon") }
            }
            let end = bufferEnd
            let got = buffer.withUnsafeMutableBytes { raw in
                recv(fd, raw.baseAddress! + end, raw.count - end, 0)
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw GuestfsClientError.system(errno, "recv")
            }
            if got == 0 { throw GuestfsClientError.connectionClosed }
            bufferEnd += got
        }
    }

    private func readWord(timeoutSeconds: Double? = nil) throws -> UInt32 {
        try fillBuffer(4, timeoutSeconds: timeoutSeconds)
        let w = buffer.withUnsafeBytes { UInt32(bigEndian: $0.loadUnaligned(fromByteOffset: bufferStart, as: UInt32.self)) }
        bufferStart += 4
        return w
    }

    private func readBytes(_ n: Int) throws -> [UInt8] {
        try fillBuffer(n)
        let out = Array(buffer[bufferStart..<(bufferStart + n)])
        bufferStart += n
        return out
    }

    /// Reads the 24 bytes after a PROGRESS_FLAG and reports them.
    private func handleProgressBody() throws {
        let body = try readBytes(progressMessageSize)
        let m = body.withUnsafeBytes { raw -> ProgressMessage in
            var r = XDRReader(raw)
            return ProgressMessage(procedure: (try? r.readUInt32()) ?? 0, serial: (try? r.readUInt32()) ?? 0,
                                   position: (try? r.readUInt64()) ?? 0, total: (try? r.readUInt64()) ?? 0)
        }
        progressMessages.append(m)
        onProgress?(m)
    }

    /// Is there data from the daemon right now (without blocking)?
    private func daemonHasData() -> Bool {
        if bufferEnd - bufferStart > 0 { return true }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) > 0
    }

    /// Waits for the launch flag the daemon writes when ready.
    public func waitForLaunch(timeoutSeconds: Double = 30) throws {
        let w = try readWord(timeoutSeconds: timeoutSeconds)
        guard w == GuestfsConstants.launchFlag else {
            throw GuestfsClientError.protocolViolation("expected the launch flag, got 0x\(String(w, radix: 16))")
        }
    }

    /// Reads the next message frame, handling progress messages on the way.
    /// Returns nil for a stray CANCEL_FLAG when `stopAtCancel`.
    public func readFrame(timeoutSeconds: Double? = nil, stopAtCancel: Bool = false) throws -> [UInt8]? {
        while true {
            let w = try readWord(timeoutSeconds: timeoutSeconds)
            if w == GuestfsConstants.progressFlag {
                try handleProgressBody()
                continue
            }
            if w == GuestfsConstants.cancelFlag {
                if stopAtCancel { return nil }
                continue
            }
            guard w <= GuestfsConstants.messageMax else {
                throw GuestfsClientError.protocolViolation("frame length \(w) too large")
            }
            return try readBytes(Int(w))
        }
    }

    /// Sends a call frame with the given header fields and args bytes.
    @discardableResult
    public func sendCall(procedure: UInt32, argsBytes: [UInt8], optargsBitmask: UInt64 = 0, progressHint: UInt64 = 0,
                         program: UInt32 = GuestfsConstants.program, version: UInt32 = GuestfsConstants.protocolVersion,
                         direction: UInt32 = 0, status: UInt32 = 0) throws -> UInt32 {
        serial &+= 1
        try sendRaw(Self.callFrame(procedure: procedure, serial: serial, argsBytes: argsBytes,
                                   optargsBitmask: optargsBitmask, progressHint: progressHint, program: program,
                                   version: version, direction: direction, status: status))
        return serial
    }

    /// A whole call frame (length word, header, args), with any header
    /// field set as given: the tests use it to forge bad calls.
    public static func callFrame(procedure: UInt32, serial: UInt32, argsBytes: [UInt8], optargsBitmask: UInt64 = 0,
                                 progressHint: UInt64 = 0, program: UInt32 = GuestfsConstants.program,
                                 version: UInt32 = GuestfsConstants.protocolVersion,
                                 direction: UInt32 = 0, status: UInt32 = 0) -> [UInt8] {
        var w = XDRWriter(capacity: 48 + argsBytes.count)
        w.write(UInt32(0))
        var h = MessageHeader(procedure: procedure, direction: .call, serial: serial, progressHint: progressHint,
                              optargsBitmask: optargsBitmask)
        h.program = program
        h.version = version
        h.direction = direction
        h.status = status
        h.encode(xdr: &w)
        argsBytes.withUnsafeBytes { w.writeRaw($0) }
        w.patch(UInt32(w.count - 4), at: 0)
        return w.bytes
    }

    /// A decoded reply: header and body bytes.
    public struct Reply {
        public var header: MessageHeader
        public var body: [UInt8]

        /// The error body of a status-1 reply.
        public var error: MessageError? {
            guard header.status == MessageStatus.error.rawValue else { return nil }
            return body.withUnsafeBytes { raw in
                var r = XDRReader(raw)
                return try? MessageError(xdr: &r)
            }
        }
    }

    public func readReply(timeoutSeconds: Double? = nil) throws -> Reply {
        guard let frame = try readFrame(timeoutSeconds: timeoutSeconds) else {
            throw GuestfsClientError.protocolViolation("unexpected cancel flag")
        }
        return try frame.withUnsafeBytes { raw in
            var r = XDRReader(raw)
            let h = try MessageHeader(xdr: &r)
            return Reply(header: h, body: Array(raw[r.offset...]))
        }
    }

    // MARK: Calls

    /// Calls a procedure: sends the call and any upload, reads the reply
    /// and any download, and decodes the result.
    public func call<A: ProcedureArguments, R>(
        _ procedure: Procedure, args: A?, upload: UploadSource? = nil, download: DownloadSink? = nil,
        decode: (inout XDRReader) throws -> R
    ) throws -> R {
        var w = XDRWriter(capacity: 256)
        args?.encode(xdr: &w)
        let serial = try sendCall(procedure: procedure.rawValue, argsBytes: w.bytes,
                                  optargsBitmask: args?.optargsBitmask ?? 0,
                                  progressHint: upload.map(Self.uploadSize) ?? 0)
        if let upload { try sendUpload(upload) }
        let reply = try readReply()
        guard reply.header.serial == serial, reply.header.procedure == procedure.rawValue else {
            throw GuestfsClientError.protocolViolation("reply to serial \(reply.header.serial) proc \(reply.header.procedure), expected \(serial) \(procedure.rawValue)")
        }
        if let e = reply.error { throw GuestfsClientError.daemon(errno: e.errnoName, message: e.message) }
        if let download { try receiveDownload(download) }
        return try reply.body.withUnsafeBytes { raw in
            var r = XDRReader(raw)
            return try decode(&r)
        }
    }

    /// The progress hint the library sends with an upload: its size when known.
    static func uploadSize(_ source: UploadSource) -> UInt64 {
        switch source {
        case .bytes(let b): return UInt64(b.count)
        case .cancelling(_, let b): return UInt64(b.count)
        case .generated(let count, _): return UInt64(count)
        case .file(let path):
            var st = stat()
            return stat(path, &st) == 0 ? UInt64(st.st_size) : 0
        }
    }

    private func sendChunk(cancel: Bool, _ data: UnsafeRawBufferPointer) throws {
        var w = XDRWriter(capacity: data.count + 16)
        encodeChunk(cancel: cancel, data: data, into: &w)
        try sendRaw(w.bytes)
    }

    /// Sends upload chunks; stops early (with a cancel chunk) when the
    /// daemon sends CANCEL_FLAG, as the library does.
    func sendUpload(_ source: UploadSource) throws {
        daemonCancelledUpload = false
        let chunkSize = GuestfsConstants.maxChunkSize
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var offset = 0
        var fileFD: Int32 = -1
        defer { if fileFD >= 0 { close(fileFD) } }
        if case .file(let path) = source {
            fileFD = open(path, O_RDONLY | O_CLOEXEC)
            guard fileFD >= 0 else { throw GuestfsClientError.system(errno, "open \(path)") }
        }
        while true {
            // Only progress messages or a cancel can come now; never block here.
            while daemonHasData() {
                let w = try readWord()
                if w == GuestfsConstants.progressFlag {
                    try handleProgressBody()
                } else if w == GuestfsConstants.cancelFlag {
                    daemonCancelledUpload = true
                    try sendChunk(cancel: true, UnsafeRawBufferPointer(start: nil, count: 0))
                    return
                } else {
                    throw GuestfsClientError.protocolViolation("unexpected word 0x\(String(w, radix: 16)) during upload")
                }
            }
            var n = 0
            var cancelNow = false
            switch source {
            case .bytes(let b):
                n = min(chunkSize, b.count - offset)
                if n > 0 { chunk.withUnsafeMutableBytes { $0.copyBytes(from: b[offset..<(offset + n)]) } }
            case .cancelling(let after, let b):
                if offset >= after { cancelNow = true }
                n = min(chunkSize, b.count - offset, max(after - offset, 0))
                if n > 0 { chunk.withUnsafeMutableBytes { $0.copyBytes(from: b[offset..<(offset + n)]) } }
            case .file:
                n = chunk.withUnsafeMutableBytes { read(fileFD, $0.baseAddress!, chunkSize) }
                if n < 0 { throw GuestfsClientError.system(errno, "read") }
            case .generated(let count, let generator):
                n = min(chunkSize, count - offset)
                if n > 0 {
                    chunk.withUnsafeMutableBytes { generator(offset, UnsafeMutableRawBufferPointer(rebasing: $0[0..<n])) }
                }
            }
            if cancelNow {
                try sendChunk(cancel: true, UnsafeRawBufferPointer(start: nil, count: 0))
                return
            }
            if n == 0 {
                try sendChunk(cancel: false, UnsafeRawBufferPointer(start: nil, count: 0))
                return
            }
            try chunk.withUnsafeBytes { try sendChunk(cancel: false, UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            offset += n
        }
    }

    func receiveDownload(_ sink: DownloadSink) throws {
        var sentCancel = false
        while true {
            guard let frame = try readFrame() else { continue }
            let (cancel, done): (Bool, Bool) = try frame.withUnsafeBytes { raw in
                var r = XDRReader(raw)
                let cancel = try r.readUInt32() != 0
                let data = try r.readOpaqueView()
                if !data.isEmpty && !sentCancel { try sink.receive(data) }
                return (cancel, data.isEmpty)
            }
            if done {
                if cancel || sentCancel { throw GuestfsClientError.transferCancelled }
                return
            }
            if !sentCancel, let limit = sink.cancelAfter, sink.count >= limit {
                try sendWord(GuestfsConstants.cancelFlag)
                sentCancel = true
            }
        }
    }
}
