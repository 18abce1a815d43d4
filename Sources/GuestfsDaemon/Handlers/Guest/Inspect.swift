#if canImport(Glibc)
import Glibc
#endif
import CHivex
import GuestfsInspection
import SystemPackage

/// inspect_os and the inspect_get_* queries (upstream 1.48 runs them in
/// the daemon). The rules live in GuestfsInspection; this file supplies
/// the guest's files (the sysroot, with each filesystem mounted read-only
/// in turn), the appliance's devices and the hives through libhivex.
/// Inside, device names are the library's (/dev/sda1): results leave
/// as they are, arguments are turned back from nodes.
extension Handlers {
    var lastInspection: Inspection {
        state.inspection ?? Inspection()
    }

    public func inspectOs() throws -> [String] {
        let listed = try listFilesystems()
        var filesystems: [(mountable: String, vfsType: String)] = []
        var i = 0
        while i + 1 < listed.count {
            filesystems.append((context.canonicalDeviceName(listed[i]), listed[i + 1]))
            i += 2
        }
        let inspector = Inspector(filesystem: SysrootReader(handlers: self),
                                  devices: ApplianceDevices(handlers: self),
                                  mounter: InspectionMounts(handlers: self))
        let found: [InspectedFilesystem]
        do {
            found = try inspector.inspect(filesystems: filesystems)
        } catch let e as InspectionError {
            throw DaemonError(message: e.message)
        }
        state.inspection = Inspection(filesystems: found)
        return lastInspection.roots
    }

    public func inspectGetRoots() throws -> [String] {
        lastInspection.roots
    }

    /// The inspection data of a root given as a node by the dispatcher.
    func inspectedRoot(_ root: String) throws -> InspectionData {
        let name = context.canonicalDeviceName(root)
        do {
            return try lastInspection.root(name)
        } catch let e as InspectionError {
            throw DaemonError(message: e.message)
        }
    }

    public func inspectGetFormat(root: String) throws -> String { "installed" }
    public func inspectGetType(root: String) throws -> String { try inspectedRoot(root).typeName }
    public func inspectGetDistro(root: String) throws -> String { try inspectedRoot(root).distroName }
    public func inspectGetPackageFormat(root: String) throws -> String { try inspectedRoot(root).packageFormatName }
    public func inspectGetPackageManagement(root: String) throws -> String {
        try inspectedRoot(root).packageManagementName
    }
    public func inspectGetProductName(root: String) throws -> String { try inspectedRoot(root).productName ?? "unknown" }
    public func inspectGetProductVariant(root: String) throws -> String {
        try inspectedRoot(root).productVariant ?? "unknown"
    }
    public func inspectGetMajorVersion(root: String) throws -> Int32 {
        Int32(truncatingIfNeeded: try inspectedRoot(root).version?.major ?? 0)
    }
    public func inspectGetMinorVersion(root: String) throws -> Int32 {
        Int32(truncatingIfNeeded: try inspectedRoot(root).version?.minor ?? 0)
    }
    public func inspectGetArch(root: String) throws -> String { try inspectedRoot(root).arch ?? "unknown" }
    public func inspectGetHostname(root: String) throws -> String { try inspectedRoot(root).hostname ?? "unknown" }
    /// 1.54: os-release's BUILD_ID or Windows' CurrentBuildNumber.
    public func inspectGetBuildId(root: String) throws -> String { try inspectedRoot(root).buildId ?? "unknown" }

    public func inspectGetWindowsSystemroot(root: String) throws -> String {
        try windowsAnswer(inspectedRoot(root).windowsSystemroot, "systemroot could not be determined")
    }
    public func inspectGetWindowsSoftwareHive(root: String) throws -> String {
        try windowsAnswer(inspectedRoot(root).windowsSoftwareHive, "software hive not found")
    }
    public func inspectGetWindowsSystemHive(root: String) throws -> String {
        try windowsAnswer(inspectedRoot(root).windowsSystemHive, "system hive not found")
    }
    public func inspectGetWindowsCurrentControlSet(root: String) throws -> String {
        try windowsAnswer(inspectedRoot(root).windowsCurrentControlSet, "CurrentControlSet could not be determined")
    }

    /// 1.60: group policy objects in the software hive.
    public func inspectGetWindowsGroupPolicy(root: String) throws -> Bool {
        guard let found = try inspectedRoot(root).windowsGroupPolicy else {
            throw DaemonError(message: "not a Windows guest, or software hive could not be parsed")
        }
        return found
    }

    /// A Windows-only answer, or upstream's error when the root has none.
    private func windowsAnswer(_ value: String?, _ missing: String) throws -> String {
        guard let value else { throw DaemonError(message: "not a Windows guest, or \(missing)") }
        return value
    }

    // Upstream 1.48 answers false without looking up the root.
    public func inspectIsLive(root: String) throws -> Bool { false }
    public func inspectIsNetinst(root: String) throws -> Bool { false }
    public func inspectIsMultipart(root: String) throws -> Bool { false }

    public func inspectGetMountpoints(root: String) throws -> [String] {
        let name = context.canonicalDeviceName(root)
        do {
            return try lastInspection.mountpoints(name).flatMap { [$0.0, $0.1] }
        } catch let e as InspectionError {
            throw DaemonError(message: e.message)
        }
    }

    public func inspectGetFilesystems(root: String) throws -> [String] {
        let name = context.canonicalDeviceName(root)
        do {
            return try lastInspection.filesystems(name)
        } catch let e as InspectionError {
            throw DaemonError(message: e.message)
        }
    }

    public func inspectGetDriveMappings(root: String) throws -> [String] {
        try inspectedRoot(root).driveMappings.flatMap { [$0.letter, $0.device] }
    }
}

/// Mounts for inspection: read-only on the sysroot, as upstream's
/// mount_ro (no journal-replay avoidance: upstream uses plain "ro").
struct InspectionMounts: InspectionMounter {
    let handlers: Handlers

    func mount(_ mountable: String, options: String, vfsType: String?) throws {
        let node = try handlers.context.checkArgument(mountable, kind: .mountable)
        try handlers.mountVfs(options: options, vfstype: vfsType ?? "", mountable: node, mountpoint: "/")
    }

    func unmountAll() throws {
        try handlers.umountAll()
    }
}

/// The mounted guest filesystem, seen through the sysroot: paths resolve
/// as after chroot.
struct SysrootReader: GuestFilesystemReader {
    let handlers: Handlers
    var context: DaemonContext { handlers.context }

    func status(_ path: String, follow: Bool) -> stat? {
        guard let host = try? context.resolve(path, followFinal: follow) else { return nil }
        var st = stat()
        let r = follow ? stat(host, &st) : lstat(host, &st)
        return r == 0 ? st : nil
    }

    func kind(of path: String, followSymlinks: Bool) -> GuestFileKind? {
        status(path, follow: followSymlinks).map { GuestFileKind(mode: $0.st_mode) }
    }

    func size(of path: String) -> Int? {
        guard let st = status(path, follow: true), st.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int(st.st_size)
    }

    func read(_ path: String) -> [UInt8]? {
        guard let host = try? context.resolve(path) else { return nil }
        return try? SmallFile.bytes(host)
    }

    func readLink(_ path: String) -> String? {
        guard let host = try? context.resolve(path, followFinal: false) else { return nil }
        return try? Sysroot.readLink(host)
    }

    func list(_ path: String) -> [String]? {
        guard let host = try? context.resolve(path), kind(of: path, followSymlinks: true) == .directory else { return nil }
        return DeviceNames.directoryEntries(host)
    }

    func realPath(_ path: String) -> String? {
        try? handlers.realpath(path: path)
    }

    func architecture(of path: String) throws -> String? {
        do {
            return try handlers.fileArchitecture(filename: path)
        } catch let e as DaemonError where e.errno == ENOTSUP {
            // file_architecture is not in this daemon yet: cannot tell.
            return nil
        }
    }

    func openHive(_ path: String) throws -> RegistryHive {
        try HivexHive(path: context.resolve(path), name: path)
    }
}

/// A hive opened with libhivex, read-only.
final class HivexHive: RegistryHive {
    let handle: OpaquePointer
    let name: String

    init(path: String, name: String) throws {
        try LazyLibrary.hivex.require(for: "inspect")
        guard let h = hivex_open(path, HIVEX_OPEN_UNSAFE) else {
            throw DaemonError.system("hivex_open: \(name)")
        }
        handle = h
        self.name = name
    }

    deinit {
        hivex_close(handle)
    }

    func childNames(at path: [String]) throws -> [String]? {
        try handles(at: path, "hivex_node_children", { hivex_node_children($0, $1) })?.map { child in
            guard let n = hivex_node_name(handle, child) else { throw DaemonError.system("hivex_node_name: \(name)") }
            defer { free(n) }
            return String(cString: n)
        }
    }

    /// The key at `path` below the root, nil when one of its parts is missing.
    private func node(at path: [String]) throws -> hive_node_h? {
        var node = hivex_root(handle)
        guard node != 0 else { throw DaemonError.system("hivex_root: \(name)") }
        for key in path {
            errno = 0
            let child = hivex_node_get_child(handle, node, key)
            if child == 0 {
                if errno != 0 { throw DaemonError.system("hivex_node_get_child: \(name)") }
                return nil
            }
            node = child
        }
        return node
    }

    /// What `list` (`function`, named in its error) gives of the key at
    /// `path`; nil when the key is missing.
    private func handles(at path: [String], _ function: String,
                         _ list: (OpaquePointer, hive_node_h) -> UnsafeMutablePointer<Int>?) throws -> [Int]? {
        guard let node = try node(at: path) else { return nil }
        guard let handles = list(handle, node) else { throw DaemonError.system("\(function): \(name)") }
        return takeHivexHandles(handles)
    }

    func values(at path: [String]) throws -> [RegistryValue]? {
        try handles(at: path, "hivex_node_values", { hivex_node_values($0, $1) })?.map { v in
            guard let key = hivex_value_key(handle, v) else { throw DaemonError.system("hivex_value_key: \(name)") }
            let keyName = String(cString: key)
            free(key)
            var type = hive_type(0)
            var length = 0
            guard let data = hivex_value_value(handle, v, &type, &length) else {
                throw DaemonError.system("hivex_value_value: \(name)")
            }
            let bytes = Array(UnsafeRawBufferPointer(start: data, count: length))
            free(data)
            return RegistryValue(name: keyName, type: UInt32(type.rawValue), data: bytes)
        }
    }
}

/// The appliance's devices as inspection asks about them, in the
/// library's names.
struct ApplianceDevices: InspectionDevices {
    let handlers: Handlers
    var context: DaemonContext { handlers.context }

    func listDevices() -> [String] {
        context.devices.listDevices()
    }

    func findFilesystem(tag: String, value: String) -> String? {
        guard let node = try? (tag == "UUID" ? handlers.findfsUuid(uuid: value) : handlers.findfsLabel(label: value)) else {
            return nil
        }
        if node.hasPrefix("/dev/mapper/") || node.hasPrefix("/dev/dm-"),
           let lv = try? handlers.canonicalLogicalVolume(node, shownAs: node) {
            return lv
        }
        return context.canonicalDeviceName(node)
    }

    func canonicalLV(_ device: String) -> LVLookup {
        var st = stat()
        guard stat(device, &st) == 0 else { return .missing }
        guard let lv = try? handlers.canonicalLogicalVolume(device, shownAs: device) else { return .notLV }
        return .lv(lv)
    }

    func mdDevicesByUUID() -> [String: String] {
        guard let mds = try? handlers.listMdDevices(), !mds.isEmpty else { return [:] }
        var map: [String: String] = [:]
        for md in mds {
            guard let r = try? context.runner.run(["mdadm", "-D", "--export", md]), r.succeeded else { continue }
            for line in r.stdoutString.split(separator: "\n") where line.hasPrefix("MD_UUID=") {
                let hex = line.dropFirst(8).filter { $0.isHexDigit }.lowercased()
                if hex.count == 32 { map[hex] = md }
            }
        }
        return map
    }

    func mbrPartition(diskID: [UInt8], offset: UInt64) -> String? {
        for disk in listDevices() {
            guard let node = try? context.devices.node(for: disk),
                  (try? handlers.partGetParttype(device: node)) == "msdos",
                  readBytes(node, count: 4, at: 0x1b8) == diskID else { continue }
            // Upstream stops at the first disk with this signature.
            guard let parts = try? handlers.partList(device: node),
                  let part = parts.first(where: { $0.partStart == Int64(bitPattern: offset) }) else { return nil }
            return disk + String(part.partNum)
        }
        return nil
    }

    func gptPartition(guid: String) -> String? {
        guard let partitions = try? handlers.listPartitions() else { return nil }
        for part in partitions {
            guard let disk = try? handlers.partToDev(partition: part),
                  let num = try? handlers.partToPartnum(partition: part),
                  let node = try? context.devices.node(for: disk),
                  (try? handlers.partGetParttype(device: node)) == "gpt",
                  let g = try? handlers.partGetGptGuid(device: node, partnum: num) else { continue }
            if g.lowercased() == guid { return part }
        }
        return nil
    }

    /// The dm device whose mapping uuid is "CRYPT-LUKS<n>-<uuid without
    /// dashes>-<name>" (what udev's /dev/disk/by-id/dm-uuid-CRYPT-* links
    /// name; the appliance has no udev, so sysfs is read instead).
    func cryptDevice(luksUUID: String) -> String? {
        let short = luksUUID.filter { $0 != "-" }
        guard !short.isEmpty, let names = FileOps.directoryNames("/sys/block") else { return nil }
        for name in names.sorted() where name.hasPrefix("dm-") {
            guard let bytes = try? SmallFile.bytes("/sys/block/\(name)/dm/uuid") else { continue }
            let uuid = String(decoding: bytes, as: UTF8.self).trimmingTrailingNewlines()
            let parts = uuid.split(separator: "-", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0] == "CRYPT", parts[1].count == 5, parts[1].hasPrefix("LUKS"),
                  parts[2].hasPrefix(short + "-") else { continue }
            return "/dev/" + name
        }
        return nil
    }

    func logicalVolume(vgUUID: String, lvUUID: String) -> String? {
        guard let vg = (try? handlers.vgsFull())?.first(where: { $0.vgUuid == vgUUID }),
              let lv = (try? handlers.lvsFull())?.first(where: { $0.lvUuid == lvUUID }) else { return nil }
        return "/dev/\(vg.vgName)/\(lv.lvName)"
    }

    func readBytes(_ node: String, count: Int, at offset: Int64) -> [UInt8]? {
        guard let fd = try? FileDescriptor.open(FilePath(node), .readOnly, options: [.closeOnExec]) else { return nil }
        return try? fd.closeAfter {
            var buffer = [UInt8](repeating: 0, count: count)
            let n = try buffer.withUnsafeMutableBytes { try fd.read(fromAbsoluteOffset: offset, into: $0) }
            return n == count ? buffer : nil
        }
    }
}
