#if canImport(Glibc)
import Glibc
#endif
import GuestfsProtocol
import SystemPackage

/// Running programs: commands chrooted in the guest (command, sh), and
/// appliance facilities (dmesg, drop_caches, sleep, utsname, modprobe,
/// initrd listing and extraction).
extension Handlers {
    public func command(arguments: [String]) throws -> String {
        String(decoding: try commandOutput(arguments), as: UTF8.self)
    }

    /// 1.60's command_out: the command runs to its end first, so a failure
    /// is still an error reply; then its output streams out in chunks,
    /// however large (command's reply is limited to a message).
    public func commandOut(arguments: [String], output: FileOutSink) throws {
        let bytes = try commandOutput(arguments)
        try output.start()
        let total = UInt64(bytes.count)
        var sent = 0
        try bytes.withUnsafeBytes { all in
            while sent < all.count {
                let n = min(TransferIO.bufferSize, all.count - sent)
                try output.write(UnsafeRawBufferPointer(rebasing: all[sent..<(sent + n)]))
                sent += n
                try context.progress(UInt64(sent), of: total)
            }
        }
    }

    public func shOut(command: String, output: FileOutSink) throws {
        try commandOut(arguments: ["/bin/sh", "-c", command], output: output)
    }

    public func commandLines(arguments: [String]) throws -> [String] {
        CommandText.splitLines(try command(arguments: arguments))
    }

    public func sh(command: String) throws -> String {
        try self.command(arguments: ["/bin/sh", "-c", command])
    }

    public func shLines(command: String) throws -> [String] {
        try commandLines(arguments: ["/bin/sh", "-c", command])
    }

    public func dmesg() throws -> String {
        let r = try context.runner.run(["dmesg"])
        guard r.succeeded else { throw DaemonError(message: r.stderrString.trimmingTrailingNewlines()) }
        return CommandText.cString(r.stdout)
    }

    public func dropCaches(whattodrop: Int32) throws {
        Glibc.sync()
        let path = "/proc/sys/vm/drop_caches"
        try FileIO.withOpen(path, O_WRONLY, error: path) { fd in
            try Array(String(whattodrop).utf8).withUnsafeBytes { try fd.writeAll($0, error: path) }
        }
    }

    public func sleep(secs: Int32) throws {
        var remaining = UInt32(max(secs, 0))
        while remaining > 0 { remaining = Glibc.sleep(remaining) }
    }

    public func utsname() throws -> GuestfsUtsname {
        var uts = Glibc.utsname()
        guard uname(&uts) == 0 else { throw DaemonError.system("utsname") }
        func field<T>(_ tuple: inout T) -> String {
            withUnsafeBytes(of: &tuple) { raw in
                let bytes = raw.prefix { $0 != 0 }
                return String(decoding: bytes, as: UTF8.self)
            }
        }
        return GuestfsUtsname(utsSysname: field(&uts.sysname), utsRelease: field(&uts.release),
                              utsVersion: field(&uts.version), utsMachine: field(&uts.machine))
    }

    public func modprobe(modulename: String) throws {
        let r = try context.runner.run(["modprobe", modulename])
        guard r.succeeded else { throw DaemonError(message: r.stderrString.trimmingTrailingNewlines()) }
    }

    public func initrdList(path: String) throws -> [String] {
        let host = try context.resolve(path)
        let tool = initrdDecompressor(host)
        let r = try context.runner.run(["sh", "-c", "\"$1\" \"$2\" | cpio --quiet -it", "sh", tool, host])
        guard r.succeeded else {
            throw DaemonError(message: "pclose: command failed with return code \(r.status)")
        }
        return CommandText.splitLines(String(decoding: r.stdout, as: UTF8.self))
    }

    public func initrdCat(initrdpath: String, filename: String) throws -> [UInt8] {
        let host = try context.resolve(initrdpath)
        var template = Array("/tmp/initrd-cat-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ Glibc.mkdtemp($0.baseAddress!) }) != nil else {
            throw DaemonError.system("mkdtemp")
        }
        let tmpdir = cString(template)
        defer { _ = try? context.runner.run(["rm", "-rf", "--", tmpdir]) }

        // Extract just that member (cpio is silent when it is missing).
        let tool = initrdDecompressor(host)
        let r = try context.runner.run(["sh", "-c", "\"$1\" \"$2\" | cpio --quiet -id -- \"$3\"", "sh", tool, host, filename],
                                       workingDirectory: tmpdir)
        guard r.succeeded else {
            // Upstream uses perror here with errno 0.
            throw DaemonError(message: "command failed with return code \(r.status): Success")
        }
        let extracted = tmpdir + "/" + filename
        let name = "\(initrdpath):\(filename)"
        return try FileIO.withOpen(extracted, O_RDONLY, error: "open: \(name)") { fd in
            var st = Glibc.stat()
            guard fstat(fd.rawValue, &st) == 0 else { throw DaemonError.system("fstat: \(name)") }
            if st.st_size >= GuestfsConstants.messageMax {
                throw DaemonError(message: "\(name): file is too large for the protocol")
            }
            // The file's size at most: fewer bytes only when it shrank.
            return try FileIO.call("read: \(name)") { try fd.read(upTo: Int(st.st_size)) }
        }
    }
}

// MARK: - Helpers

extension Handlers {
    /// The linuxmodules group: a kernel with modules and modprobe.
    static func linuxModulesAvailable(_ context: DaemonContext) -> Bool {
        !(access("/proc/modules", R_OK) != 0 && errno == ENOENT) && context.runner.has("modprobe")
    }

    /// Something is mounted on the sysroot or below it.
    fileprivate func rootIsMounted() -> Bool {
        let root = context.sysroot.hostPath("/")
        let prefix = root == "/" ? "/" : root + "/"
        return context.mountTable().contains { $0.mountpoint == root || $0.mountpoint.hasPrefix(prefix) }
    }

    /// Bind-mounts /dev, /dev/pts, /proc, /sys (and SELinux) into the
    /// sysroot while a command runs, as upstream does. Failures are
    /// ignored; returns what was mounted, in order.
    fileprivate func bindMountApplianceFilesystems() -> [String] {
        let binds: [(String, String)] = [
            ("/dev", "/dev"), ("/dev/pts", "/dev/pts"), ("/proc", "/proc"),
            ("/sys/fs/selinux", "/selinux"), ("/sys", "/sys"), ("/sys/fs/selinux", "/sys/fs/selinux"),
        ]
        var mounted: [String] = []
        for (source, guestTarget) in binds {
            guard let target = try? context.resolve(guestTarget) else { continue }
            var st = Glibc.stat()
            guard fstatat(AT_FDCWD, target, &st, 0) == 0, st.st_mode & S_IFMT == S_IFDIR,
                  fstatat(AT_FDCWD, source, &st, 0) == 0 else { continue }
            if Glibc.mount(source, target, nil, UInt(MS_BIND), nil) == 0 { mounted.append(target) }
        }
        return mounted
    }

    fileprivate func unmountBindMounts(_ targets: [String]) {
        for target in targets.reversed() where Glibc.umount(target) != 0 {
            _ = Glibc.umount2(target, Int32(MNT_DETACH))
        }
    }

    /// What command and command_out share: the checks, the bind mounts and
    /// the run; the output up to its first NUL, as upstream's C string.
    fileprivate func commandOutput(_ arguments: [String]) throws -> ArraySlice<UInt8> {
        if context.inAppliance, !rootIsMounted() {
            throw DaemonError(message: "do_command: you must call 'mount' first to mount the root filesystem")
        }
        guard !arguments.isEmpty else { throw DaemonError(message: "passed an empty list") }
        let mounts = bindMountApplianceFilesystems()
        defer { unmountBindMounts(mounts) }
        let resolver = context.network ? bindApplianceResolver() : nil
        defer { resolver?.undo() }
        return try runChrooted(arguments)
    }

    /// With the network on, the guest's /etc/resolv.conf reads as the
    /// appliance's while a command runs, so that names resolve (upstream
    /// 1.60: a read-only bind mount, which works even on an immutable file
    /// and changes nothing of the guest's; 1.48 and 1.54 renamed the
    /// guest's file aside and copied the appliance's in). Better than
    /// upstream: a symlink (Ubuntu's to ../run/systemd/resolve/…) is
    /// followed inside the guest and its target made for the mount when
    /// its folder exists; where the guest has no such folder, the command
    /// runs without the resolver instead of failing. A file made for the
    /// mount is removed after it.
    fileprivate func bindApplianceResolver() -> ResolverMount? {
        let source = "/etc/resolv.conf"
        var st = Glibc.stat()
        guard stat(source, &st) == 0, let target = try? context.resolve(source) else { return nil }
        var made = false
        if lstat(target, &st) != 0 {
            guard let fd = try? FileIO.open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY, mode: 0o644, error: target) else {
                if context.verbose { logLine("guestfsd: no resolver for the command: cannot make \(target)") }
                return nil
            }
            try? fd.close()
            made = true
        }
        let mounted = Glibc.mount(source, target, nil, UInt(MS_BIND), nil) == 0
        if mounted {
            _ = Glibc.mount(nil, target, nil, UInt(MS_REMOUNT | MS_BIND | MS_RDONLY), nil)
        } else if context.verbose {
            logLine("guestfsd: no resolver for the command: bind mount on \(target): \(errnoDescription(errno))")
        }
        let mount = ResolverMount(target: target, mounted: mounted, made: made)
        if !mounted { mount.undo(); return nil }
        return mount
    }

    /// Runs argv chrooted in the sysroot; its stdout, or its stderr as the
    /// error.
    fileprivate func runChrooted(_ argv: [String]) throws -> ArraySlice<UInt8> {
        let root = context.sysroot.hostPath("/")
        var env = CommandRunner.defaultEnvironment().filter {
            !$0.hasPrefix("PATH=") && !$0.hasPrefix("SHELL=") && !$0.hasPrefix("LC_ALL=") && !$0.hasPrefix("TERM=")
        }
        env += ["PATH=/sbin:/usr/sbin:/bin:/usr/bin", "SHELL=/bin/sh", "LC_ALL=C", "TERM=dumb"]
        let r = try context.runner.run(["chroot", root] + argv, environment: env)
        if r.succeeded { return r.stdout.prefix { $0 != 0 } }
        var message = r.stderrString
        while message.hasSuffix("\n") { message.removeLast() }
        // chroot(1) could not start the program: say it as execvp would.
        if r.status == 126 || r.status == 127 {
            for prefix in ["chroot: failed to run command '", "chroot: can't execute '"] where message.hasPrefix(prefix) {
                let rest = message.dropFirst(prefix.count)
                if let quote = rest.firstRange(of: "': ") {
                    message = "\(argv[0]): \(rest[quote.upperBound...])"
                }
            }
        }
        throw DaemonError(message: message)
    }

    /// The tool that decompresses an initrd, from its first bytes (upstream
    /// only knew gzip, via zcat).
    fileprivate func initrdDecompressor(_ host: String) -> String {
        // Zeros where the file is shorter or cannot be read.
        var magic = [UInt8](repeating: 0, count: 6)
        if let head = try? FileIO.withOpen(host, O_RDONLY, error: host, { try $0.read(upTo: magic.count) }) {
            magic.replaceSubrange(0..<head.count, with: head)
        }
        let candidates: [([UInt8], String)] = [
            ([0x1f, 0x8b], "zcat"),
            ([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], "xzcat"),
            ([0x28, 0xb5, 0x2f, 0xfd], "zstdcat"),
            ([0x42, 0x5a, 0x68], "bzcat"),
            ([0x02, 0x21, 0x4c, 0x18], "lz4cat"),
            ([0x04, 0x22, 0x4d, 0x18], "lz4cat"),
            ([0x5d, 0x00, 0x00], "lzcat"),
            (Array("0707".utf8), "cat"),
        ]
        for (prefix, tool) in candidates where magic.starts(with: prefix) && context.runner.has(tool) {
            return tool
        }
        return "zcat"
    }
}

/// The appliance's /etc/resolv.conf bound over the guest's while a command
/// runs (bindApplianceResolver).
struct ResolverMount {
    let target: String
    let mounted: Bool
    /// The guest had no file there: it was made for the mount.
    let made: Bool

    func undo() {
        if mounted && Glibc.umount(target) != 0 { _ = Glibc.umount2(target, Int32(MNT_DETACH)) }
        if made { _ = unlink(target) }
    }
}
