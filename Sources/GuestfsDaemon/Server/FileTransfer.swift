#if canImport(Glibc)
import Glibc
#endif
import GuestfsProtocol
import SystemPackage

/// The two transfer endpoints handed to FileIn and FileOut handlers. One of
/// each lives for the whole session and is reset before every call.
public struct Transfer {
    public let fileIn: FileInStream
    public let fileOut: FileOutSink
}

/// The library cancelled a transfer (FileIn: a final chunk with cancel 1;
/// FileOut: a CANCEL_FLAG word).
public struct TransferCancelled: Error {}

/// Upload data from the library: the chunks that follow a FileIn call.
/// Read it with `nextChunk()` (zero copy) or `read(into:)`; the end of the
/// stream is nil / 0. A cancel from the library throws
/// "file upload cancelled".
public final class FileInStream {
    let input: InputBuffer
    private(set) var active = false
    /// The final chunk has been read.
    public private(set) var finished = false
    /// The library cancelled (final chunk with cancel = 1).
    public private(set) var cancelledByLibrary = false
    /// Bytes of data received in this call.
    public private(set) var bytesReceived: UInt64 = 0
    private var pending = UnsafeRawBufferPointer(start: nil, count: 0)

    init(input: InputBuffer) { self.input = input }

    func begin(active: Bool) {
        self.active = active
        finished = !active
        cancelledByLibrary = false
        bytesReceived = 0
        pending = UnsafeRawBufferPointer(start: nil, count: 0)
    }

    static let cancelledError = DaemonError(message: "file upload cancelled")

    /// The next chunk's data, valid until the next call on this stream; nil
    /// at the end of the upload.
    public func nextChunk() throws -> UnsafeRawBufferPointer? {
        if !pending.isEmpty {
            let p = pending
            pending = UnsafeRawBufferPointer(start: nil, count: 0)
            return p
        }
        if finished {
            if cancelledByLibrary { throw Self.cancelledError }
            return nil
        }
        guard try input.fill(4) else { throw DaemonError(EIO, "connection closed during file upload") }
        let length = Int(input.peekWord())
        guard length >= 8, length <= GuestfsConstants.messageMax else {
            finished = true
            throw DaemonError(EIO, "malformed file upload chunk (length \(length))")
        }
        guard try input.fill(4 + length) else { throw DaemonError(EIO, "connection closed during file upload") }
        var r = XDRReader(input.view(length, at: 4))
        let cancel: Int32
        let data: UnsafeRawBufferPointer
        do {
            cancel = try r.readInt32()
            data = try r.readOpaqueView()
        } catch {
            input.consume(4 + length)
            finished = true
            throw DaemonError(EIO, "malformed file upload chunk: \(error)")
        }
        input.consume(4 + length)
        if cancel != 0 {
            // The library sends cancel with empty data; anything else is
            // still the end of the stream.
            finished = data.isEmpty
            cancelledByLibrary = true
            if !finished { try drain() }
            finished = true
            throw Self.cancelledError
        }
        if data.isEmpty {
            finished = true
            return nil
        }
        bytesReceived += UInt64(data.count)
        return data
    }

    /// Copies up to `buffer.count` bytes of upload data; 0 at the end.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let chunk = try nextChunk() else { return 0 }
        let n = min(chunk.count, buffer.count)
        buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
        if n < chunk.count { pending = UnsafeRawBufferPointer(rebasing: chunk[n...]) }
        return n
    }

    /// The whole upload in memory, refusing more than `limit` bytes.
    public func readAll(limit: Int = GuestfsConstants.messageMax) throws -> [UInt8] {
        var all: [UInt8] = []
        while let chunk = try nextChunk() {
            if all.count + chunk.count > limit {
                throw DaemonError(EFBIG, "upload is larger than \(limit) bytes")
            }
            all.append(contentsOf: chunk)
        }
        return all
    }

    /// Reads and drops the rest of the upload, through the final chunk.
    func drain() throws {
        while !finished {
            guard try input.fill(4) else { finished = true; return }
            let length = Int(input.peekWord())
            guard length >= 8, length <= GuestfsConstants.messageMax, try input.fill(4 + length) else {
                finished = true
                return
            }
            var r = XDRReader(input.view(length, at: 4))
            _ = try? r.readInt32()
            let empty = ((try? r.readUInt32()) ?? 0) == 0
            input.consume(4 + length)
            if empty { finished = true }
        }
    }
}

/// Download data to the library: the chunks that follow the reply of a
/// FileOut call. The success reply goes out at `start()` (or at the first
/// write), after which errors can only abort the transfer.
public final class FileOutSink {
    let input: InputBuffer
    let channel: Channel
    private var out = XDRWriter(capacity: 72 * 1024)
    private var chunkStart = -1
    private var chunkFill = 0
    private(set) var active = false
    public private(set) var started = false
    public private(set) var bytesSent: UInt64 = 0
    var sendReply: (() throws -> Void)?
    static let flushThreshold = 64 * 1024

    init(input: InputBuffer, channel: Channel) {
        self.input = input
        self.channel = channel
    }

    func begin(active: Bool) {
        self.active = active
        started = false
        bytesSent = 0
        out.reset()
        chunkStart = -1
        chunkFill = 0
    }

    /// Sends the success reply: call once the handler knows it can produce
    /// the data (file opened, tool started).
    public func start() throws {
        guard !started else { return }
        precondition(active, "FileOutSink used by a procedure without a FileOut argument")
        started = true
        try sendReply?()
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public func write(_ string: String) throws {
        var s = string
        try s.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if !started { try start() }
        var offset = 0
        while offset < bytes.count {
            if chunkStart < 0 {
                chunkStart = out.count
                out.write(UInt32(0))  // length, patched when the chunk closes
                out.write(UInt32(0))  // cancel
                out.write(UInt32(0))  // data length
                chunkFill = 0
            }
            let n = min(GuestfsConstants.maxChunkSize - chunkFill, bytes.count - offset)
            out.writeRaw(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]))
            chunkFill += n
            offset += n
            if chunkFill == GuestfsConstants.maxChunkSize { closeChunk() }
            if out.count >= Self.flushThreshold { try flush() }
        }
        bytesSent += UInt64(bytes.count)
    }

    private func closeChunk() {
        guard chunkStart >= 0 else { return }
        let padding = (4 - chunkFill & 3) & 3
        out.writeZeros(padding)
        out.patch(UInt32(8 + chunkFill + padding), at: chunkStart)
        out.patch(UInt32(chunkFill), at: chunkStart + 8)
        chunkStart = -1
        chunkFill = 0
    }


    /// Sends the encoded chunks, first checking (without blocking) whether
    /// the library asked to cancel.
    private func flush() throws {
        closeChunk()
        if try libraryCancelled() { throw TransferCancelled() }
        try out.bytes.withUnsafeBytes { try channel.writeAll($0) }
        out.reset()
    }

    private func libraryCancelled() throws -> Bool {
        _ = try input.fillAvailable()
        if input.buffered >= 4, input.peekWord() == GuestfsConstants.cancelFlag {
            input.consume(4)
            return true
        }
        return false
    }

    /// Ends the transfer: pending data, then the final empty chunk (cancel
    /// 1 when the transfer failed part way).
    func finish(cancelled: Bool) throws {
        if !cancelled {
            try flush()
        } else {
            out.reset()
            chunkStart = -1
        }
        encodeChunk(cancel: cancelled, data: UnsafeRawBufferPointer(start: nil, count: 0), into: &out)
        try out.bytes.withUnsafeBytes { try channel.writeAll($0) }
        out.reset()
    }
}
