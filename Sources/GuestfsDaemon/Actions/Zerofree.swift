#if canImport(Glibc)
import Glibc
#endif
import CGuestfsShim

/// Zeroing free space: zerofree on an unmounted ext2/3/4 filesystem, and
/// zero_free_space on any mounted filesystem by filling it with a zero file.
extension Handlers {
    /// As the zerofree tool (the same checks, messages and bytes on disk;
    /// System/Ext2Zerofree.swift), with progress, which upstream did not
    /// report.
    public func zerofree(device: String) throws {
        let context = self.context
        do {
            try Ext2Zerofree.run(device: device) { permille in try? context.progress(permille, of: 1000) }
        } catch let failure as Ext2Zerofree.Failure {
            throw DaemonError(message: "\(fsName(device)): \(fsCanonicalText("zerofree: " + failure.message))")
        }
        try? context.progress(1000, of: 1000)
    }

    public func zeroFreeSpace(directory: String) throws {
        let dir = try context.resolve(directory)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
        let name = String(decoding: (0..<8).map { _ in alphabet.randomElement()! }, as: UTF8.self) + "."
            + String(decoding: (0..<3).map { _ in alphabet.randomElement()! }, as: UTF8.self)
        let filename = (dir.hasSuffix("/") ? dir : dir + "/") + name
        let fd = Glibc.open(filename, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DaemonError.system("open: \(filename)") }
        var vfs = Glibc.statvfs()
        guard Glibc.fstatvfs(fd, &vfs) == 0 else {
            let e = errno
            Glibc.close(fd)
            Glibc.unlink(filename)
            throw DaemonError.system("fstatvfs", errno: e)
        }
        let initialFree = UInt64(vfs.f_bfree)
        let zeros = [UInt8](repeating: 0, count: 1 << 16)
        var writes = 0
        while true {
            let n = zeros.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                let e = errno
                if e == EINTR { continue }
                if e == ENOSPC { break }
                Glibc.close(fd)
                Glibc.unlink(filename)
                throw DaemonError.system("write: \(filename)", errno: e)
            }
            if n == 0 { break }
            writes += 1
            if writes & 15 == 0, Glibc.fstatvfs(fd, &vfs) == 0 {
                let free = UInt64(vfs.f_bfree)
                try? context.progress(initialFree > free ? initialFree - free : 0, of: max(initialFree, 1))
            }
        }
        Glibc.close(fd)  // may report the ENOSPC again: expected
        Glibc.sync()
        try? context.progress(max(initialFree, 1), of: max(initialFree, 1))
        if Glibc.unlink(filename) != 0 { throw DaemonError.system("unlink: \(filename)") }
    }
}
