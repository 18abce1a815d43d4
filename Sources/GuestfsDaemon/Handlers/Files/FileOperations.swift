#if canImport(Glibc)
import Glibc
#endif
import CGuestfsShim
import GuestfsProtocol
import SystemPackage

/// Creating, removing, linking, copying and moving files; their mode,
/// owner and times; the umask; temporary names and device nodes.
/// Every guest path is resolved inside the sysroot the way the kernel
/// resolves it under upstream's chroot.
extension Handlers {
    // MARK: Create and remove

    public func touch(path: String) throws {
        // Upstream restricts touch to regular files (RHBZ#582484).
        if let st = fileStatus(try context.resolve(path, followFinal: false), follow: false) {
            guard st.st_mode & S_IFMT == S_IFREG else {
                throw DaemonError(message: "\(path): touch can only be used on a regular files")
            }
        } else if errno != ENOENT {
            throw DaemonError.system("lstat: \(path)")
        }
        try FileIO.withWritable(try context.resolve(path), O_WRONLY | O_CREAT | O_NOCTTY, mode: 0o666,
                                error: "open: \(path)", closeError: "close: \(path)") { fd in
            if futimens(fd.rawValue, nil) != 0 { throw DaemonError.system("futimens: \(path)") }
        }
    }

    public func rm(path: String) throws {
        if unlink(try context.resolve(path, followFinal: false)) != 0 {
            throw DaemonError.system(path)
        }
    }

    public func rmF(path: String) throws {
        if unlink(try context.resolve(path, followFinal: false)) != 0, errno != ENOENT {
            throw DaemonError.system(path)
        }
    }

    public func rmRf(path: String) throws {
        let host = try context.resolve(path, followFinal: false)
        if path == "/" {
            throw DaemonError(message: "cannot remove root directory")
        }
        // rm(1) refuses these, as upstream reports; never let one resolve
        // to the top of the sysroot.
        let last = path.split(separator: "/").last ?? ""
        if last == "." || last == ".." {
            throw DaemonError(message: "\(path): rm: refusing to remove '.' or '..' directory: skipping '\(context.sysroot.hostPath(path))'")
        }
        if context.sysroot.guestPath(ofHost: host) == "/" {
            throw DaemonError(message: "cannot remove root directory")
        }
        let r = try context.runner.run(["rm", "-rf", "--", host])
        if !r.succeeded { throw DaemonError(message: "\(path): \(toolError(r))") }
    }

    // MARK: Mode, owner, times

    public func chmod(mode: Int32, path: String) throws {
        if mode < 0 { throw DaemonError(message: "\(path): mode is negative") }
        if Glibc.chmod(try context.resolve(path), mode_t(mode)) != 0 {
            throw DaemonError.system("\(path): 0\(FileOps.octal(mode))")
        }
    }

    public func chown(owner: Int32, group: Int32, path: String) throws {
        if Glibc.chown(try context.resolve(path), uid_t(bitPattern: owner), gid_t(bitPattern: group)) != 0 {
            throw DaemonError.system("\(path): \(owner).\(group)")
        }
    }

    public func lchown(owner: Int32, group: Int32, path: String) throws {
        if Glibc.lchown(try context.resolve(path, followFinal: false), uid_t(bitPattern: owner),
                        gid_t(bitPattern: group)) != 0 {
            throw DaemonError.system("\(path): \(owner).\(group)")
        }
    }

    public func utimens(path: String, atsecs: Int64, atnsecs: Int64, mtsecs: Int64, mtnsecs: Int64) throws {
        func nsec(_ n: Int64) -> Int {
            switch n {
            case -1: return guestfs_shim_utime_now()
            case -2: return guestfs_shim_utime_omit()
            default: return Int(n)
            }
        }
        var times = [timespec(tv_sec: Int(atsecs), tv_nsec: nsec(atnsecs)),
                     timespec(tv_sec: Int(mtsecs), tv_nsec: nsec(mtnsecs))]
        let host = try context.resolve(path, followFinal: false)
        if utimensat(AT_FDCWD, host, &times, AT_SYMLINK_NOFOLLOW) != 0 {
            throw DaemonError.system("utimensat: \(path)")
        }
    }

    public func copyAttributes(src: String, dest: String, all: Bool?, mode: Bool?, xattributes: Bool?,
                               ownership: Bool?) throws {
        // "all" turns on every attribute the caller did not set explicitly.
        let everything = all ?? false
        let copyMode = mode ?? everything
        let copyXattributes = xattributes ?? everything
        let copyOwnership = ownership ?? everything
        let srcHost = try context.resolve(src)
        let destHost = try context.resolve(dest)
        guard let srcStat = fileStatus(srcHost, follow: true) else { throw DaemonError.system("stat: \(src)") }
        guard let destStat = fileStatus(destHost, follow: true) else { throw DaemonError.system("stat: \(dest)") }
        let permissionBits: mode_t = 0o7777
        if copyMode, srcStat.st_mode & permissionBits != destStat.st_mode & permissionBits {
            if Glibc.chmod(destHost, srcStat.st_mode & permissionBits) != 0 {
                throw DaemonError.system("chmod: \(dest)")
            }
        }
        if copyOwnership, srcStat.st_uid != destStat.st_uid || srcStat.st_gid != destStat.st_gid {
            if Glibc.chown(destHost, srcStat.st_uid, srcStat.st_gid) != 0 {
                throw DaemonError.system("chown: \(dest)")
            }
        }
        if copyXattributes {
            try copyXattrs(src: src, srcHost: srcHost, dest: dest, destHost: destHost)
        }
    }

    // MARK: umask

    public func umask(mask: Int32) throws -> Int32 {
        if mask < 0 || mask > 0o777 {
            throw DaemonError(message: "0\(FileOps.octal(mask)): mask negative or out of range")
        }
        return Int32(Glibc.umask(mode_t(mask)))
    }

    public func getUmask() throws -> Int32 {
        let current = Glibc.umask(0o022)
        _ = Glibc.umask(current)
        return Int32(current)
    }

    // MARK: Links

    public func ln(target: String, linkname: String) throws {
        try hardLink(target: target, linkname: linkname, force: false)
    }

    public func lnF(target: String, linkname: String) throws {
        try hardLink(target: target, linkname: linkname, force: true)
    }

    public func lnS(target: String, linkname: String) throws {
        try symbolicLink(flag: "-s", target: target, linkname: linkname)
    }

    public func lnSf(target: String, linkname: String) throws {
        try symbolicLink(flag: "-sf", target: target, linkname: linkname)
    }

    /// link(2) inside the sysroot: the target is a guest path too (upstream
    /// calls link in its chroot, where a relative name starts at /).
    private func hardLink(target: String, linkname: String, force: Bool) throws {
        let targetHost = try context.resolve(target.hasPrefix("/") ? target : "/" + target, followFinal: false)
        let linkHost = try context.resolve(linkname, followFinal: false)
        if force { unlink(linkHost) }
        if Glibc.link(targetHost, linkHost) != 0 {
            throw DaemonError.system("link: \(target): \(linkname)")
        }
    }

    /// ln -s[f] TARGET LINKNAME. The target is stored as written; the link
    /// name is resolved here (an existing directory receives
    /// LINKNAME/basename(TARGET), as ln does), then ln runs with -T on the
    /// final name so it never follows a guest symlink out of the sysroot.
    private func symbolicLink(flag: String, target: String, linkname: String) throws {
        var host = try context.resolve(linkname, followFinal: false)
        // Upstream's ln looks at /sysroot/LINKNAME from the appliance's
        // side, where a symlink with an absolute target does not lead to
        // the guest's directory: ln then treats the link as a file (-sf
        // replaces it). Relative links lead to the same place either way.
        let absoluteLink = fileStatus(host, follow: false).map { $0.st_mode & S_IFMT == S_IFLNK } == true
            && ((try? Sysroot.readLink(host))?.hasPrefix("/") ?? false)
        if !absoluteLink, FileOps.isDirectory(try context.resolve(linkname)) {
            let inside = (linkname.hasSuffix("/") ? linkname : linkname + "/") + FileOps.baseName(target)
            host = try context.resolve(inside, followFinal: false)
        }
        let r = try context.runner.run(["ln", flag + "T", "--", target, host])
        if !r.succeeded {
            throw DaemonError(message: "ln \(flag): \(target): \(linkname): \(toolError(r))")
        }
    }

    // MARK: Copy and move

    public func cp(src: String, dest: String) throws {
        try copyOrMove(["cp"], src: src, dest: dest, followSource: true)
    }

    public func cpA(src: String, dest: String) throws {
        try copyOrMove(["cp", "-a"], src: src, dest: dest, followSource: false)
    }

    public func cpR(src: String, dest: String) throws {
        try copyOrMove(["cp", "-rP"], src: src, dest: dest, followSource: false)
    }

    public func mv(src: String, dest: String) throws {
        try copyOrMove(["mv"], src: src, dest: dest, followSource: false)
    }

    /// Upstream runs `cp|mv [flags] /sysroot/SRC /sysroot/DEST`. Here both
    /// names are resolved inside the sysroot first; when DEST is a
    /// directory the copy goes to DEST/basename(SRC) as cp would do, and
    /// the tool gets -T with that final name, so a guest symlink at the
    /// destination is never followed on the appliance's side.
    private func copyOrMove(_ command: [String], src: String, dest: String, followSource: Bool) throws {
        let srcHost = try context.resolve(src, followFinal: followSource)
        // cp writes through an existing destination symlink: follow it here,
        // inside the sysroot, so the tool never follows it on the host. mv
        // replaces the link itself.
        let followDest = command[0] == "cp"
        var destHost = try context.resolve(dest, followFinal: followDest)
        if FileOps.isDirectory(try context.resolve(dest)) {
            var name = FileOps.baseName(src)
            if name == "/" || name == "." || name == ".." {
                name = FileOps.baseName(srcHost)
            }
            let inside = (dest.hasSuffix("/") ? dest : dest + "/") + name
            destHost = try context.resolve(inside, followFinal: followDest)
        }
        let r = try context.runner.run(command + ["-T", "--", srcHost, destHost])
        if !r.succeeded { throw DaemonError(message: toolError(r)) }
    }

    public func rename(oldpath: String, newpath: String) throws {
        let oldHost = try context.resolve(oldpath, followFinal: false)
        let newHost = try context.resolve(newpath, followFinal: false)
        if Glibc.rename(oldHost, newHost) != 0 {
            throw DaemonError.system("rename: \(oldpath): \(newpath)")
        }
    }

    // MARK: Size

    public func truncate(path: String) throws {
        try truncateSize(path: path, size: 0)
    }

    public func truncateSize(path: String, size: Int64) throws {
        try FileIO.withWritable(try context.resolve(path), O_WRONLY | O_NOCTTY, error: "open: \(path)",
                                closeError: "close: \(path)") { fd in
            if ftruncate(fd.rawValue, off_t(size)) != 0 { throw DaemonError.system("ftruncate: \(path)") }
        }
    }

    public func fallocate(path: String, len: Int32) throws {
        if len < 0 { throw DaemonError(message: "length < 0") }
        try fallocate64(path: path, len: Int64(len))
    }

    public func fallocate64(path: String, len: Int64) throws {
        try FileIO.withWritable(try context.resolve(path), O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY, mode: 0o666,
                                error: "open: \(path)", closeError: "close: \(path)") { fd in
            let err = posix_fallocate(fd.rawValue, 0, off_t(len))
            if err != 0 { throw DaemonError.system(path, errno: err) }
        }
    }

    // MARK: Temporary names

    public func mkdtemp(tmpl: String) throws -> String {
        var buffer = Array(try templateHostPath(tmpl, suffix: "").utf8CString)
        let ok = buffer.withUnsafeMutableBufferPointer { Glibc.mkdtemp($0.baseAddress!) != nil }
        if !ok { throw DaemonError.system(tmpl) }
        return Self.spliceGenerated(into: tmpl, from: buffer, suffixLength: 0)
    }

    public func mktemp(tmpl: String, suffix: String?) throws -> String {
        var suffixText = ""
        if let suffix {
            guard tmpl.hasSuffix("X") else { throw DaemonError(message: "template \(tmpl) must end in X") }
            suffixText = suffix
        }
        let name = tmpl + suffixText
        var buffer = Array(try templateHostPath(tmpl, suffix: suffixText).utf8CString)
        let suffixLength = suffixText.utf8.count
        let fd = buffer.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, Int32(suffixLength)) }
        let generated = Self.spliceGenerated(into: name, from: buffer, suffixLength: suffixLength)
        // Upstream names the template as mkstemps left it.
        if fd < 0 { throw DaemonError.system(generated) }
        try? FileDescriptor(rawValue: fd).close()
        return generated
    }

    /// The host path of a template: its directory resolved inside the
    /// sysroot, its last component (and suffix) kept literally so the
    /// generated characters sit at the same place as in the guest name.
    private func templateHostPath(_ tmpl: String, suffix: String) throws -> String {
        guard let slash = tmpl.lastIndex(of: "/") else { return try context.resolve(tmpl + suffix) }
        let parent = slash == tmpl.startIndex ? "/" : String(tmpl[..<slash])
        var host = try context.resolve(parent)
        if !host.hasSuffix("/") { host += "/" }
        return host + tmpl[tmpl.index(after: slash)...] + suffix
    }

    /// The guest name of a template after mkstemps/mkdtemp replaced its
    /// six X (which sit just before the suffix, at the end of the host
    /// path as well as of the guest path).
    private static func spliceGenerated(into guestName: String, from hostBuffer: [CChar], suffixLength: Int) -> String {
        var guest = Array(guestName.utf8)
        let host = hostBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let count = 6
        guard guest.count >= count + suffixLength, host.count >= count + suffixLength else { return guestName }
        let g = guest.count - suffixLength - count
        let h = host.count - suffixLength - count
        guest.replaceSubrange(g..<(g + count), with: host[h..<(h + count)])
        return String(decoding: guest, as: UTF8.self)
    }

    // MARK: Device nodes

    public func mknod(mode: Int32, devmajor: Int32, devminor: Int32, path: String) throws {
        if mode < 0 { throw DaemonError(message: "\(path): mode is negative") }
        let dev = guestfs_shim_makedev(UInt32(bitPattern: devmajor), UInt32(bitPattern: devminor))
        if Glibc.mknod(try context.resolve(path, followFinal: false), mode_t(mode), dev) != 0 {
            throw DaemonError.system(path)
        }
    }

    public func mkfifo(mode: Int32, path: String) throws {
        try checkPermissionBits(mode)
        try mknod(mode: mode | Int32(S_IFIFO), devmajor: 0, devminor: 0, path: path)
    }

    public func mknodB(mode: Int32, devmajor: Int32, devminor: Int32, path: String) throws {
        try checkPermissionBits(mode)
        try mknod(mode: mode | Int32(S_IFBLK), devmajor: devmajor, devminor: devminor, path: path)
    }

    public func mknodC(mode: Int32, devmajor: Int32, devminor: Int32, path: String) throws {
        try checkPermissionBits(mode)
        try mknod(mode: mode | Int32(S_IFCHR), devmajor: devmajor, devminor: devminor, path: path)
    }

    private func checkPermissionBits(_ mode: Int32) throws {
        if mode & ~0o7777 != 0 {
            throw DaemonError(message: "\(FileOps.octal(mode)): mode must specify only file permission bits")
        }
    }
}
