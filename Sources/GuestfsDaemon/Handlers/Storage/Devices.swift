#if canImport(Glibc)
import Glibc
#endif
import CGuestfsShim
import GuestfsProtocol
import SystemPackage

/// Block devices: listing disks and partitions, the blockdev ioctls,
/// zeroing, raw reads and writes, checksums and discard.
extension Handlers {
    // MARK: Listing

    public func listDevices() throws -> [String] {
        context.devices.listDevices()
    }

    public func nrDevices() throws -> Int32 {
        Int32(context.devices.listDevices().count)
    }

    public func listPartitions() throws -> [String] {
        var result: [String] = []
        for disk in context.devices.listDevices() {
            guard let node = try? context.devices.node(for: disk) else { continue }
            result += Self.partitionNodes(ofDisk: node).map { context.canonicalDeviceName($0) }
        }
        // md partitions (md0p1) follow, as upstream lists them.
        for md in mdArrayNames() {
            result += Self.partitionNodes(ofDisk: "/dev/" + md)
        }
        return result
    }

    /// /dev/<disk><N> or /dev/<disk>p<N> for each partition the kernel
    /// shows under /sys/block/<disk>, by partition number.
    static func partitionNodes(ofDisk node: String) -> [String] {
        let base = String(node.dropFirst("/dev/".count))
        let entries = DeviceNames.directoryEntries("/sys/block/" + base).filter { $0.hasPrefix(base) }
        return entries.sorted { splitDevicePartition($0).partition < splitDevicePartition($1).partition }
            .map { "/dev/" + $0 }
    }

    /// Upstream's split of "/dev/sda12" into ("sda", 12), "/dev/md0p1"
    /// into ("md0", 1); 0 when there is no partition number.
    static func splitDevicePartition(_ name: String) -> (device: String, partition: Int) {
        var dev = Substring(name.hasPrefix("/dev/") ? String(name.dropFirst(5)) : name)
        let digits = dev.reversed().prefix { $0.isASCII && $0.isNumber }.count
        var part = 0
        if digits > 0 {
            part = Int(dev.suffix(digits)) ?? Int.max
            dev = dev.dropLast(digits)
        }
        let chars = Array(dev)
        if chars.count >= 2, chars[chars.count - 1] == "p", chars[chars.count - 2].isNumber {
            var i = chars.count - 1
            while i >= 0 && chars[i].isNumber { i -= 1 }
            dev = Substring(String(chars[0..<max(i, 0)]))
        }
        return (String(dev), part)
    }

    public func partToDev(partition: String) throws -> String {
        let (dev, part) = Self.splitDevicePartition(context.canonicalDeviceName(partition))
        if part == 0 { throw DaemonError(message: "device name is not a partition") }
        return "/dev/" + dev
    }

    public func partToPartnum(partition: String) throws -> Int32 {
        let (_, part) = Self.splitDevicePartition(context.canonicalDeviceName(partition))
        if part == 0 { throw DaemonError(message: "device name is not a partition") }
        return Int32(truncatingIfNeeded: part)
    }

    public func isWholeDevice(device: String) throws -> Bool {
        // Standalone drives are loop devices, which have no device link.
        if let drives = context.devices.drives, drives.contains(device) { return true }
        let base = device.dropFirst("/dev/".count)
        var st = stat()
        if stat("/sys/block/\(base)/device", &st) == 0 { return true }
        if errno == ENOENT || errno == ENOTDIR { return false }
        throw DaemonError.system("stat: /sys/block/\(base)/device")
    }

    public func listDiskLabels() throws -> [String] {
        let dir = "/dev/disk/guestfs"
        guard Glibc.access(dir, F_OK) == 0 else { return [] }
        var result: [String] = []
        for label in DeviceNames.directoryEntries(dir).sorted() where !label.hasPrefix(".") {
            guard let p = Glibc.realpath(dir + "/" + label, nil) else {
                throw DaemonError.system("realpath: \(dir)/\(label)")
            }
            let target = String(cString: p)
            free(p)
            result += [label, context.canonicalDeviceName(target)]
        }
        return result
    }

    /// In standalone mode only devices built on the attached drives are
    /// ours; the host's own are never shown.
    func builtOnDrives(_ sysName: String, depth: Int = 0) -> Bool {
        guard let drives = context.devices.drives else { return true }
        guard depth < 8 else { return false }
        let bases = drives.map { String($0.split(separator: "/").last ?? "") }
        for slave in DeviceNames.directoryEntries("/sys/class/block/\(sysName)/slaves") {
            for base in bases {
                let partPrefix = base + (base.last?.isNumber == true ? "p" : "")
                if slave == base { return true }
                if slave.hasPrefix(partPrefix), Int(slave.dropFirst(partPrefix.count)) != nil { return true }
            }
            if builtOnDrives(slave, depth: depth + 1) { return true }
        }
        return false
    }

    public func listDmDevices() throws -> [String] {
        let dir = "/dev/mapper"
        guard Glibc.access(dir, F_OK) == 0 else {
            throw DaemonError(message: "\(dir): \(errnoDescription(errno))")
        }
        var result: [String] = []
        for name in DeviceNames.directoryEntries(dir).sorted() where name != "control" {
            let path = dir + "/" + name
            var st = stat()
            guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFBLK,
                  let sys = DeviceNames.sysDevBlockPath(st.st_rdev) else { continue }
            // A public LV's d-m uuid is "LVM-" + VG uuid + LV uuid, no suffix.
            let uuid = SmallFile.line(sys + "/dm/uuid")
            if uuid.hasPrefix("LVM-") && uuid.count == 4 + 64 { continue }
            guard builtOnDrives(Self.sysName(of: sys)) else { continue }
            result.append(path)
        }
        return result
    }

    /// "dm-3" for /sys/dev/block/254:3.
    static func sysName(of sysPath: String) -> String {
        guard let p = Glibc.realpath(sysPath, nil) else { return "" }
        defer { free(p) }
        return String(String(cString: p).split(separator: "/").last ?? "")
    }

    /// md[0-9]+ arrays the kernel knows (running RAID devices only).
    func mdArrayNames() -> [String] {
        let names = DeviceNames.directoryEntries("/sys/block").filter { name in
            name.hasPrefix("md") && name.count > 2 && name.dropFirst(2).allSatisfy { $0.isASCII && $0.isNumber }
        }
        var arrays: [String] = []
        for name in names {
            var st = stat()
            guard stat("/sys/block/\(name)/md", &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { continue }
            if let fd = try? FileIO.open("/dev/" + name, O_RDONLY, error: name) {
                let r = guestfs_shim_md_get_array_info(fd.rawValue)
                let e = errno
                try? fd.close()
                if r == -1 && e == ENODEV { continue }
            }
            guard builtOnDrives(name) else { continue }
            arrays.append(name)
        }
        return arrays.sorted { (Int($0.dropFirst(2)) ?? 0) < (Int($1.dropFirst(2)) ?? 0) }
    }

    public func listMdDevices() throws -> [String] {
        mdArrayNames().map { "/dev/" + $0 }
    }

    // MARK: blockdev

    /// Opens a block device as the blockdev tool does (read-only,
    /// non-blocking), runs `body` with it and closes it (a failed close is
    /// ignored, as the tool does). Throws the open's Errno.
    static func withBlockDevice<R>(_ device: String, _ body: (FileDescriptor) throws -> R) throws -> R {
        let fd = try FileDescriptor.open(device, .readOnly, options: [.nonBlocking, .closeOnExec])
        defer { try? fd.close() }
        return try body(fd)
    }

    /// Opens the device as the blockdev tool does and runs one ioctl;
    /// errors read as upstream's ("blockdev: " + the tool's message).
    func blockdev<R>(_ device: String, _ request: String, _ body: (Int32) -> (Int32, R)) throws -> R {
        let display = context.canonicalDeviceName(device)
        let outcome: (r: Int32, errno: Int32, value: R)
        do {
            outcome = try Self.withBlockDevice(device) { fd in
                let (r, value) = body(fd.rawValue)
                return (r, Glibc.errno, value)
            }
        } catch let e as Errno {
            throw DaemonError(message: "blockdev: blockdev: cannot open \(display): \(errnoDescription(e.rawValue))")
        }
        if outcome.r == -1 {
            throw DaemonError(message: "blockdev: blockdev: ioctl error on \(request): \(errnoDescription(outcome.errno))")
        }
        return outcome.value
    }

    public func blockdevSetro(device: String) throws {
        try blockdev(device, "BLKROSET") { (guestfs_shim_blk_setro($0, 1), ()) }
    }

    public func blockdevSetrw(device: String) throws {
        try blockdev(device, "BLKROSET") { (guestfs_shim_blk_setro($0, 0), ()) }
    }

    public func blockdevGetro(device: String) throws -> Bool {
        try blockdev(device, "BLKROGET") { fd in
            var ro: Int32 = 0
            return (guestfs_shim_blk_getro(fd, &ro), ro != 0)
        }
    }

    public func blockdevGetss(device: String) throws -> Int32 {
        try blockdev(device, "BLKSSZGET") { fd in
            var ss: Int32 = 0
            return (guestfs_shim_blk_getss(fd, &ss), ss)
        }
    }

    public func blockdevGetbsz(device: String) throws -> Int32 {
        try blockdev(device, "BLKBSZGET") { fd in
            var bsz: Int32 = 0
            return (guestfs_shim_blk_getbsz(fd, &bsz), bsz)
        }
    }

    /// A no-op upstream too (RHBZ#1002825).
    public func blockdevSetbsz(device: String, blocksize: Int32) throws {}

    public func blockdevGetsize64(device: String) throws -> Int64 {
        try blockdev(device, "BLKGETSIZE64") { fd in
            var size: UInt64 = 0
            return (guestfs_shim_blk_getsize64(fd, &size), Int64(size))
        }
    }

    public func blockdevGetsz(device: String) throws -> Int64 {
        try blockdevGetsize64(device: device) / 512
    }

    public func blockdevFlushbufs(device: String) throws {
        try blockdev(device, "BLKFLSBUF") { (guestfs_shim_blk_flsbuf($0), ()) }
    }

    public func blockdevRereadpt(device: String) throws {
        try blockdev(device, "BLKRRPART") { (guestfs_shim_blk_rrpart($0), ()) }
        tableRewritten(device)
    }

    public func blockdevSetra(device: String, sectors: Int32) throws {
        if sectors < 0 { throw DaemonError(message: "readahead sectors must be >= 0") }
        try blockdev(device, "BLKRASET") { (guestfs_shim_blk_setra($0, UInt(sectors)), ()) }
    }

    // MARK: Zeroing

    /// Zeroes the first 128 KiB (32 blocks of 4 KiB), writing only the
    /// blocks that are not already zero.
    public func zero(device: String) throws {
        let display = context.canonicalDeviceName(device)
        try FileIO.withOpen(device, O_RDWR, error: display) { fd in
            let block = 4096
            let zeroes = [UInt8](repeating: 0, count: block)
            var buf = [UInt8](repeating: 0, count: block)
            for i in 0..<32 {
                let offset = Int64(i * block)
                let n = try buf.withUnsafeMutableBytes { try fd.pread(into: $0, at: offset, error: "pread: \(display)") }
                guard n == block else { throw DaemonError.system("pread: \(display)") }
                if !buf.withUnsafeBytes({ FileOps.isAllZero($0) }) {
                    let w = try zeroes.withUnsafeBytes { try fd.pwrite($0, at: offset, error: "pwrite: \(display)") }
                    guard w == block else { throw DaemonError.system("pwrite: \(display)") }
                }
                try context.progress(UInt64(i + 1), of: 32)
            }
        }
    }

    /// Zeroes the whole device, reading each 4 KiB block first and writing
    /// only those that are not zero (so sparse / thin storage stays so).
    public func zeroDevice(device: String) throws {
        let display = context.canonicalDeviceName(device)
        let size = UInt64(try blockdevGetsize64(device: device))
        let fd = try FileIO.open(device, O_RDWR, error: display)
        defer { try? fd.close() }
        let chunk = 1 << 20, block = 4096
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 4096)
        defer { buf.deallocate() }
        let zeroes = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 4096)
        defer { zeroes.deallocate() }
        zeroes.initializeMemory(as: UInt8.self, repeating: 0)
        var pos: UInt64 = 0
        while pos < size {
            let n = Int(min(UInt64(chunk), size - pos))
            let r = try fd.pread(into: UnsafeMutableRawBufferPointer(rebasing: buf[0..<n]), at: Int64(pos),
                                 error: "pread: \(display) at offset \(pos)")
            if r == 0 { break }
            // Write back each run of non-zero blocks.
            var i = 0
            while i < r {
                let len = min(block, r - i)
                if FileOps.isAllZero(UnsafeRawBufferPointer(rebasing: buf[i..<(i + len)])) {
                    i += len
                    continue
                }
                var j = i + len
                while j < r {
                    let blockLength = min(block, r - j)
                    if FileOps.isAllZero(UnsafeRawBufferPointer(rebasing: buf[j..<(j + blockLength)])) { break }
                    j += blockLength
                }
                var done = 0
                while done < j - i {
                    done += try fd.pwrite(UnsafeRawBufferPointer(rebasing: zeroes[0..<(j - i - done)]),
                                          at: Int64(pos) + Int64(i + done),
                                          error: "pwrite: \(display) (with \(size) bytes left to write)")
                }
                i = j
            }
            pos += UInt64(r)
            try context.progress(pos, of: size)
        }
        _ = fsync(fd.rawValue)
    }

    public func isZeroDevice(device: String) throws -> Bool {
        let display = context.canonicalDeviceName(device)
        return try FileIO.withOpen(device, O_RDONLY, error: "open: \(display)") { fd in
            let chunk = 1 << 20
            let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 4096)
            defer { buf.deallocate() }
            while true {
                let r = try fd.readSome(into: buf, error: "read: \(display)")
                if r == 0 { return true }
                if !FileOps.isAllZero(UnsafeRawBufferPointer(rebasing: buf[0..<r])) { return false }
            }
        }
    }

    // MARK: Raw access

    public func preadDevice(device: String, count: Int32, offset: Int64) throws -> [UInt8] {
        let display = context.canonicalDeviceName(device)
        return try FileOps.preadReply(device, name: display, count: count, offset: offset)
    }

    public func pwriteDevice(device: String, content: [UInt8], offset: Int64) throws -> Int32 {
        let display = context.canonicalDeviceName(device)
        if offset < 0 { throw DaemonError(message: "offset is negative") }
        let r = try FileIO.withWritable(device, O_WRONLY, error: "open: \(display)", closeError: "close: \(display)") { fd in
            try content.withUnsafeBytes { try fd.pwrite($0, at: offset, error: "pwrite: \(display)") }
        }
        return Int32(r)
    }

    public func checksumDevice(csumtype: String, device: String) throws -> String {
        let display = context.canonicalDeviceName(device)
        try FileIO.open(device, O_RDONLY, error: display).close()
        let program = try Self.checksumProgram(csumtype)
        let r = try context.runner.run([program, device])
        guard r.succeeded else {
            var err = r.stderrString
            while err.last == "\n" { err.removeLast() }
            throw DaemonError(message: "\(program): \(Parted.rename(err, node: device, display: display))")
        }
        return String(r.stdoutString.prefix { $0 != " " && $0 != "\t" && $0 != "\n" })
    }

    // MARK: Discard

    public func blkdiscard(device: String) throws {
        let display = context.canonicalDeviceName(device)
        let size = try blockdevGetsize64(device: device)
        let fd = try FileIO.open(device, O_WRONLY, error: "open: \(display)")
        defer { try? fd.close() }
        if guestfs_shim_blk_discard(fd.rawValue, 0, UInt64(size)) == -1 {
            throw DaemonError.system("ioctl: \(display): BLKDISCARD")
        }
    }

    public func blkdiscardzeroes(device: String) throws -> Bool {
        let display = context.canonicalDeviceName(device)
        let fd = try FileIO.open(device, O_RDONLY, error: "open: \(display)")
        defer { try? fd.close() }
        var zeroes: UInt32 = 0
        if guestfs_shim_blk_discardzeroes(fd.rawValue, &zeroes) == -1 {
            throw DaemonError.system("ioctl: \(display): BLKDISCARDZEROES")
        }
        return zeroes != 0
    }
}
