#if canImport(Glibc)
import Glibc
#endif
import CParted
import CGuestfsShim
import GuestfsProtocol
import SystemPackage

/// Partition tables: libparted in process for what upstream did with the
/// `parted` tool (same library, same calls, same results), sgdisk for the
/// GPT fields libparted does not expose and sfdisk for MBR ids, as upstream.
extension Handlers {
    // MARK: Helpers

    /// The label type names parted accepts, with upstream's aliases.
    static func checkPartitionTableType(_ parttype: String) -> String? {
        switch parttype {
        case "aix", "amiga", "bsd", "dasd", "dvh", "gpt", "mac", "msdos", "pc98", "sun": return parttype
        case "rdb": return "amiga"
        case "efi": return "gpt"
        case "mbr": return "msdos"
        default: return nil
        }
    }

    static func checkPartitionNumber(_ partnum: Int32) throws {
        if partnum <= 0 { throw DaemonError(message: "partition number must be >= 1") }
    }

    /// A change through libparted: open the label (or not), run `body`,
    /// then wait until the kernel shows the partitions of the new table.
    func partedChange(_ device: String, closing: String = "",
                      _ body: (UnsafeMutablePointer<PedDevice>) throws -> UnsafeMutablePointer<PedDisk>?) throws {
        let display = context.canonicalDeviceName(device)
        var expected: [Int32] = []
        do {
            try Parted.withDevice(device, display: display) { dev in
                if let disk = try body(dev) {
                    expected = Parted.activePartitions(disk).map { $0.pointee.num }
                    ped_disk_destroy(disk)
                }
            }
        } catch let e as DaemonError {
            throw closing.isEmpty ? e : DaemonError(e.errno, e.message + closing)
        }
        waitForPartitionNodes(device, expected: expected)
    }

    /// After a table change the kernel learns the new partitions (BLKPG
    /// from libparted's commit, or a re-read); wait, briefly, until its
    /// view (sysfs and /dev nodes) matches the table.
    func waitForPartitionNodes(_ device: String, expected: [Int32]?) {
        let base = String(device.split(separator: "/").last ?? "")
        let sys = "/sys/class/block/" + base
        guard !base.isEmpty, Glibc.access(sys, F_OK) == 0 else { return }
        let prefix = base + (base.last!.isNumber ? "p" : "")
        for _ in 0..<200 {
            let present = DeviceNames.directoryEntries(sys).compactMap { name -> Int32? in
                guard name.hasPrefix(prefix) else { return nil }
                return Int32(name.dropFirst(prefix.count))
            }
            if let expected {
                let nodesReady = expected.allSatisfy { Glibc.access("/dev/\(prefix)\($0)", F_OK) == 0 }
                if Set(present) == Set(expected) && nodesReady { return }
            } else {
                return
            }
            Glibc.usleep(10_000)
        }
    }

    /// After a tool rewrote the table (and asked the kernel to re-read it):
    /// outside the appliance the host kernel may lack the partition table
    /// parsers (a re-read then drops every partition), so libparted tells
    /// it the table's partitions (BLKPG); then wait for the nodes.
    func tableRewritten(_ device: String) {
        waitForPartitionNodes(device, expected: partitionNumbersOnDisk(device, tellKernel: !context.inAppliance))
    }

    /// Standalone mode: tells the kernel the partitions of each attached
    /// drive's table, as the appliance's kernel finds them at boot (a host
    /// kernel may have no partition table parsers, so `losetup --partscan`
    /// shows none). A daemon started again on the same images then sees
    /// the partitions the previous one made.
    public func showPartitionsOfAttachedDrives() {
        for drive in context.devices.drives ?? [] {
            waitForPartitionNodes(drive, expected: partitionNumbersOnDisk(drive, tellKernel: true))
        }
    }

    /// The partition numbers the on-disk table holds now (nil if unreadable).
    func partitionNumbersOnDisk(_ device: String, tellKernel: Bool = false) -> [Int32]? {
        guard (try? LazyLibrary.parted.require(for: "parted")) != nil else { return nil }
        Parted.installHandler()
        ped_exception_fetch_all()
        defer {
            ped_exception_catch()
            ped_exception_leave_all()
        }
        guard let dev = Parted.freshDevice(device) else { return nil }
        defer { ped_device_destroy(dev) }
        guard let disk = ped_disk_new(dev) else { return [] }
        defer { ped_disk_destroy(disk) }
        if tellKernel { _ = ped_disk_commit_to_os(disk) }
        return Parted.activePartitions(disk).map { $0.pointee.num }
    }

    /// What `parted -m -s -- DEV unit b print` prints: "BYT;", the device
    /// line, one line per partition. Errors as upstream's OCaml wrapper
    /// reported them (EINVAL for an unrecognised label).
    func partedPrint(_ device: String, cStyle: Bool = false) throws -> [String] {
        let display = context.canonicalDeviceName(device)
        do {
            return try Parted.withDevice(device, display: display) { dev in
                let disk = try Parted.readDisk(dev)
                defer { ped_disk_destroy(disk) }
                let ss = dev.pointee.sector_size
                let typeName = String(cString: disk.pointee.type.pointee.name)
                let hasName = ped_disk_type_check_feature(disk.pointee.type, PED_DISK_TYPE_PARTITION_NAME) != 0
                var lines = ["BYT;"]
                let model = dev.pointee.model.map { String(cString: $0) } ?? ""
                lines.append("\(display):\(dev.pointee.length * ss)B:unknown:\(ss):\(dev.pointee.phys_sector_size):"
                             + "\(typeName):\(Self.escapeMachine(model)):;")
                for part in Parted.activePartitions(disk) {
                    let g = part.pointee.geom
                    let fs = part.pointee.fs_type.map { String(cString: $0.pointee.name) } ?? ""
                    let name = hasName ? Self.escapeMachine(ped_partition_get_name(part).map { String(cString: $0) } ?? "") : ""
                    let num = part.pointee.num >= 0 ? part.pointee.num : 1
                    lines.append("\(num):\(g.start * ss)B:\((g.end + 1) * ss - 1)B:\(g.length * ss)B:"
                                 + "\(fs):\(name):\(Parted.flagsText(part));")
                }
                return lines
            }
        } catch let e as DaemonError {
            let text = Parted.rename(Parted.collectedText, node: device, display: display)
            if cStyle {
                let errno = text.contains("unrecognised disk label") ? EINVAL : 0
                throw DaemonError(errno, "parted print: \(display): \(text)")
            }
            if text.contains("unrecognised disk label") {
                throw DaemonError(EINVAL, "parted: \(display): parted exited with status 1: \(text): \(errnoDescription(EINVAL))")
            }
            throw DaemonError(e.errno, "parted exited with status 1: \(text)")
        }
    }

    static func escapeMachine(_ s: String) -> String {
        var out = ""
        for c in s {
            if c == ":" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// Field n of a `parted -m` line, split at ':' or ';' like upstream
    /// (which ignores the escapes).
    static func tableField(_ line: String, _ n: Int) throws -> String {
        let fields = line.split(omittingEmptySubsequences: false) { $0 == ":" || $0 == ";" }
        guard n < fields.count else {
            throw DaemonError(message: "not enough fields in output of parted print command: \(line)")
        }
        return String(fields[n])
    }

    /// The print line of partition `partnum` (C callers' parsing).
    func partedRow(_ device: String, _ partnum: Int32) throws -> String {
        let lines = try partedPrint(device, cStyle: true)
        for line in lines.dropFirst(2) {
            let num = Int32(line.prefix { $0 != ":" })
            if num == partnum { return line }
        }
        throw DaemonError(message: "partition number \(partnum) not found")
    }

    /// Runs a partitioning tool; stdout and stderr folded together as
    /// upstream's COMMAND_FLAG_FOLD_STDOUT_ON_STDERR, the node renamed.
    func runFolded(_ argv: [String], device: String, stdin: CommandInput = .none) throws -> (ok: Bool, output: String) {
        let r = try context.runner.run(argv, stdin: stdin)
        var text = r.stdoutString + r.stderrString
        while text.last == "\n" { text.removeLast() }
        return (r.succeeded, Parted.rename(text, node: device, display: context.canonicalDeviceName(device)))
    }

    // MARK: parted

    public func partInit(device: String, parttype: String) throws {
        guard let type = Self.checkPartitionTableType(parttype) else {
            throw DaemonError(message: "unknown partition type: common choices are \"gpt\" and \"msdos\"")
        }
        try partedChange(device) { dev in try Parted.mklabel(dev, type: type) }
    }

    public func partAdd(device: String, prlogex: String, startsect: Int64, endsect: Int64) throws {
        let word: String
        switch prlogex {
        case "primary", "logical", "extended": word = prlogex
        case "p": word = "primary"
        case "l": word = "logical"
        case "e": word = "extended"
        default:
            throw DaemonError(message: "unknown partition type: \(prlogex): this should be \"primary\", \"logical\" or \"extended\"")
        }
        if startsect < 0 { throw DaemonError(message: "startsect cannot be negative") }
        try partedChange(device) { dev in
            try Parted.editing(try Parted.readDisk(dev)) { disk in
                try Parted.mkpart(disk, word: word, start: startsect, end: endsect)
            }
        }
    }

    public func partDisk(device: String, parttype: String) throws {
        guard let type = Self.checkPartitionTableType(parttype) else {
            throw DaemonError(message: "unknown partition type: common choices are \"gpt\" and \"msdos\"")
        }
        // 128 sectors aligned at the start, 128 left free at the end.
        try partedChange(device) { dev in
            try Parted.editing(try Parted.mklabel(dev, type: type)) { disk in
                try Parted.mkpart(disk, word: type == "gpt" ? "p1" : "primary", start: 128, end: -128)
            }
        }
    }

    public func partDel(device: String, partnum: Int32) throws {
        try Self.checkPartitionNumber(partnum)
        try partedChange(device) { dev in
            try Parted.editing(try Parted.readDisk(dev)) { disk in
                let part = try Parted.partition(disk, partnum)
                try Parted.refuseBusy(part)
                guard ped_disk_delete_partition(disk, part) != 0, ped_disk_commit(disk) != 0 else { throw Parted.Failed() }
            }
        }
    }

    public func partResize(device: String, partnum: Int32, endsect: Int64) throws {
        try Self.checkPartitionNumber(partnum)
        try partedChange(device, closing: ":") { dev in
            try Parted.editing(try Parted.readDisk(dev)) { disk in
                if ped_disk_is_flag_available(disk, PED_DISK_CYLINDER_ALIGNMENT) != 0 {
                    guard ped_disk_set_flag(disk, PED_DISK_CYLINDER_ALIGNMENT, 0) != 0 else { throw Parted.Failed() }
                }
                let part = try Parted.partition(disk, partnum)
                try Parted.refuseBusy(part)
                let start = part.pointee.geom.start
                let oldEnd = part.pointee.geom.end
                let end = try Parted.sector(endsect, dev: dev)
                guard let rangeStart = ped_geometry_new(dev, start, 1) else { throw Parted.Failed() }
                defer { ped_geometry_destroy(rangeStart) }
                guard let rangeEnd = ped_geometry_new(dev, end, 1) else { throw Parted.Failed() }
                defer { ped_geometry_destroy(rangeEnd) }
                guard let constraint = Parted.anyConstraint(dev, rangeStart, rangeEnd) else { throw Parted.Failed() }
                defer { ped_constraint_destroy(constraint) }
                guard ped_disk_set_partition_geom(disk, part, constraint, start, end) != 0 else { throw Parted.Failed() }
                if part.pointee.geom.end < oldEnd {
                    // A question script mode does not answer: nothing is written.
                    Parted.log.append("Warning: Shrinking a partition can cause data loss, are you sure you want to continue?")
                    throw Parted.Failed()
                }
                _ = ped_disk_commit(disk)
            }
        }
    }

    public func partSetBootable(device: String, partnum: Int32, bootable: Bool) throws {
        try Self.checkPartitionNumber(partnum)
        try partedChange(device) { dev in
            try Parted.editing(try Parted.readDisk(dev)) { disk in
                let part = try Parted.partition(disk, partnum)
                if ped_partition_is_flag_available(part, PED_PARTITION_BOOT) == 0 {
                    Parted.log.append("parted: invalid token: boot")
                    Parted.log.append("Error: Expecting a flag.")
                    throw Parted.Failed()
                }
                guard ped_partition_set_flag(part, PED_PARTITION_BOOT, bootable ? 1 : 0) != 0,
                      ped_disk_commit(disk) != 0 else { throw Parted.Failed() }
            }
        }
    }

    public func partSetName(device: String, partnum: Int32, name: String) throws {
        try Self.checkPartitionNumber(partnum)
        try partedChange(device) { dev in
            try Parted.editing(try Parted.readDisk(dev)) { disk in
                guard ped_disk_type_check_feature(disk.pointee.type, PED_DISK_TYPE_PARTITION_NAME) != 0 else {
                    let type = String(cString: disk.pointee.type.pointee.name)
                    Parted.log.append("Error: \(type) disk labels do not support partition name.")
                    throw Parted.Failed()
                }
                let part = try Parted.partition(disk, partnum)
                guard ped_partition_set_name(part, name) != 0, ped_disk_commit(disk) != 0 else { throw Parted.Failed() }
            }
        }
    }

    public func partList(device: String) throws -> [GuestfsPartition] {
        let lines = try partedPrint(device)
        return try lines.dropFirst(2).map { line in
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            func bytes(_ i: Int) -> Int64? {
                guard i < f.count, f[i].hasSuffix("B") else { return nil }
                return Int64(f[i].dropLast())
            }
            guard let num = Int32(f[0]), let start = bytes(1), let end = bytes(2), let size = bytes(3) else {
                throw DaemonError(message: "could not parse row from output of 'parted print' command: \(line)")
            }
            return GuestfsPartition(partNum: num, partStart: start, partEnd: end, partSize: size)
        }
    }

    public func partGetParttype(device: String) throws -> String {
        let lines = try partedPrint(device)
        let fields = lines[1].split(separator: ":", omittingEmptySubsequences: false)
        guard fields.count >= 6 else {
            throw DaemonError(message: "\(context.canonicalDeviceName(device)): cannot parse the output of parted")
        }
        if fields[5] == "loop" {
            // mkfs.fat (dosfstools >= 4.2) writes an MBR parted does not see.
            if Self.hasBogusMBR(device) { return "msdos" }
            throw DaemonError(message: "\(context.canonicalDeviceName(device)): not a partitioned device")
        }
        return String(fields[5])
    }

    /// The fake MBR mkfs.fat writes: bootable entry 1 of a FAT type at LBA 0.
    static func hasBogusMBR(_ device: String) -> Bool {
        guard let fd = try? FileIO.open(device, O_RDONLY, error: device) else { return false }
        defer { try? fd.close() }
        var s = [UInt8](repeating: 0, count: 512)
        guard (try? s.withUnsafeMutableBytes({ try fd.readSome(into: $0, error: device) })) == 512 else { return false }
        let pte = 0x1BE
        return s[0x1FE] == 0x55 && s[0x1FF] == 0xAA
            && Array(s[3..<11]) == Array("mkfs.fat".utf8)
            && s[pte] == 0x80 && s[pte + 1] == 0 && s[pte + 2] == 1 && s[pte + 3] == 0
            && [0x01, 0x04, 0x06, 0x0C, 0x0E].contains(s[pte + 4])
            && s[pte + 8] == 0 && s[pte + 9] == 0 && s[pte + 10] == 0 && s[pte + 11] == 0
    }

    public func partGetBootable(device: String, partnum: Int32) throws -> Bool {
        try Self.checkPartitionNumber(partnum)
        let row = try partedRow(device, partnum)
        return try Self.tableField(row, 6).contains("boot")
    }

    public func partGetName(device: String, partnum: Int32) throws -> String {
        guard try partGetParttype(device: device) == "gpt" else {
            throw DaemonError(message: "part-get-name can only be used on GUID Partition Tables")
        }
        let row = try partedRow(device, partnum)
        return try Self.tableField(row, 5)
    }

    // MARK: sfdisk (MBR ids)

    public func partGetMbrId(device: String, partnum: Int32) throws -> Int32 {
        try Self.checkPartitionNumber(partnum)
        let r = try context.runner.run(["sfdisk", "--part-type", device, String(partnum)])
        let display = context.canonicalDeviceName(device)
        guard r.succeeded else {
            var err = r.stderrString
            while err.last == "\n" { err.removeLast() }
            throw DaemonError(message: "sfdisk exited with status \(r.status): \(Parted.rename(err, node: device, display: display))")
        }
        // Hex, possibly after blanks (a GPT type GUID parses up to its first '-').
        let hex = r.stdoutString.drop { $0 == " " || $0 == "\t" || $0 == "\n" }.prefix { $0.isHexDigit }
        guard let id = UInt32(hex, radix: 16) else {
            throw DaemonError(message: "sfdisk --part-type: could not parse the output: \(r.stdoutString)")
        }
        return Int32(bitPattern: id)
    }

    public func partSetMbrId(device: String, partnum: Int32, idbyte: Int32) throws {
        try Self.checkPartitionNumber(partnum)
        let hex = String(UInt32(bitPattern: idbyte), radix: 16)
        let r = try context.runner.run(["sfdisk", "--part-type", device, String(partnum), hex])
        guard r.succeeded else {
            var err = r.stderrString
            while err.last == "\n" { err.removeLast() }
            throw DaemonError(message: "sfdisk --part-type: \(Parted.rename(err, node: device, display: context.canonicalDeviceName(device)))")
        }
        tableRewritten(device)
    }

    public func partGetMbrPartType(device: String, partnum: Int32) throws -> String {
        let parttype = try partGetParttype(device: device)
        let id = try partGetMbrId(device: device, partnum: partnum)
        guard parttype == "msdos" else { return "primary" }
        if (1...4).contains(partnum) { return id == 0x05 || id == 0x0f ? "extended" : "primary" }
        return "logical"
    }

    // MARK: sgdisk (GPT fields)

    public func partSetGptType(device: String, partnum: Int32, guid: String) throws {
        try sgdiskSetGUID(device, partnum, option: "-t", guid: guid)
    }

    public func partSetGptGuid(device: String, partnum: Int32, guid: String) throws {
        try sgdiskSetGUID(device, partnum, option: "-u", guid: guid)
    }

    /// `sgdisk DEV OPTION N:GUID`; a failure names the whole command line,
    /// as upstream's message does.
    private func sgdiskSetGUID(_ device: String, _ partnum: Int32, option: String, guid: String) throws {
        try Self.checkPartitionNumber(partnum)
        let code = "\(partnum):\(guid)"
        let (ok, out) = try runFolded(["sgdisk", device, option, code], device: device)
        if !ok { throw DaemonError(message: "sgdisk \(context.canonicalDeviceName(device)) \(option) \(code): \(out)") }
        tableRewritten(device)
    }

    public func partSetGptAttributes(device: String, partnum: Int32, attributes: Int64) throws {
        try Self.checkPartitionNumber(partnum)
        let arg = "\(partnum):=:" + String(UInt64(bitPattern: attributes), radix: 16, uppercase: true)
        let (ok, out) = try runFolded(["sgdisk", device, "-A", arg], device: device)
        if !ok { throw DaemonError(message: "sgdisk: \(out)") }
        tableRewritten(device)
    }

    /// One field of `sgdisk DEV -i N` ("Partition GUID code: ...").
    func sgdiskInfoField(_ device: String, _ partnum: Int32, _ field: String) throws -> String {
        try Self.checkPartitionNumber(partnum)
        let (ok, out) = try runFolded(["sgdisk", device, "-i", String(partnum)], device: device)
        if !ok { throw DaemonError(message: "sgdisk: \(out)") }
        for line in out.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix(field), line.count >= field.count + 2,
                  line.dropFirst(field.count).first == ":" else { continue }
            return String(line.dropFirst(field.count + 1).drop { $0 == " " || $0 == "\t" })
        }
        throw DaemonError(message: "\(context.canonicalDeviceName(device)): sgdisk output did not contain '\(field)'")
    }

    static func guidPrefix(_ s: String) -> String {
        String(s.prefix { "-0123456789ABCDEF".contains($0) })
    }

    public func partGetGptType(device: String, partnum: Int32) throws -> String {
        Self.guidPrefix(try sgdiskInfoField(device, partnum, "Partition GUID code"))
    }

    public func partGetGptGuid(device: String, partnum: Int32) throws -> String {
        Self.guidPrefix(try sgdiskInfoField(device, partnum, "Partition unique GUID"))
    }

    public func partGetGptAttributes(device: String, partnum: Int32) throws -> Int64 {
        let value = try sgdiskInfoField(device, partnum, "Attribute flags")
        let hex = value.prefix { "0123456789ABCDEF".contains($0) }
        guard let v = UInt64(hex, radix: 16) else { throw DaemonError(message: "Int64.of_string") }
        // All 64 bits, as 1.54 returns them. (Upstream 1.48 passes the
        // OCaml result through a C int and drops the high 32: a bug.)
        return Int64(bitPattern: v)
    }

    public func partGetDiskGuid(device: String) throws -> String {
        let display = context.canonicalDeviceName(device)
        let (ok, out) = try runFolded(["sgdisk", device, "-p"], device: device)
        if !ok { throw DaemonError(message: "sgdisk \(display) -p: \(out)") }
        let pattern = "Disk identifier (GUID):"
        for line in out.split(separator: "\n") where line.hasPrefix(pattern) {
            let value = line.dropFirst(pattern.count).drop { $0 == " " || $0 == "\t" }
            return Self.guidPrefix(String(value))
        }
        throw DaemonError(message: "sgdisk output did not contain disk GUID. See LIBGUESTFS_DEBUG output for more details")
    }

    public func partSetDiskGuid(device: String, guid: String) throws {
        let (ok, out) = try runFolded(["sgdisk", device, "-U", guid], device: device)
        if !ok { throw DaemonError(message: "sgdisk \(context.canonicalDeviceName(device)) -U \(guid): \(out)") }
        tableRewritten(device)
    }

    public func partSetDiskGuidRandom(device: String) throws {
        let (ok, out) = try runFolded(["sgdisk", device, "-U", "R"], device: device)
        if !ok { throw DaemonError(message: "sgdisk \(context.canonicalDeviceName(device)) -U R: \(out)") }
        tableRewritten(device)
    }

    public func partExpandGpt(device: String) throws {
        let (ok, out) = try runFolded(["sgdisk", "-e", device], device: device)
        if !ok { throw DaemonError(message: "sgdisk -e \(context.canonicalDeviceName(device)): \(out)") }
        tableRewritten(device)
    }

    // MARK: sfdisk (deprecated calls)

    public func sfdisk(device: String, cyls: Int32, heads: Int32, sectors: Int32, lines: [String]) throws {
        try runSfdisk(device, partnum: 0, cyls: cyls, heads: heads, sectors: sectors, extraFlag: nil, lines: lines)
    }

    /// Deprecated (1.48's table): `sfdisk -N PARTNUM` with one line.
    public func sfdiskN(device: String, partnum: Int32, cyls: Int32, heads: Int32, sectors: Int32, line: String) throws {
        try runSfdisk(device, partnum: partnum, cyls: cyls, heads: heads, sectors: sectors, extraFlag: nil, lines: [line])
    }

    /// Deprecated (1.48's table): sizes in megabytes (`sfdisk -uM`; the
    /// sfdisk of util-linux 2.26 and later refuses that unit, upstream's too).
    public func sfdiskM(device: String, lines: [String]) throws {
        try runSfdisk(device, partnum: 0, cyls: 0, heads: 0, sectors: 0, extraFlag: "-uM", lines: lines)
    }

    /// sfdisk fed `lines`, with upstream's option order; a failure names the command line.
    private func runSfdisk(_ device: String, partnum: Int32, cyls: Int32, heads: Int32, sectors: Int32,
                           extraFlag: String?, lines: [String]) throws {
        var argv = ["sfdisk"]
        if partnum > 0 { argv += ["-N", String(partnum)] }
        if cyls != 0 { argv += ["-C", String(cyls)] }
        if heads != 0 { argv += ["-H", String(heads)] }
        if sectors != 0 { argv += ["-S", String(sectors)] }
        if let extraFlag { argv.append(extraFlag) }
        let display = context.canonicalDeviceName(device)
        let input = lines.map { $0 + "\n" }.joined()
        let r = try context.runner.run(argv + [device], stdin: .bytes(Array(input.utf8)))
        guard r.succeeded else {
            throw DaemonError(message: (argv + [display]).joined(separator: " ") + ": external command failed")
        }
        // sfdisk's own re-read can race; upstream re-reads unconditionally.
        if let fd = try? FileIO.open(device, O_RDONLY, error: device) {
            _ = guestfs_shim_blk_rrpart(fd.rawValue)
            try? fd.close()
        }
        tableRewritten(device)
    }

    func sfdiskFlag(_ device: String, _ flag: String) throws -> String {
        let r = try context.runner.run(["sfdisk", flag, device])
        let display = context.canonicalDeviceName(device)
        guard r.succeeded else {
            var err = r.stderrString
            while err.last == "\n" { err.removeLast() }
            throw DaemonError(message: "\(display): \(Parted.rename(err, node: device, display: display))")
        }
        return Parted.rename(r.stdoutString, node: device, display: display, keepWidth: true)
    }

    public func sfdiskL(device: String) throws -> String { try sfdiskFlag(device, "-l") }

    public func sfdiskKernelGeometry(device: String) throws -> String { try sfdiskFlag(device, "-g") }

    public func sfdiskDiskGeometry(device: String) throws -> String { try sfdiskFlag(device, "-G") }
}
