#if canImport(Glibc)
import Glibc
#endif
import GuestfsDaemon
import GuestfsProtocol
import GuestfsTestDoubles

/// A clock that jumps a quarter second each time it is read, so progress
/// messages flow without the fuzzer ever sleeping.
final class SteppingClock: DaemonClock {
    var now: UInt64 = 1_000_000_000
    func nanoseconds() -> UInt64 {
        now += 250_000_000
        return now
    }
}

/// The only procedures the fuzzer may run for real. They touch nothing
/// outside this process: every other procedure decodes and checks its
/// arguments and then answers ENOTSUP from UnimplementedGuestfsActions, which is
/// exactly the path worth fuzzing. NEVER add a handler here that runs a
/// tool, opens a path or touches a device.
final class FuzzActions: UnimplementedGuestfsActions {
    let context: DaemonContext

    init() {
        // A sysroot that does not exist and no disks: even a checked
        // argument can resolve to nothing real.
        context = DaemonContext(sysroot: Sysroot(root: "/nonexistent-guestfsd-fuzz-sysroot"),
                                devices: DeviceNames(drives: ["/dev/null"]),
                                clock: SteppingClock())
    }

    func pingDaemon() throws {}

    func echoDaemon(words: [String]) throws -> String { words.joined(separator: " ") }

    /// Reads the whole upload in place; "/fail" gives up after one chunk
    /// (the daemon-side cancel path), "/readall" uses the buffering reader.
    func upload(filename: FileInStream, remotefilename: String) throws {
        if remotefilename == "/readall" {
            _ = try filename.readAll(limit: 64 * 1024)
            return
        }
        var scratch = [UInt8](repeating: 0, count: 3000)
        var total = 0
        while true {
            let n = try scratch.withUnsafeMutableBytes { try filename.read(into: $0) }
            if n == 0 { break }
            total += n
            if remotefilename == "/fail" { throw DaemonError(ENOSPC, "\(remotefilename): No space left on device") }
            try context.progress(UInt64(total), of: UInt64(total) + 1)
        }
    }

    /// "/bytes/N" sends N bytes (at most 256 KiB); anything else fails
    /// before the reply; "/abort/N" fails after N bytes.
    func download(remotefilename: String, filename: FileOutSink) throws {
        let abort = remotefilename.hasPrefix("/abort/")
        guard remotefilename.hasPrefix("/bytes/") || abort, let n = Int(remotefilename.dropFirst(7)), n >= 0 else {
            throw DaemonError(ENOENT, "\(remotefilename): No such file or directory")
        }
        try filename.start()
        let count = min(n, 256 * 1024)
        var block = [UInt8](repeating: 0x5a, count: 4099)
        var sent = 0
        while sent < count {
            let m = min(block.count, count - sent)
            try block.withUnsafeMutableBytes { try filename.write(UnsafeRawBufferPointer(rebasing: $0[0..<m])) }
            sent += m
            try context.progress(UInt64(sent), of: UInt64(count))
        }
        block[0] = 0
        if abort { throw DaemonError(EIO, "\(remotefilename): Input/output error") }
    }

    /// Progress messages on the stepping clock, no sleeping.
    func sleep(secs: Int32) throws {
        let steps = UInt64(max(0, min(secs, 50)))
        for step in 0...steps { try context.progress(step, of: steps) }
    }

    /// A reply of `count` bytes (may exceed the message maximum: the session
    /// must turn that into an error reply).
    func pread(path: String, count: Int32, offset: Int64) throws -> [UInt8] {
        guard count >= 0 else { throw DaemonError(EINVAL, "count is negative") }
        return [UInt8](repeating: 1, count: min(Int(count), GuestfsConstants.messageMax + 4096))
    }
}
