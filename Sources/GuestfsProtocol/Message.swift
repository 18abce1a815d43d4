/// Direction of a message: the library calls, the daemon replies.
public enum MessageDirection: UInt32, Sendable {
    case call = 0
    case reply = 1
}

/// Status of a reply: ok, or an error body follows.
public enum MessageStatus: UInt32, Sendable {
    case ok = 0
    case error = 1
}

/// `guestfs_message_header`: 40 bytes at the start of every call and reply.
public struct MessageHeader: Equatable, Sendable {
    public static let size = 40

    public var program: UInt32
    public var version: UInt32
    public var procedure: UInt32
    public var direction: UInt32
    public var serial: UInt32
    public var progressHint: UInt64
    public var optargsBitmask: UInt64
    public var status: UInt32

    public init(program: UInt32 = GuestfsConstants.program,
                version: UInt32 = GuestfsConstants.protocolVersion,
                procedure: UInt32, direction: MessageDirection, serial: UInt32,
                progressHint: UInt64 = 0, optargsBitmask: UInt64 = 0,
                status: MessageStatus = .ok) {
        self.program = program
        self.version = version
        self.procedure = procedure
        self.direction = direction.rawValue
        self.serial = serial
        self.progressHint = progressHint
        self.optargsBitmask = optargsBitmask
        self.status = status.rawValue
    }

    public init(xdr r: inout XDRReader) throws(XDRError) {
        program = try r.readUInt32()
        version = try r.readUInt32()
        procedure = try r.readUInt32()
        direction = try r.readUInt32()
        serial = try r.readUInt32()
        progressHint = try r.readUInt64()
        optargsBitmask = try r.readUInt64()
        status = try r.readUInt32()
    }

    public func encode(xdr w: inout XDRWriter) {
        w.write(program)
        w.write(version)
        w.write(procedure)
        w.write(direction)
        w.write(serial)
        w.write(progressHint)
        w.write(optargsBitmask)
        w.write(status)
    }
}

/// `guestfs_message_error`: the body of a reply with status 1.
public struct MessageError: Equatable, Sendable, Error {
    public var errnoName: String
    public var message: String

    public init(errnoName: String, message: String) {
        self.errnoName = errnoName
        self.message = message
    }

    public init(xdr r: inout XDRReader) throws(XDRError) {
        errnoName = try r.readString(maximum: 32)
        // The message may carry bytes that are not UTF-8 (tool output):
        // keep what can be shown rather than failing the whole reply.
        let view = try r.readOpaqueView(maximum: GuestfsConstants.errorLength)
        message = String(decoding: view, as: UTF8.self)
    }

    /// Encodes, cutting the message to GUESTFS_ERROR_LEN bytes on a
    /// character boundary so the library accepts it.
    public func encode(xdr w: inout XDRWriter) {
        w.write(String(errnoName.utf8.prefix(32)) ?? "")
        var utf8 = message.utf8[...]
        if utf8.count > GuestfsConstants.errorLength {
            var end = utf8.index(utf8.startIndex, offsetBy: GuestfsConstants.errorLength)
            while end > utf8.startIndex, UTF8.isContinuation(utf8[end]) { end = utf8.index(before: end) }
            utf8 = utf8[..<end]
        }
        w.write(String(utf8) ?? "")
    }
}

/// Size of a progress message after its flag word: proc, serial,
/// position, total.
public let progressMessageSize = 24

/// The flag words that may stand where a length word is expected.
public enum FlagWord {
    public static let launch = GuestfsConstants.launchFlag
    public static let cancel = GuestfsConstants.cancelFlag
    public static let progress = GuestfsConstants.progressFlag

    public static func isFlag(_ word: UInt32) -> Bool {
        word == launch || word == cancel || word == progress
    }
}

/// Encodes one file-transfer chunk (length word included).
public func encodeChunk(cancel: Bool, data: UnsafeRawBufferPointer, into w: inout XDRWriter) {
    let body = 4 + 4 + ((data.count + 3) & ~3)
    w.write(UInt32(body))
    w.write(UInt32(cancel ? 1 : 0))
    w.writeOpaque(data)
}
