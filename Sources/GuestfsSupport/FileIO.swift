#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// The handlers' I/O layer, on swift-system's FileDescriptor: opens,
/// reads, writes fully, pread/pwrite and closes, each failure turned into
/// the daemon's error in upstream's words, "CONTEXT: strerror(errno)",
/// with that errno. Interrupted calls are retried here, so no handler
/// keeps an EINTR loop or a raw descriptor.
public enum FileIO {
    /// open(2) of `path` as written (no FilePath normalisation: a trailing
    /// slash still means "a directory"), O_CLOEXEC added. `error` is the
    /// message's context on failure.
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0,
                            error context: @autoclosure () -> String) throws -> FileDescriptor {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return FileDescriptor(rawValue: fd) }
            if errno != EINTR { throw DaemonError.system(context()) }
        }
    }

    /// Opens `path`, runs `body` and closes the descriptor (a failed close
    /// is not reported: nothing was written).
    public static func withOpen<T>(_ path: String, _ flags: Int32, mode: mode_t = 0,
                                   error context: @autoclosure () -> String,
                                   _ body: (FileDescriptor) throws -> T) throws -> T {
        let fd = try open(path, flags, mode: mode, error: context())
        defer { try? fd.close() }
        return try body(fd)
    }

    /// Opens `path` for writing, runs `body`, then closes with the close
    /// checked ("CLOSE: strerror": the data may not have reached the disk).
    /// When `body` throws, the descriptor is closed quietly and its error
    /// goes on.
    public static func withWritable<T>(_ path: String, _ flags: Int32, mode: mode_t = 0,
                                       error context: @autoclosure () -> String,
                                       closeError: @autoclosure () -> String,
                                       _ body: (FileDescriptor) throws -> T) throws -> T {
        let fd = try open(path, flags, mode: mode, error: context())
        let result: T
        do {
            result = try body(fd)
        } catch {
            try? fd.close()
            throw error
        }
        try fd.closeChecked(error: closeError())
        return result
    }

    /// Runs a FileDescriptor call, its Errno turned into "CONTEXT: strerror".
    public static func call<T>(_ context: @autoclosure () -> String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as Errno {
            throw DaemonError.system(context(), errno: e.rawValue)
        }
    }
}

extension FileDescriptor {
    /// Reads once into `buffer` (EINTR retried): the byte count, 0 at the end.
    public func readSome(into buffer: UnsafeMutableRawBufferPointer, error context: @autoclosure () -> String) throws -> Int {
        try FileIO.call(context()) { try self.read(into: buffer) }
    }

    /// pread(2) once at `offset` (EINTR retried): the byte count.
    public func pread(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64,
                      error context: @autoclosure () -> String) throws -> Int {
        try FileIO.call(context()) { try self.read(fromAbsoluteOffset: offset, into: buffer) }
    }

    /// pwrite(2) once at `offset` (EINTR retried): the byte count.
    public func pwrite(_ bytes: UnsafeRawBufferPointer, at offset: Int64,
                       error context: @autoclosure () -> String) throws -> Int {
        try FileIO.call(context()) { try self.write(toAbsoluteOffset: offset, bytes) }
    }

    /// Writes every byte (short writes continued, EINTR retried).
    public func writeAll(_ bytes: UnsafeRawBufferPointer, error context: @autoclosure () -> String) throws {
        var offset = 0
        while offset < bytes.count {
            offset += try FileIO.call(context()) { try self.write(UnsafeRawBufferPointer(rebasing: bytes[offset...])) }
        }
    }

    /// close(2), its failure reported (after writes: the data may be lost).
    public func closeChecked(error context: @autoclosure () -> String) throws {
        try FileIO.call(context()) { try self.close() }
    }
}
