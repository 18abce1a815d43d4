#if canImport(Glibc)
import Glibc
#endif
import GuestfsProtocol
import SystemPackage

/// The debugging hooks: `debug SUBCMD ARGS` (the subcommands that
/// libguestfs-test-tool, guestfish users and bug reports use), debug_upload,
/// and the internal test hooks internal_exit and internal_rhbz914931.
/// None of these is confined to the guest: they look at the appliance.
extension Handlers {
    /// Upstream's subcommands in its order, minus the ones left out: segv
    /// (a crash on request), bmap*, binaries, ldd, device_speed and
    /// core_pattern. `debug help` lists exactly this table.
    static let debugSubcommands: [(name: String, run: @Sendable (Handlers, [String]) throws -> String)] = [
        ("help", { h, _ in h.debugHelp() }),
        ("env", { h, _ in try h.debugEnv() }),
        ("error", { h, a in try h.debugError(a) }),
        ("fds", { h, _ in try h.debugFds() }),
        ("ls", { h, a in try h.debugLs(["-a"] + a, name: "ls") }),
        ("ll", { h, a in try h.debugLs(["-la"] + a, name: "ll") }),
        ("print", { h, a in h.debugPrint(a) }),
        ("progress", { h, a in try h.debugProgress(a) }),
        ("qtrace", { h, a in try h.debugQtrace(a) }),
        ("setenv", { h, a in try h.debugSetenv(a) }),
        ("sh", { h, a in try h.debugSh(a) }),
        ("spew", { h, a in try h.debugSpew(a) }),
    ]

    public func debug(subcmd: String, extraargs: [String]) throws -> String {
        let wanted = subcmd.lowercased()
        guard let entry = Self.debugSubcommands.first(where: { $0.name == wanted }) else {
            throw DaemonError(message: "use 'debug help 0' to list the supported commands")
        }
        return try entry.run(self, extraargs)
    }

    func debugHelp() -> String {
        "Commands supported:" + Self.debugSubcommands.map { " " + $0.name }.joined()
    }

    func debugEnv() throws -> String {
        let r = try context.runner.run(["printenv"])
        guard r.succeeded else { throw DaemonError(message: "printenv: \(r.stderrString.trimmingTrailingNewlines())") }
        return r.stdoutString
    }

    /// An error of the requested length with errno EROFS, which no other
    /// path returns (the library's tests of long error messages).
    func debugError(_ args: [String]) throws -> String {
        let usage = DaemonError(message: "debug error: expecting one arg: length of error message")
        guard args.count == 1 else { throw usage }
        guard let length = Self.scanUnsigned(args[0]), length <= UInt64(UInt32.max) else { throw usage }
        guard length <= 1_000_000 else { throw DaemonError(message: "debug error: length argument too large") }
        throw DaemonError(EROFS, String(repeating: "a", count: Int(length)))
    }

    /// The daemon's open descriptors: "NN target" per line.
    func debugFds() throws -> String {
        guard let dir = opendir("/proc/self/fd") else { throw DaemonError.system("opendir: /proc/self/fd") }
        defer { closedir(dir) }
        var out = ""
        while let entry = Glibc.readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let path = "/proc/self/fd/" + name
            var st = Glibc.stat()
            guard Glibc.lstat(path, &st) == 0 else { throw DaemonError.system("stat: \(path)") }
            let padded = name.count < 2 ? String(repeating: " ", count: 2 - name.count) + name : name
            if st.st_mode & S_IFMT == S_IFLNK {
                let target = (try? Sysroot.readLink(path)) ?? ""
                out += "\(padded) \(target)\n"
            } else {
                out += "\(padded) 0\(String(st.st_mode, radix: 8))\n"
            }
        }
        return out
    }

    func debugLs(_ argv: [String], name: String) throws -> String {
        let r = try context.runner.run(["ls"] + argv)
        guard r.succeeded else { throw DaemonError(message: "\(name): \(r.stderrString.trimmingTrailingNewlines())") }
        return r.stdoutString
    }

    /// Writes the words to the daemon's stderr (the appliance console).
    func debugPrint(_ args: [String]) -> String {
        logLine(args.joined(separator: " "))
        return "ok"
    }

    /// Sleeps SECS seconds sending progress: rate-limited as usual, or
    /// every RATE microseconds without the limit.
    func debugProgress(_ args: [String]) throws -> String {
        let usage = DaemonError(message: "progress: expecting one or more args: time in seconds [, rate in microseconds]")
        guard let first = args.first, let secs = Self.scanUnsigned(first) else { throw usage }
        guard secs > 0, secs <= 1_000_000 else {
            throw DaemonError(message: "progress: argument is 0, less than 0, or too large")
        }
        var rate: UInt64 = 0
        if args.count >= 2 {
            guard let r = Self.scanUnsigned(args[1]) else { throw usage }
            guard r > 0, r <= 1_000_000 else { throw DaemonError(message: "progress: rate is 0 or too large") }
            rate = r
        }
        if rate == 0 {
            let tenths = secs * 10
            for i in 1...tenths {
                usleep(100_000)
                try context.progress(i, of: tenths)
            }
        } else {
            let total = secs * 1_000_000
            var i = rate
            while i <= total {
                usleep(UInt32(rate))
                try context.progressUnlimited(i, of: total)
                i += rate
            }
        }
        return "ok"
    }

    /// Reads a pattern of 512-byte sectors that a qemu trace analyser
    /// takes as "start" or "stop" (no device name translation, as upstream).
    /// O_DIRECT, which Swift's Glibc module does not export (x86_64 value).
    static let openDirect = FileDescriptor.OpenOptions(rawValue: 0o40000)

    func debugQtrace(_ args: [String]) throws -> String {
        let usage = DaemonError(message: "qtrace <device> <on|off>")
        guard args.count == 2, args[1] == "on" || args[1] == "off" else { throw usage }
        let sectors: [Int64] = args[1] == "on" ? [2, 21, 15, 2] : [2, 15, 21, 2]
        try dropCaches(whattodrop: 3)
        let device = args[0]
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(device, .readOnly, options: [.closeOnExec, Self.openDirect])
        } catch let e as Errno {
            throw DaemonError.system("qtrace: \(device): open", errno: e.rawValue)
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 512, alignment: 512)
        defer { buffer.deallocate() }
        try fd.closeAfter {
            for sector in sectors {
                do {
                    _ = try fd.read(fromAbsoluteOffset: sector * 512, into: buffer)
                } catch let e as Errno {
                    throw DaemonError.system("qtrace: \(device): read", errno: e.rawValue)
                }
            }
        }
        try dropCaches(whattodrop: 3)
        return "ok"
    }

    /// Sets a variable in the daemon's environment, seen by every tool it
    /// runs afterwards (`debug env` shows it).
    func debugSetenv(_ args: [String]) throws -> String {
        guard args.count == 2 else { throw DaemonError(message: "setenv: two arguments expected") }
        setenv(args[0], args[1], 1)
        return "ok"
    }

    /// The words joined into one /bin/sh command run in the appliance,
    /// with $root the sysroot and $sd the disks' name prefix; the answer is
    /// stdout and stderr interleaved, without its final newlines.
    func debugSh(_ args: [String]) throws -> String {
        guard !args.isEmpty else { throw DaemonError(message: "sh: expecting a command to run") }
        var env = CommandRunner.defaultEnvironment().filter { !$0.hasPrefix("root=") && !$0.hasPrefix("sd=") }
        env.append("root=" + context.sysroot.hostPath("/"))
        for prefix in ["sd", "hd", "ubd", "vd"] where access("/sys/block/\(prefix)a", F_OK) == 0 {
            env.append("sd=" + prefix)
            break
        }
        let r = try context.runner.run(["/bin/sh", "-c", args.joined(separator: " ")],
                                       stdout: .foldedIntoStderr, environment: env)
        // Upstream's stderr capture drops the trailing newlines.
        let output = r.stderrString.trimmingTrailingNewlines()
        guard r.succeeded else { throw DaemonError(message: output) }
        return output
    }

    /// N lines of 73 bytes on the daemon's stderr (tests of log handling).
    func debugSpew(_ args: [String]) throws -> String {
        guard args.count == 1 else { throw DaemonError(message: "spew: expecting number of lines <n>") }
        guard let n = Self.scanUnsigned(args[0]) else {
            throw DaemonError(message: "spew: could not parse number of lines '\(args[0])'")
        }
        let line = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234567890123456789\n".utf8)
        for _ in 0..<n { _ = try? line.withUnsafeBytes { try FileDescriptor.standardError.writeAll($0, error: "write") } }
        return "ok"
    }

    /// The leading unsigned decimal number of `text` after blanks, as
    /// sscanf("%u") reads it; nil when there is none.
    static func scanUnsigned(_ text: String) -> UInt64? {
        let digits = text.drop { $0 == " " || $0 == "\t" || $0 == "\n" }.prefix { $0.isASCII && $0.isNumber }
        return UInt64(digits)
    }

    // MARK: uploads and internal hooks

    /// Not chrooted: writes anywhere in the appliance (as internal_upload).
    public func debugUpload(filename: FileInStream, tmpname: String, mode: Int32) throws {
        try internalUpload(filename: filename, tmpname: tmpname, mode: mode)
    }

    /// Replies, then the daemon exits with status 0 (the appliance powers
    /// off): the library's test of a daemon that goes away.
    public func internalExit() throws {
        context.exitAfterReply = true
    }

    /// The regression test of RHBZ#914931: the daemon crashes in the
    /// middle of an upload (after COUNT chunks, one a second) and the
    /// library must not hang. The crash is the point of this hook.
    public func internalRhbz914931(filename: FileInStream, count: Int32) throws {
        guard count > 0, count <= 1000 else { throw DaemonError(message: "count out of range") }
        var remaining = count
        while try filename.nextChunk() != nil {
            remaining -= 1
            Glibc.sleep(1)
            if remaining == 0 {
                logLine("guestfsd: internal_rhbz914931: crashing on request, as the test hook wants")
                signal(SIGSEGV, SIG_DFL)
                raise(SIGSEGV)
            }
        }
    }
}
