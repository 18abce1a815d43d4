#if canImport(Glibc)
import Glibc
#endif
import GuestfsDaemon
import GuestfsProtocol
import SystemPackage

/// What one fuzz input means. The first byte picks the target:
/// - 0, 1, 2 (mod 4): the rest is the byte stream a client sends to a live
///   `Session` (frames, chunks, flags, garbage), replies drained;
/// - 3 (mod 4): the rest is `proc (4) | optargs bitmask (8) | args`, decoded
///   with `decodeArguments(of:from:optargsBitmask:)` (the procedure is the
///   number itself when it is one, else taken modulo the procedure count, so
///   every input hits one), and a
///   decoded value must encode and decode back to the same bytes.
enum FuzzInput {
    static let procedures = Procedure.allCases

    static func run(_ data: UnsafeRawBufferPointer) {
        guard let mode = data.first else { return }
        let rest = UnsafeRawBufferPointer(rebasing: data[1...])
        if mode % 4 == 3 {
            decode(rest)
        } else {
            SessionStream.run(rest)
        }
    }

    static func decode(_ data: UnsafeRawBufferPointer) {
        guard data.count >= 12 else { return }
        var r = XDRReader(data)
        let number = (try? r.readUInt32()) ?? 0
        let bitmask = (try? r.readUInt64()) ?? 0
        // A real number picks its procedure; any other picks one by index.
        let procedure = Procedure(rawValue: number) ?? procedures[Int(number % UInt32(procedures.count))]
        guard let args = try? decodeArguments(of: procedure, from: &r, optargsBitmask: bitmask) else { return }
        // Round trip: encode, decode with the bitmask the value reports,
        // encode again: both encodings must be identical.
        var w1 = XDRWriter()
        args.encode(xdr: &w1)
        let first = w1.bytes
        let again: (any ProcedureArguments)?
        do {
            again = try first.withUnsafeBytes { raw throws(XDRError) in
                var r2 = XDRReader(raw)
                let v = try decodeArguments(of: procedure, from: &r2, optargsBitmask: args.optargsBitmask)
                if !r2.isAtEnd { fatalError("\(procedure.name): re-decoding left \(r2.remaining) bytes") }
                return v
            }
        } catch {
            fatalError("\(procedure.name): an encoded value does not decode: \(error)")
        }
        guard let again else { fatalError("\(procedure.name): decoded nothing the second time") }
        var w2 = XDRWriter()
        again.encode(xdr: &w2)
        if w2.bytes != first { fatalError("\(procedure.name): encode/decode round trip differs") }
    }
}

/// Drives a real `Session` (with `FuzzActions`) over a socketpair: a helper
/// thread writes the input into the client end, then shuts its write side,
/// while draining everything the daemon sends.
enum SessionStream {
    static let setup: Void = {
        signal(SIGPIPE, SIG_IGN)
    }()

    static func run(_ data: UnsafeRawBufferPointer) {
        _ = setup
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else {
            fatalError("socketpair: \(errno)")
        }
        let peer = Peer(fd: fds[0], input: Array(data))
        var thread = pthread_t()
        let box = Unmanaged.passRetained(peer).toOpaque()
        guard pthread_create(&thread, nil, { arg in
            let p = Unmanaged<Peer>.fromOpaque(arg!).takeRetainedValue()
            p.pump()
            return nil
        }, box) == 0 else { fatalError("pthread_create") }
        do {
            let session = Session(channel: Channel(descriptor: FileDescriptor(rawValue: fds[1]), owned: true),
                                  actions: FuzzActions())
            // Errors out of run are the session ending (a broken pipe, a read
            // error): never a crash, so not a finding.
            try? session.run()
        }
        // The session (and its channel) is gone: the peer sees end of file.
        pthread_join(thread, nil)
    }
}

/// The client side: writes the input, then reads until the daemon closes.
final class Peer {
    let fd: Int32
    let input: [UInt8]

    init(fd: Int32, input: [UInt8]) {
        self.fd = fd
        self.input = input
    }

    func pump() {
        defer { close(fd) }
        var written = 0
        var scratch = [UInt8](repeating: 0, count: 64 * 1024)
        if input.isEmpty { shutdown(fd, Int32(SHUT_WR)) }
        while true {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN) | (written < input.count ? Int16(POLLOUT) : 0), revents: 0)
            let r = poll(&pfd, 1, 30_000)
            if r < 0 { if errno == EINTR { continue }; return }
            if r == 0 { fatalError("the session neither read nor wrote for 30 s: hang") }
            if pfd.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if n == 0 { return }
                if n < 0, errno != EAGAIN, errno != EINTR { return }
            }
            if written < input.count, pfd.revents & Int16(POLLOUT) != 0 {
                let n = input.withUnsafeBytes {
                    send(fd, $0.baseAddress! + written, min(input.count - written, 64 * 1024), Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
                }
                if n > 0 { written += n } else if n < 0, errno != EAGAIN, errno != EINTR { written = input.count }
                if written == input.count { shutdown(fd, Int32(SHUT_WR)) }
            }
        }
    }
}
