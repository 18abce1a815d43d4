#if canImport(Glibc)
import Glibc
#endif
import CBlkid
import SystemPackage
import GuestfsProtocol

// MARK: - Labels and UUIDs

extension Handlers {
    public func setLabel(mountable: String, label: String) throws {
        let device = splitMountable(mountable).device
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

