import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

/// Bytes of a file on the host.
func bootBytes(_ path: String, offset: Int = 0, count: Int? = nil) throws -> [UInt8] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    let end = count.map { min(data.count, offset + $0) } ?? data.count
    return Array(data[offset..<end])
}

/// The host's own tool run on a scratch image: the bytes it writes are
/// what the daemon's run must write too.
func bootHostImage(sizeMB: Int, _ body: (String) throws -> Void) throws {
    let path = NSTemporaryDirectory() + "boot-host-" + UUID().uuidString.prefix(8) + ".img"
    _ = FileManager.default.createFile(atPath: path, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: path) }
    try FileHandle(forWritingTo: URL(fileURLWithPath: path)).truncate(atOffset: UInt64(sizeMB) << 20)
    try body(path)
}

@Suite("bootloaders", .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"))
struct BootloaderTests {
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/syslinux")))
    func syslinuxWritesItsBootSectorAndLdlinuxFiles() throws {
        // What the host's syslinux writes on the same FAT filesystem.
        var hostC32: [UInt8] = []
        try bootHostImage(sizeMB: 32) { img in
            try host(["mkfs.vfat", img])
            try host(["syslinux", "--install", "--force", img])
            let out = img + ".c32"
            defer { try? FileManager.default.removeItem(atPath: out) }
            try host(["mcopy", "-n", "-i", img, "::/ldlinux.c32", out])
            hostC32 = try bootBytes(out)
        }
        #expect(hostC32.count > 100_000)
        // The FAT filesystem is read back with mtools on the image (the
        // host kernel may lack vfat; syslinux itself needs no mount).
        func fatFile(_ image: String, _ path: String) throws -> [UInt8] {
            let out = image + ".out"
            defer { try? FileManager.default.removeItem(atPath: out) }
            try host(["mcopy", "-n", "-i", image, "::" + path, out])
            return try bootBytes(out)
        }
        try withStandaloneDaemon(diskSizesMB: [32]) { d throws in
            let c = d.client
            try c.mkfs(fstype: "vfat", device: "/dev/sda")
            let fatBefore = try bootBytes(d.images[0], offset: 0x0b, count: 0x3e - 0x0b)
            try c.syslinux(device: "/dev/sda")
            try c.sync()
            let sector = try bootBytes(d.images[0], count: 512)
            #expect(Array(sector[3..<11]) == Array("SYSLINUX".utf8), "OEM name")
            #expect(Array(sector[0x0b..<0x3e]) == fatBefore, "the BPB is the filesystem's")
            #expect(Array(sector[510..<512]) == [0x55, 0xaa])
            #expect(sector[0] == 0xeb, "a jump to the boot code")
            #expect(try fatFile(d.images[0], "/ldlinux.sys").count > 10_000)
            #expect(try fatFile(d.images[0], "/ldlinux.c32") == hostC32)

            try host(["mmd", "-i", d.images[0], "::/boot", "::/boot/syslinux"])
            try c.syslinux(device: "/dev/sda", directory: "/boot/syslinux")
            try c.sync()
            #expect(try fatFile(d.images[0], "/boot/syslinux/ldlinux.c32") == hostC32)
            #expect(try fatFile(d.images[0], "/boot/syslinux/ldlinux.sys").count > 10_000)

            try c.mkfs(fstype: "ext4", device: "/dev/sda")
            #expect(fsErrorMessage { try c.syslinux(device: "/dev/sda") }
                    == "syslinux: invalid media signature (not an FAT/NTFS volume?)")
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/extlinux")))
    func extlinuxInstallsOnAMountedExtFilesystem() throws {
        try withStandaloneDaemon(diskSizesMB: [32]) { d throws in
            let c = d.client
            try c.mkfs(fstype: "ext4", device: "/dev/sda")
            #expect(try bootBytes(d.images[0], count: 1024).allSatisfy { $0 == 0 })
            try c.mount(mountable: "/dev/sda", mountpoint: "/")
            try c.mkdirP(path: "/boot/extlinux")
            try c.extlinux(directory: "/boot/extlinux")
            #expect(try c.statns(path: "/boot/extlinux/ldlinux.sys").stSize > 10_000)
            #expect(try c.statns(path: "/boot/extlinux/ldlinux.c32").stSize > 100_000)
            try c.umountAll()
            // The filesystem's boot block (before the ext4 superblock at
            // 1024, zero after mkfs) now holds the SYSLINUX boot sector.
            let sector = try bootBytes(d.images[0], count: 512)
            #expect(Array(sector[3..<11]) == Array("SYSLINUX".utf8))
            #expect(Array(sector[510..<512]) == [0x55, 0xaa])

            try c.mount(mountable: "/dev/sda", mountpoint: "/")
            let e = daemonError { try c.extlinux(directory: "/missing") }
            #expect(e?.message.hasPrefix("/missing: ") == true)
        }
    }

    /// grub-install with grub-pc-bin: the MBR boot code and the core image
    /// it embeds after the MBR are the bytes the host's grub-install writes
    /// on a disk of the same layout, and boot/grub/i386-pc is in place.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/lib/grub/i386-pc/modinfo.sh")
                   && FileManager.default.isExecutableFile(atPath: "/usr/sbin/grub-install")))
    func grubInstallWritesTheSameBootCodeAsTheHosts() throws {
        // One disk laid out by the daemon (msdos label, ext4 from sector
        // 2048); a copy of it gets the host's grub-install, the disk itself
        // the daemon's.
        let first = try StandaloneDaemon(diskSizesMB: [64])
        let disk = first.directory + ".disk.img", hostCopy = first.directory + ".host.img"
        defer {
            try? FileManager.default.removeItem(atPath: disk)
            try? FileManager.default.removeItem(atPath: hostCopy)
        }
        do {
            defer { first.stop() }
            try first.client.partInit(device: "/dev/sda", parttype: "msdos")
            try first.client.partAdd(device: "/dev/sda", prlogex: "p", startsect: 2048, endsect: -1)
            try first.client.mkfs(fstype: "ext4", device: "/dev/sda1")
            try first.client.sync()
            try FileManager.default.copyItem(atPath: first.images[0], toPath: disk)
        }
        try FileManager.default.copyItem(atPath: disk, toPath: hostCopy)
        try host(["unshare", "-m", "bash", "-c", """
            set -e
            L=$(losetup -f --show -P \(hostCopy))
            trap 'losetup -d $L' EXIT
            partx -a $L 2>/dev/null || true
            for i in $(seq 50); do [ -b ${L}p1 ] && break; sleep 0.1; done
            m=$(mktemp -d); mount ${L}p1 $m
            grub-install --root-directory=$m $L
            umount $m
            """])
        let hostBytes = try bootBytes(hostCopy, count: 2048 * 512)

        let d = try StandaloneDaemon(existingImages: [disk])
        defer { d.stop() }
        let c = d.client
        try c.mount(mountable: "/dev/sda1", mountpoint: "/")
        try c.grubInstall(root: "/", device: "/dev/sda")
        #expect(try c.isFile(path: "/boot/grub/i386-pc/core.img"))
        #expect(try c.isFile(path: "/boot/grub/i386-pc/normal.mod"))
        #expect(try fsDownload(d, "/boot/grub/i386-pc/boot.img") == bootBytes("/usr/lib/grub/i386-pc/boot.img"))
        try c.umountAll()
        try c.sync()
        let mine = try bootBytes(disk, count: 2048 * 512)
        #expect(Array(mine[0x180..<0x185]) == Array("GRUB ".utf8))
        #expect(Array(mine[510..<512]) == [0x55, 0xaa])
        // The MBR (boot code, partition table) and core.img embedded after
        // it: the host's bytes.
        #expect(Array(mine[0..<512]) == Array(hostBytes[0..<512]))
        #expect(mine[512..<(2048 * 512)] == hostBytes[512..<(2048 * 512)])
        #expect(mine[512..<(2048 * 512)].contains { $0 != 0 }, "core.img embedded")
    }
}
