import Foundation
@testable import GuestfsDaemon
import Testing

/// The appliance's start-up check that each /dev/sdX is the disk
/// libguestfs attached in that position, on fake /sys/block trees shaped as
/// the appliance's (virtio-scsi: sdX/device -> ../../../H:C:T:L under
/// .../hostH/targetH:C:T/). No root needed.
@Suite("disk order") struct DiskOrderTests {
    /// A fake /sys/block: `disks` maps a name (sda, sdb, ...) to the target
    /// (host 2, channel 0, LUN 0 unless given); also a partition-less
    /// loop device and a vda, which the check ignores.
    func tree(_ disks: [(String, String)], body: (String) throws -> Void) throws {
        let dir = NSTemporaryDirectory() + "fake-sysfs-" + UUID().uuidString.prefix(8)
        let fm = FileManager.default
        defer { try? fm.removeItem(atPath: dir) }
        let block = dir + "/block"
        try fm.createDirectory(atPath: block, withIntermediateDirectories: true)
        let devices = dir + "/devices/pci0000:00/0000:00:03.0/virtio2/host2"
        for (name, address) in disks {
            let parts = address.split(separator: ":")
            let scsi = devices + "/target\(parts[0]):\(parts[1]):\(parts[2])/\(address)"
            try fm.createDirectory(atPath: scsi + "/block/" + name, withIntermediateDirectories: true)
            // /sys/block/sdX -> the block dir; sdX/device -> ../../../H:C:T:L
            try fm.createSymbolicLink(atPath: block + "/" + name,
                                      withDestinationPath: "../" + (scsi + "/block/" + name).dropFirst(dir.count + 1))
            try fm.createSymbolicLink(atPath: scsi + "/block/" + name + "/device", withDestinationPath: "../../../\(address)")
        }
        try fm.createDirectory(atPath: dir + "/devices/virtual/block/loop0", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: block + "/loop0", withDestinationPath: "../devices/virtual/block/loop0")
        try fm.createDirectory(atPath: dir + "/devices/virtio1/block/vda", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: block + "/vda", withDestinationPath: "../devices/virtio1/block/vda")
        try body(block)
    }

    func names(_ count: Int) -> [String] { (0..<count).map { "sd" + DeviceNames.letters(forIndex: $0) } }

    @Test func namesInTargetOrderPass() throws {
        // 1, 3, 8 user disks plus the root, and 30 (sdz, sdaa, sdab, ... sdad)
        for count in [1, 3, 8, 30] {
            let disks = names(count + 1).enumerated().map { ($0.element, "2:0:\($0.offset):0") }
            try tree(disks) { block in
                #expect(DiskOrder.check(sysBlock: block, hasRootDisk: true) == nil, "\(count) disks")
                #expect(DiskOrder.sdDiskCount(sysBlock: block) == count + 1)
            }
        }
        // no sd disk at all (the host, an appliance booted without disks)
        try tree([]) { block in #expect(DiskOrder.check(sysBlock: block) == nil) }
        // a gap (a drive on another interface, a CD-ROM at target 1): names
        // follow the order of the addresses
        try tree([("sda", "2:0:0:0"), ("sdb", "2:0:2:0"), ("sdc", "2:0:3:0")]) { block in
            #expect(DiskOrder.check(sysBlock: block, hasRootDisk: true) == nil)
        }
    }

    @Test func theRootFirstIsRefused() throws {
        // The CI failure: the appliance's root (attached last, target 1)
        // came out as /dev/sda, the user's disk as /dev/sdb.
        try tree([("sda", "2:0:1:0"), ("sdb", "2:0:0:0")]) { block in
            #expect(DiskOrder.check(sysBlock: block, hasRootDisk: true)
                    == "/dev/sdb is the disk at SCSI address 2:0:0:0, where libguestfs attached its disk 0, "
                    + "which the library calls /dev/sda (/dev/sda is the disk at 2:0:1:0): the kernel named "
                    + "the disks out of order; refusing to serve device names that point at the wrong disk")
        }
    }

    @Test func aSwapAmongEightIsRefused() throws {
        var disks = names(9).enumerated().map { ($0.element, "2:0:\($0.offset):0") }
        disks[5].1 = "2:0:6:0"
        disks[6].1 = "2:0:5:0"
        try tree(disks) { block in
            let message = DiskOrder.check(sysBlock: block, hasRootDisk: true)
            #expect(message?.hasPrefix("/dev/sdg is the disk at SCSI address 2:0:5:0, where libguestfs attached its disk 5, "
                                       + "which the library calls /dev/sdf (/dev/sdf is the disk at 2:0:6:0)") == true)
        }
        // Only the root misplaced: it is the last target but not the last name.
        try tree([("sda", "2:0:0:0"), ("sdb", "2:0:2:0"), ("sdc", "2:0:1:0")]) { block in
            let message = DiskOrder.check(sysBlock: block, hasRootDisk: true)
            #expect(message?.hasPrefix("/dev/sdc is the disk at SCSI address 2:0:1:0, where libguestfs attached its disk 1") == true)
        }
        try tree([("sda", "2:0:0:0"), ("sdc", "2:0:1:0")]) { block in
            // a name missing in the middle: the second disk must be sdb
            #expect(DiskOrder.check(sysBlock: block, hasRootDisk: true)?.hasPrefix(
                "/dev/sdc is the disk at SCSI address 2:0:1:0, where libguestfs attached the appliance's own root disk, which must be /dev/sdb:") == true)
        }
    }

    @Test func addressesCompareAsNumbers() throws {
        // target 10 sorts after target 9 (not as text)
        let disks = names(12).enumerated().map { ($0.element, "2:0:\($0.offset):0") }
        try tree(disks) { block in #expect(DiskOrder.check(sysBlock: block) == nil) }
        // LUNs and channels order too
        try tree([("sda", "0:0:0:0"), ("sdb", "0:0:0:1"), ("sdc", "0:1:0:0"), ("sdd", "1:0:0:0")]) { block in
            #expect(DiskOrder.check(sysBlock: block) == nil)
        }
    }

    @Test func unreadableOrForeignDeviceLinksAreRefused() throws {
        try tree([("sda", "2:0:0:0")]) { block in
            try FileManager.default.createDirectory(atPath: block + "/../devices/x/block/sdb", withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: block + "/sdb", withDestinationPath: "../devices/x/block/sdb")
            #expect(DiskOrder.check(sysBlock: block)?.hasPrefix("/dev/sdb: cannot read \(block)/sdb/device: ") == true)
            try FileManager.default.createSymbolicLink(atPath: block + "/sdb/device", withDestinationPath: "../../../virtio3")
            #expect(DiskOrder.check(sysBlock: block)
                    == "/dev/sdb: \(block)/sdb/device -> ../../../virtio3 is not a SCSI address (H:C:T:L)")
        }
    }

    /// The daemon itself, started as in the appliance (no --drive) in a
    /// private mount namespace whose /sys is a fake tree: it refuses to
    /// start on names out of order, with the message on stderr and status
    /// 1, and serves (here: reads the empty channel and exits 0) when they
    /// follow the addresses.
    @Test(.enabled(if: StandaloneDaemon.available, "needs root, unshare"))
    func theDaemonRefusesToStart() throws {
        func daemon(_ block: String) throws -> (status: Int32, stderr: String) {
            let sys = URL(fileURLWithPath: block).deletingLastPathComponent().path
            let sysroot = sys + "/sysroot"
            try FileManager.default.createDirectory(atPath: sysroot, withIntermediateDirectories: true)
            let (stderr, status) = try hostRun(
                ["/usr/bin/unshare", "-m", "--propagation", "private", "sh", "-c",
                 "mount --bind \"$1\" /sys && exec \"$2\" --no-cmdline --verbose --channel /dev/null --sysroot \"$3\"",
                 "sh", sys, StandaloneDaemon.daemonPath, sysroot],
                keepingStderr: true)
            return (status, String(decoding: stderr, as: UTF8.self))
        }
        try tree([("sda", "2:0:1:0"), ("sdb", "2:0:0:0")]) { block in
            let (status, stderr) = try daemon(block)
            #expect(status == 1)
            #expect(stderr == "guestfsd: error: /dev/sdb is the disk at SCSI address 2:0:0:0, where libguestfs attached "
                    + "its disk 0, which the library calls /dev/sda (/dev/sda is the disk at 2:0:1:0): the kernel named "
                    + "the disks out of order; refusing to serve device names that point at the wrong disk\n")
        }
        try tree([("sda", "2:0:0:0"), ("sdb", "2:0:1:0")]) { block in
            let (status, stderr) = try daemon(block)
            #expect(status == 0)
            #expect(stderr.hasPrefix("guestfsd: disk names follow SCSI addresses (2 sd disks)\n"))
        }
    }
}
