import Foundation
@testable import GuestfsInspection

/// A guest filesystem as a directory tree on the host: paths resolve as
/// after chroot into `root` (symlinks, absolute or relative, stay inside).
struct TreeReader: GuestFilesystemReader {
    let root: String
    var architectures: [String: String] = [:]
    var hives: [String: FakeHive] = [:]

    func host(_ path: String, follow: Bool = true) -> String? {
        var pending = path.split(separator: "/").map(String.init).reversed() as [String]
        var done: [String] = []
        var links = 0
        while let c = pending.popLast() {
            if c == "." { continue }
            if c == ".." { _ = done.popLast(); continue }
            let candidate = root + "/" + (done + [c]).joined(separator: "/")
            if (!pending.isEmpty || follow),
               let target = try? FileManager.default.destinationOfSymbolicLink(atPath: candidate) {
                links += 1
                if links > 40 { return nil }
                if target.hasPrefix("/") { done = [] }
                pending += target.split(separator: "/").map(String.init).reversed()
                continue
            }
            done.append(c)
        }
        return root + "/" + done.joined(separator: "/")
    }

    func kind(of path: String, followSymlinks: Bool) -> GuestFileKind? {
        guard let h = host(path, follow: followSymlinks) else { return nil }
        var st = stat()
        guard lstat(h, &st) == 0 else { return nil }
        return GuestFileKind(mode: st.st_mode)
    }

    func size(of path: String) -> Int? {
        guard kind(of: path, followSymlinks: true) == .regular, let h = host(path) else { return nil }
        return (try? FileManager.default.attributesOfItem(atPath: h)[.size] as? Int) ?? nil
    }

    func read(_ path: String) -> [UInt8]? {
        guard let h = host(path), let d = FileManager.default.contents(atPath: h) else { return nil }
        return [UInt8](d)
    }

    func readLink(_ path: String) -> String? {
        guard let h = host(path, follow: false) else { return nil }
        return try? FileManager.default.destinationOfSymbolicLink(atPath: h)
    }

    func list(_ path: String) -> [String]? {
        guard let h = host(path) else { return nil }
        return try? FileManager.default.contentsOfDirectory(atPath: h)
    }

    func realPath(_ path: String) -> String? {
        guard let h = host(path) else { return nil }
        let rel = String(h.dropFirst(root.count))
        let canonical = "/" + rel.split(separator: "/").joined(separator: "/")
        return canonical
    }

    func architecture(of path: String) throws -> String? {
        guard let arch = architectures[path] else { throw InspectionError("\(path): unknown binary") }
        return arch
    }

    func openHive(_ path: String) throws -> RegistryHive {
        guard let h = hives[path] else { throw InspectionError("\(path): no hive") }
        return h
    }
}

/// Registry keys by path (names compared without case), values in order.
struct FakeHive: RegistryHive {
    var keys: [[String]: [RegistryValue]]

    func values(at path: [String]) throws -> [RegistryValue]? {
        let wanted = path.map { $0.lowercased() }
        for (k, v) in keys where k.map({ $0.lowercased() }) == wanted { return v }
        // A key that exists only as a parent has no values.
        if keys.keys.contains(where: { $0.count > wanted.count && Array($0.prefix(wanted.count)).map { $0.lowercased() } == wanted }) {
            return []
        }
        return nil
    }

    func childNames(at path: [String]) throws -> [String]? {
        let wanted = path.map { $0.lowercased() }
        var names: [String] = []
        var exists = false
        for k in keys.keys where k.count >= wanted.count && k.prefix(wanted.count).map({ $0.lowercased() }) == wanted {
            exists = true
            if k.count > wanted.count, !names.contains(k[wanted.count]) { names.append(k[wanted.count]) }
        }
        return exists ? names.sorted() : nil
    }
}

extension RegistryValue {
    static func sz(_ name: String, _ s: String) -> RegistryValue {
        RegistryValue(name: name, type: regSZ, data: s.utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] } + [0, 0])
    }
    static func dword(_ name: String, _ v: UInt32) -> RegistryValue {
        RegistryValue(name: name, type: regDWord, data: [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)])
    }
}

/// Devices as a fake appliance has them.
struct FakeDevices: InspectionDevices {
    var disks = ["/dev/sda"]
    var byTag: [String: String] = [:]
    var lvs: [String: LVLookup] = [:]
    var mds: [String: String] = [:]
    var mbr: [String: String] = [:]
    var gpt: [String: String] = [:]
    /// LUKS UUID -> its open mapping (/dev/dm-N).
    var crypt: [String: String] = [:]
    /// "VGUUID/LVUUID" -> /dev/VG/LV.
    var lvsByUUID: [String: String] = [:]

    func listDevices() -> [String] { disks }
    func cryptDevice(luksUUID: String) -> String? { crypt[luksUUID] }
    func logicalVolume(vgUUID: String, lvUUID: String) -> String? { lvsByUUID["\(vgUUID)/\(lvUUID)"] }
    func findFilesystem(tag: String, value: String) -> String? { byTag["\(tag)=\(value)"] }
    func canonicalLV(_ device: String) -> LVLookup { lvs[device] ?? .missing }
    func mdDevicesByUUID() -> [String: String] { mds }
    func mbrPartition(diskID: [UInt8], offset: UInt64) -> String? {
        mbr[diskID.map { String(format: "%02x", $0) }.joined() + "@\(offset)"]
    }
    func gptPartition(guid: String) -> String? { gpt[guid] }
}

/// Each filesystem is a directory under `base`; "mounting" makes the
/// reader look at it.
final class TreeMounter: InspectionMounter {
    let trees: [String: String]
    var mounted: String?
    var mountLog: [String] = []
    var isMounted: Bool { mounted != nil }

    init(trees: [String: String]) { self.trees = trees }

    func mount(_ mountable: String, options: String, vfsType: String?) throws {
        guard let t = trees[mountable] else { throw InspectionError("cannot mount \(mountable)") }
        mounted = t
        mountLog.append("\(mountable) \(options)")
    }

    func unmountAll() throws { mounted = nil }
}

/// A reader that follows whatever the mounter has mounted.
struct MountedTreeReader: GuestFilesystemReader {
    let mounter: TreeMounter
    var architectures: [String: String] = [:]
    var hives: [String: FakeHive] = [:]

    var tree: TreeReader {
        TreeReader(root: mounter.mounted ?? "/nonexistent-tree", architectures: architectures, hives: hives)
    }
    func kind(of path: String, followSymlinks: Bool) -> GuestFileKind? { tree.kind(of: path, followSymlinks: followSymlinks) }
    func size(of path: String) -> Int? { tree.size(of: path) }
    func read(_ path: String) -> [UInt8]? { tree.read(path) }
    func readLink(_ path: String) -> String? { tree.readLink(path) }
    func list(_ path: String) -> [String]? { tree.list(path) }
    func realPath(_ path: String) -> String? { tree.realPath(path) }
    func architecture(of path: String) throws -> String? { try tree.architecture(of: path) }
    func openHive(_ path: String) throws -> RegistryHive { try tree.openHive(path) }
}

/// A scratch directory holding guest trees, removed at the end.
final class Trees {
    let base: String

    init() {
        base = NSTemporaryDirectory() + "inspect-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: base) }

    /// Writes `files` (path: content; a content starting with "->" makes a
    /// symlink, a path ending in "/" a directory) into tree `name`.
    @discardableResult
    func make(_ name: String, _ files: [String: String]) -> String {
        let root = base + "/" + name
        let fm = FileManager.default
        try? fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        for (path, content) in files.sorted(by: { $0.key < $1.key }) {
            let full = root + path
            if path.hasSuffix("/") {
                try? fm.createDirectory(atPath: full, withIntermediateDirectories: true)
                continue
            }
            try? fm.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            if content.hasPrefix("->") {
                try? fm.createSymbolicLink(atPath: full, withDestinationPath: String(content.dropFirst(2)))
            } else {
                fm.createFile(atPath: full, contents: Data(content.utf8))
            }
        }
        return root
    }
}

/// Inspects trees as filesystems named by their device.
func inspectTrees(_ trees: Trees, _ fses: [(String, String, [String: String])],
                  devices: FakeDevices = FakeDevices(), architectures: [String: String] = ["/usr/bin/bash": "x86_64", "/bin/bash": "x86_64", "/bin/ls": "x86_64"],
                  hives: [String: FakeHive] = [:]) throws -> (Inspection, TreeMounter) {
    var map: [String: String] = [:]
    // "unknown" (no filesystem) cannot be mounted.
    for (dev, type, files) in fses where type != "unknown" {
        map[dev] = trees.make(dev.replacingOccurrences(of: "/", with: "_"), files)
    }
    let mounter = TreeMounter(trees: map)
    let reader = MountedTreeReader(mounter: mounter, architectures: architectures, hives: hives)
    let inspector = Inspector(filesystem: reader, devices: devices, mounter: mounter)
    let found = try inspector.inspect(filesystems: fses.map { (mountable: $0.0, vfsType: $0.1) })
    return (Inspection(filesystems: found), mounter)
}
