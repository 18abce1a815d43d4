#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// The byte stream to the library: the virtio-serial port in the
/// appliance, a unix socket or an inherited descriptor elsewhere.
public final class Channel {
    public let descriptor: FileDescriptor
    private let ownsDescriptor: Bool

    public init(descriptor: FileDescriptor, owned: Bool = true) {
        self.descriptor = descriptor
        self.ownsDescriptor = owned
    }

    deinit {
        if ownsDescriptor { try? descriptor.close() }
    }

    /// Reads what is available (at least one byte, blocking); 0 at end of file.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        do {
            return try descriptor.read(into: buffer, retryOnInterrupt: true)
        } catch Errno.connectionReset {
            return 0
        }
    }

    /// Writes every byte, looping over short writes.
    public func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            done += try descriptor.write(UnsafeRawBufferPointer(rebasing: bytes[done...]), retryOnInterrupt: true)
        }
    }

    public func writeAll(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try writeAll($0) }
    }

    public func writeWord(_ word: UInt32) throws {
        try withUnsafeBytes(of: word.bigEndian) { try writeAll($0) }
    }

    /// True when a read would not block (data or end of file waiting).
    public func isReadable(timeoutMilliseconds: Int32) throws -> Bool {
        var pfd = pollfd(fd: descriptor.rawValue, events: Int16(POLLIN), revents: 0)
        while true {
            let r = poll(&pfd, 1, timeoutMilliseconds)
            if r < 0 {
                if errno == EINTR { continue }
                throw Errno(rawValue: errno)
            }
            return r > 0
        }
    }

    /// Puts a serial-port channel in raw mode so no byte is translated.
    public func makeRawIfTerminal() {
        guard isatty(descriptor.rawValue) == 1 else { return }
        var t = termios()
        guard tcgetattr(descriptor.rawValue, &t) == 0 else { return }
        cfmakeraw(&t)
        _ = tcsetattr(descriptor.rawValue, TCSANOW, &t)
    }
}
