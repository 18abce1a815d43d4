#if canImport(Glibc)
import Glibc
#endif

/// The start-up check that every /dev/sdX the daemon shows the library is
/// the disk libguestfs attached in that position.
///
/// libguestfs (1.48 to 1.60, direct backend) attaches each drive as
/// `-device scsi-hd,drive=hdN` on one virtio-scsi HBA, with no explicit
/// address: qemu gives them targets 0, 1, 2, ... (LUN 0) in that order,
/// and the appliance's own root image, attached after them, the next
/// target. The library names drive N /dev/sd<N>, so the kernel's names must
/// follow the SCSI addresses: the k-th sd disk by address (host, channel,
/// target, LUN) must be the k-th name (sda, sdb, ..., sdz, sdaa). The
/// kernel's sd probes run asynchronously and take the next free name when
/// they run; /init scans target after target to keep the order, and this
/// check refuses to serve rather than let a name point at another disk.
/// Ranking by address (rather than requiring target == k) also covers a
/// drive on another interface (`iface=virtio`/`ide`) or a CD-ROM taking a
/// target without an sd name.
public enum DiskOrder {
    /// A SCSI address "H:C:T:L".
    public struct Address: Comparable, CustomStringConvertible, Sendable {
        public var host, channel, target, lun: Int
        public static func < (a: Address, b: Address) -> Bool {
            (a.host, a.channel, a.target, a.lun) < (b.host, b.channel, b.target, b.lun)
        }
        public var description: String { "\(host):\(channel):\(target):\(lun)" }

        public init?(_ text: Substring) {
            let f = text.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
            guard f.count == 4, let h = f[0], let c = f[1], let t = f[2], let l = f[3] else { return nil }
            (host, channel, target, lun) = (h, c, t, l)
        }
    }

    /// Checks the whole sd disks under `sysBlock` (a /sys/block-like
    /// directory: `sdX/device` is a symlink whose last component is the
    /// SCSI address, `.../target0:0:N/0:0:N:0`). Returns nil when the names
    /// follow the addresses (or there are no sd disks), else the message
    /// to refuse start-up with, naming the device and the disk it is.
    /// `hasRootDisk` (a fixed appliance: its root is the last disk) only
    /// words the message.
    public static func check(sysBlock: String = "/sys/block", hasRootDisk: Bool = false) -> String? {
        var disks: [(name: String, address: Address)] = []
        for name in DeviceNames.directoryEntries(sysBlock) {
            guard name.hasPrefix("sd"), let index = DeviceNames.index(ofLetters: name.dropFirst(2)),
                  DeviceNames.letters(forIndex: index) == name.dropFirst(2) else { continue }
            let link = sysBlock + "/" + name + "/device"
            guard let target = readLink(link) else {
                return "/dev/\(name): cannot read \(link): \(String(cString: strerror(errno)))"
            }
            guard let last = target.split(separator: "/").last, let address = Address(last) else {
                return "/dev/\(name): \(link) -> \(target) is not a SCSI address (H:C:T:L)"
            }
            disks.append((name, address))
        }
        let byAddress = disks.sorted { $0.address < $1.address }
        for (k, disk) in byAddress.enumerated() {
            let expected = "sd" + DeviceNames.letters(forIndex: k)
            guard disk.name != expected else { continue }
            let isRoot = hasRootDisk && k == byAddress.count - 1
            var message = "/dev/\(disk.name) is the disk at SCSI address \(disk.address), where libguestfs attached "
                + (isRoot ? "the appliance's own root disk, which must be /dev/\(expected)"
                          : "its disk \(k), which the library calls /dev/\(expected)")
            if let other = disks.first(where: { $0.name == expected }) {
                message += " (/dev/\(expected) is the disk at \(other.address))"
            }
            return message + ": the kernel named the disks out of order; refusing to serve device names that point at the wrong disk"
        }
        return nil
    }

    /// `check` on the appliance's /sys/block.
    public static func checkAppliance() -> String? {
        check(hasRootDisk: DeviceNames.rootDisk != nil)
    }

    /// The number of whole sd disks under `sysBlock` (for the log).
    public static func sdDiskCount(sysBlock: String = "/sys/block") -> Int {
        DeviceNames.directoryEntries(sysBlock).filter {
            $0.hasPrefix("sd") && DeviceNames.index(ofLetters: $0.dropFirst(2)) != nil
        }.count
    }

    static func readLink(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buf, buf.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
