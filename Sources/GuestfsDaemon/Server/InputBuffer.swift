#if canImport(Glibc)
import Glibc
#endif
import GuestfsProtocol

/// Bytes read from the channel but not yet consumed. One allocation for
/// the life of the session, large enough for the biggest legal frame; reads
/// ask the kernel for as much as fits, so a stream of small chunks costs
/// few system calls.
final class InputBuffer {
    private let storage: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    let channel: Channel

    init(channel: Channel, capacity: Int = GuestfsConstants.messageMax + 64 * 1024) {
        self.channel = channel
        storage = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    var buffered: Int { end - start }
    var capacity: Int { storage.count }

    /// Blocks until at least `n` bytes are buffered. Returns false on end of
    /// file (the host went away).
    func fill(_ n: Int) throws -> Bool {
        precondition(n <= storage.count, "fill beyond buffer capacity")
        while end - start < n {
            if storage.count - start < n {
                // Slide the unread bytes to the front to make room.
                let count = end - start
                if count > 0, start > 0 {
                    memmove(storage.baseAddress!, storage.baseAddress! + start, count)
                }
                start = 0
                end = count
            }
            let got = try channel.read(into: UnsafeMutableRawBufferPointer(rebasing: storage[end...]))
            if got == 0 { return false }
            end += got
        }
        return true
    }

    /// Takes whatever the channel has right now, without blocking.
    func fillAvailable() throws -> Bool {
        guard try channel.isReadable(timeoutMilliseconds: 0) else { return true }
        if storage.count - end < 4096 {
            let count = end - start
            if count > 0, start > 0 { memmove(storage.baseAddress!, storage.baseAddress! + start, count) }
            start = 0
            end = count
        }
        if end == storage.count { return true }
        let got = try channel.read(into: UnsafeMutableRawBufferPointer(rebasing: storage[end...]))
        if got == 0 { return false }
        end += got
        return true
    }

    /// A view of the next `n` buffered bytes (fill first).
    func view(_ n: Int, at offset: Int = 0) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage[(start + offset)..<(start + offset + n)])
    }

    func peekWord(at offset: Int = 0) -> UInt32 {
        UInt32(bigEndian: UnsafeRawBufferPointer(storage).loadUnaligned(fromByteOffset: start + offset, as: UInt32.self))
    }

    func consume(_ n: Int) {
        start += n
        if start == end {
            start = 0
            end = 0
        }
    }

    /// Reads and throws away `n` bytes, however many that is.
    func discard(_ n: Int) throws -> Bool {
        var left = n
        while left > 0 {
            if buffered == 0 { guard try fill(1) else { return false } }
            let take = min(left, buffered)
            consume(take)
            left -= take
        }
        return true
    }
}
