#if canImport(Glibc)
import Glibc
#endif
import CBlkid
import SystemPackage
import GuestfsProtocol

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
        for c in filesystem.utf8 where !(c.isAlnum || c == 95) {
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
        guard let text = SmallFile.text("/proc/filesystems") else { return false }
        // Lines are "nodev\tNAME" or "\tNAME": only the latter match.
        return text.split(separator: "\n").contains { $0.trimming( " \t") == name && !$0.hasPrefix("nodev") }
    }

    public func vfsMinimumSize(mountable: String) throws -> Int64 {
        let device = splitMountable(mountable).device
        let type = FsProbe.tag(device, "TYPE") ?? ""
        if isExtFilesystem(type) { return try ext2MinimumSize(device: device) }
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
            throw DaemonError(message: canonicalNames(in: r.stderrString.trimmingTrailingNewlines()))
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

