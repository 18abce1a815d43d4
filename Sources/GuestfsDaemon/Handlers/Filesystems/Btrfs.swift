#if canImport(Glibc)
import Glibc
#endif
import GuestfsProtocol

/// btrfs (optional group "btrfs") through btrfs-progs: mkfs, devices,
/// subvolumes and snapshots, quotas and qgroups, scrub, balance, rescue,
/// btrfstune, btrfs-image and replace. Results are parsed from the tools'
/// output the way upstream 1.48 parses it, so both see the same values.
extension Handlers {
    // MARK: mkfs, filesystem

    public func mkfsBtrfs(devices: [String], allocstart: Int64?, bytecount: Int64?, datatype: String?,
                          leafsize: Int32?, label: String?, metadata: String?, nodesize: Int32?,
                          sectorsize: Int32?) throws {
        guard !devices.isEmpty else { throw DaemonError(message: "list of devices must be non-empty") }
        var argv = ["mkfs.btrfs"]
        // allocstart: --alloc-start is gone from btrfs-progs; upstream ignores it.
        if let bytecount {
            guard bytecount > 0 else { throw DaemonError(message: "bytecount must be > 0") }
            argv += ["--byte-count", String(bytecount)]
        }
        let profiles = ["raid0", "raid1", "raid10", "single"]
        if let datatype {
            guard profiles.contains(datatype) else { throw DaemonError(message: "datatype not one of the allowed values") }
            argv += ["--data", datatype]
        }
        if let leafsize {
            guard btrfsIsPowerOfTwo(leafsize) else { throw DaemonError(message: "leafsize must be > 0 and a power of two") }
            argv += ["--leafsize", String(leafsize)]
        }
        if let label { argv += ["--label", label] }
        if let metadata {
            guard profiles.contains(metadata) else { throw DaemonError(message: "metadata not one of the allowed values") }
            argv += ["--metadata", metadata]
        }
        if let nodesize {
            guard btrfsIsPowerOfTwo(nodesize) else { throw DaemonError(message: "nodesize must be > 0 and a power of two") }
            argv += ["--nodesize", String(nodesize)]
        }
        if let sectorsize {
            guard btrfsIsPowerOfTwo(sectorsize) else { throw DaemonError(message: "sectorsize must be > 0 and a power of two") }
            argv += ["--sectorsize", String(sectorsize)]
        }
        argv += devices
        for device in devices { fsWipeBeforeMkfs(device) }
        try fsCommand(argv, errorPrefix: "\(fsName(devices[0])): ")
    }

    public func btrfsFilesystemResize(mountpoint: String, size: Int64?) throws {
        var argv = ["btrfs", "filesystem", "resize"]
        if let size {
            guard size > 0 else { throw DaemonError(message: "size is zero or negative") }
            argv.append(String(size))
        } else {
            argv.append("max")
        }
        try btrfsOnPath(argv, mountpoint)
    }

    public func btrfsFilesystemSync(fs: String) throws {
        try btrfsOnPath(["btrfs", "filesystem", "sync"], fs)
    }

    /// The old `btrfs balance PATH` form, as upstream 1.48 runs it.
    public func btrfsFilesystemBalance(fs: String) throws {
        try btrfsOnPath(["btrfs", "balance"], fs)
    }

    public func btrfsFilesystemDefragment(path: String, flush: Bool?, compress: String?) throws {
        var argv = ["btrfs", "filesystem", "defragment", "-r"]
        if flush == true { argv.append("-f") }
        if let compress {
            switch compress {
            case "zlib": argv.append("-czlib")
            case "lzo": argv.append("-clzo")
            default: throw DaemonError(message: "unknown compress method: \(compress)")
            }
        }
        try btrfsOnPath(argv, path)
    }

    /// The device paths of the filesystem on `device` (`btrfs filesystem
    /// show`); ENODEV when some of its devices are missing.
    public func btrfsFilesystemShow(device: String) throws -> [String] {
        let out = try fsCommand(["btrfs", "filesystem", "show", device], errorPrefix: "\(fsName(device)): ").stdoutString
        let lines = CommandText.splitLines(out)
        guard lines.count >= 3 else {
            throw DaemonError(message: "truncated output from 'btrfs filesystem show' command")
        }
        var devices: [String] = []
        for line in lines.dropFirst() {
            if line.isEmpty || line.hasPrefix("Label: ") || line.hasPrefix("\tTotal devices ") { continue }
            if line.hasPrefix("\tdevid ") {
                guard let range = line.firstRange(of: " path ") else { continue }
                devices.append(String(line[range.upperBound...].prefix { $0 != " " }))
            } else if line.hasPrefix("\t*** Some devices missing") {
                throw DaemonError(ENODEV, "\(fsName(device)): missing devices")
            } else if line.hasPrefix("btrfs-progs v") || line.hasPrefix("Btrfs v") {
                continue
            } else {
                throw DaemonError(message: "unrecognized line in output from 'btrfs filesystem show': \(canonicalNames(in: line))")
            }
        }
        return devices
    }

    // MARK: Devices

    public func btrfsDeviceAdd(devices: [String], fs: String) throws {
        if devices.isEmpty { return }
        var argv = ["btrfs", "device", "add"]
        if try btrfsDeviceAddNeedsForce() { argv.append("--force") }
        try btrfsOnPath(argv + devices, fs)
    }

    public func btrfsDeviceDelete(devices: [String], fs: String) throws {
        if devices.isEmpty { return }
        try btrfsOnPath(["btrfs", "device", "delete"] + devices, fs)
    }

    public func btrfsReplace(srcdev: String, targetdev: String, mntpoint: String) throws {
        try btrfsOnPath(["btrfs", "replace", "start", "-B", "-f", srcdev, targetdev], mntpoint)
    }

    private func btrfsDeviceAddNeedsForce() throws -> Bool {
        if let known = state.btrfsDeviceAddForce { return known }
        let r = try context.runner.run(["btrfs", "device", "add", "--help"])
        guard r.succeeded else {
            throw DaemonError(message: "btrfs device add --help: " + r.stderrString.trimmingTrailingNewlines())
        }
        let force = r.stdoutString.contains("--force")
        state.btrfsDeviceAddForce = force
        return force
    }

    // MARK: Subvolumes

    public func btrfsSubvolumeCreate(dest: String, qgroupid: String?) throws {
        var argv = ["btrfs", "subvolume", "create"]
        if let qgroupid { argv += ["-i", qgroupid] }
        try btrfsOnPath(argv, dest)
    }

    public func btrfsSubvolumeSnapshot(source: String, dest: String, ro: Bool?, qgroupid: String?) throws {
        var argv = ["btrfs", "subvolume", "snapshot"]
        if ro == true { argv.append("-r") }
        if let qgroupid { argv += ["-i", qgroupid] }
        argv += [try context.resolve(source), try context.resolve(dest)]
        try fsCommand(argv, errorPrefix: "\(source): \(dest): ")
    }

    public func btrfsSubvolumeDelete(subvolume: String) throws {
        try btrfsOnPath(["btrfs", "subvolume", "delete"], subvolume)
    }

    public func btrfsSubvolumeSetDefault(id: Int64, fs: String) throws {
        try btrfsOnPath(["btrfs", "subvolume", "set-default", String(id)], fs)
    }

    /// `btrfs subvolume list`, each line matched as upstream's
    /// "ID\s+(\d+).*\stop level\s+(\d+).*\spath\s(.*)".
    public func btrfsSubvolumeList(fs: String) throws -> [GuestfsBtrfssubvolume] {
        let out = try btrfsWithMounted(fs) { mp in
            try fsCommandOCaml(["btrfs", "subvolume", "list", mp]).stdoutString
        }
        return try out.split(separator: "\n").map { line in
            guard let entry = BtrfsOutput.subvolumeListEntry(line) else {
                throw DaemonError(message: "unexpected output from 'btrfs subvolume list' command: \(line)")
            }
            return entry
        }
    }

    public func btrfsSubvolumeGetDefault(fs: String) throws -> Int64 {
        let out = try btrfsWithMounted(fs) { mp in
            try fsCommandOCaml(["btrfs", "subvolume", "get-default", mp]).stdoutString
        }
        guard out.hasPrefix("ID "), let id = BtrfsOutput.leadingInt64(out.dropFirst(3)) else {
            throw DaemonError(message: "scanf: bad input at char 0: looking for 'I', found '\(out.first.map(String.init) ?? "")'")
        }
        return id
    }

    /// `btrfs subvolume show` as key/value pairs: the first line is
    /// "path", "-" values are empty, and the snapshot lines are joined
    /// with commas under "Snapshot(s)".
    public func btrfsSubvolumeShow(subvolume: String) throws -> [String] {
        let r = try context.runner.run(["btrfs", "subvolume", "show", try context.resolve(subvolume)])
        guard r.succeeded else {
            throw DaemonError(message: "\(subvolume): " + canonicalNames(in: r.stderrString.trimmingTrailingNewlines()))
        }
        let out = r.stdoutString
        if out.contains("is btrfs root") || out.contains("is toplevel subvolume") {
            throw DaemonError(message: "\(subvolume) is btrfs root")
        }
        if r.stderrString.contains("is not a subvolume") {
            throw DaemonError(message: "\(subvolume) is not a subvolume")
        }
        return try BtrfsOutput.subvolumeShow(out)
    }

    // MARK: Quotas and qgroups

    public func btrfsQuotaEnable(fs: String, enable: Bool) throws {
        try btrfsWithMountedC(fs) { mp in
            try fsCommand(["btrfs", "quota", enable ? "enable" : "disable", mp], errorPrefix: "\(mp): ")
        }
    }

    public func btrfsQuotaRescan(fs: String) throws {
        try btrfsWithMountedC(fs) { mp in
            try fsCommand(["btrfs", "quota", "rescan", mp], errorPrefix: "\(mp): ")
        }
    }

    public func btrfsQgroupLimit(subvolume: String, size: Int64) throws {
        try btrfsOnPath(["btrfs", "qgroup", "limit", String(size)], subvolume)
    }

    public func btrfsQgroupCreate(qgroupid: String, subvolume: String) throws {
        try btrfsOnPath(["btrfs", "qgroup", "create", qgroupid], subvolume)
    }

    public func btrfsQgroupDestroy(qgroupid: String, subvolume: String) throws {
        try btrfsOnPath(["btrfs", "qgroup", "destroy", qgroupid], subvolume)
    }

    public func btrfsQgroupAssign(src: String, dst: String, path: String) throws {
        try btrfsOnPath(["btrfs", "qgroup", "assign", src, dst], path)
    }

    public func btrfsQgroupRemove(src: String, dst: String, path: String) throws {
        try btrfsOnPath(["btrfs", "qgroup", "remove", src, dst], path)
    }

    /// `btrfs qgroup show --raw`: two header lines, then "ID RFER EXCL ...".
    public func btrfsQgroupShow(path: String) throws -> [GuestfsBtrfsqgroup] {
        var argv = ["btrfs", "qgroup", "show"]
        if try btrfsQgroupShowHasRaw() { argv.append("--raw") }
        let out = try btrfsOnPath(argv, path).stdoutString
        let lines = CommandText.splitLines(out)
        guard lines.count >= 2 else {
            throw DaemonError(ENOMEM, "calloc: \(errnoDescription(ENOMEM))")
        }
        return try lines.dropFirst(2).map { line in
            guard let q = BtrfsOutput.qgroupLine(line) else {
                throw DaemonError(message: "cannot parse output of qgroup show command: \(line)")
            }
            return q
        }
    }

    private func btrfsQgroupShowHasRaw() throws -> Bool {
        if let known = state.btrfsQgroupRaw { return known }
        let r = try context.runner.run(["btrfs", "qgroup", "show", "--help"])
        let raw = r.stdoutString.contains("--raw")
        state.btrfsQgroupRaw = raw
        return raw
    }

    // MARK: Scrub and balance

    public func btrfsScrubStart(path: String) throws {
        try btrfsOnPath(["btrfs", "scrub", "start"], path)
    }

    public func btrfsScrubCancel(path: String) throws {
        try btrfsOnPath(["btrfs", "scrub", "cancel"], path)
    }

    public func btrfsScrubResume(path: String) throws {
        try btrfsOnPath(["btrfs", "scrub", "resume"], path)
    }

    /// 1.60: the whole scrub in the foreground (`-B`), its failure an
    /// error: btrfs_fsck's replacement, like other filesystems' fsck.
    public func btrfsScrubFull(path: String, readonly: Bool?) throws {
        var argv = ["btrfs", "scrub", "start", "-B"]
        if readonly == true { argv.append("-r") }
        argv.append(try context.resolve(path))
        let r = try context.runner.run(argv, stdout: .foldedIntoStderr)
        guard r.succeeded else {
            throw DaemonError(message: "\(path): " + canonicalNames(in: r.stderrString.trimmingTrailingNewlines()))
        }
    }

    public func btrfsScrubStatus(path: String) throws -> GuestfsBtrfsscrub {
        let out = try btrfsOnPath(["btrfs", "scrub", "status", "-R"], path).stdoutString
        return try BtrfsOutput.scrubStatus(out)
    }

    public func btrfsBalancePause(path: String) throws {
        try btrfsOnPath(["btrfs", "balance", "pause"], path)
    }

    public func btrfsBalanceCancel(path: String) throws {
        try btrfsOnPath(["btrfs", "balance", "cancel"], path)
    }

    public func btrfsBalanceResume(path: String) throws {
        try btrfsOnPath(["btrfs", "balance", "resume"], path)
    }

    /// `btrfs balance status` exits with 1 while a balance is running or
    /// paused (btrfs-balance(8)); upstream 1.48 takes that for a failure and
    /// so never reports those states. Here exit 1 with a status is read.
    public func btrfsBalanceStatus(path: String) throws -> GuestfsBtrfsbalance {
        let r = try context.runner.run(["btrfs", "balance", "status", try context.resolve(path)])
        let out = r.stdoutString
        guard r.succeeded || (r.status == 1 && out.hasPrefix("Balance on '")) else {
            throw DaemonError(message: "\(path): " + canonicalNames(in: r.stderrString.trimmingTrailingNewlines()))
        }
        return try BtrfsOutput.balanceStatus(out)
    }

    // MARK: Offline tools: fsck, rescue, btrfstune, btrfs-image

    public func btrfsFsck(device: String, superblock: Int64?, repair: Bool?) throws {
        var argv = ["btrfsck"]
        if let superblock {
            guard superblock >= 0 else { throw DaemonError(message: "super block offset must be >= 0") }
            argv += ["--super", String(superblock)]
        }
        if repair == true { argv.append("--repair") }
        try fsCommand(argv + [device], errorPrefix: "\(fsName(device)): ")
    }

    public func btrfsRescueChunkRecover(device: String) throws {
        try fsCommand(["btrfs", "rescue", "chunk-recover", "-y", device], errorPrefix: "\(fsName(device)): ")
    }

    public func btrfsRescueSuperRecover(device: String) throws {
        try fsCommand(["btrfs", "rescue", "super-recover", "-y", device], errorPrefix: "\(fsName(device)): ")
    }

    /// Clearing the flag passes `-f`, as btrfstune_seeding does:
    /// btrfs-progs 6 refuses to clear it without (upstream runs it without
    /// `-f`, ignores the refusal and answers success, leaving it set).
    public func btrfsSetSeeding(device: String, seeding: Bool) throws {
        var argv = ["btrfstune", "-S", seeding ? "1" : "0"]
        if !seeding { argv.append("-f") }
        try btrfsCommandR(argv + [device], device: device)
    }

    public func btrfstuneSeeding(device: String, seeding: Bool) throws {
        var argv = ["btrfstune", "-S", seeding ? "1" : "0"]
        if !seeding { argv.append("-f") }
        try fsCommand(argv + [device], errorPrefix: "\(fsName(device)): ")
    }

    public func btrfstuneEnableExtendedInodeRefs(device: String) throws {
        try fsCommand(["btrfstune", "-r", device], errorPrefix: "\(fsName(device)): ")
    }

    public func btrfstuneEnableSkinnyMetadataExtentRefs(device: String) throws {
        try fsCommand(["btrfstune", "-x", device], errorPrefix: "\(fsName(device)): ")
    }

    /// Upstream 1.48 hands `image` to btrfs-image as is, so the image
    /// lands in the appliance's own root; here it is a guest path.
    public func btrfsImage(source: [String], image: String, compresslevel: Int32?) throws {
        guard !source.isEmpty else { throw DaemonError(message: "list of sources must be non-empty") }
        var argv = ["btrfs-image"]
        if let compresslevel, compresslevel >= 0 { argv += ["-c", String(compresslevel)] }
        argv += source
        argv.append(try context.resolve(image))
        try fsCommand(argv, errorPrefix: "\(fsName(source[0])) \(image): ")
    }

    // MARK: Helpers

    /// Runs `argv` + the host path of the guest path `path`; a failure
    /// reads "PATH: STDERR" as upstream's.
    @discardableResult
    func btrfsOnPath(_ argv: [String], _ path: String) throws -> CommandResult {
        try fsCommand(argv + [try context.resolve(path)], errorPrefix: "\(path): ")
    }

    /// Upstream's btrfs_set_seeding runs btrfstune with commandr and so
    /// answers success whatever btrfstune's exit status; a failure is
    /// reported here ("DEVICE: STDERR", as its other btrfstune calls).
    private func btrfsCommandR(_ argv: [String], device: String) throws {
        try fsCommand(argv, errorPrefix: "\(fsName(device)): ")
    }

    private func btrfsIsPowerOfTwo(_ n: Int32) -> Bool { n > 0 && n & (n - 1) == 0 }

    /// A Mountable_or_Path as the OCaml handlers (subvolume list and
    /// get-default) see it: a path is used in the sysroot; a device or
    /// btrfs volume is mounted on a temporary directory for the call.
    func btrfsWithMounted<T>(_ fs: String, _ body: (String) throws -> T) throws -> T {
        if !fs.hasPrefix("/dev/") && !fs.hasPrefix("btrfsvol:") {
            return try body(try context.resolve(fs))
        }
        let (device, subvolume) = splitMountable(fs)
        let dir = try btrfsTemporaryDirectory("/tmp/btrfsXXXXXX")
        defer {
            _ = try? context.runner.run(["umount", dir])
            Glibc.rmdir(dir)
        }
        var argv = ["mount"]
        if let subvolume { argv += ["-o", "subvol=" + subvolume] }
        try fsCommandOCaml(argv + [device, dir])
        return try body(dir)
    }

    /// The same for the C handlers (quota enable and rescan), whose
    /// mount and unmount errors read differently.
    func btrfsWithMountedC(_ fs: String, _ body: (String) throws -> Void) throws {
        if !fs.hasPrefix("/dev/") && !fs.hasPrefix("btrfsvol:") {
            return try body(try context.resolve(fs))
        }
        let (device, subvolume) = splitMountable(fs)
        let dir = try btrfsTemporaryDirectory("/tmp/btrfs.XXXXXX")
        let options = subvolume.map { "subvol=" + $0 } ?? ""
        let m = try context.runner.run(["mount", "-o", options, device, dir])
        guard m.succeeded else {
            Glibc.rmdir(dir)
            throw DaemonError(message: "\(fsName(device)) on <internal> (options: ''): "
                                + canonicalNames(in: m.stderrString.trimmingTrailingNewlines()))
        }
        var failure: (any Error)?
        do { try body(dir) } catch { failure = error }
        let u = try context.runner.run(["umount", dir])
        if !u.succeeded {
            throw DaemonError(message: "umount: " + u.stderrString.trimmingTrailingNewlines())
        }
        if Glibc.rmdir(dir) != 0 && errno != ENOENT { throw DaemonError.system("rmdir") }
        if let failure { throw failure }
    }

    private func btrfsTemporaryDirectory(_ template: String) throws -> String {
        var t = Array(template.utf8CString)
        guard t.withUnsafeMutableBufferPointer({ Glibc.mkdtemp($0.baseAddress!) }) != nil else {
            throw DaemonError.system("mkdtemp")
        }
        return cString(t)
    }
}

// MARK: - Mountables and listing

extension Handlers {
    /// MOUNTABLE_DEVICE (0) or MOUNTABLE_BTRFSVOL (1), with the device by
    /// its canonical name and the volume.
    public func internalParseMountable(mountable: String) throws -> GuestfsInternalMountable {
        if mountable.hasPrefix("btrfsvol:"), let (device, volume) = context.splitBtrfsvol(mountable) {
            return GuestfsInternalMountable(imType: 1, imDevice: fsName(device), imVolume: volume)
        }
        return GuestfsInternalMountable(imType: 0, imDevice: fsName(mountable), imVolume: "")
    }

    /// list_filesystems' entries for a btrfs device: the device (its
    /// default subvolume) and then each other subvolume as btrfsvol:.
    func btrfsListEntries(_ device: String) throws -> [String] {
        let vols = try btrfsSubvolumeList(fs: device)
        let defaultID = try btrfsSubvolumeGetDefault(fs: device)
        var out = [device, "btrfs"]
        for v in vols where Int64(bitPattern: v.btrfssubvolumeId) != defaultID {
            out += ["btrfsvol:\(device)/\(v.btrfssubvolumePath)", "btrfs"]
        }
        return out
    }
}

/// Parsers of btrfs-progs output, as upstream 1.48 reads it.
enum BtrfsOutput {
    /// Leading decimal digits (after spaces), as scanf's %Ld/%lu.
    static func leadingInt64(_ s: Substring) -> Int64? {
        let t = s.drop { $0 == " " || $0 == "\t" }
        var digits = Substring(t.prefix { $0.isASCII && $0.isNumber })
        if digits.isEmpty, t.first == "-" || t.first == "+" {
            let sign = t.first!
            digits = t.dropFirst().prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty else { return nil }
            return Int64(String(sign) + digits)
        }
        return digits.isEmpty ? nil : Int64(digits)
    }

    static func leadingUInt64(_ s: Substring) -> UInt64? {
        let t = s.drop { $0 == " " || $0 == "\t" || $0 == "\n" }
        let digits = t.prefix { $0.isASCII && $0.isNumber }
        return digits.isEmpty ? nil : UInt64(digits)
    }

    private static func isSpace(_ c: Character) -> Bool {
        c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0B}" || c == "\u{0C}"
    }

    /// "ID\s+(\d+).*\stop level\s+(\d+).*\spath\s(.*)", leftmost ID and
    /// greedy gaps (the last "top level" and "path" that fit).
    static func subvolumeListEntry(_ line: Substring) -> GuestfsBtrfssubvolume? {
        let chars = Array(line)
        func digitsAfterSpaces(_ i: Int) -> (String, Int)? {
            var j = i
            guard j < chars.count, isSpace(chars[j]) else { return nil }
            while j < chars.count, isSpace(chars[j]) { j += 1 }
            let start = j
            while j < chars.count, chars[j].isASCII, chars[j].isNumber { j += 1 }
            return j > start ? (String(chars[start..<j]), j) : nil
        }
        func matches(_ word: String, at i: Int) -> Bool {
            let w = Array(word)
            return i + w.count <= chars.count && Array(chars[i..<(i + w.count)]) == w
        }
        for idStart in 0..<chars.count where matches("ID", at: idStart) {
            guard let (id, afterID) = digitsAfterSpaces(idStart + 2) else { continue }
            // Greedy: the last "\stop level\s+\d+" followed by a "\spath\s".
            var k = chars.count - 1
            while k >= afterID {
                if isSpace(chars[k]), matches("top level", at: k + 1),
                   let (top, afterTop) = digitsAfterSpaces(k + 10) {
                    var p = chars.count - 1
                    while p >= afterTop {
                        if isSpace(chars[p]), matches("path", at: p + 1), p + 5 < chars.count, isSpace(chars[p + 5]) {
                            guard let idN = UInt64(id), let topN = UInt64(top) else { return nil }
                            return GuestfsBtrfssubvolume(btrfssubvolumeId: idN, btrfssubvolumeTopLevelId: topN,
                                                         btrfssubvolumePath: String(chars[(p + 6)...]))
                        }
                        p -= 1
                    }
                }
                k -= 1
            }
        }
        return nil
    }

    /// One line split at the first ':' as upstream's analyze_line: the
    /// key after leading spaces (nil when the line starts with ':'), the
    /// value after the ':' and its spaces (nil with no ':').
    static func analyzeLine(_ line: Substring) -> (key: Substring?, value: Substring?) {
        let p = line.drop(while: isSpace)
        guard let colon = p.firstIndex(of: ":") else { return (p, nil) }
        let key: Substring? = colon == p.startIndex ? nil : p[..<colon]
        let value = p[p.index(after: colon)...].drop(while: isSpace)
        return (key, value)
    }

    static func subvolumeShow(_ out: String) throws -> [String] {
        // Lines as upstream walks them: the walk ends at the end of the
        // text, an empty line in between is a line with an empty key.
        var lines = out.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        guard !lines.isEmpty else { throw DaemonError(message: "truncated output: \(out)") }
        var ret: [String] = []
        let first = analyzeLine(lines[0])
        if let key = first.key, first.value == nil {
            ret += ["path", String(key)]
        } else {
            ret += [String(first.key ?? ""), String(first.value ?? "")]
        }
        var i = 1
        func next() -> (key: Substring?, value: Substring?) {
            guard i < lines.count else { return (nil, nil) }
            defer { i += 1 }
            return analyzeLine(lines[i])
        }
        var current = next()
        while let key = current.key {
            if key.hasPrefix("Snapshot(s)") {
                ret.append(String(key))
                var snapshots: [String] = []
                current = next()
                while let k = current.key, current.value == nil {
                    snapshots.append(String(k))
                    current = next()
                }
                ret.append(snapshots.joined(separator: ","))
            } else {
                ret.append(String(key))
                if let v = current.value, v != "-" { ret.append(String(v)) } else { ret.append("") }
                current = next()
            }
        }
        return ret
    }

    /// "%m[0-9/] %lu %lu".
    static func qgroupLine(_ line: String) -> GuestfsBtrfsqgroup? {
        let s = Substring(line).drop(while: isSpace)
        let id = s.prefix { $0 == "/" || ($0.isASCII && $0.isNumber) }
        guard !id.isEmpty else { return nil }
        var rest = s.dropFirst(id.count).drop(while: isSpace)
        guard let rfer = leadingUInt64(rest) else { return nil }
        rest = rest.drop { $0.isASCII && $0.isNumber }.drop(while: isSpace)
        guard let excl = leadingUInt64(rest) else { return nil }
        return GuestfsBtrfsqgroup(btrfsqgroupId: String(id), btrfsqgroupRfer: rfer, btrfsqgroupExcl: excl)
    }

    static func scrubStatus(_ out: String) throws -> GuestfsBtrfsscrub {
        let lines = CommandText.splitLines(out)
        guard lines.count >= 2 else {
            throw DaemonError(message: "truncated output from 'btrfs scrub status -R' command")
        }
        var s = GuestfsBtrfsscrub()
        let fields: [(String, WritableKeyPath<GuestfsBtrfsscrub, UInt64>)] = [
            ("data_extents_scrubbed", \.btrfsscrubDataExtentsScrubbed),
            ("tree_extents_scrubbed", \.btrfsscrubTreeExtentsScrubbed),
            ("data_bytes_scrubbed", \.btrfsscrubDataBytesScrubbed),
            ("tree_bytes_scrubbed", \.btrfsscrubTreeBytesScrubbed),
            ("read_errors", \.btrfsscrubReadErrors),
            ("csum_errors", \.btrfsscrubCsumErrors),
            ("verify_errors", \.btrfsscrubVerifyErrors),
            ("no_csum", \.btrfsscrubNoCsum),
            ("csum_discards", \.btrfsscrubCsumDiscards),
            ("super_errors", \.btrfsscrubSuperErrors),
            ("malloc_errors", \.btrfsscrubMallocErrors),
            ("uncorrectable_errors", \.btrfsscrubUncorrectableErrors),
            ("unverified_errors", \.btrfsscrubUnverifiedErrors),
            ("corrected_errors", \.btrfsscrubCorrectedErrors),
            ("last_physical", \.btrfsscrubLastPhysical),
        ]
        for line in lines {
            guard line.first == "\t" else { continue }
            if line == "\tno stats available" { return s }
            if line.hasPrefix("\tscrub started at") { continue }
            // scanf's "\tNAME: %lu": any spaces, NAME, ':', any spaces, digits.
            let body = Substring(line).drop(while: isSpace)
            var parsed = false
            for (name, path) in fields where body.hasPrefix(name + ":") {
                if let n = leadingUInt64(body.dropFirst(name.count + 1)) {
                    s[keyPath: path] = n
                    parsed = true
                    break
                }
            }
            if !parsed { throw DaemonError(message: "\(line): could not parse btrfs scrub status.") }
        }
        if lines.count < 17 {
            throw DaemonError(message: "truncated output from 'btrfs scrub status -R' command")
        }
        return s
    }

    static func balanceStatus(_ out: String) throws -> GuestfsBtrfsbalance {
        let lines = CommandText.splitLines(out)
        guard let first = lines.first else {
            throw DaemonError.system("No balance status output")
        }
        if first.contains("No balance found on") {
            return GuestfsBtrfsbalance(btrfsbalanceStatus: "none")
        }
        // "Balance on '.*' is (.*)": the greedy '.*' takes the last "' is ".
        guard let on = first.firstRange(of: "Balance on '"),
              let isRange = first[on.upperBound...].ranges(of: "' is ").last else {
            throw DaemonError(message: "unexpected output from 'btrfs balance status' command: \(first)")
        }
        let state = String(first[isRange.upperBound...])
        guard state == "running" || state == "paused" else {
            throw DaemonError(message: "unexpected output from 'btrfs balance status' command: \(first)")
        }
        guard lines.count >= 2 else {
            throw DaemonError(message: "truncated output from 'btrfs balance status' command")
        }
        // "%lu out of about %lu chunks balanced (%lu considered), %lu%% left"
        var rest = Substring(lines[1])
        func number() -> UInt64? {
            guard let n = leadingUInt64(rest) else { return nil }
            rest = rest.drop(while: isSpace).drop { $0.isASCII && $0.isNumber }
            return n
        }
        func literal(_ text: String) -> Bool {
            for word in text.split(separator: " ") {
                rest = rest.drop(while: isSpace)
                guard rest.hasPrefix(word) else { return false }
                rest = rest.dropFirst(word.count)
            }
            return true
        }
        guard let balanced = number(), literal("out of about"), let total = number(),
              literal("chunks balanced ("), let considered = number(), literal("considered),"),
              let left = number(), literal("% left") else {
            throw DaemonError.system("sscanf")
        }
        return GuestfsBtrfsbalance(btrfsbalanceStatus: state, btrfsbalanceTotal: total, btrfsbalanceBalanced: balanced,
                                   btrfsbalanceConsidered: considered, btrfsbalanceLeft: left)
    }
}
