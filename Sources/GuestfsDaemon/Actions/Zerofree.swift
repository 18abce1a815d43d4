#if canImport(Glibc)
import Glibc
#endif
import CGuestfsShim

/// Zeroing free space: zerofree on an unmounted ext2/3/4 filesystem (with
/// progress, which upstream did not report), and zero_free_space on any
/// mounted filesystem by filling it with a zero file.
extension Handlers {
    public func zerofree(device: String) throws {
        // zerofree reads every free block, 4 KiB at a time. Under TCG each
        // request to the disk is costly: with the device's read-ahead at
        // 4 MiB instead of 128 KiB it makes a 32nd of them (1 GiB, half of
        // it to zero: 17.5 s instead of 20.8 s). The device's own setting
        // is put back afterwards.
        let restore = Self.raiseReadahead(device, toSectors: 8192)
        defer { restore() }
        // zerofree -v writes "\r 12.3%" to stderr as it goes.
        var pending: [UInt8] = []
        let progress = context
        let r = try context.runner.run(["zerofree", "-v", device], onStderr: { chunk in
            pending += chunk
            guard let permille = Self.zerofreeLastPercent(&pending) else { return }
            try? progress.progress(UInt64(permille), of: 1000)
        })
        guard r.succeeded else {
            let message = Self.zerofreeWithoutProgress(r.stderrString).trimmingTrailingNewlines()
            throw DaemonError(message: "\(fsName(device)): \(fsCanonicalText(message))")
        }
        try? context.progress(1000, of: 1000)
    }

    /// Raises the read-ahead of `device` (and so of its disk: a partition
    /// shares its disk's queue) to at least `sectors`; returns what puts
    /// the former value back. Best effort: a device whose read-ahead cannot
    /// be read or set is left alone.
    static func raiseReadahead(_ device: String, toSectors sectors: Int) -> () -> Void {
        let before: Int? = try? withBlockDevice(device) { fd in
            var ra = 0
            return guestfs_shim_blk_getra(fd.rawValue, &ra) == 0 ? ra : nil
        }
        guard let before, before < sectors,
              (try? withBlockDevice(device) { guestfs_shim_blk_setra($0.rawValue, UInt(sectors)) == 0 }) == true
        else { return {} }
        return { _ = try? withBlockDevice(device) { guestfs_shim_blk_setra($0.rawValue, UInt(before)) } }
    }

    /// The last complete "NN.N%" in what zerofree printed so far (in
    /// tenths of a percent); the consumed text is dropped.
    static func zerofreeLastPercent(_ buffer: inout [UInt8]) -> Int? {
        guard let lastPercent = buffer.lastIndex(of: 37) else { return nil }  // '%'
        let start = buffer[..<lastPercent].lastIndex(of: 13).map { $0 + 1 } ?? 0  // '\r'
        let text = String(decoding: buffer[start..<lastPercent], as: UTF8.self).fsTrimming(" ")
        buffer.removeSubrange(..<(lastPercent + 1))
        let parts = text.split(separator: ".")
        guard parts.count == 2, let whole = Int(parts[0]), let tenth = Int(parts[1]) else { return nil }
        return min(1000, whole * 10 + tenth)
    }

    /// zerofree's stderr with the "\r NN.N%" progress pieces removed.
    static func zerofreeWithoutProgress(_ stderr: String) -> String {
        stderr.split(separator: "\r", omittingEmptySubsequences: true)
            .map { piece -> Substring in
                // A piece is " 12.3%" and possibly the next message after it.
                let body = piece.drop { $0 == " " }
                let number = body.prefix { $0.isNumber || $0 == "." }
                if !number.isEmpty, body.dropFirst(number.count).first == "%" {
                    return body.dropFirst(number.count + 1)
                }
                return piece
            }
            .joined()
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
