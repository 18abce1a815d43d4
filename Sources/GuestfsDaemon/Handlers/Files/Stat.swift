#if canImport(Glibc)
import Glibc
#endif
import GuestfsProtocol
import SystemPackage

/// What a file is: existence and type tests, stat structs, statvfs,
/// symlink targets and real paths.
extension Handlers {
    // MARK: Type tests

    public func exists(path: String) throws -> Bool {
        try fileMode(path, follow: false, errorPrefix: "stat") != nil
    }

    public func isFile(path: String, followsymlinks: Bool?) throws -> Bool {
        let follow = followsymlinks ?? false
        return try fileMode(path, follow: follow, errorPrefix: follow ? "stat" : "lstat").map { $0 & S_IFMT == S_IFREG } ?? false
    }

    public func isDir(path: String, followsymlinks: Bool?) throws -> Bool {
        let follow = followsymlinks ?? false
        return try fileMode(path, follow: follow, errorPrefix: follow ? "stat" : "lstat").map { $0 & S_IFMT == S_IFDIR } ?? false
    }

    public func isSymlink(path: String) throws -> Bool {
        try fileMode(path, follow: false, errorPrefix: "lstat").map { $0 & S_IFMT == S_IFLNK } ?? false
    }

    public func isChardev(path: String, followsymlinks: Bool?) throws -> Bool {
        try fileMode(path, follow: followsymlinks ?? false, errorPrefix: "stat").map { $0 & S_IFMT == S_IFCHR } ?? false
    }

    public func isBlockdev(path: String, followsymlinks: Bool?) throws -> Bool {
        try fileMode(path, follow: followsymlinks ?? false, errorPrefix: "stat").map { $0 & S_IFMT == S_IFBLK } ?? false
    }

    public func isFifo(path: String, followsymlinks: Bool?) throws -> Bool {
        try fileMode(path, follow: followsymlinks ?? false, errorPrefix: "stat").map { $0 & S_IFMT == S_IFIFO } ?? false
    }

    public func isSocket(path: String, followsymlinks: Bool?) throws -> Bool {
        try fileMode(path, follow: followsymlinks ?? false, errorPrefix: "stat").map { $0 & S_IFMT == S_IFSOCK } ?? false
    }

    /// The file's mode, or nil when it does not exist (ENOENT, ENOTDIR),
    /// as upstream's is_* tests see it.
    private func fileMode(_ path: String, follow: Bool, errorPrefix: String) throws -> mode_t? {
        let host: String
        do {
            host = try context.resolve(path, followFinal: follow)
        } catch let e as DaemonError where e.errno == ELOOP {
            throw DaemonError.system("\(errorPrefix): \(path)", errno: ELOOP)
        }
        if let st = fileStatus(host, follow: follow) { return st.st_mode }
        let e = errno
        if e == ENOENT || e == ENOTDIR { return nil }
        throw DaemonError.system("\(errorPrefix): \(path)", errno: e)
    }

    // MARK: stat

    public func statns(path: String) throws -> GuestfsStatns {
        guard let st = fileStatus(try context.resolve(path), follow: true) else { throw DaemonError.system(path) }
        return FileOps.statns(st)
    }

    public func lstatns(path: String) throws -> GuestfsStatns {
        guard let st = fileStatus(try context.resolve(path, followFinal: false), follow: false) else {
            throw DaemonError.system(path)
        }
        return FileOps.statns(st)
    }

    public func filesize(file: String) throws -> Int64 {
        guard let st = fileStatus(try context.resolve(file), follow: true) else { throw DaemonError.system(file) }
        return Int64(st.st_size)
    }

    public func statvfs(path: String) throws -> GuestfsStatvfs {
        guard let buf = FileOps.filesystemStatus(try context.resolve(path)) else {
            throw DaemonError.system("statvfs: \(path)")
        }
        return GuestfsStatvfs(
            bsize: Int64(bitPattern: UInt64(buf.f_bsize)), frsize: Int64(bitPattern: UInt64(buf.f_frsize)),
            blocks: Int64(bitPattern: UInt64(buf.f_blocks)), bfree: Int64(bitPattern: UInt64(buf.f_bfree)),
            bavail: Int64(bitPattern: UInt64(buf.f_bavail)), files: Int64(bitPattern: UInt64(buf.f_files)),
            ffree: Int64(bitPattern: UInt64(buf.f_ffree)), favail: Int64(bitPattern: UInt64(buf.f_favail)),
            fsid: Int64(bitPattern: UInt64(buf.f_fsid)), flag: Int64(bitPattern: UInt64(buf.f_flag)),
            namemax: Int64(bitPattern: UInt64(buf.f_namemax)))
    }

    /// lstat of each name in a directory; a name that cannot be stat'ed
    /// gets st_ino = -1 (the library's ls/lstatlist rely on it).
    public func internalLstatnslist(path: String, names: [String]) throws -> [GuestfsStatns] {
        let dirHost = try context.resolve(path)
        return try FileIO.withOpen(dirHost, O_RDONLY | O_DIRECTORY, error: path) { dir in
            names.map { name in
                var st = stat()
                if fstatat(dir.rawValue, entryName(name, in: dirHost), &st, AT_SYMLINK_NOFOLLOW) != 0 {
                    return GuestfsStatns(stIno: -1)
                }
                return FileOps.statns(st)
            }
        }
    }

    /// The target of each name that is a symlink, "" for the others.
    public func internalReadlinklist(path: String, names: [String]) throws -> [String] {
        let dirHost = try context.resolve(path)
        return try FileIO.withOpen(dirHost, O_RDONLY | O_DIRECTORY, error: "open: \(path)") { dir in
            names.map { name in
                let entry = entryName(name, in: dirHost)
                var st = stat()
                guard fstatat(dir.rawValue, entry, &st, AT_SYMLINK_NOFOLLOW) == 0, st.st_mode & S_IFMT == S_IFLNK else {
                    return ""
                }
                let size = Int(st.st_size)
                var buffer = [UInt8](repeating: 0, count: size + 1)
                let n = readlinkat(dir.rawValue, entry, &buffer, size)
                guard n == size else { return "" }
                return String(decoding: buffer[0..<n], as: UTF8.self)
            }
        }
    }

    /// A name looked up in a directory opened at `dirHost`: ".." of the
    /// sysroot's top is the top itself, as in upstream's chroot.
    private func entryName(_ name: String, in dirHost: String) -> String {
        if name == "..", context.sysroot.guestPath(ofHost: dirHost) == "/" { return "." }
        return name
    }

    // MARK: Links and real paths

    public func readlink(path: String) throws -> String {
        let host = try context.resolve(path, followFinal: false)
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = Glibc.readlink(host, &buffer, buffer.count - 1)
        if n < 0 { throw DaemonError.system("readlink: \(path)") }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }

    public func realpath(path: String) throws -> String {
        let host = try resolveExisting(path, context: "realpath: \(path)")
        return context.sysroot.guestPath(ofHost: host) ?? "/"
    }

    /// realpath(3) inside the sysroot: the resolved host path, failing as
    /// realpath does when an element is missing or a trailing / follows a
    /// non-directory.
    func resolveExisting(_ path: String, context message: String) throws -> String {
        let host = try context.resolve(path)
        if fileStatus(host, follow: false) == nil { throw DaemonError.system(message) }
        if path.hasSuffix("/"), !FileOps.isDirectory(host) {
            throw DaemonError(ENOTDIR, "\(message): \(errnoDescription(ENOTDIR))")
        }
        return host
    }
}
