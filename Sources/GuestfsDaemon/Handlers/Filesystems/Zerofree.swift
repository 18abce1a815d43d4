#if canImport(Glibc)
import Glibc
#endif
import CGuestfsShim
import SystemPackage

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
            throw DaemonError(message: "\(fsName(device)): \(canonicalNames(in: "zerofree: " + failure.message))")
        }
        try? context.progress(1000, of: 1000)
    }

    public func zeroFreeSpace(directory: String) throws {
        let dir = try context.resolve(directory)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
        let name = String(decoding: (0..<8).map { _ in alphabet.randomElement()! }, as: UTF8.self) + "."
            + String(decoding: (0..<3).map { _ in alphabet.randomElement()! }, as: UTF8.self)
        let filename = (dir.hasSuffix("/") ? dir : dir + "/") + name
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(filename, .writeOnly,
                                         options: [.create, .exclusiveCreate, .closeOnExec,
                                                   FileDescriptor.OpenOptions(rawValue: O_NOCTTY)],
                                         permissions: [.ownerReadWrite])
        } catch let e as Errno {
            throw DaemonError.system("open: \(filename)", errno: e.rawValue)
        }
        var vfs = Glibc.statvfs()
        var initialFree: UInt64 = 0
        do {
            try fd.closeAfter {
                guard Glibc.fstatvfs(fd.rawValue, &vfs) == 0 else { throw DaemonError.system("fstatvfs", errno: errno) }
                initialFree = UInt64(vfs.f_bfree)
                let zeros = [UInt8](repeating: 0, count: 1 << 16)
                var writes = 0
                while true {
                    let n: Int
                    do {
                        n = try zeros.withUnsafeBytes { try fd.write($0, retryOnInterrupt: true) }
                    } catch Errno.noSpace {
                        break
                    } catch let e as Errno {
                        throw DaemonError.system("write: \(filename)", errno: e.rawValue)
                    }
                    if n == 0 { break }
                    writes += 1
                    if writes & 15 == 0, Glibc.fstatvfs(fd.rawValue, &vfs) == 0 {
                        let free = UInt64(vfs.f_bfree)
                        try? context.progress(initialFree > free ? initialFree - free : 0, of: max(initialFree, 1))
                    }
                }
            }
        } catch Errno.noSpace {
            // The close reporting the ENOSPC again: expected.
        } catch {
            Glibc.unlink(filename)
            throw error
        }
        Glibc.sync()
        try? context.progress(max(initialFree, 1), of: max(initialFree, 1))
        if Glibc.unlink(filename) != 0 { throw DaemonError.system("unlink: \(filename)") }
    }
}
