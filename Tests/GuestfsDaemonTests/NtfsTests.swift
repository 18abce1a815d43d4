import Foundation
import GuestfsClient
import Testing

/// The ntfs3g and ntfsprogs groups against a standalone daemon, on a whole
/// disk made NTFS; outcomes checked on the image with the host's tools.
@Suite(.enabled(if: StandaloneDaemon.available)) struct NtfsTests {
    /// "Current volume size: N bytes" from the host's ntfsresize --info.
    func volumeSize(_ image: String) throws -> Int {
        let info = try host(["ntfsresize", "--info", "--force", "--force", "--no-progress-bar", image], allowFailure: true)
        for line in info.split(separator: "\n") where line.hasPrefix("Current volume size:") {
            let words = line.split(separator: " ")
            if words.count > 3, let n = Int(words[3]) { return n }
        }
        return -1
    }

    @Test func probeResizeCloneAndCat() throws {
        try withStandaloneDaemon(diskSizesMB: [64]) { d in
            let c = d.client
            // Not NTFS yet: ntfs-3g.probe's own code, not an error.
            #expect(try c.ntfs3gProbe(rw: true, device: "/dev/sda") != 0)
            try c.mkfs(fstype: "ntfs", device: "/dev/sda")
            #expect(try c.ntfs3gProbe(rw: true, device: "/dev/sda") == 0)
            #expect(try c.ntfs3gProbe(rw: false, device: "/dev/sda") == 0)
            // $Boot (inode 7): the boot sector first, with the OEM id.
            let boot = DownloadSink()
            try c.ntfscatI(device: "/dev/sda", inode: 7, filename: boot)
            #expect(boot.bytes.count == 8192)
            #expect(Array(boot.bytes[3..<11]) == Array("NTFS    ".utf8))
            // ntfsfix leaves the volume marked for Windows' check.
            try c.ntfsfix(device: "/dev/sda", clearbadsectors: true)
            let marked = daemonError { try c.ntfscatI(device: "/dev/sda", inode: 7, filename: DownloadSink()) }
            #expect(marked?.message.contains("Volume is scheduled for check") == true, "\(String(describing: marked))")

            // Shrink, then grow back to the device (forced: the volume is
            // marked for a check after a resize).
            try c.ntfsresize(device: "/dev/sda", size: 40_000_000, force: true)
            let shrunk = try volumeSize(d.images[0])
            #expect(shrunk > 35_000_000 && shrunk <= 40_000_000, "\(shrunk)")
            let refused = daemonError { try c.ntfsresizeSize(device: "/dev/sda", size: 50_000_000) }
            #expect(refused?.message.contains("Volume is scheduled for check") == true, "\(String(describing: refused))")
            try c.ntfsresize(device: "/dev/sda", size: nil, force: true)
            #expect(try volumeSize(d.images[0]) > 60_000_000)

            // Clone out, wipe, clone back in: the same filesystem UUID.
            let uuid = try c.vfsUuid(mountable: "/dev/sda")
            let image = DownloadSink()
            try c.ntfscloneOut(device: "/dev/sda", backupfile: image, force: true)
            #expect(image.bytes.starts(with: Array("\0ntfsclone-image".utf8)))
            try c.zeroDevice(device: "/dev/sda")
            #expect(try c.vfsType(mountable: "/dev/sda") == "")
            try c.ntfscloneIn(backupfile: .bytes(image.bytes), device: "/dev/sda")
            #expect(try c.vfsType(mountable: "/dev/sda") == "ntfs")
            #expect(try c.vfsUuid(mountable: "/dev/sda") == uuid)
            #expect(try host(["blkid", "-p", "-o", "value", "-s", "TYPE", d.images[0]]) == "ntfs\n")

            // Errors: the tools' own messages; the session goes on.
            #expect(daemonError { try c.ntfsresize(device: "/dev/sda", size: 0, force: nil) }?.message == "size is zero or negative")
            let big = daemonError { try c.ntfsresize(device: "/dev/sda", size: 1 << 40, force: true) }
            #expect(big?.message.contains("New size can't be bigger than the device size") == true)
            #expect(daemonError { try c.ntfscatI(device: "/dev/sda", inode: -1, filename: DownloadSink()) }?.message == "inode must be >= 0")
            let garbage = daemonError { try c.ntfscloneIn(backupfile: .bytes(Array(repeating: 7, count: 100_000)), device: "/dev/sda") }
            #expect(garbage != nil)
            try c.pingDaemon()
            #expect(try c.internalFeatureAvailable(group: "ntfs3g") == 0)
            #expect(try c.internalFeatureAvailable(group: "ntfsprogs") == 0)
        }
    }
}
