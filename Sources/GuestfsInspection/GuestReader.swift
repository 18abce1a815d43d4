/// What inspection needs to see of one mounted guest filesystem. Paths are
/// guest paths ("/etc/fstab") resolved inside the filesystem the way they
/// would be after chroot. The daemon supplies one over its sysroot; tests
/// supply one over a directory tree.
public protocol GuestFilesystemReader {
    /// The kind of the object at `path` (lstat, or stat when
    /// `followSymlinks`), or nil when there is none.
    func kind(of path: String, followSymlinks: Bool) -> GuestFileKind?
    /// The size of a regular file, following symlinks; nil otherwise.
    func size(of path: String) -> Int?
    /// The whole content of a regular file (following symlinks), or nil.
    func read(_ path: String) -> [UInt8]?
    /// The target of a symlink, or nil.
    func readLink(_ path: String) -> String?
    /// The names in a directory (without "." and ".."), in directory order,
    /// or nil when it cannot be listed.
    func list(_ path: String) -> [String]?
    /// The canonical guest path of `path` with every symlink resolved.
    func realPath(_ path: String) -> String?
    /// The architecture of a binary ("x86_64", "i386", ...). Throws when
    /// it cannot be told; returns nil when the daemon cannot tell at all
    /// (file_architecture not available).
    func architecture(of path: String) throws -> String?
    /// Opens a Windows registry hive file of this filesystem.
    func openHive(_ path: String) throws -> RegistryHive
}

public enum GuestFileKind: Sendable, Equatable {
    case regular, directory, symlink, other

    /// The kind a stat(2) mode says (S_IFMT's values, the same on every
    /// Unix: this module imports no libc).
    public init(mode: UInt32) {
        switch mode & 0o170000 {
        case 0o100000: self = .regular
        case 0o040000: self = .directory
        case 0o120000: self = .symlink
        default: self = .other
        }
    }
}

/// One value of a registry key, as hivex gives it.
public struct RegistryValue: Sendable, Equatable {
    public var name: String
    public var type: UInt32
    public var data: [UInt8]

    public init(name: String, type: UInt32, data: [UInt8]) {
        self.name = name
        self.type = type
        self.data = data
    }

    public static let regSZ: UInt32 = 1
    public static let regExpandSZ: UInt32 = 2
    public static let regBinary: UInt32 = 3
    public static let regDWord: UInt32 = 4
    public static let regDWordBigEndian: UInt32 = 5
    public static let regLink: UInt32 = 6

    /// hivex_value_string: UTF-16LE up to the first NUL; only for the
    /// string types.
    public func string() throws -> String {
        guard type == Self.regSZ || type == Self.regExpandSZ || type == Self.regLink else {
            throw InspectionError("\(name): registry value is not a string")
        }
        var units: [UInt16] = []
        var i = 0
        while i + 1 < data.count {
            let u = UInt16(data[i]) | UInt16(data[i + 1]) << 8
            if u == 0 { break }
            units.append(u)
            i += 2
        }
        return String(decoding: units, as: UTF16.self)
    }

    /// hivex_value_dword.
    public func dword() throws -> Int32 {
        guard data.count >= 4, type == Self.regDWord || type == Self.regDWordBigEndian else {
            throw InspectionError("\(name): registry value is not a DWORD")
        }
        let b = data.prefix(4).map(UInt32.init)
        let v = type == Self.regDWord ? b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24
                                      : b[3] | b[2] << 8 | b[1] << 16 | b[0] << 24
        return Int32(bitPattern: v)
    }
}

/// An open hive: the values of the key at a path of subkey names (each
/// matched without regard to case, as hivex does), or nil when a key on
/// the path is missing.
public protocol RegistryHive {
    func values(at path: [String]) throws -> [RegistryValue]?
    /// The names of the subkeys of the key at `path`, nil when no such key.
    func childNames(at path: [String]) throws -> [String]?
}

/// What inspection needs to know about the appliance's devices (not the
/// guest's files): name resolution for fstab and the Windows registry.
/// Device names are the library's (/dev/sda1, /dev/VG/LV): inspection
/// compares fstab's devices with list_filesystems' in that one form.
public protocol InspectionDevices {
    /// The whole disks, in order (/dev/sda, /dev/sdb, ...).
    func listDevices() -> [String]
    /// `findfs TAG=VALUE` with LVs in /dev/VG/LV form; nil when not found.
    func findFilesystem(tag: String, value: String) -> String?
    /// The /dev/VG/LV name of a /dev/mapper name: .lv(name), .notLV when
    /// it is not an LV, .missing when the node does not exist.
    func canonicalLV(_ device: String) -> LVLookup
    /// The appliance's md devices by their UUID (32 lowercase hex digits).
    func mdDevicesByUUID() -> [String: String]
    /// The partition on the MBR disk whose disk signature is `diskID` and
    /// that starts at byte `offset` (HKLM\SYSTEM\MountedDevices).
    func mbrPartition(diskID: [UInt8], offset: UInt64) -> String?
    /// The GPT partition whose partition GUID is `guid` (lowercase).
    func gptPartition(guid: String) -> String?
    /// The open LUKS mapping (/dev/dm-N) of the LUKS volume whose UUID is
    /// `luksUUID` (as in crypttab's UUID=), or nil.
    func cryptDevice(luksUUID: String) -> String?
    /// The /dev/VG/LV of the LV with these UUIDs (32 characters each,
    /// without dashes, as in /dev/disk/by-id/dm-uuid-LVM-...), or nil.
    func logicalVolume(vgUUID: String, lvUUID: String) -> String?
}

public enum LVLookup: Sendable, Equatable {
    case lv(String)
    case notLV
    case missing
}

/// An error that ends inspection (upstream raises these as Failure).
public struct InspectionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
