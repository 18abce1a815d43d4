#if canImport(Glibc)
import Glibc
#endif
import GuestfsProtocol
import SystemPackage

/// File transfer between the library and the guest: upload/download of
/// files and devices (streamed, bounded memory), tar/cpio archives,
/// base64 and compressed downloads.
extension Handlers {
    // MARK: upload

    public func upload(filename: FileInStream, remotefilename: String) throws {
        let fd = try openForUpload(remotefilename, options: [.create, .truncate])
        try receive(filename, into: fd, name: displayName(remotefilename))
    }

    public func uploadOffset(filename: FileInStream, remotefilename: String, offset: Int64) throws {
        let name = displayName(remotefilename)
        // Upstream reports these with perror and errno 0: hence "Success".
        if offset < 0 { throw DaemonError(message: "\(name): offset in file is negative: Success") }
        let fd = try openForUpload(remotefilename, options: [.create])
        if offset > 0 {
            do {
                _ = try fd.seek(offset: offset, from: .start)
            } catch let e as Errno {
                try? fd.close()
                throw TransferIO.error(e, "lseek: \(name)")
            }
        }
        try receive(filename, into: fd, name: name)
    }

    /// Not chrooted: writes anywhere in the appliance, as upstream does.
    public func internalUpload(filename: FileInStream, tmpname: String, mode: Int32) throws {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(tmpname), .writeOnly,
                                         options: [.create, .truncate, .closeOnExec, TransferIO.noCTTY],
                                         permissions: FilePermissions(rawValue: mode_t(truncatingIfNeeded: mode)))
        } catch let e as Errno {
            throw TransferIO.error(e, tmpname)
        }
        try receive(filename, into: fd, name: tmpname, closeContext: "close: \(tmpname)")
    }

    // MARK: download

    public func download(remotefilename: String, filename: FileOutSink) throws {
        let name = displayName(remotefilename)
        let fd = try openForDownload(remotefilename)
        defer { try? fd.close() }
        let total: UInt64
        do {
            if remotefilename.hasPrefix("/dev/") {
                total = UInt64(try fd.seek(offset: 0, from: .end))
                _ = try fd.seek(offset: 0, from: .start)
            } else {
                total = UInt64(try TransferIO.fileStat(fd).st_size)
            }
        } catch let e as Errno {
            throw TransferIO.error(e, name)
        }
        try filename.start()
        try send(from: fd, to: filename, limit: nil, total: total, name: name)
    }

    public func downloadOffset(remotefilename: String, filename: FileOutSink, offset: Int64, size: Int64) throws {
        let name = displayName(remotefilename)
        // Upstream reports these with perror and errno 0: hence "Success".
        if offset < 0 { throw DaemonError(message: "\(name): offset in file is negative: Success") }
        if size < 0 { throw DaemonError(message: "\(name): size is negative: Success") }
        let fd = try openForDownload(remotefilename)
        defer { try? fd.close() }
        if offset > 0 {
            do {
                _ = try fd.seek(offset: offset, from: .start)
            } catch let e as Errno {
                throw TransferIO.error(e, "lseek: \(name)")
            }
        }
        try filename.start()
        // Reading past the end just sends less, as upstream does.
        try send(from: fd, to: filename, limit: UInt64(size), total: UInt64(size), name: name)
    }

    // MARK: tar

    /// GNU tar extracts with the guest as its root directory: the library
    /// preloaded into it (helpers/tar-chroot.c) enters the sysroot before
    /// tar's main, so members below symlinks the guest already has, or that
    /// the archive makes, stay in the guest (upstream runs tar on
    /// /sysroot/DIR and follows them into the appliance). Decompression runs
    /// outside, before tar; owners are numeric so no NSS module is loaded.
    public func tarIn(tarfile: FileInStream, directory: String, compress: String?, xattrs: Bool?, selinux: Bool?, acls: Bool?,
                      keepdirlink: Bool?) throws {
        let hostDir = try context.resolve(directory)
        let chownSupported = try TransferIO.isChownSupported(hostDir: hostDir, guestDir: directory)
        let decompressor = try compress.map { try TransferIO.decompressor($0) }
        let preload = try tarChrootLibrary()
        var argv = ["tar", "--numeric-owner", "-xf", "-"]
        if !chownSupported { argv.append("--no-same-owner") }
        // --xattrs-include=* works around a tar bug (RHBZ#771927).
        if xattrs == true { argv += ["--xattrs", "--xattrs-include=*"] }
        if selinux == true { argv.append("--selinux") }
        if acls == true { argv.append("--acls") }
        // 1.60: a directory member does not replace the guest's symlink to a
        // directory (/lib -> usr/lib on a merged-/usr guest).
        if keepdirlink == true { argv.append("--keep-directory-symlink") }
        let env = TransferIO.tarChrootEnvironment(library: preload, root: context.sysroot.hostPath("/"),
                                                  directory: directory)
        let r = try context.runner.run(argv, stdin: .stream(tarfile), stdout: .discard, environment: env,
                                       workingDirectory: hostDir, inputFilter: decompressor)
        let detail = TransferIO.errorFileText(r.stderr)
        if !tarfile.finished {
            // tar stopped reading before the end of the upload.
            throw DaemonError(message: "write error on directory: \(directory): \(detail)")
        }
        guard r.succeeded else {
            throw DaemonError(message: "tar subcommand failed on directory: \(directory): \(detail)")
        }
    }

    /// The preload library, checked once per daemon: tar run with it and a
    /// relative guest directory (refused before any root is entered) must
    /// stop with status 2 before its main. Without it tar_in refuses rather
    /// than extract on the host path.
    private func tarChrootLibrary() throws -> String {
        if let known = state.tarChrootLibrary { return known }
        guard let library = TransferIO.tarChrootCandidates().first(where: { access($0, R_OK) == 0 }) else {
            throw DaemonError(ENOTSUP, "tar_in: \(TransferIO.tarChrootName) is not installed beside guestfsd")
        }
        let env = TransferIO.tarChrootEnvironment(library: library, root: "/", directory: "probe")
        let r = try context.runner.run(["tar", "--version"], stdout: .capture, environment: env)
        guard r.status == 2, r.stdout.isEmpty else {
            throw DaemonError(ENOTSUP, "tar_in: \(library) does not load into tar: \(r.stderrString.trimmingTrailingNewlines())")
        }
        state.tarChrootLibrary = library
        return library
    }

    public func tarOut(directory: String, tarfile: FileOutSink, compress: String?, numericowner: Bool?, excludes: [String]?, xattrs: Bool?, selinux: Bool?, acls: Bool?) throws {
        var filter: String?
        if let compress { filter = try TransferIO.tarFilter(compress) }
        var excludeFile: String?
        if let excludes { excludeFile = try TransferIO.makeExcludeFile(function: "tar-out", patterns: excludes) }
        defer { if let excludeFile { unlink(excludeFile) } }
        let hostDir = try existingDirectory(directory)
        // Owners are always written as numbers. Upstream's appliance has no
        // passwd/group, so its tar finds no name for any uid and writes
        // numbers whatever `numericowner` says; names looked up here would
        // be the appliance's (or, standalone, the host's), never the
        // guest's. So `numericowner` changes nothing, as upstream.
        var argv = ["tar", "-C", hostDir, "--numeric-owner"]
        if let filter { argv.append(filter) }
        if let excludeFile { argv += ["-X", excludeFile] }
        if xattrs == true { argv.append("--xattrs") }
        if selinux == true { argv.append("--selinux") }
        if acls == true { argv.append("--acls") }
        argv += ["-cf", "-", "."]
        try streamTool(argv, to: tarfile, what: directory)
    }

    public func tgzIn(tarball: FileInStream, directory: String) throws {
        try tarIn(tarfile: tarball, directory: directory, compress: "gzip", xattrs: nil, selinux: nil, acls: nil, keepdirlink: nil)
    }

    public func tgzOut(directory: String, tarball: FileOutSink) throws {
        try tarOut(directory: directory, tarfile: tarball, compress: "gzip", numericowner: nil, excludes: nil,
                   xattrs: nil, selinux: nil, acls: nil)
    }

    public func txzIn(tarball: FileInStream, directory: String) throws {
        try tarIn(tarfile: tarball, directory: directory, compress: "xz", xattrs: nil, selinux: nil, acls: nil, keepdirlink: nil)
    }

    public func txzOut(directory: String, tarball: FileOutSink) throws {
        try tarOut(directory: directory, tarfile: tarball, compress: "xz", numericowner: nil, excludes: nil,
                   xattrs: nil, selinux: nil, acls: nil)
    }

    // MARK: cpio

    public func cpioOut(directory: String, cpiofile: FileOutSink, format: String?) throws {
        let hostDir = try existingDirectory(directory)
        let format = format ?? "newc"
        guard format == "newc" || format == "crc" else {
            throw DaemonError(message: "\(format): format must be 'newc' or 'crc'")
        }
        // A fixed pipeline; the format is one of two constants, passed as $1.
        try streamTool(["sh", "-c", "find -print0 | cpio -0 -o -H \"$1\" --quiet", "sh", format],
                       to: cpiofile, what: directory, workingDirectory: hostDir, needs: ["find", "cpio"])
    }

    // MARK: base64

    public func base64In(base64file: FileInStream, filename: String) throws {
        let host = try context.resolve(filename)
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(host), .writeOnly,
                                         options: [.create, .truncate, .closeOnExec, TransferIO.noCTTY],
                                         permissions: FilePermissions(rawValue: 0o666))
        } catch {
            // Upstream's shell redirection fails and so does the subcommand.
            throw DaemonError(message: "base64 subcommand failed on file: \(filename)")
        }
        defer { try? fd.close() }
        var writeFailed = false
        let r = try context.runner.run(["base64", "-d", "-i"], stdin: .stream(base64file), stdout: .discard,
                                       onStdout: { data in
            guard !writeFailed else { return }
            do {
                _ = try data.withUnsafeBytes { try fd.writeAll($0) }
            } catch {
                writeFailed = true
            }
        })
        if writeFailed || !base64file.finished {
            throw DaemonError(message: "write error on file: \(filename)")
        }
        guard r.succeeded else {
            throw DaemonError(message: "base64 subcommand failed on file: \(filename)")
        }
    }

    public func base64Out(filename: String, base64file: FileOutSink) throws {
        let host = try context.resolve(filename)
        var st = Glibc.stat()
        guard fstatat(AT_FDCWD, host, &st, 0) == 0 else { throw DaemonError.system("stat: \(filename)") }
        if st.st_mode & S_IFMT == S_IFDIR {
            throw DaemonError(message: "\(filename): is a directory")
        }
        try streamTool(["base64", host], to: base64file, what: filename)
    }

    // MARK: compress

    public func compressOut(ctype: String, file: String, zfile: FileOutSink, level: Int32?) throws {
        let filter = try TransferIO.compressFilter(ctype: ctype, level: level, runner: context.runner)
        let host = try context.resolve(file)
        var st = Glibc.stat()
        guard fstatat(AT_FDCWD, host, &st, 0) == 0 else { throw DaemonError.system(file) }
        if st.st_mode & S_IFMT == S_IFDIR {
            throw DaemonError(EISDIR, "\(file): is a directory")
        }
        try streamTool(filter + [host], to: zfile, what: file)
    }

    public func compressDeviceOut(ctype: String, device: String, zdevice: FileOutSink, level: Int32?) throws {
        let filter = try TransferIO.compressFilter(ctype: ctype, level: level, runner: context.runner)
        let name = context.canonicalDeviceName(device)
        // Some compressors (lzop) refuse anything but regular files, so the
        // device is the tool's stdin.
        try FileIO.withOpen(device, O_RDONLY, error: name) { _ in }
        try streamTool(filter, stdin: .file(device), to: zdevice, what: name)
    }
}

// MARK: - Helpers

extension Handlers {
    /// The name to show in messages: the canonical device name or the
    /// guest path as the caller wrote it.
    fileprivate func displayName(_ devOrPath: String) -> String {
        devOrPath.hasPrefix("/dev/") ? context.canonicalDeviceName(devOrPath) : devOrPath
    }

    /// A Dev_or_Path as a host path: a device node as is, a guest path
    /// resolved inside the sysroot.
    fileprivate func hostPath(ofDevOrPath p: String) throws -> String {
        p.hasPrefix("/dev/") ? p : try context.resolve(p)
    }

    fileprivate func openForUpload(_ remote: String, options: FileDescriptor.OpenOptions) throws -> FileDescriptor {
        let host = try hostPath(ofDevOrPath: remote)
        do {
            return try FileDescriptor.open(FilePath(host), .writeOnly,
                                           options: options.union([.closeOnExec, TransferIO.noCTTY]),
                                           permissions: FilePermissions(rawValue: 0o666))
        } catch let e as Errno {
            throw TransferIO.error(e, displayName(remote))
        }
    }

    fileprivate func openForDownload(_ remote: String) throws -> FileDescriptor {
        let name = displayName(remote)
        let host = try hostPath(ofDevOrPath: remote)
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(host), .readOnly, options: [.closeOnExec])
        } catch let e as Errno {
            throw TransferIO.error(e, name)
        }
        do {
            let st = try TransferIO.fileStat(fd)
            if st.st_mode & S_IFMT == S_IFDIR {
                try? fd.close()
                throw DaemonError(message: "\(name): is a directory")
            }
        } catch let e as Errno {
            try? fd.close()
            throw TransferIO.error(e, "fstat: \(name)")
        }
        return fd
    }

    /// Writes the whole upload to `fd` in large writes, then closes it.
    fileprivate func receive(_ stream: FileInStream, into fd: FileDescriptor, name: String,
                             closeContext: String = "close") throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: TransferIO.bufferSize, alignment: 4096)
        defer { buffer.deallocate() }
        var fill = 0
        var written: UInt64 = 0
        let expected = context.progressHint
        func flush() throws {
            guard fill > 0 else { return }
            do {
                _ = try fd.writeAll(UnsafeRawBufferPointer(rebasing: buffer[0..<fill]))
            } catch {
                throw DaemonError(message: "write error: \(name)")
            }
            written += UInt64(fill)
            fill = 0
            // Upstream reports upload progress only when the library gave
            // the size in the header.
            if expected > 0 { try context.progress(min(written, expected), of: expected) }
        }
        do {
            while let chunk = try stream.nextChunk() {
                var offset = 0
                while offset < chunk.count {
                    let n = min(chunk.count - offset, buffer.count - fill)
                    (buffer.baseAddress! + fill).copyMemory(from: chunk.baseAddress! + offset, byteCount: n)
                    fill += n
                    offset += n
                    if fill == buffer.count { try flush() }
                }
            }
            try flush()
        } catch let e as DaemonError {
            try? fd.close()
            throw e
        }
        do {
            try fd.close()
        } catch let e as Errno {
            throw TransferIO.error(e, closeContext)
        }
    }

    /// Sends `fd` (at most `limit` bytes) to the sink in large reads.
    func send(from fd: FileDescriptor, to sink: FileOutSink, limit: UInt64?, total: UInt64,
                          name: String) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: TransferIO.bufferSize, alignment: 4096)
        defer { buffer.deallocate() }
        var sent: UInt64 = 0
        while limit.map({ sent < $0 }) ?? true {
            let want = limit.map { Int(min(UInt64(buffer.count), $0 - sent)) } ?? buffer.count
            let n: Int
            do {
                n = try fd.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
            } catch let e as Errno {
                throw TransferIO.error(e, "read: \(name)")
            }
            if n == 0 { break }
            try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            sent += UInt64(n)
            try context.progress(sent, of: total)
        }
    }

    /// A directory named by a plain string (tar_out, cpio_out): its host
    /// path, or upstream's errors.
    fileprivate func existingDirectory(_ directory: String) throws -> String {
        guard directory.hasPrefix("/") else {
            // Upstream concatenates the sysroot and this, which never exists.
            throw DaemonError(ENOENT, "stat: \(directory): \(errnoDescription(ENOENT))")
        }
        let host = try context.resolve(directory)
        var st = Glibc.stat()
        guard fstatat(AT_FDCWD, host, &st, 0) == 0 else { throw DaemonError.system("stat: \(directory)") }
        guard st.st_mode & S_IFMT == S_IFDIR else {
            throw DaemonError(message: "\(directory): not a directory")
        }
        return host
    }

    /// Runs a tool whose stdout is the download. The reply goes out with
    /// the first byte of output, so a tool that fails before writing
    /// anything gets an error reply with its message; a failure later can
    /// only abort the transfer.
    func streamTool(_ argv: [String], stdin: CommandInput = .none, to sink: FileOutSink, what: String,
                                workingDirectory: String? = nil, needs: [String] = []) throws {
        for tool in [argv[0]] + needs { _ = try context.runner.requirePath(tool) }
        let r = try context.runner.run(argv, stdin: stdin, stdout: .sink(sink), workingDirectory: workingDirectory)
        guard r.succeeded else {
            var message = r.stderrString.trimmingTrailingNewlines()
            if message.isEmpty { message = "exited with status \(r.status)" }
            if sink.started { logLine("guestfsd: \(what): \(message)") }
            throw DaemonError(message: "\(what): \(message)")
        }
    }
}

/// Helpers shared by the transfer handlers.
enum TransferIO {
    /// Large reads and writes: chunks are only 8 KiB on the wire.
    static let bufferSize = 1 << 20
    static let noCTTY = FileDescriptor.OpenOptions(rawValue: O_NOCTTY)

    static func error(_ e: Errno, _ context: String) -> DaemonError {
        DaemonError(e.rawValue, "\(context): \(errnoDescription(e.rawValue))")
    }

    static func fileStat(_ fd: FileDescriptor) throws -> stat {
        var st = Glibc.stat()
        guard fstat(fd.rawValue, &st) == 0 else { throw Errno(rawValue: errno) }
        return st
    }

    /// tar's option for a compress optarg (upstream's list, plus zstd).
    static func tarFilter(_ compress: String) throws -> String {
        switch compress {
        case "compress": return "--compress"
        case "gzip": return "--gzip"
        case "bzip2": return "--bzip2"
        case "xz": return "--xz"
        case "lzop": return "--lzop"
        case "zstd": return "--zstd"
        default: throw DaemonError(message: "unknown compression type: \(compress)")
        }
    }

    /// The compressor command line for compress_out (upstream's rules for
    /// each type's level range).
    static func compressFilter(ctype: String, level: Int32?, runner: CommandRunner) throws -> [String] {
        let range: ClosedRange<Int32>?
        switch ctype {
        case "compress": range = nil
        case "gzip", "bzip2", "lzop": range = 1...9
        case "xz": range = 0...9
        case "zstd": range = 1...19
        default: throw DaemonError(message: "unknown compression type")
        }
        guard runner.has(ctype) else {
            throw DaemonError(ENOTSUP, "compression type \(ctype) is not supported, because external program '\(ctype)' is not available in the appliance")
        }
        guard let level else { return [ctype, "-c"] }
        guard let range else {
            throw DaemonError(message: "\(ctype): cannot use optional level parameter with this compression type")
        }
        guard range.contains(level) else {
            throw DaemonError(message: "\(ctype): incorrect value for level parameter")
        }
        return [ctype, "-c", "-\(level)"]
    }

    /// tar_in's decompressor, run before tar (never by tar in the guest).
    static func decompressor(_ compress: String) throws -> [String] {
        switch compress {
        // gzip reads compress(1)'s .Z format too.
        case "compress", "gzip": return ["gzip", "-dc"]
        case "bzip2": return ["bzip2", "-dc"]
        case "xz": return ["xz", "-dc"]
        case "lzop": return ["lzop", "-dc"]
        case "zstd": return ["zstd", "-dc"]
        default: throw DaemonError(message: "unknown compression type: \(compress)")
        }
    }

    static let tarChrootName = "guestfsd-tar-chroot.so"

    /// Where the preload library may be: $GUESTFSD_TAR_CHROOT, beside the
    /// daemon's executable, then the appliance's library directory.
    static func tarChrootCandidates() -> [String] {
        var paths: [String] = []
        if let env = getenv("GUESTFSD_TAR_CHROOT") { paths.append(String(cString: env)) }
        // readlink does not terminate: the buffer's last byte stays NUL.
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        if readlink("/proc/self/exe", &buffer, buffer.count - 1) > 0 {
            let exe = cString(buffer)
            if let slash = exe.lastIndex(of: "/") { paths.append(exe[..<slash] + "/" + tarChrootName) }
        }
        paths.append("/usr/lib/guestfsd/" + tarChrootName)
        return paths
    }

    /// tar's environment: ours without any preload or chroot settings of
    /// its own, C locale, and the three the preload library reads.
    static func tarChrootEnvironment(library: String, root: String, directory: String) -> [String] {
        var env = CommandRunner.defaultEnvironment().filter {
            !$0.hasPrefix("LD_PRELOAD=") && !$0.hasPrefix("GUESTFSD_CHROOT=") && !$0.hasPrefix("GUESTFSD_CHDIR=")
                && !$0.hasPrefix("LC_ALL=")
        }
        env += ["LC_ALL=C", "LD_PRELOAD=" + library, "GUESTFSD_CHROOT=" + root, "GUESTFSD_CHDIR=" + directory]
        return env
    }

    /// upstream's read_error_file: the text with one trailing newline cut.
    static func errorFileText(_ bytes: [UInt8]) -> String {
        var s = String(decoding: bytes, as: UTF8.self)
        if s.hasSuffix("\n") { s.removeLast() }
        return s
    }

    /// Whether chown works in the directory (it does not on vfat...): tar
    /// then must not try to restore owners. Creates and removes a probe.
    static func isChownSupported(hostDir: String, guestDir: String) throws -> Bool {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        var name = ""
        for i in 0..<12 { name.append(i == 8 ? "." : alphabet.randomElement()!) }
        let probe = hostDir + "/" + name
        let fd = try FileIO.open(probe, O_WRONLY | O_CREAT | O_NOCTTY, mode: 0o666, error: guestDir)
        let r = fchown(fd.rawValue, 1000, 1000)
        let e = errno
        try? fd.close()
        unlink(probe)
        if r == 0 { return true }
        if e == EPERM { return false }
        throw DaemonError.system("unexpected error in fchown", errno: e)
    }

    /// A temporary file of patterns, one a line, for tar -X.
    static func makeExcludeFile(function: String, patterns: [String]) throws -> String {
        let (file, path) = try FileOps.makeTemporary("/tmp/excludesXXXXXX")
        do {
            for p in patterns {
                if p.contains("\n") {
                    throw DaemonError(message: "\(function): excludes file patterns cannot contain \\n character")
                }
                do {
                    _ = try file.writeAll((p + "\n").utf8)
                } catch let e as Errno {
                    throw TransferIO.error(e, "write")
                }
            }
            try file.close()
        } catch {
            try? file.close()
            unlink(path)
            if let e = error as? Errno { throw TransferIO.error(e, "close") }
            throw error
        }
        return path
    }
}
