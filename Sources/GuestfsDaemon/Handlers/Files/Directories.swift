#if canImport(Glibc)
import Glibc
#endif
import GuestfsProtocol

/// Directories: create, remove, list (ls0, readdir, ll, find0, glob),
/// disk usage, and the helpers upstream keeps beside them.
extension Handlers {
    // MARK: Create and remove

    public func mkdir(path: String) throws {
        if Glibc.mkdir(try context.resolve(path, followFinal: false), 0o777) != 0 {
            throw DaemonError.system(path)
        }
    }

    public func mkdirMode(path: String, mode: Int32) throws {
        if mode < 0 { throw DaemonError(message: "\(path): mode is negative") }
        if Glibc.mkdir(try context.resolve(path, followFinal: false), mode_t(mode)) != 0 {
            throw DaemonError.system(path)
        }
    }

    public func mkdirP(path: String) throws {
        switch try makeDirectories(path, retried: false) {
        case .created: return
        case .failed(let e): throw DaemonError.system(path, errno: e)
        case .notADirectory: throw DaemonError(message: "\(path): a path element was not a directory")
        }
    }

    private enum MkdirOutcome { case created, failed(Int32), notADirectory }

    /// upstream's recursive_mkdir on guest paths: an existing element that
    /// is not a directory (lstat: a symlink counts as not one) fails.
    private func makeDirectories(_ path: String, retried: Bool) throws -> MkdirOutcome {
        let host = try context.resolve(path.isEmpty ? "/" : path, followFinal: false)
        if Glibc.mkdir(host, 0o777) == 0 { return .created }
        let e = errno
        if e == EEXIST {
            guard let st = fileStatus(host, follow: false) else { return .failed(errno) }
            return st.st_mode & S_IFMT == S_IFDIR ? .created : .notADirectory
        }
        guard !retried, e == ENOENT, path != "/" else { return .failed(e) }
        var parent = path
        if let slash = parent.lastIndex(of: "/") { parent = String(parent[..<slash]) }
        switch try makeDirectories(parent, retried: false) {
        case .created: return try makeDirectories(path, retried: true)
        case let other: return other
        }
    }

    public func rmdir(path: String) throws {
        if Glibc.rmdir(try context.resolve(path, followFinal: false)) != 0 {
            throw DaemonError.system(path)
        }
    }

    public func fillDir(dir: String, nr: Int32) throws {
        var i: Int32 = 0
        while i < nr {
            let digits = String(i)
            let filename = dir + "/" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
            try FileIO.open(try context.resolve(filename), O_WRONLY | O_CREAT | O_NOCTTY, mode: 0o666,
                            error: "create: \(filename)").closeChecked(error: "close: \(filename)")
            i += 1
        }
    }

    // MARK: Listing

    public func ls0(dir: String, filenames: FileOutSink) throws {
        guard let handle = opendir(try context.resolve(dir)) else { throw DaemonError.system("opendir: \(dir)") }
        defer { closedir(handle) }
        try filenames.start()
        while true {
            errno = 0
            guard let entry = Glibc.readdir(handle) else { break }
            let name = FileOps.entryName(entry)
            if name.elementsEqual(".".utf8) || name.elementsEqual("..".utf8) { continue }
            // The name with its terminating NUL.
            try filenames.write(UnsafeRawBufferPointer(start: name.baseAddress, count: name.count + 1))
        }
        if errno != 0 { throw DaemonError.system("readdir: \(dir)") }
    }

    /// 1.48's readdir (gone from 1.54's table): the entries in one reply.
    public func readdir(dir: String) throws -> [GuestfsDirent] {
        guard let handle = opendir(try context.resolve(dir)) else { throw DaemonError.system("opendir: \(dir)") }
        defer { closedir(handle) }
        var entries: [GuestfsDirent] = []
        while true {
            errno = 0
            guard let entry = Glibc.readdir(handle) else { break }
            entries.append(GuestfsDirent(ino: Int64(bitPattern: UInt64(entry.pointee.d_ino)),
                                         ftyp: Self.direntType(entry), name: FileOps.entryNameString(entry)))
        }
        if errno != 0 { throw DaemonError.system("readdir: \(dir)") }
        return entries
    }

    /// 1.54's readdir, which the library builds on this call: the entries as
    /// consecutive XDR `guestfs_int_dirent` structs (ino, ftyp, name) in a
    /// file the library decodes until its end. Names travel byte for byte.
    public func internalReaddir(dir: String, filename: FileOutSink) throws {
        guard let handle = opendir(try context.resolve(dir)) else { throw DaemonError.system("opendir: \(dir)") }
        defer { closedir(handle) }
        try filename.start()
        var w = XDRWriter(capacity: GuestfsConstants.maxChunkSize + 512)
        while true {
            errno = 0
            guard let entry = Glibc.readdir(handle) else { break }
            w.write(Int64(bitPattern: UInt64(entry.pointee.d_ino)))
            w.writeChar(Self.direntType(entry))
            w.writeOpaque(FileOps.entryName(entry))
            if w.count >= GuestfsConstants.maxChunkSize {
                try filename.write(w.bytes)
                w.reset()
            }
        }
        // A failure now can only abort the transfer.
        if errno != 0 { throw DaemonError.system("readdir: \(dir)") }
        if w.count > 0 { try filename.write(w.bytes) }
    }

    /// The dirent `ftyp` letter of an entry's d_type.
    static func direntType(_ entry: UnsafeMutablePointer<dirent>) -> UInt8 {
        switch Int32(entry.pointee.d_type) {
        case Int32(DT_BLK): return UInt8(ascii: "b")
        case Int32(DT_CHR): return UInt8(ascii: "c")
        case Int32(DT_DIR): return UInt8(ascii: "d")
        case Int32(DT_FIFO): return UInt8(ascii: "f")
        case Int32(DT_LNK): return UInt8(ascii: "l")
        case Int32(DT_REG): return UInt8(ascii: "r")
        case Int32(DT_SOCK): return UInt8(ascii: "s")
        case Int32(DT_UNKNOWN): return UInt8(ascii: "u")
        default: return UInt8(ascii: "?")
        }
    }

    public func ll(directory: String) throws -> String {
        try longListing(directory, flags: "-lan")
    }

    public func llz(directory: String) throws -> String {
        try longListing(directory, flags: "-lanZ")
    }

    /// `ls -la` of the path's real location inside the sysroot. Owners are
    /// numeric (-n): upstream's appliance has no names for any uid (it
    /// prints "0 0" for root), and the guest's own names are not ours to
    /// look up.
    private func longListing(_ path: String, flags: String) throws -> String {
        let host = try resolveExisting(path, context: path)
        let r = try context.runner.run(["ls", flags, host])
        if !r.succeeded { throw DaemonError(message: toolError(r)) }
        return r.stdoutString
    }

    /// Every name under the directory, NUL-terminated, in find(1)'s order,
    /// relative to the directory as upstream strips it ("/x" under "/d",
    /// "x" under "/").
    public func find0(directory: String, files: FileOutSink) throws {
        var host = try context.resolve(directory)
        guard let st = fileStatus(host, follow: true) else { throw DaemonError.system(directory) }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw DaemonError(message: "\(directory): not a directory") }
        if directory.hasSuffix("/"), !host.hasSuffix("/") { host += "/" }
        let prefixLength = host.utf8.count
        try files.start()
        let splitter = NulRecordSplitter { record in
            // The directory itself comes first and is not sent.
            guard record.count > prefixLength else { return }
            try record[prefixLength...].withUnsafeBytes { try files.write($0) }
            try files.write([0])
        }
        let r = try context.runner.run(["find", host, "-print0"], stdout: .discard,
                                       onStdout: { splitter.feed($0) })
        if let error = splitter.error { throw error }
        if !r.succeeded { throw DaemonError(message: "find: \(directory): \(toolError(r))") }
    }

    // MARK: Glob

    public func globExpand(pattern: String, directoryslash: Bool?) throws -> [String] {
        var flags = GLOB_BRACE | GLOB_ALTDIRFUNC
        if directoryslash ?? true { flags |= GLOB_MARK }
        var g = glob_t()
        // glob(3) calls these to read directories and stat names: each one
        // resolves the guest path inside the sysroot (upstream chroots).
        g.gl_opendir = { p in
            guard let p, let host = GlobSysroot.resolve(p, follow: true) else { return nil }
            return UnsafeMutableRawPointer(opendir(host))
        }
        g.gl_readdir = { d in UnsafeMutableRawPointer(Glibc.readdir(OpaquePointer(d!))) }
        g.gl_closedir = { d in closedir(OpaquePointer(d!)) }
        g.gl_stat = { p, s in
            guard let p, let host = GlobSysroot.resolve(p, follow: true) else { return -1 }
            return FileOps.statInto(host, s!, follow: true)
        }
        g.gl_lstat = { p, s in
            guard let p, let host = GlobSysroot.resolve(p, follow: false) else { return -1 }
            return FileOps.statInto(host, s!, follow: false)
        }
        GlobSysroot.current = context.sysroot
        defer { GlobSysroot.current = nil }
        errno = 0
        let r = glob(pattern, flags, nil, &g)
        defer { globfree(&g) }
        if r == GLOB_NOMATCH { return [] }
        if r != 0 {
            if errno != 0 { throw DaemonError.system(pattern) }
            throw DaemonError(message: "glob failed: \(pattern)")
        }
        var results: [String] = []
        for i in 0..<Int(g.gl_pathc) {
            if let p = g.gl_pathv[i] { results.append(String(cString: p)) }
        }
        return results
    }

    // MARK: Case-insensitive lookup

    /// The path as the filesystem spells it, element by element matched
    /// without regard to ASCII case; a missing final element is kept.
    public func caseSensitivePath(path: String) throws -> String {
        var elements = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        elements.removeFirst()  // the empty name before the leading /
        var found: [String] = []
        for (i, element) in elements.enumerated() {
            let isLast = i == elements.count - 1
            if isLast, element == "." || element == ".." {
                throw DaemonError(message: "path contains \".\" or \"..\" elements")
            }
            // "//" in the middle (or a trailing /) is ignored.
            if element.isEmpty { continue }
            let current = "/" + found.joined(separator: "/")
            guard let names = FileOps.directoryNames(try context.resolve(current)) else {
                throw DaemonError(message: "\(current): \(errnoDescription(errno))")
            }
            let wanted = Self.asciiLowercased(element)
            let match = names.first { Self.asciiLowercased($0) == wanted }
            if isLast {
                // The final element may be missing: keep it as given.
                found.append(match ?? element)
                break
            }
            guard let match else { throw DaemonError(message: "\(element): not found") }
            // upstream chdir()s into each element: it must be a directory.
            let next = current == "/" ? "/" + match : current + "/" + match
            guard let st = fileStatus(try context.resolve(next), follow: true) else {
                throw DaemonError.system("chdir: \(match)")
            }
            guard st.st_mode & S_IFMT == S_IFDIR else {
                throw DaemonError(ENOTDIR, "chdir: \(match): \(errnoDescription(ENOTDIR))")
            }
            found.append(match)
        }
        return "/" + found.joined(separator: "/")
    }

    private static func asciiLowercased(_ s: String) -> [UInt8] {
        s.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
    }

    // MARK: Disk usage, lost+found

    public func du(path: String) throws -> Int64 {
        let host = try context.resolve(path, followFinal: false)
        let r = try context.runner.run(["du", "-s", host])
        if !r.succeeded { throw DaemonError(message: "\(path): \(toolError(r))") }
        let digits = r.stdoutString.prefix { $0.isNumber }
        guard let kib = Int64(digits) else {
            throw DaemonError(message: "\(path): could not read output: \(r.stdoutString)")
        }
        return kib
    }

    public func mklostAndFound(mountpoint: String) throws {
        let host = try context.resolve(mountpoint)
        let command = "cd \(context.sysroot.hostPath(mountpoint)) && mklost+found"
        guard FileOps.isDirectory(host) else { throw DaemonError(message: "\(command): command failed") }
        let r = try context.runner.run(["mklost+found"], workingDirectory: host)
        if !r.succeeded { throw DaemonError(message: "\(command): command failed") }
    }
}

/// The sysroot the glob callbacks resolve against; set only for the
/// duration of one glob(3) call (the daemon serves one call at a time).
enum GlobSysroot {
    nonisolated(unsafe) static var current: Sysroot?

    static func resolve(_ path: UnsafePointer<CChar>, follow: Bool) -> String? {
        guard let sysroot = current else { errno = EINVAL; return nil }
        var guest = String(cString: path)
        if !guest.hasPrefix("/") { guest = "/" + guest }
        do {
            return try sysroot.resolve(guest, followFinal: follow)
        } catch let e as DaemonError {
            errno = e.errno == 0 ? EINVAL : e.errno
            return nil
        } catch {
            errno = EINVAL
            return nil
        }
    }
}

/// Cuts a tool's NUL-separated output into records as it streams.
final class NulRecordSplitter {
    private var pending: [UInt8] = []
    private let emit: ([UInt8]) throws -> Void
    private(set) var error: Error?

    init(_ emit: @escaping ([UInt8]) throws -> Void) { self.emit = emit }

    func feed(_ bytes: [UInt8]) {
        guard error == nil else { return }
        var start = 0
        for (i, b) in bytes.enumerated() where b == 0 {
            pending.append(contentsOf: bytes[start..<i])
            do { try emit(pending) } catch { self.error = error; return }
            pending.removeAll(keepingCapacity: true)
            start = i + 1
        }
        pending.append(contentsOf: bytes[start...])
    }
}
