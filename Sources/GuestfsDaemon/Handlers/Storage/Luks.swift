#if canImport(Glibc)
import Glibc
#endif
import CGuestfsShim
import SystemPackage

/// luks: LUKS1/LUKS2 (and BitLocker) volumes through the `cryptsetup` tool,
/// with the command lines upstream's daemon uses. Keys never reach a
/// command line or a log: each key is written into an anonymous in-memory
/// file (memfd) that cryptsetup reads by its /proc path, and both the
/// daemon's byte copy and the memfd are zeroed before they are released.
///
/// Error messages follow upstream 1.48: the procedures upstream moved to
/// OCaml (cryptsetup_open/close and the luks_open/close wrappers) answer
/// "cryptsetup exited with status N: STDERR", the C ones (luks_format,
/// luks_add_key, luks_kill_slot, luks_uuid) answer cryptsetup's stderr.
extension Handlers {
    // MARK: opening and closing

    public func cryptsetupOpen(device: String, key: String, mapname: String, readonly: Bool?, crypttype: String?,
                               cipher: String?) throws {
        try luksRequireGroup()
        let mapper = "/dev/mapper/" + mapname
        if let st = fileStatus(mapper), (st.st_mode & S_IFMT) == S_IFBLK {
            throw DaemonError(message: "\(mapper): device already exists")
        }
        let type: String
        if let crypttype {
            type = crypttype
        } else {
            switch try vfsType(mountable: device) {
            case "crypto_LUKS": type = "luks"
            case "BitLocker": type = "bitlk"
            case let t: throw DaemonError(message: "\(t): unknown encrypted device type")
            }
        }
        luksPreloadModules()
        try withKeyFiles([key]) { paths in
            var argv = ["cryptsetup", "-d", paths[0]]
            if readonly == true { argv.append("--readonly") }
            argv += ["open", device, mapname, "--type", type]
            if let cipher { argv += ["--cipher", cipher] }
            try luksRun(argv)
        }
    }

    public func cryptsetupClose(device: String) throws {
        try luksRequireGroup()
        guard device.hasPrefix("/dev/mapper/") else {
            throw DaemonError(message: "\(context.canonicalDeviceName(device)): you must call this on the /dev/mapper device created by cryptsetup-open")
        }
        try luksRun(["cryptsetup", "close", String(device.dropFirst("/dev/mapper/".count))])
    }

    public func luksOpen(device: String, key: String, mapname: String) throws {
        try cryptsetupOpen(device: device, key: key, mapname: mapname, readonly: nil, crypttype: "luks", cipher: nil)
    }

    public func luksOpenRo(device: String, key: String, mapname: String) throws {
        try cryptsetupOpen(device: device, key: key, mapname: mapname, readonly: true, crypttype: "luks", cipher: nil)
    }

    public func luksClose(device: String) throws {
        try cryptsetupClose(device: device)
    }

    // MARK: formatting and key slots

    public func luksFormat(device: String, key: String, keyslot: Int32) throws {
        try luksFormat(device: device, key: key, keyslot: keyslot, cipher: nil)
    }

    public func luksFormatCipher(device: String, key: String, keyslot: Int32, cipher: String) throws {
        try luksFormat(device: device, key: key, keyslot: keyslot, cipher: cipher)
    }

    private func luksFormat(device: String, key: String, keyslot: Int32, cipher: String?) throws {
        try luksRequireGroup()
        try withKeyFiles([key]) { paths in
            var argv = ["cryptsetup", "-q"]
            if let cipher { argv += ["--cipher", cipher] }
            argv += ["--key-slot", String(keyslot), "luksFormat", device, paths[0]]
            try luksRun(argv)
        }
    }

    public func luksAddKey(device: String, key: String, newkey: String, keyslot: Int32) throws {
        try luksRequireGroup()
        try withKeyFiles([key, newkey]) { paths in
            try luksRun(["cryptsetup", "-q", "-d", paths[0], "--key-slot", String(keyslot), "luksAddKey", device, paths[1]])
        }
    }

    public func luksKillSlot(device: String, key: String, keyslot: Int32) throws {
        try luksRequireGroup()
        try withKeyFiles([key]) { paths in
            try luksRun(["cryptsetup", "-q", "-d", paths[0], "luksKillSlot", device, String(keyslot)])
        }
    }

    public func luksUuid(device: String) throws -> String {
        try luksRequireGroup()
        let r = try luksRun(["cryptsetup", "luksUUID", device], wording: .stderrOnly)
        return r.stdoutString.trimming(" \t\n\r")
    }

    // MARK: helpers

    private func luksRequireGroup() throws {
        guard context.isGroupAvailable("luks") else { throw DaemonError.unavailableFeature("luks") }
    }

    /// In the appliance, loads dm-crypt and the usual ciphers once, in the
    /// foreground: left to the kernel's on-demand loading (a request from
    /// inside the table load, which gives up after 60 s), the chain of
    /// modules under TCG on a busy host once failed the open with
    /// "reload ioctl ... failed: Connection timed out".
    private func luksPreloadModules() {
        guard context.inAppliance, !state.luksModulesLoaded, context.runner.has("modprobe") else { return }
        state.luksModulesLoaded = true
        _ = try? context.runner.run(["modprobe", "-q", "-a", "dm_crypt", "xts", "ecb", "aesni_intel", "essiv", "sha256_ssse3"])
    }

    /// How a failure of cryptsetup reads.
    private enum Wording {
        /// "cryptsetup exited with status N: STDERR": upstream's OCaml
        /// handlers (cryptsetup_open/close since 1.50; luks_format,
        /// luks_format_cipher, luks_add_key and luks_kill_slot since 1.60,
        /// given to every library: the C handlers before answered a wrong
        /// key with an empty message).
        case withExitStatus
        /// cryptsetup's stderr alone: luks_uuid, still C upstream.
        case stderrOnly
    }

    /// Runs cryptsetup without udev (libdevmapper makes the /dev/mapper
    /// nodes itself) and with its lock directory in place.
    @discardableResult
    private func luksRun(_ argv: [String], wording: Wording = .withExitStatus) throws -> CommandResult {
        if fileStatus("/run/cryptsetup") == nil {
            Glibc.mkdir("/run", 0o755)
            Glibc.mkdir("/run/cryptsetup", 0o700)
        }
        var env = CommandRunner.defaultEnvironment().filter { !$0.hasPrefix("LC_ALL=") && !$0.hasPrefix("DM_DISABLE_UDEV=") }
        env += ["LC_ALL=C", "DM_DISABLE_UDEV=1"]
        let r = try context.runner.run(argv, environment: env)
        guard r.succeeded else {
            var err = canonicalNames(in: r.stderrString.trimmingTrailingNewlines())
            switch wording {
            case .stderrOnly:
                throw DaemonError(message: err)
            case .withExitStatus:
                // cryptsetup 2.6 (Debian 12, our appliance) says nothing
                // on stderr when luksAddKey or luksKillSlot get a wrong key
                // in batch mode; 2.7 and later (upstream 1.60's appliance)
                // say what exit status 2 means, and so do we.
                if err.isEmpty && r.status == 2 { err = "No key available with this passphrase." }
                throw DaemonError(message: "\(argv[0]) exited with status \(r.status): \(err)")
            }
        }
        return r
    }

    /// Hands each key to `body` as a path cryptsetup can open (an anonymous
    /// memfd of this process, /proc/PID/fd/N); the memfds are overwritten
    /// with zeros and closed afterwards, whatever happens.
    @discardableResult
    private func withKeyFiles<T>(_ keys: [String], _ body: ([String]) throws -> T) throws -> T {
        var files: [(fd: FileDescriptor, length: Int)] = []
        defer {
            for (fd, n) in files {
                let zeros = [UInt8](repeating: 0, count: n)
                _ = try? fd.writeAll(toAbsoluteOffset: 0, zeros)
                _ = ftruncate(fd.rawValue, 0)
                try? fd.close()
            }
        }
        for key in keys {
            let raw = guestfs_shim_secret_memfd()
            guard raw >= 0 else { throw DaemonError.system("memfd_create") }
            let fd = FileDescriptor(rawValue: raw)
            files.append((fd, 0))
            var bytes = try KeyArgument.bytes(key)
            files[files.count - 1].length = bytes.count
            defer { bytes.withUnsafeMutableBytes { guestfs_shim_wipe($0.baseAddress, $0.count) } }
            do {
                _ = try bytes.withUnsafeBytes { try fd.writeAll($0) }
            } catch let e as Errno {
                throw DaemonError.system("write", errno: e.rawValue)
            }
        }
        let pid = getpid()
        return try body(files.map { "/proc/\(pid)/fd/\($0.fd.rawValue)" })
    }
}

/// A Key argument's bytes. Since 1.60 a key may say how it is written:
/// "base64:..." (any bytes, so 8-bit keys can cross the string-only wire)
/// or "text:..."; anything else is the passphrase itself, as before. Every
/// library gets this reading, as upstream's daemon gives it to every client.
enum KeyArgument {
    static func bytes(_ key: String) throws -> [UInt8] {
        if key.hasPrefix("base64:") {
            guard let decoded = decodeBase64(key.utf8.dropFirst(7)) else {
                throw DaemonError(message: "could not decode base64-encoded key")
            }
            return decoded
        }
        if key.hasPrefix("text:") { return Array(key.utf8.dropFirst(5)) }
        return Array(key.utf8)
    }

    /// RFC 4648 base64 as `base64 -d` accepts it: whole padded groups,
    /// newlines skipped, '=' only at the end; anything else is an error.
    static func decodeBase64<S: Sequence>(_ text: S) -> [UInt8]? where S.Element == UInt8 {
        func value(_ c: UInt8) -> UInt32? {
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): return UInt32(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): return UInt32(c - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(c - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): return 62
            case UInt8(ascii: "/"): return 63
            default: return nil
            }
        }
        var out: [UInt8] = []
        var group: UInt32 = 0, count = 0, padding = 0
        for c in text where c != UInt8(ascii: "\n") {
            if c == UInt8(ascii: "=") {
                padding += 1
                guard padding <= 2 else { return nil }
                group <<= 6
                count += 1
            } else {
                guard padding == 0, let v = value(c) else { return nil }
                group = group << 6 | v
                count += 1
            }
            if count == 4 {
                let bytes = [UInt8(group >> 16 & 0xff), UInt8(group >> 8 & 0xff), UInt8(group & 0xff)]
                out += bytes.prefix(3 - padding)
                group = 0
                count = 0
            }
        }
        // Unpadded or cut short: `base64 -d` exits 1 (upstream's error).
        return count == 0 ? out : nil
    }
}
