#if canImport(Glibc)
import Glibc
#endif

/// ext2/3/4 specifics: mke2fs, tune2fs, e2fsck, resize2fs, labels and
/// UUIDs, file attributes and generation numbers. Upstream runs the
/// e2fsprogs tools for all of these; so do we, so the output and the
/// checks are exactly theirs.
extension Handlers {
    static let ext2LabelMax = 16

    public func tune2fsL(device: String) throws -> [String] {
        let out = try fsCommand(["tune2fs", "-l", device]).stdoutString
        var lines = out.split(separator: "\n", omittingEmptySubsequences: false)[...]
        if let first = lines.first, first.hasPrefix("tune2fs ") || first.hasPrefix("tune4fs ") {
            lines = lines.dropFirst()
        }
        var result: [String] = []
        for line in lines where !line.isEmpty {
            if let colon = line.firstIndex(of: ":") {
                let key = String(line[..<colon])
                let value = String(line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" })
                result.append(key)
                result.append(value == "<none>" || value == "<not available>" || value == "(none)" ? "" : value)
            } else {
                result += [String(line), ""]
            }
        }
        return result
    }

    public func setE2label(device: String, label: String) throws {
        try ext2CheckLabel(label)
        try fsCommand(["e2label", device, label])
    }

    func ext2CheckLabel(_ label: String) throws {
        guard label.utf8.count <= Self.ext2LabelMax else {
            throw DaemonError(message: "\(label): ext2/3/4 labels are limited to \(Self.ext2LabelMax) bytes")
        }
    }

    public func getE2label(device: String) throws -> String {
        try vfsLabel(mountable: device)
    }

    public func setE2uuid(device: String, uuid: String) throws {
        try fsCommand(["tune2fs", "-U", uuid, device])
    }

    public func getE2uuid(device: String) throws -> String {
        try vfsUuid(mountable: device)
    }

    public func resize2fs(device: String) throws {
        try ext2FsckIfNotMounted(device)
        try fsCommand(["resize2fs", device])
    }

    public func resize2fsSize(device: String, size: Int64) throws {
        guard size & 1023 == 0 else {
            throw DaemonError(message: "\(size): size must be a round number of kilobytes")
        }
        try ext2FsckIfNotMounted(device)
        try fsCommand(["resize2fs", device, "\(size / 1024)K"])
    }

    /// Deprecated (1.48's table): shrinks to the minimum size (`resize2fs -M`).
    public func resize2fsM(device: String) throws {
        try ext2FsckIfNotMounted(device)
        try fsCommand(["resize2fs", "-M", device])
    }

    /// resize2fs insists on a freshly checked filesystem when unmounted.
    private func ext2FsckIfNotMounted(_ device: String) throws {
        if try !isDeviceMounted(device) {
            try e2fsck(device: device, correct: nil, forceall: true, forceno: nil)
        }
    }

    public func e2fsck(device: String, correct: Bool?, forceall: Bool?, forceno: Bool?) throws {
        let correct = correct ?? false, forceall = forceall ?? false, forceno = forceno ?? false
        // 1.60's message, which names forceno, for every library: the daemon
        // takes forceno from any of them.
        if [correct, forceall, forceno].filter({ $0 }).count > 1 {
            throw DaemonError(message: "only one of the options 'correct', 'forceall' or 'forceno' may be specified")
        }
        var argv = ["e2fsck", "-f"]
        if correct { argv.append("-p") }
        if forceall { argv.append("-y") }
        if forceno { argv.append("-n") }
        argv.append(device)
        // Upstream folds stdout onto stderr: the message keeps e2fsck's order.
        let r = try context.runner.run(argv, stdout: .foldedIntoStderr)
        // 0: clean, 1: errors corrected; 2 and 3 want a reboot, >= 4 failed.
        if r.status >= 2 {
            throw DaemonError(message: canonicalNames(in: r.stderrString.trimmingTrailingNewlines()))
        }
    }

    public func e2fsckF(device: String) throws {
        try e2fsck(device: device, correct: true, forceall: nil, forceno: nil)
    }

    public func mke2journal(blocksize: Int32, device: String) throws {
        fsWipeBeforeMkfs(device)
        try fsCommand(["mke2fs", "-F", "-O", "journal_dev", "-b", String(blocksize), device])
    }

    // The deprecated journal calls of 1.48's table: each is one mke2fs
    // command line, as upstream runs it.

    public func mke2journalL(blocksize: Int32, label: String, device: String) throws {
        try ext2CheckLabel(label)
        fsWipeBeforeMkfs(device)
        try fsCommand(["mke2fs", "-F", "-O", "journal_dev", "-b", String(blocksize), "-L", label, device])
    }

    public func mke2journalU(blocksize: Int32, uuid: String, device: String) throws {
        fsWipeBeforeMkfs(device)
        try fsCommand(["mke2fs", "-F", "-O", "journal_dev", "-b", String(blocksize), "-U", uuid, device])
    }

    public func mke2fsJ(fstype: String, blocksize: Int32, device: String, journal: String) throws {
        try mke2fsExternalJournal(fstype, blocksize, device, journal: "device=" + journal)
    }

    public func mke2fsJL(fstype: String, blocksize: Int32, device: String, label: String) throws {
        guard isExtFilesystem(fstype) else { throw DaemonError(message: "\(fstype): not a valid extended filesystem type") }
        try ext2CheckLabel(label)
        try mke2fsExternalJournal(fstype, blocksize, device, journal: "device=LABEL=" + label)
    }

    public func mke2fsJU(fstype: String, blocksize: Int32, device: String, uuid: String) throws {
        try mke2fsExternalJournal(fstype, blocksize, device, journal: "device=UUID=" + uuid)
    }

    /// `mke2fs -F -t FSTYPE -J device=JOURNAL -b BLOCKSIZE DEVICE`.
    private func mke2fsExternalJournal(_ fstype: String, _ blocksize: Int32, _ device: String, journal: String) throws {
        guard isExtFilesystem(fstype) else { throw DaemonError(message: "\(fstype): not a valid extended filesystem type") }
        fsWipeBeforeMkfs(device)
        try fsCommand(["mke2fs", "-F", "-t", fstype, "-J", journal, "-b", String(blocksize), device])
    }

    public func mke2fs(device: String, blockscount: Int64?, blocksize: Int64?, fragsize: Int64?,
                       blockspergroup: Int64?, numberofgroups: Int64?, bytesperinode: Int64?, inodesize: Int64?,
                       journalsize: Int64?, numberofinodes: Int64?, stridesize: Int64?, stripewidth: Int64?,
                       maxonlineresize: Int64?, reservedblockspercentage: Int32?, mmpupdateinterval: Int32?,
                       journaldevice: String?, label: String?, lastmounteddir: String?, creatoros: String?,
                       fstype: String?, usagetype: String?, uuid: String?, forcecreate: Bool?,
                       writesbandgrouponly: Bool?, lazyitableinit: Bool?, lazyjournalinit: Bool?, testfs: Bool?,
                       discard: Bool?, quotatype: Bool?, extent: Bool?, filetype: Bool?, flexbg: Bool?,
                       hasjournal: Bool?, journaldev: Bool?, largefile: Bool?, quota: Bool?, resizeinode: Bool?,
                       sparsesuper: Bool?, uninitbg: Bool?) throws {
        var argv = ["mke2fs"]
        func nonNegative<T: BinaryInteger>(_ v: T, _ name: String) throws -> String {
            guard v >= 0 else { throw DaemonError(message: "\(name) must be >= 0") }
            return String(v)
        }
        if let blocksize { argv += ["-b", try nonNegative(blocksize, "blocksize")] }
        if let fragsize { argv += ["-f", try nonNegative(fragsize, "fragsize")] }
        if forcecreate == true { argv.append("-F") }
        if let blockspergroup { argv += ["-g", try nonNegative(blockspergroup, "blockspergroup")] }
        if let numberofgroups { argv += ["-G", try nonNegative(numberofgroups, "numberofgroups")] }
        if let bytesperinode { argv += ["-i", try nonNegative(bytesperinode, "bytesperinode")] }
        if let inodesize { argv += ["-I", try nonNegative(inodesize, "inodesize")] }
        if let journalsize { argv += ["-J", "size=" + (try nonNegative(journalsize, "journalsize"))] }
        if let journaldevice {
            if journaldevice.hasPrefix("/dev/") {
                guard let node = try? context.resolveDevice(journaldevice) else {
                    throw DaemonError.system(journaldevice, errno: ENOENT)
                }
                argv += ["-J", "device=" + node]
            } else {
                argv += ["-J", "device=" + journaldevice]
            }
        }
        if let label { argv += ["-L", label] }
        if let reservedblockspercentage {
            argv += ["-m", try nonNegative(reservedblockspercentage, "reservedblockspercentage")]
        }
        if let lastmounteddir { argv += ["-M", lastmounteddir] }
        if let numberofinodes { argv += ["-N", try nonNegative(numberofinodes, "numberofinodes")] }
        if let creatoros { argv += ["-o", creatoros] }
        if writesbandgrouponly == true { argv.append("-S") }
        if let fstype {
            guard isExtFilesystem(fstype) else {
                throw DaemonError(message: "\(fstype): not a valid extended filesystem type")
            }
            argv += ["-t", fstype]
        }
        if let usagetype { argv += ["-T", usagetype] }
        if let uuid { argv += ["-U", uuid] }
        if let mmpupdateinterval {
            argv += ["-E", "mmp_update_interval=" + (try nonNegative(mmpupdateinterval, "mmpupdateinterval"))]
        }
        if let stridesize { argv += ["-E", "stride=" + (try nonNegative(stridesize, "stridesize"))] }
        if let stripewidth { argv += ["-E", "stripe_width=" + (try nonNegative(stripewidth, "stripewidth"))] }
        if let maxonlineresize {
            argv += ["-E", "resize=" + (try nonNegative(maxonlineresize, "maxonlineresize"))]
        }
        if let lazyitableinit { argv += ["-E", lazyitableinit ? "lazy_itable_init=1" : "lazy_itable_init=0"] }
        if let lazyjournalinit { argv += ["-E", lazyjournalinit ? "lazy_journal_init=1" : "lazy_journal_init=0"] }
        if testfs == true { argv += ["-E", "test_fs"] }
        if let discard { argv += ["-E", discard ? "discard" : "nodiscard"] }
        func feature(_ on: Bool?, _ name: String) {
            if let on { argv += ["-O", on ? name : "^" + name] }
        }
        // quotatype is accepted and ignored, as upstream does.
        _ = quotatype
        feature(extent, "extent")
        feature(filetype, "filetype")
        feature(flexbg, "flexbg")
        feature(hasjournal, "has_journal")
        feature(journaldev, "journal_dev")
        feature(largefile, "large_file")
        feature(quota, "quota")
        feature(resizeinode, "resize_inode")
        feature(sparsesuper, "sparse_super")
        feature(uninitbg, "uninit_bg")
        argv.append(device)
        if let blockscount { argv.append(try nonNegative(blockscount, "blockscount")) }
        fsWipeBeforeMkfs(device)
        try fsCommand(argv, errorPrefix: "\(fsName(device)): ")
    }

    public func tune2fs(device: String, force: Bool?, maxmountcount: Int32?, mountcount: Int32?,
                        errorbehavior: String?, group: Int64?, intervalbetweenchecks: Int32?,
                        reservedblockspercentage: Int32?, lastmounteddirectory: String?,
                        reservedblockscount: Int64?, user: Int64?) throws {
        var argv = ["tune2fs"]
        func nonNegative<T: BinaryInteger>(_ v: T, _ name: String) throws -> String {
            guard v >= 0 else { throw DaemonError(message: "\(name) cannot be negative") }
            return String(v)
        }
        if force == true { argv.append("-f") }
        if let maxmountcount { argv += ["-c", try nonNegative(maxmountcount, "maxmountcount")] }
        if let mountcount { argv += ["-C", try nonNegative(mountcount, "mountcount")] }
        if let errorbehavior {
            guard ["continue", "remount-ro", "panic"].contains(errorbehavior) else {
                throw DaemonError(message: "invalid errorbehavior parameter: \(errorbehavior)")
            }
            argv += ["-e", errorbehavior]
        }
        if let group { argv += ["-g", try nonNegative(group, "group")] }
        if let intervalbetweenchecks {
            let s = try nonNegative(intervalbetweenchecks, "intervalbetweenchecks")
            argv += ["-i", intervalbetweenchecks > 0 ? s + "s" : "0"]
        }
        if let reservedblockspercentage {
            argv += ["-m", try nonNegative(reservedblockspercentage, "reservedblockspercentage")]
        }
        if let lastmounteddirectory { argv += ["-M", lastmounteddirectory] }
        if let reservedblockscount { argv += ["-r", try nonNegative(reservedblockscount, "reservedblockscount")] }
        if let user { argv += ["-u", try nonNegative(user, "user")] }
        argv.append(device)
        try fsCommand(argv, errorPrefix: "\(fsName(device)): ")
    }

    /// The minimum size in bytes resize2fs could shrink the filesystem to.
    func ext2MinimumSize(device: String) throws -> Int64 {
        let out = try fsCommand(["resize2fs", "-P", "-f", device]).stdoutString
        let pattern = "Estimated minimum size of the filesystem: "
        for line in out.split(separator: "\n") where line.hasPrefix(pattern) {
            guard let blocks = Int64(line.dropFirst(pattern.count).trimming(" ")) else {
                throw DaemonError(message: "cannot parse minimum size")
            }
            let sb = try tune2fsL(device: device)
            var blockSize: Int64?
            var i = 0
            while i + 1 < sb.count {
                if sb[i] == "Block size" { blockSize = Int64(sb[i + 1]) }
                i += 2
            }
            guard let blockSize else { throw DaemonError(message: "missing 'Block size' in tune2fs_l output") }
            guard Int64.max / blockSize >= blocks else {
                throw DaemonError(message: "filesystem size too big: overflow")
            }
            return blocks * blockSize
        }
        throw DaemonError(message: "minimum size not found. Check output format:\n\(out)")
    }

    // MARK: File attributes and generation

    public func getE2attrs(file: String) throws -> String {
        let path = try context.resolve(file)
        let out = try fsCommand(["lsattr", "-d", "--", path], errorPrefix: "lsattr: \(file): ").stdoutString
        // "-----a------e----- /path": the letters set, sorted.
        let flags = out.prefix { $0 != " " }.filter { $0 != "-" }
        return String(flags.sorted { $0.asciiValue ?? 0 < $1.asciiValue ?? 0 })
    }

    public func setE2attrs(file: String, attrs: String, clear: Bool?) throws {
        if attrs.isEmpty { return }
        var seen = Set<Character>()
        for c in attrs {
            if c == "R" || c == "V" || c == "f" || c == "v" {
                throw DaemonError(message: "bad file attribute '\(c)'")
            }
            guard c.isASCII, c.isLetter else { throw DaemonError(message: "unknown file attribute '\(c)'") }
            guard seen.insert(c).inserted else { throw DaemonError(message: "duplicate file attribute '\(c)'") }
        }
        let path = try context.resolve(file)
        try fsCommand(["chattr", (clear == true ? "-" : "+") + attrs, "--", path],
                      errorPrefix: "chattr: \(file): ")
    }

    public func getE2generation(file: String) throws -> Int64 {
        let path = try context.resolve(file)
        let out = try fsCommand(["lsattr", "-dv", "--", path], errorPrefix: "lsattr: \(file): ").stdoutString
        guard let n = Int64(out.trimming(" ").prefix { $0.isNumber || $0 == "-" }) else {
            throw DaemonError(message: "cannot parse output from 'lsattr' command: \(out)")
        }
        guard n >= 0 else {
            throw DaemonError(message: "unexpected negative number from 'lsattr' command: \(out)")
        }
        return n
    }

    public func setE2generation(file: String, generation: Int64) throws {
        let path = try context.resolve(file)
        try fsCommand(["chattr", "-v", String(UInt64(bitPattern: generation)), "--", path],
                      errorPrefix: "chattr: \(file): ")
    }
}
