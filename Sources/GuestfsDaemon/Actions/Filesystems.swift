#if canImport(Glibc)
import Glibc
#endif
import CBlkid
import SystemPackage
import GuestfsProtocol

/// Shared by the filesystem and mount handlers: running tools the way
/// upstream's `command` did, showing device nodes by their canonical
/// names in messages, and probing devices with libblkid in process.
extension Handlers {
    /// Runs a tool; on a non-zero exit throws `prefix` + its stderr (as
    /// upstream's C `command` + `reply_with_error ("...: %s", err)`).
    @discardableResult
    func fsCommand(_ argv: [String], errorPrefix: String = "", foldStdout: Bool = false,
                   errno e: Int32 = 0,
                   onStdout: CommandRunner.ProgressParser? = nil,
                   onStderr: CommandRunner.ProgressParser? = nil) throws -> CommandResult {
        let r = try context.runner.run(argv, onStdout: onStdout, onStderr: onStderr)
        guard r.succeeded else {
            var err = r.stderrString
            if foldStdout { err = r.stdoutString + err }
            throw DaemonError(e, errorPrefix + fsCanonicalText(err.trimmingTrailingNewlines()))
        }
        return r
    }

    /// As upstream's OCaml `command`: "PROG exited with status N: STDERR".
    @discardableResult
    func fsCommandOCaml(_ argv: [String]) throws -> CommandResult {
        let r = try context.runner.run(argv)
        guard r.succeeded else {
            throw DaemonError(message: "\(argv[0]) exited with status \(r.status): "
                                + fsCanonicalText(r.stderrString.trimmingTrailingNewlines()))
        }
        return r
    }

    /// The name the library knows a device node by.
    func fsName(_ node: String) -> String { context.canonicalDeviceName(node) }

    /// Replaces the standalone loop device nodes in a tool's message with
    /// the /dev/sdX names the library knows.
    func fsCanonicalText(_ text: String) -> String {
        guard let drives = context.devices.drives, !drives.isEmpty else { return text }
        var bytes = Array(text.utf8)
        // Longest nodes first, so /dev/loop10 is not taken for /dev/loop1.
        for (index, base) in drives.enumerated().sorted(by: { $0.element.count > $1.element.count }) {
            let canonical = "/dev/sd" + DeviceNames.letters(forIndex: index)
            bytes = fsReplaceNode(in: bytes, node: Array(base.utf8), canonical: Array(canonical.utf8))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func fsReplaceNode(in bytes: [UInt8], node: [UInt8], canonical: [UInt8]) -> [UInt8] {
        guard bytes.count >= node.count else { return bytes }
        func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if i + node.count <= bytes.count, bytes[i..<(i + node.count)].elementsEqual(node) {
                var j = i + node.count
                // A partition of a node ending in a digit is NODEpN.
                if isDigit(node.last!), j + 1 < bytes.count, bytes[j] == 112, isDigit(bytes[j + 1]) {
                    j += 1
                    var digits: [UInt8] = []
                    while j < bytes.count, isDigit(bytes[j]) { digits.append(bytes[j]); j += 1 }
                    out += canonical + digits
                    i = j
                    continue
                }
                if j < bytes.count, isDigit(bytes[j]) && isDigit(node.last!) {
                    out.append(bytes[i]); i += 1
                    continue
                }
                out += canonical
                i = j
                continue
            }
            out.append(bytes[i])
            i += 1
        }
        return out
    }

    /// Splits a translated Mountable into its device and btrfs subvolume.
    func fsSplitMountable(_ mountable: String) -> (device: String, subvolume: String?) {
        guard mountable.hasPrefix("btrfsvol:") else { return (mountable, nil) }
        guard let (device, volume) = context.splitBtrfsvol(mountable) else {
            return (String(mountable.dropFirst("btrfsvol:".count)), nil)
        }
        return (device, volume)
    }

    func fsIsExtfs(_ fstype: String) -> Bool {
        fstype == "ext2" || fstype == "ext3" || fstype == "ext4"
    }

    /// Whether `device` is mounted somewhere under the sysroot (upstream's
    /// is_device_mounted: compares device numbers).
    func fsIsDeviceMounted(_ device: String) throws -> Bool {
        guard let st1 = fsStat(device) else { throw DaemonError.system("stat: \(fsName(device))") }
        let root = context.sysroot.hostPath("/")
        for entry in context.mountTable() {
            guard entry.mountpoint == root || entry.mountpoint.hasPrefix(root == "/" ? "/" : root + "/") else { continue }
            if let st2 = fsStat(entry.device), st2.st_mode & S_IFMT == S_IFBLK, st1.st_rdev == st2.st_rdev {
                return true
            }
        }
        return false
    }
}

/// libblkid probing in process (what `blkid -c /dev/null ...` printed).
enum FsProbe {
    struct Chains: OptionSet {
        let rawValue: Int
        static let superblocks = Chains(rawValue: 1)
        static let partitions = Chains(rawValue: 2)
        static let topology = Chains(rawValue: 4)
    }

    enum Outcome {
        case found([(String, String)])
        case nothing
        case ambivalent
    }

    /// Probes `device` and returns the NAME=value pairs in libblkid's order.
    /// A new probe each time and no blkid.tab cache (what `-c /dev/null`
    /// asked of the tool): nothing libblkid learns outlives the question.
    static func probe(_ device: String, chains: Chains) throws -> Outcome {
        guard let pr = blkid_new_probe_from_filename(device) else {
            throw DaemonError.system("blkid: \(device)")
        }
        defer { blkid_free_probe(pr) }
        if chains.contains(.superblocks) {
            blkid_probe_enable_superblocks(pr, 1)
            let flags = BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID | BLKID_SUBLKS_TYPE | BLKID_SUBLKS_SECTYPE
                | BLKID_SUBLKS_USAGE | BLKID_SUBLKS_VERSION
            blkid_probe_set_superblocks_flags(pr, Int32(flags))
        } else {
            blkid_probe_enable_superblocks(pr, 0)
        }
        if chains.contains(.partitions) {
            blkid_probe_enable_partitions(pr, 1)
            blkid_probe_set_partitions_flags(pr, Int32(BLKID_PARTS_ENTRY_DETAILS))
        } else {
            blkid_probe_enable_partitions(pr, 0)
        }
        blkid_probe_enable_topology(pr, chains.contains(.topology) ? 1 : 0)
        let rc = blkid_do_safeprobe(pr)
        if rc == -2 { return .ambivalent }
        if rc < 0 { throw DaemonError(message: "\(device): probing failed") }
        var values: [(String, String)] = []
        let n = blkid_probe_numof_values(pr)
        if n > 0 {
            for i in 0..<n {
                var name: UnsafePointer<CChar>? = nil
                var data: UnsafePointer<CChar>? = nil
                var len = 0
                guard blkid_probe_get_value(pr, i, &name, &data, &len) == 0, let name, let data else { continue }
                // len counts the terminating NUL.
                let raw = UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self)
                let count = len > 0 && raw[len - 1] == 0 ? len - 1 : len
                let value = String(decoding: UnsafeBufferPointer(start: raw, count: count), as: UTF8.self)
                values.append((String(cString: name), value))
            }
        }
        return values.isEmpty ? .nothing : .found(values)
    }

    /// One tag (TYPE, LABEL, UUID) of the filesystem on `device`, or nil
    /// when there is none (blkid -o value -s TAG exiting with 2).
    static func tag(_ device: String, _ tag: String) -> String? {
        guard case .found(let values)? = try? probe(device, chains: [.superblocks]) else { return nil }
        return values.first { $0.0 == tag }?.1
    }
}

// MARK: - Probing: type, label, UUID, blkid, findfs

extension Handlers {
    public func vfsType(mountable: String) throws -> String {
        FsProbe.tag(fsSplitMountable(mountable).device, "TYPE") ?? ""
    }

    public func vfsLabel(mountable: String) throws -> String {
        let device = fsSplitMountable(mountable).device
        let type = FsProbe.tag(device, "TYPE") ?? ""
        if type == "btrfs", context.runner.has("btrfs") {
            return try fsCommand(["btrfs", "filesystem", "label", device]).stdoutString.fsChompNewline()
        }
        if type == "ntfs", context.runner.has("ntfslabel") {
            return try fsCommand(["ntfslabel", device]).stdoutString.fsChompNewline()
        }
        return FsProbe.tag(device, "LABEL") ?? ""
    }

    public func vfsUuid(mountable: String) throws -> String {
        FsProbe.tag(fsSplitMountable(mountable).device, "UUID") ?? ""
    }

    /// As `blkid -c /dev/null -p -i -o export DEVICE`, split at the '='.
    public func blkid(device: String) throws -> [String] {
        switch try FsProbe.probe(device, chains: [.superblocks, .partitions, .topology]) {
        case .ambivalent:
            throw DaemonError(message: "\(fsName(device)): ambivalent result (probably more filesystems on the device, use wipefs(8) to see more details)")
        case .nothing:
            throw DaemonError(message: "")
        case .found(let values):
            var out = ["DEVNAME", fsName(device)]
            for (name, value) in values {
                out.append(name)
                out.append(Self.fsExportEscape(value))
            }
            return out
        }
    }

    /// blkid's export format escapes shell-special characters.
    static func fsExportEscape(_ value: String) -> String {
        let special: Set<UInt8> = Set(" \\\"'$`<>".utf8)
        var out: [UInt8] = []
        for b in value.utf8 {
            if special.contains(b) {
                out += [92, b]
            } else if b < 32 || b == 127 {
                out += [94, b ^ 0x40]  // ^X
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public func findfsUuid(uuid: String) throws -> String {
        try fsFindfs(tag: "UUID", value: uuid)
    }

    public func findfsLabel(label: String) throws -> String {
        try fsFindfs(tag: "LABEL", value: label)
    }

    /// 1.54: the partition whose GPT/MBR entry has this PARTUUID.
    public func findfsPartuuid(uuid: String) throws -> String {
        try fsFindPartition(tag: "PARTUUID", entryField: "PART_ENTRY_UUID", value: uuid)
    }

    /// 1.54: the partition whose GPT entry has this name (PARTLABEL).
    public func findfsPartlabel(label: String) throws -> String {
        try fsFindPartition(tag: "PARTLABEL", entryField: "PART_ENTRY_NAME", value: label)
    }

    /// What `findfs PARTUUID=...` finds: libblkid's partition-entry values
    /// of each partition (exact match, as findfs compares).
    private func fsFindPartition(tag: String, entryField: String, value: String) throws -> String {
        for name in context.devices.listDevices() {
            guard let disk = try? context.devices.node(for: name) else { continue }
            for partition in fsPartitions(of: disk) {
                guard case .found(let values)? = try? FsProbe.probe(partition, chains: [.partitions]) else { continue }
                if values.contains(where: { $0.0 == entryField && $0.1 == value }) { return partition }
            }
        }
        throw DaemonError(message: "findfs exited with status 1: findfs: unable to resolve '\(tag)=\(value)'")
    }

    private func fsFindfs(tag: String, value: String) throws -> String {
        for device in fsAllBlockDevices() where FsProbe.tag(device, tag) == value {
            return device
        }
        throw DaemonError(message: "findfs exited with status 1: findfs: unable to resolve '\(tag)=\(value)'")
    }

    /// Every block device that can hold a filesystem: whole disks, their
    /// partitions, and (in the appliance) device-mapper and md devices.
    func fsAllBlockDevices() -> [String] {
        var all: [String] = []
        for name in context.devices.listDevices() {
            guard let node = try? context.devices.node(for: name) else { continue }
            all.append(node)
            all += fsPartitions(of: node)
        }
        all += fsMdDevices()
        all += fsLogicalVolumes().map { $0.path }
        return all
    }

    /// Partition nodes of a whole-disk node, in partition-number order
    /// (from /sys/block/DISK/DISKn).
    func fsPartitions(of node: String) -> [String] {
        let name = String(node.split(separator: "/").last ?? "")
        let entries = DeviceNames.directoryEntries("/sys/block/" + name)
        var parts: [(Int, String)] = []
        for e in entries where e.hasPrefix(name) && e != name {
            guard fsStat("/sys/block/\(name)/\(e)/partition") != nil else { continue }
            let digits = e.reversed().prefix { $0.isNumber }
            parts.append((Int(String(digits.reversed())) ?? 0, "/dev/" + e))
        }
        return parts.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// /dev/mapper devices that are not LVs (opened LUKS volumes, ...);
    /// appliance only, as on a host they are the host's.
    func fsDeviceMapperDevices() -> [String] {
        guard context.inAppliance else { return [] }
        // An LV's dm name is VG-LV with each '-' inside a name doubled.
        let lvNames = Set(fsLogicalVolumes().map { lv -> String in
            let parts = lv.path.split(separator: "/")
            func esc(_ s: Substring) -> String { s.split(separator: "-", omittingEmptySubsequences: false).joined(separator: "--") }
            return parts.count == 3 ? esc(parts[1]) + "-" + esc(parts[2]) : ""
        })
        return DeviceNames.directoryEntries("/dev/mapper")
            .filter { $0 != "control" && !lvNames.contains($0) }
            .sorted()
            .map { "/dev/mapper/" + $0 }
    }

    /// md devices (appliance only: on a host they are not the guest's).
    func fsMdDevices() -> [String] {
        guard context.inAppliance else { return [] }
        // Running arrays in list_md_devices' order (md5 before md127), as upstream.
        return mdArrayNames().map { "/dev/" + $0 }
    }

    /// LVs as /dev/VG/LV. On a host (standalone) only those whose PVs are
    /// on the attached drives.
    func fsLogicalVolumes() -> [(path: String, devices: String)] {
        guard context.runner.has("lvm") else { return [] }
        guard let r = try? context.runner.run(["lvm", "lvs", "--noheadings", "--separator", ":",
                                               "-o", "vg_name,lv_name,devices"]), r.succeeded else { return [] }
        var lvs: [(String, String)] = []
        var seen = Set<String>()
        for line in r.stdoutString.split(separator: "\n") {
            let f = line.fsTrimming( " ").split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 2 else { continue }
            let path = "/dev/\(f[0])/\(f[1])"
            let devs = f.count > 2 ? String(f[2]) : ""
            if !context.inAppliance {
                let drives = context.devices.drives ?? []
                guard drives.contains(where: { devs.contains($0) }) else { continue }
            }
            if seen.insert(path).inserted { lvs.append((path, devs)) }
        }
        return lvs.sorted { $0.0 < $1.0 }
    }
}

// MARK: - Labels and UUIDs

extension Handlers {
    public func setLabel(mountable: String, label: String) throws {
        let device = fsSplitMountable(mountable).device
        let type = FsProbe.tag(device, "TYPE") ?? ""
        switch type {
        case "btrfs":
            try fsCommand(["btrfs", "filesystem", "label", device, label])
        case "msdos", "fat", "vfat":
            try fsCommand(["dosfslabel", device, label])
        case "ext2", "ext3", "ext4":
            try setE2label(device: device, label: label)
        case "ntfs":
            try fsCommand(["ntfslabel", device, label])
        case "xfs":
            if label == "---" { throw DaemonError(message: "xfs: invalid new label") }
            try xfsAdmin(device: device, extunwritten: nil, imgfile: nil, v2log: nil, projid32bit: nil,
                         lazycounter: nil, label: label, uuid: nil)
        case "swap":
            try swapSetLabel(device: device, label: label)
        default:
            throw DaemonError(ENOTSUP, "don't know how to set the label for '\(type)' filesystems")
        }
    }

    public func setUuid(device: String, uuid: String) throws {
        let type = FsProbe.tag(device, "TYPE") ?? ""
        switch type {
        case "ext2", "ext3", "ext4":
            if uuid == "clear" || uuid == "random" || uuid == "time" {
                throw DaemonError(message: "e2: invalid new UUID")
            }
            try setE2uuid(device: device, uuid: uuid)
        case "xfs":
            if uuid == "nil" || uuid == "generate" { throw DaemonError(message: "xfs: invalid new UUID") }
            try xfsAdmin(device: device, extunwritten: nil, imgfile: nil, v2log: nil, projid32bit: nil,
                         lazycounter: nil, label: nil, uuid: uuid)
        case "swap":
            try swapSetUuid(device: device, uuid: uuid)
        case "btrfs":
            try fsBtrfsSetUuid(device: device, argv: ["btrfstune", "-f", "-U", uuid, device])
        default:
            throw DaemonError(ENOTSUP, "don't know how to set the UUID for '\(type)' filesystems")
        }
    }

    public func setUuidRandom(device: String) throws {
        let type = FsProbe.tag(device, "TYPE") ?? ""
        switch type {
        case "ext2", "ext3", "ext4":
            try setE2uuid(device: device, uuid: "random")
        case "xfs":
            try xfsAdmin(device: device, extunwritten: nil, imgfile: nil, v2log: nil, projid32bit: nil,
                         lazycounter: nil, label: nil, uuid: "generate")
        case "swap":
            try swapSetUuid(device: device, uuid: fsRandomUUID())
        case "btrfs":
            try fsBtrfsSetUuid(device: device, argv: ["btrfstune", "-f", "-u", device])
        default:
            throw DaemonError(ENOTSUP, "don't know how to set the random UUID for '\(type)' filesystems")
        }
    }

    private func fsBtrfsSetUuid(device: String, argv: [String]) throws {
        guard context.runner.has("btrfstune") else {
            throw DaemonError(ENOTSUP, "btrfs filesystems' UUID cannot be changed")
        }
        try fsCommand(argv, errorPrefix: "\(fsName(device)): ")
    }

    /// A random (version 4) UUID in its usual text form.
    func fsRandomUUID() -> String {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255) }
        bytes[6] = (bytes[6] & 0x0f) | 0x40
        bytes[8] = (bytes[8] & 0x3f) | 0x80
        let hex = bytes.map { b -> String in
            let s = String(b, radix: 16)
            return s.count == 1 ? "0" + s : s
        }
        return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(separator: "-")
    }
}

// MARK: - list_filesystems, filesystem_available, vfs_minimum_size, fsck

extension Handlers {
    public func listFilesystems() throws -> [String] {
        var out: [String] = []
        func check(_ device: String) throws {
            let type = FsProbe.tag(device, "TYPE") ?? ""
            if type.isEmpty {
                out += [device, "unknown"]
            } else if type.hasSuffix("_member") || type == "crypto_LUKS" || type == "BitLocker" {
                return
            } else if type == "btrfs" {
                // One btrfs device is many volumes (Btrfs.swift).
                out += try btrfsListEntries(device)
            } else {
                out += [device, type]
            }
        }
        var partitions: [String] = []
        for name in context.devices.listDevices() {
            guard let node = try? context.devices.node(for: name) else { continue }
            let parts = fsPartitions(of: node)
            if parts.isEmpty { try check(node) }
            // An MBR dynamic disk's partitions are the kernel's view of its
            // LDM extents: members of the disk group, whose filesystems are
            // on /dev/mapper/ldm_vol_* (upstream means to skip them, but
            // fails on them instead: sfdisk has no MBR entry to report).
            if !parts.isEmpty && fsIsMBRDynamicDisk(node) { continue }
            partitions += parts
        }
        for dm in fsDeviceMapperDevices() where fsPartitions(of: dm).isEmpty { try check(dm) }
        for part in partitions where fsPartitionCanHoldFilesystem(part) { try check(part) }
        for md in fsMdDevices() where fsPartitions(of: md).isEmpty { try check(md) }
        for lv in fsLogicalVolumes() { try check(lv.path) }
        return out
    }

    /// A disk whose MBR has a partition of type 0x42 (Windows LDM).
    private func fsIsMBRDynamicDisk(_ node: String) -> Bool {
        guard let fd = try? FileDescriptor.open(FilePath(node), .readOnly, options: [.closeOnExec]) else { return false }
        let sector: [UInt8]? = try? fd.closeAfter {
            var buffer = [UInt8](repeating: 0, count: 512)
            let n = try buffer.withUnsafeMutableBytes { try fd.read(fromAbsoluteOffset: 0, into: $0) }
            return n == 512 ? buffer : nil
        }
        guard let mbr = sector, mbr[510] == 0x55, mbr[511] == 0xAA else { return false }
        return (0..<4).contains { mbr[446 + 16 * $0 + 4] == 0x42 }
    }

    /// Upstream skips MBR extended partitions and the Windows LDM,
    /// reserved and snapshot partitions.
    private func fsPartitionCanHoldFilesystem(_ partition: String) -> Bool {
        guard case .found(let values)? = try? FsProbe.probe(partition, chains: [.partitions]) else { return true }
        let info = Dictionary(values, uniquingKeysWith: { a, _ in a })
        let scheme = info["PART_ENTRY_SCHEME"] ?? ""
        let type = (info["PART_ENTRY_TYPE"] ?? "").lowercased()
        if scheme == "dos" {
            return !["0x5", "0xf", "0x85", "0x42"].contains(type)
        }
        if scheme == "gpt" {
            return ![
                "5808c8aa-7e8f-42e0-85d2-e1e90434cfb3", "af9b60a0-1431-4f62-bc68-3311714a69ad",
                "e3c9e316-0b5c-4db8-817d-f92df00215ae", "caddebf1-4400-4de8-b103-12117dcf3ccf",
            ].contains(type)
        }
        return true
    }

    public func filesystemAvailable(filesystem: String) throws -> Bool {
        for c in filesystem.utf8 where !(c.fsIsAlnum || c == 95) {
            throw DaemonError(message: "filesystem name contains non-alphanumeric characters")
        }
        if fsProcFilesystemsLists(filesystem) { return true }
        if context.runner.has("modprobe") {
            _ = try? context.runner.run(["modprobe", filesystem])
            return fsProcFilesystemsLists(filesystem)
        }
        return false
    }

    private func fsProcFilesystemsLists(_ name: String) -> Bool {
        guard let text = fsReadSmallFile("/proc/filesystems") else { return false }
        // Lines are "nodev\tNAME" or "\tNAME": only the latter match.
        return text.split(separator: "\n").contains { $0.fsTrimming( " \t") == name && !$0.hasPrefix("nodev") }
    }

    public func vfsMinimumSize(mountable: String) throws -> Int64 {
        let device = fsSplitMountable(mountable).device
        let type = FsProbe.tag(device, "TYPE") ?? ""
        if fsIsExtfs(type) { return try ext2MinimumSize(device: device) }
        if type == "ntfs" { return try fsNtfsMinimumSize(device: device) }
        if type == "btrfs" || type == "xfs" {
            let mps = try mountpoints()
            var path: String?
            var i = 0
            while i + 1 < mps.count {
                if mps[i] == device { path = mps[i + 1]; break }
                i += 2
            }
            guard let path else { throw DaemonError(message: "device not mounted: \(fsName(device))") }
            if type == "xfs" { return try xfsMinimumSize(path: path) }
            let out = try fsCommand(["btrfs", "inspect-internal", "min-dev-size", context.resolve(path)]).stdoutString
            guard let n = Int64(out.split(separator: " ").first ?? "") else {
                throw DaemonError(message: "btrfs inspect-internal min-dev-size: cannot parse output: \(out)")
            }
            return n
        }
        throw DaemonError(ENOTSUP, "don't know how to get minimum size of '\(type)' filesystems")
    }

    private func fsNtfsMinimumSize(device: String) throws -> Int64 {
        let r = try context.runner.run(["ntfsresize", "--info", "-ff", device])
        let lines = r.stdoutString.split(separator: "\n")
        func number(after prefix: String, in line: Substring) -> Int64? {
            let rest = line.dropFirst(prefix.count).drop { $0 == " " || $0 == ":" }
            return Int64(rest.prefix { $0.isNumber })
        }
        if !r.succeeded {
            var full = false
            var cluster: Int64 = 0
            var volume: Int64 = 0
            for l in lines {
                if l.contains("Volume is full") { full = true }
                else if l.hasPrefix("Cluster size") { cluster = number(after: "Cluster size", in: l) ?? 0 }
                else if l.hasPrefix("Current volume size:") { volume = number(after: "Current volume size:", in: l) ?? 0 }
            }
            if full {
                if volume > 0 { return volume }
                if cluster > 0 { return cluster }
            }
            throw DaemonError(message: fsCanonicalText(r.stderrString.trimmingTrailingNewlines()))
        }
        for l in lines where l.hasPrefix("You might resize at ") {
            if let n = number(after: "You might resize at ", in: l) { return n }
        }
        throw DaemonError(message: "minimum size not found. Check output format:\n\(r.stdoutString)")
    }

    public func fsck(fstype: String, device: String) throws -> Int32 {
        try context.runner.run(["fsck", "-a", "-t", fstype, device]).status
    }
}

// MARK: - mkfs, wipefs

extension Handlers {
    public func mkfs(fstype: String, device: String, blocksize: Int32?, features: String?, inode: Int32?,
                     sectorsize: Int32?, label: String?) throws {
        let extfs = fsIsExtfs(fstype)
        let fat = fstype == "fat" || fstype == "vfat" || fstype == "msdos"
        var argv = [extfs ? "mke2fs" : "mkfs", "-t", fstype]
        if extfs { argv.append("-F") }
        if fstype == "ntfs" { argv += ["-Q", "-F"] }
        if fstype == "reiserfs" || fstype == "jfs" || fstype == "xfs" { argv.append("-f") }
        if fstype == "gfs" || fstype == "gfs2" { argv += ["-p", "lock_nolock", "-j", "1", "-O"] }
        if fat {
            argv.append("-I")
            if fsFatHasMbrOption() { argv.append("--mbr=n") }
        }
        if let blocksize {
            guard blocksize > 0, blocksize & (blocksize - 1) == 0 else {
                throw DaemonError(message: "block size must be > 0 and a power of 2")
            }
            if fstype == "vfat" || fstype == "msdos" {
                let ss = try fsSectorSize(device)
                let perCluster = blocksize / ss
                guard perCluster >= 1, perCluster <= 128 else {
                    throw DaemonError(message: "unsupported cluster size for \(fstype) filesystem (requested cluster size = \(blocksize), sector size = \(ss), trying sectors per cluster = \(perCluster))")
                }
                argv += ["-s", String(perCluster)]
            } else if fstype == "ntfs" {
                argv += ["-c", String(blocksize)]
            } else if fstype == "btrfs" {
                throw DaemonError(message: "blocksize cannot be set on btrfs filesystems, use 'mkfs-btrfs'")
            } else if fstype == "xfs" {
                argv += ["-b", "size=\(blocksize)"]
            } else {
                argv += ["-b", String(blocksize)]
            }
        }
        if let features { argv += ["-O", features] }
        if let inode {
            guard extfs else { throw DaemonError(message: "inode size (-I) can only be set on ext2/3/4 filesystems") }
            guard inode > 0 else { throw DaemonError(message: "inode size must be larger than zero") }
            argv += ["-I", String(inode)]
        }
        if let sectorsize {
            guard fstype == "ufs" else { throw DaemonError(message: "sector size (-S) can only be set on ufs filesystems") }
            guard sectorsize > 0 else { throw DaemonError(message: "sector size must be larger than zero") }
            argv += ["-S", String(sectorsize)]
        }
        if let label {
            if extfs {
                guard label.utf8.count <= 16 else {
                    throw DaemonError(message: "\(label): ext2/3/4 labels are limited to 16 bytes")
                }
                argv += ["-L", label]
            } else if fat {
                argv += ["-n", label]
            } else if fstype == "ntfs" || fstype == "btrfs" {
                argv += ["-L", label]
            } else if fstype == "xfs" {
                guard label.utf8.count <= 12 else {
                    throw DaemonError(message: "\(label): xfs labels are limited to 12 bytes")
                }
                argv += ["-L", label]
            } else if fstype == "f2fs" {
                argv += ["-l", label]
            } else {
                throw DaemonError(message: "don't know how to set the label for '\(fstype)' filesystems")
            }
        }
        argv.append(device)
        fsWipeBeforeMkfs(device)
        try fsCommand(argv, errorPrefix: "\(fstype): \(fsName(device)): ")
    }

    public func mkfsB(fstype: String, blocksize: Int32, device: String) throws {
        try mkfs(fstype: fstype, device: device, blocksize: blocksize, features: nil, inode: nil,
                 sectorsize: nil, label: nil)
    }

    public func wipefs(device: String) throws {
        var argv = ["wipefs", "-a"]
        if try fsWipefsHasForce() { argv.append("--force") }
        try fsCommand(argv + [device])
    }

    /// Wipes old signatures before a mkfs, ignoring failures (RHBZ#889888).
    func fsWipeBeforeMkfs(_ device: String) {
        guard let force = try? fsWipefsHasForce() else { return }
        _ = try? context.runner.run(["wipefs", "-a"] + (force ? ["--force"] : []) + [device])
    }

    private func fsWipefsHasForce() throws -> Bool {
        if let known = context.state["fs.wipefsForce"] as? Bool { return known }
        let r = try context.runner.run(["wipefs", "--help"])
        guard r.succeeded else { throw DaemonError(message: r.stderrString.trimmingTrailingNewlines()) }
        let force = r.stdoutString.contains("--force")
        context.state["fs.wipefsForce"] = force
        return force
    }

    /// mkfs.fat >= 4.2 would write a bogus MBR unless told --mbr=n.
    private func fsFatHasMbrOption() -> Bool {
        if let known = context.state["fs.fatMbr"] as? Bool { return known }
        var has = false
        if let r = try? context.runner.run(["mkfs.fat"]), r.status == 1, r.stderrString.contains("--mbr[=") {
            has = true
        }
        context.state["fs.fatMbr"] = has
        return has
    }

    /// The logical sector size of a block device (blockdev --getss).
    func fsSectorSize(_ device: String) throws -> Int32 {
        let out = try fsCommand(["blockdev", "--getss", device], errorPrefix: "blockdev: ").stdoutString
        guard let n = Int32(out.fsTrimming( " \n")) else {
            throw DaemonError(message: "blockdev --getss: cannot parse output: \(out)")
        }
        return n
    }
}

// MARK: - fstrim, df, isoinfo

extension Handlers {
    public func fstrim(mountpoint: String, offset: Int64?, length: Int64?, minimumfreeextent: Int64?) throws {
        Glibc.sync()
        var argv = ["fstrim"]
        if let offset {
            guard offset >= 0 else { throw DaemonError(message: "offset < 0") }
            argv += ["-o", String(offset)]
        }
        if let length {
            guard length > 0 else { throw DaemonError(message: "length <= 0") }
            argv += ["-l", String(length)]
        }
        if let minimumfreeextent {
            guard minimumfreeextent > 0 else { throw DaemonError(message: "minimumfreeextent <= 0") }
            argv += ["-m", String(minimumfreeextent)]
        }
        argv.append(try context.resolve(mountpoint))
        let r = try context.runner.run(argv)
        if !r.succeeded {
            let err = r.stderrString.trimmingTrailingNewlines()
            throw DaemonError(err.contains("discard operation is not supported") ? ENOTSUP : 0, err)
        }
    }

    public func df() throws -> String { try fsDf([]) }

    public func dfH() throws -> String { try fsDf(["-h"]) }

    /// Upstream runs plain `df` in the appliance. On a host (standalone)
    /// that would list the host's filesystems, so only the sysroot's
    /// mounts are shown there.
    private func fsDf(_ flags: [String]) throws -> String {
        var argv = ["df"] + flags
        if !context.inAppliance {
            let root = context.sysroot.hostPath("/")
            let points = context.mountTable().map(\.mountpoint).filter { $0 == root || $0.hasPrefix(root + "/") }
            argv += points.isEmpty ? [root] : points
        }
        let r = try context.runner.run(argv)
        guard r.succeeded else { throw DaemonError(message: r.stderrString.trimmingTrailingNewlines()) }
        return fsCanonicalText(r.stdoutString)
    }

    public func isoinfoDevice(device: String) throws -> GuestfsIsoinfo {
        try fsIsoinfo(hostPath: device, name: fsName(device))
    }

    public func isoinfo(isofile: String) throws -> GuestfsIsoinfo {
        try fsIsoinfo(hostPath: context.resolve(isofile), name: isofile)
    }

    /// Parses the ISO 9660 primary volume descriptor (sector 16).
    private func fsIsoinfo(hostPath: String, name: String) throws -> GuestfsIsoinfo {
        let fd = Glibc.open(hostPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DaemonError.system("open: \(name)") }
        defer { Glibc.close(fd) }
        var pvd = [UInt8](repeating: 0, count: 2048)
        let n = pvd.withUnsafeMutableBytes { Glibc.pread(fd, $0.baseAddress, 2048, 32768) }
        guard n == 2048, pvd[0] == 1, Array(pvd[1..<6]) == Array("CD001".utf8) else {
            throw DaemonError(message: "\(name): not an ISO file or CD-ROM")
        }
        func str(_ off: Int, _ len: Int) -> String {
            var slice = pvd[off..<(off + len)]
            while let last = slice.last, last == 32 { slice = slice.dropLast() }
            return String(decoding: slice, as: UTF8.self)
        }
        func le16(_ off: Int) -> UInt32 { UInt32(pvd[off]) | UInt32(pvd[off + 1]) << 8 }
        func le32(_ off: Int) -> UInt32 { le16(off) | UInt32(pvd[off + 2]) << 16 | UInt32(pvd[off + 3]) << 24 }
        func datetime(_ off: Int) -> Int64 {
            let digits = pvd[off..<(off + 16)]
            if digits.allSatisfy({ $0 == 48 }) { return -1 }
            func num(_ a: Int, _ l: Int) -> Int32 {
                Int32(String(decoding: pvd[(off + a)..<(off + a + l)], as: UTF8.self)) ?? 0
            }
            var t = tm()
            t.tm_year = num(0, 4) - 1900
            t.tm_mon = num(4, 2) - 1
            t.tm_mday = num(6, 2)
            t.tm_hour = num(8, 2)
            t.tm_min = num(10, 2)
            t.tm_sec = num(12, 2)
            let utc = Int64(timegm(&t))
            let tz = Int64(Int8(bitPattern: pvd[off + 16]))
            return utc - tz * 15 * 60
        }
        return GuestfsIsoinfo(
            isoSystemId: str(8, 32), isoVolumeId: str(40, 32), isoVolumeSpaceSize: le32(80),
            isoVolumeSetSize: le16(120), isoVolumeSequenceNumber: le16(124), isoLogicalBlockSize: le16(128),
            isoVolumeSetId: str(190, 128), isoPublisherId: str(318, 128), isoDataPreparerId: str(446, 128),
            isoApplicationId: str(574, 128), isoCopyrightFileId: str(702, 37), isoAbstractFileId: str(739, 37),
            isoBibliographicFileId: str(776, 37), isoVolumeCreationT: datetime(813),
            isoVolumeModificationT: datetime(830), isoVolumeExpirationT: datetime(847),
            isoVolumeEffectiveT: datetime(864))
    }

    /// A small text file (/proc/...), or nil.
    func fsReadSmallFile(_ path: String) -> String? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 4096) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    /// Drops one trailing newline (upstream's "trim trailing \n").
    func fsChompNewline() -> String {
        hasSuffix("\n") ? String(dropLast()) : self
    }
}

extension StringProtocol {
    func fsTrimming(_ set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s.removeFirst() }
        while let l = s.last, chars.contains(l) { s.removeLast() }
        return String(s)
    }
}

extension UInt8 {
    var fsIsAlnum: Bool { (self >= 48 && self <= 57) || (self >= 65 && self <= 90) || (self >= 97 && self <= 122) }
}

/// stat(2) of a path, or nil with errno set (a free function: inside
/// Handlers `stat` names the stat procedure).
func fsStat(_ path: String) -> stat? {
    var st = stat()
    return stat(path, &st) == 0 ? st : nil
}
