#if canImport(Glibc)
import Glibc
#endif
import CBlkid
import SystemPackage
import GuestfsProtocol

// MARK: - Probing: type, label, UUID, blkid, findfs

extension Handlers {
    public func vfsType(mountable: String) throws -> String {
        FsProbe.tag(splitMountable(mountable).device, "TYPE") ?? ""
    }

    public func vfsLabel(mountable: String) throws -> String {
        let device = splitMountable(mountable).device
        let type = FsProbe.tag(device, "TYPE") ?? ""
        if type == "btrfs", context.runner.has("btrfs") {
            return try fsCommand(["btrfs", "filesystem", "label", device]).stdoutString.chompNewline()
        }
        if type == "ntfs", context.runner.has("ntfslabel") {
            return try fsCommand(["ntfslabel", device]).stdoutString.chompNewline()
        }
        return FsProbe.tag(device, "LABEL") ?? ""
    }

    public func vfsUuid(mountable: String) throws -> String {
        FsProbe.tag(splitMountable(mountable).device, "UUID") ?? ""
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
    /// partitions, and (in the appliance) md devices, LVs and the other
    /// device-mapper devices (opened LUKS volumes).
    func fsAllBlockDevices() -> [String] {
        var all: [String] = []
        for name in context.devices.listDevices() {
            guard let node = try? context.devices.node(for: name) else { continue }
            all.append(node)
            all += fsPartitions(of: node)
        }
        all += fsMdDevices()
        all += fsLogicalVolumes().map { $0.path }
        // Opened LUKS volumes and other non-LV dm devices: libblkid (so
        // upstream's findfs) probes every dm device in /proc/partitions.
        all += fsDeviceMapperDevices()
        return all
    }

    /// Partition nodes of a whole-disk node, in partition-number order
    /// (from /sys/block/DISK/DISKn).
    func fsPartitions(of node: String) -> [String] {
        let name = String(node.split(separator: "/").last ?? "")
        let entries = DeviceNames.directoryEntries("/sys/block/" + name)
        var parts: [(Int, String)] = []
        for e in entries where e.hasPrefix(name) && e != name {
            guard fileStatus("/sys/block/\(name)/\(e)/partition") != nil else { continue }
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
            let f = line.trimming( " ").split(separator: ":", omittingEmptySubsequences: false)
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

