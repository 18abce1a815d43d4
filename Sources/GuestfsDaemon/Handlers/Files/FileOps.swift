#if canImport(Glibc)
import Glibc
#endif
import CGuestfsShim
import GuestfsProtocol
import SystemPackage

/// Small system-call helpers shared by the file handlers (Files, Directories,
/// Stat, FileContent, Xattrs). They keep errno from the failing call so the
/// caller can build upstream's "context: strerror" message.
enum FileOps {
    /// A new, empty file made by mkstemp(3) from `template` (a path ending
    /// in XXXXXX): its open descriptor and its path. The caller closes and
    /// unlinks it.
    static func makeTemporary(_ template: String) throws -> (fd: FileDescriptor, path: String) {
        var name = Array(template.utf8CString)
        let fd = name.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw DaemonError.system("mkstemp") }
        return (FileDescriptor(rawValue: fd), cString(name))
    }

    /// stat(2)/lstat(2) into a caller's buffer (for glob's callbacks).
    static func statInto(_ hostPath: String, _ buffer: UnsafeMutableRawPointer, follow: Bool) -> Int32 {
        let st = buffer.assumingMemoryBound(to: stat.self)
        return follow ? stat(hostPath, st) : lstat(hostPath, st)
    }

    /// statvfs(2); nil with errno set on failure.
    static func filesystemStatus(_ hostPath: String) -> statvfs? {
        var buf = statvfs()
        return statvfs(hostPath, &buf) == 0 ? buf : nil
    }

    static func isDirectory(_ hostPath: String) -> Bool {
        guard let st = fileStatus(hostPath, follow: true) else { return false }
        return st.st_mode & S_IFMT == S_IFDIR
    }

    /// pread and pread_device: up to `count` bytes at `offset` of the file
    /// or device at `hostPath` (`name` in messages), checked as upstream
    /// checks them, after the open.
    static func preadReply(_ hostPath: String, name: String, count: Int32, offset: Int64) throws -> [UInt8] {
        let fd = try FileIO.open(hostPath, O_RDONLY, error: "open: \(name)")
        defer { try? fd.close() }
        if count < 0 { throw DaemonError(message: "count is negative") }
        if offset < 0 { throw DaemonError(message: "offset is negative") }
        if Int(count) >= GuestfsConstants.messageMax {
            throw DaemonError(message: "\(name): count is too large for the protocol, use smaller reads")
        }
        var buffer = [UInt8](repeating: 0, count: Int(count))
        let n = try buffer.withUnsafeMutableBytes { try fd.pread(into: $0, at: offset, error: "pread: \(name)") }
        buffer.removeSubrange(n...)
        return buffer
    }

    /// True when every byte is zero (sparse copies, zero_device, is_zero).
    static func isAllZero(_ p: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        let n = p.count
        while i + 8 <= n {
            if p.loadUnaligned(fromByteOffset: i, as: UInt64.self) != 0 { return false }
            i += 8
        }
        while i < n {
            if p[i] != 0 { return false }
            i += 1
        }
        return true
    }

    /// The name of a directory entry as raw bytes (no terminating NUL).
    static func entryName(_ entry: UnsafeMutablePointer<dirent>) -> UnsafeRawBufferPointer {
        let offset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        let p = UnsafeRawPointer(entry) + offset
        let length = strlen(p.assumingMemoryBound(to: CChar.self))
        return UnsafeRawBufferPointer(start: p, count: length)
    }

    static func entryNameString(_ entry: UnsafeMutablePointer<dirent>) -> String {
        String(decoding: entryName(entry), as: UTF8.self)
    }

    /// Reads a directory's entry names (without . and ..), in readdir order.
    static func directoryNames(_ hostPath: String) -> [String]? {
        guard let dir = opendir(hostPath) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = entryNameString(entry)
            if name == "." || name == ".." { continue }
            names.append(name)
        }
        return names
    }

    /// "%o" of an Int32 as C prints it through an unsigned cast.
    static func octal(_ value: Int32) -> String {
        String(UInt32(bitPattern: value), radix: 8)
    }

    /// The last component of a path as basename(1) prints it.
    static func baseName(_ path: String) -> String {
        var p = Substring(path)
        while p.count > 1, p.hasSuffix("/") { p.removeLast() }
        if p == "/" { return "/" }
        if let slash = p.lastIndex(of: "/") { return String(p[p.index(after: slash)...]) }
        return String(p)
    }

    static func statns(_ s: stat) -> GuestfsStatns {
        GuestfsStatns(
            stDev: Int64(bitPattern: UInt64(s.st_dev)), stIno: Int64(bitPattern: UInt64(s.st_ino)),
            stMode: Int64(s.st_mode), stNlink: Int64(bitPattern: UInt64(s.st_nlink)),
            stUid: Int64(s.st_uid), stGid: Int64(s.st_gid),
            stRdev: Int64(bitPattern: UInt64(s.st_rdev)), stSize: Int64(s.st_size),
            stBlksize: Int64(s.st_blksize), stBlocks: Int64(s.st_blocks),
            stAtimeSec: Int64(s.st_atim.tv_sec), stAtimeNsec: Int64(s.st_atim.tv_nsec),
            stMtimeSec: Int64(s.st_mtim.tv_sec), stMtimeNsec: Int64(s.st_mtim.tv_nsec),
            stCtimeSec: Int64(s.st_ctim.tv_sec), stCtimeNsec: Int64(s.st_ctim.tv_nsec))
    }
}

extension Handlers {
    /// Runs `argv` with the file at `hostPath` as its standard input, as
    /// upstream does for head, grep, wc, hexdump, checksums...: the tool's
    /// messages then speak of "standard input", never of the sysroot path.
    /// run checks that the tool is there before it opens the file.
    func runReadingFile(_ hostPath: String, _ argv: [String]) throws -> CommandResult {
        try context.runner.run(argv, stdin: .file(hostPath))
    }

    /// Opens a guest file read-only as upstream does before running a tool
    /// on it, so a missing or unreadable file fails with upstream's errno.
    func checkReadable(_ path: String, _ hostPath: String, context message: String) throws {
        try FileIO.open(hostPath, O_RDONLY, error: message).close()
    }

    /// A tool's stderr, trimmed, for an error message.
    func toolError(_ r: CommandResult) -> String {
        var s = r.stderrString.trimmingTrailingNewlines()
        if s.isEmpty { s = r.stdoutString.trimmingTrailingNewlines() }
        return s
    }
}
