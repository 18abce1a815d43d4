import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

/// `blkid -p -o export` of an image file, probed from the host.
func fsHostBlkid(_ image: String) throws -> [String: String] {
    let out = try host(["blkid", "-c", "/dev/null", "-p", "-o", "export", image], allowFailure: true)
    var info: [String: String] = [:]
    for line in out.split(separator: "\n") {
        guard let eq = line.firstIndex(of: "=") else { continue }
        info[String(line[..<eq])] = String(line[line.index(after: eq)...])
    }
    return info
}

/// A flat key/value list as a dictionary.
func fsHash(_ list: [String]) -> [String: String] {
    var h: [String: String] = [:]
    var i = 0
    while i + 1 < list.count { h[list[i]] = list[i + 1]; i += 2 }
    return h
}

@Suite("filesystems", .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"))
struct FilesystemsTests {
    @Test func mkfsExt4IsProbedLikeBlkid() throws {
        try withStandaloneDaemon(diskSizesMB: [32]) { d throws in
            try d.client.mkfs(fstype: "ext4", device: "/dev/sda", blocksize: 1024, label: "mylabel")
            let hostInfo = try fsHostBlkid(d.images[0])
            #expect(hostInfo["TYPE"] == "ext4")
            #expect(hostInfo["LABEL"] == "mylabel")
            #expect(try d.client.vfsType(mountable: "/dev/sda") == "ext4")
            #expect(try d.client.vfsLabel(mountable: "/dev/sda") == "mylabel")
            #expect(try d.client.getE2label(device: "/dev/sda") == "mylabel")
            let uuid = try d.client.vfsUuid(mountable: "/dev/sda")
            #expect(uuid == hostInfo["UUID"] && uuid.count == 36)
            #expect(try d.client.getE2uuid(device: "/dev/sda") == uuid)

            let b = try d.client.blkid(device: "/dev/sda")
            #expect(Array(b.prefix(2)) == ["DEVNAME", "/dev/sda"])
            let h = fsHash(b)
            #expect(h["TYPE"] == "ext4" && h["UUID"] == uuid && h["LABEL"] == "mylabel" && h["USAGE"] == "filesystem")
            #expect(h["LOGICAL_SECTOR_SIZE"] == "512")

            #expect(try d.client.findfsUuid(uuid: uuid) == "/dev/sda")
            #expect(try d.client.findfsLabel(label: "mylabel") == "/dev/sda")
            #expect(fsErrorMessage { _ = try d.client.findfsLabel(label: "nolabel") }
                    == "findfs exited with status 1: findfs: unable to resolve 'LABEL=nolabel'")

            let sb = fsHash(try d.client.tune2fsL(device: "/dev/sda"))
            #expect(sb["Block size"] == "1024")
            #expect(sb["Filesystem volume name"] == "mylabel")
            #expect(sb["Filesystem UUID"] == uuid)
            #expect(sb["Last mounted on"] == "")
        }
    }

    @Test func vfsCallsOnABlankDeviceReturnEmptyStrings() throws {
        try withStandaloneDaemon(diskSizesMB: [16]) { d throws in
            #expect(try d.client.vfsType(mountable: "/dev/sda") == "")
            #expect(try d.client.vfsLabel(mountable: "/dev/sda") == "")
            #expect(try d.client.vfsUuid(mountable: "/dev/sda") == "")
            #expect(daemonErrno { _ = try d.client.vfsType(mountable: "/dev/sdq") } == "ENOENT")
        }
    }

    @Test func mkfsOptionalArgumentsReachTheTool() throws {
        try withStandaloneDaemon(diskSizesMB: [64, 64]) { d throws in
            try d.client.mkfs(fstype: "ext2", device: "/dev/sda", features: "^dir_index", inode: 256)
            #expect(try fsHostBlkid(d.images[0])["TYPE"] == "ext2")
            let sb = fsHash(try d.client.tune2fsL(device: "/dev/sda"))
            #expect(sb["Inode size"] == "256")
            #expect(sb["Filesystem features"].map { !$0.contains("dir_index") } == true)

            try d.client.mkfs(fstype: "vfat", device: "/dev/sdb", blocksize: 4096, label: "FATLBL")
            let fat = try fsHostBlkid(d.images[1])
            #expect(fat["TYPE"] == "vfat" && fat["LABEL"] == "FATLBL")
            // -s 8 sectors per cluster: byte 13 of the boot sector.
            let boot = try FileHandle(forReadingFrom: URL(fileURLWithPath: d.images[1])).readData(ofLength: 16)
            #expect(boot[13] == 8)
            #expect(try d.client.vfsLabel(mountable: "/dev/sdb") == "FATLBL")
            // No partition table was written (--mbr=n / -I).
            #expect(fat["PTTYPE"] == nil)

            #expect(fsErrorMessage { try d.client.mkfs(fstype: "vfat", device: "/dev/sdb", inode: 256) }
                    == "inode size (-I) can only be set on ext2/3/4 filesystems")
            #expect(fsErrorMessage { try d.client.mkfs(fstype: "ext4", device: "/dev/sdb", blocksize: 3000) }
                    == "block size must be > 0 and a power of 2")
            #expect(fsErrorMessage { try d.client.mkfs(fstype: "ext4", device: "/dev/sdb", sectorsize: 512) }
                    == "sector size (-S) can only be set on ufs filesystems")
            #expect(fsErrorMessage { try d.client.mkfs(fstype: "ext4", device: "/dev/sdb", label: "seventeen-chars-x") }
                    == "seventeen-chars-x: ext2/3/4 labels are limited to 16 bytes")
            #expect(fsErrorMessage { try d.client.mkfs(fstype: "vfat", device: "/dev/sdb", blocksize: 131072) }
                    == "unsupported cluster size for vfat filesystem (requested cluster size = 131072, sector size = 512, trying sectors per cluster = 256)")
            // The failed calls left the filesystem alone.
            #expect(try fsHostBlkid(d.images[1])["TYPE"] == "vfat")
            let bad = fsErrorMessage { try d.client.mkfs(fstype: "nosuchfs", device: "/dev/sdb") }
            #expect(bad.hasPrefix("nosuchfs: /dev/sdb: "))

            try d.client.mkfsB(fstype: "ext3", blocksize: 2048, device: "/dev/sdb")
            #expect(try fsHostBlkid(d.images[1])["TYPE"] == "ext3")
            #expect(fsHash(try d.client.tune2fsL(device: "/dev/sdb"))["Block size"] == "2048")
        }
    }

    @Test func mkfsBtrfsWhenTheToolIsPresent() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/mkfs.btrfs")
            || FileManager.default.isExecutableFile(atPath: "/sbin/mkfs.btrfs") else { return }
        try withStandaloneDaemon(diskSizesMB: [128]) { d throws in
            try d.client.mkfs(fstype: "btrfs", device: "/dev/sda", label: "bt")
            let info = try fsHostBlkid(d.images[0])
            #expect(info["TYPE"] == "btrfs" && info["LABEL"] == "bt")
            #expect(try d.client.vfsType(mountable: "/dev/sda") == "btrfs")
            #expect(try d.client.vfsLabel(mountable: "/dev/sda") == "bt")
            #expect(fsErrorMessage { try d.client.mkfs(fstype: "btrfs", device: "/dev/sda", blocksize: 4096) }
                    == "blocksize cannot be set on btrfs filesystems, use 'mkfs-btrfs'")
        }
    }

    @Test func xfsMkfsInfoAdminRepairGrowfs() throws {
        try withStandaloneDaemon(diskSizesMB: [320]) { d throws in
            try d.client.mkfs(fstype: "xfs", device: "/dev/sda", blocksize: 4096, label: "xfslabel")
            #expect(try fsHostBlkid(d.images[0])["TYPE"] == "xfs")
            #expect(try d.client.vfsLabel(mountable: "/dev/sda") == "xfslabel")
            let info = try d.client.xfsInfo(pathordevice: "/dev/sda")
            #expect(info.xfsBlocksize == 4096)
            #expect(info.xfsDatablocks == 320 * 1024 * 1024 / 4096)
            #expect(info.xfsLogname == "internal")
            #expect(info.xfsAgcount > 0 && info.xfsInodesize >= 256)
            #expect(fsErrorMessage { try d.client.mkfs(fstype: "xfs", device: "/dev/sda", label: "thirteen-char") }
                    == "thirteen-char: xfs labels are limited to 12 bytes")

            try d.client.xfsAdmin(device: "/dev/sda", label: "newxfs")
            #expect(try fsHostBlkid(d.images[0])["LABEL"] == "newxfs")
            try d.client.setLabel(mountable: "/dev/sda", label: "viasetlbl")
            #expect(try d.client.vfsLabel(mountable: "/dev/sda") == "viasetlbl")
            let uuid = "01234567-89ab-cdef-0123-456789abcdef"
            try d.client.setUuid(device: "/dev/sda", uuid: uuid)
            #expect(try d.client.vfsUuid(mountable: "/dev/sda") == uuid)
            try d.client.setUuidRandom(device: "/dev/sda")
            #expect(try d.client.vfsUuid(mountable: "/dev/sda") != uuid)
            #expect(fsErrorMessage { try d.client.setUuid(device: "/dev/sda", uuid: "generate") } == "xfs: invalid new UUID")

            #expect(try d.client.xfsRepair(device: "/dev/sda", nomodify: true) == 0)

            try d.client.mount(mountable: "/dev/sda", mountpoint: "/")
            try d.client.xfsGrowfs(path: "/", datasec: true)
            let mounted = try d.client.xfsInfo(pathordevice: "/")
            #expect(mounted.xfsDatablocks == info.xfsDatablocks)
            #expect(try d.client.vfsMinimumSize(mountable: "/dev/sda") == Int64(info.xfsDatablocks) * 4096)
            #expect(fsErrorMessage { try d.client.xfsGrowfs(path: "/", maxpct: -1) } == "maxpct must be >= 0")
            try d.client.umountAll()
        }
    }

    @Test func setLabelAndUuidDispatchOnTheFilesystemType() throws {
        try withStandaloneDaemon(diskSizesMB: [32, 32, 32]) { d throws in
            try d.client.mkfs(fstype: "ext4", device: "/dev/sda")
            try d.client.setLabel(mountable: "/dev/sda", label: "extlabel")
            #expect(try fsHostBlkid(d.images[0])["LABEL"] == "extlabel")
            try d.client.setE2label(device: "/dev/sda", label: "e2label")
            #expect(try d.client.vfsLabel(mountable: "/dev/sda") == "e2label")
            let uuid = "11111111-2222-3333-4444-555555555555"
            try d.client.setUuid(device: "/dev/sda", uuid: uuid)
            #expect(try fsHostBlkid(d.images[0])["UUID"] == uuid)
            try d.client.setE2uuid(device: "/dev/sda", uuid: "22222222-2222-3333-4444-555555555555")
            #expect(try d.client.getE2uuid(device: "/dev/sda") == "22222222-2222-3333-4444-555555555555")
            try d.client.setUuidRandom(device: "/dev/sda")
            #expect(try d.client.vfsUuid(mountable: "/dev/sda").hasPrefix("22222222") == false)
            #expect(fsErrorMessage { try d.client.setUuid(device: "/dev/sda", uuid: "random") } == "e2: invalid new UUID")

            try d.client.mkfs(fstype: "vfat", device: "/dev/sdb")
            try d.client.setLabel(mountable: "/dev/sdb", label: "FATNEW")
            #expect(try fsHostBlkid(d.images[1])["LABEL"] == "FATNEW")
            #expect(daemonErrno { try d.client.setUuid(device: "/dev/sdb", uuid: uuid) } == "ENOTSUP")
            #expect(fsErrorMessage { try d.client.setUuid(device: "/dev/sdb", uuid: uuid) }
                    == "don't know how to set the UUID for 'vfat' filesystems")

            try d.client.mkswap(device: "/dev/sdc")
            try d.client.setLabel(mountable: "/dev/sdc", label: "swaplbl")
            try d.client.setUuid(device: "/dev/sdc", uuid: uuid)
            let sw = try fsHostBlkid(d.images[2])
            #expect(sw["TYPE"] == "swap" && sw["LABEL"] == "swaplbl" && sw["UUID"] == uuid)
            try d.client.setUuidRandom(device: "/dev/sdc")
            #expect(try d.client.vfsUuid(mountable: "/dev/sdc") != uuid)

            try d.client.wipefs(device: "/dev/sdc")
            #expect(try fsHostBlkid(d.images[2])["TYPE"] == nil)
            #expect(try d.client.vfsType(mountable: "/dev/sdc") == "")
            #expect(daemonErrno { try d.client.setLabel(mountable: "/dev/sdc", label: "x") } == "ENOTSUP")
            #expect(fsErrorMessage { try d.client.setLabel(mountable: "/dev/sdc", label: "x") }
                    == "don't know how to set the label for '' filesystems")
        }
    }

    @Test func listFilesystemsCoversDevicesAndPartitions() throws {
        try withStandaloneDaemon(diskSizesMB: [64, 16]) { d throws in
            // Partition sda from the host; the kernel rereads the table.
            let node = try fsLoopNode(of: d.images[0])
            _ = try host(["sh", "-c", "printf 'label: dos\\n,20M,L\\n,10M,S\\n,,5\\n,5M,L\\n' | sfdisk -q \(node)"])
            // udev may hold the device for a moment: retry the reread.
            for _ in 0..<50 where !FileManager.default.fileExists(atPath: node + "p5") {
                _ = try host(["partx", "-a", node], allowFailure: true)
                usleep(100_000)
            }
            try d.client.mkfs(fstype: "ext4", device: "/dev/sda1")
            try d.client.mkswap(device: "/dev/sda2")
            let fses = try d.client.listFilesystems()
            // Whole unpartitioned devices first, then partitions; the
            // extended partition (sda3) is left out, a blank one is "unknown".
            #expect(fses == ["/dev/sdb", "unknown", "/dev/sda1", "ext4", "/dev/sda2", "swap", "/dev/sda5", "unknown"])
            #expect(try d.client.vfsType(mountable: "/dev/sda1") == "ext4")
            let b = fsHash(try d.client.blkid(device: "/dev/sda1"))
            #expect(b["PART_ENTRY_SCHEME"] == "dos" && b["PART_ENTRY_NUMBER"] == "1" && b["TYPE"] == "ext4")
            #expect(b["DEVNAME"] == "/dev/sda1")
        }
    }

    @Test func filesystemAvailableReadsProcFilesystems() throws {
        try withStandaloneDaemon(diskSizesMB: []) { d throws in
            #expect(try d.client.filesystemAvailable(filesystem: "ext4"))
            #expect(try !d.client.filesystemAvailable(filesystem: "nosuchfs"))
            #expect(fsErrorMessage { _ = try d.client.filesystemAvailable(filesystem: "bad-name") }
                    == "filesystem name contains non-alphanumeric characters")
        }
    }

    @Test func e2fsckResize2fsAndMinimumSizeKeepFilesIntact() throws {
        try withStandaloneDaemon(diskSizesMB: [64]) { d throws in
            try d.client.mkfs(fstype: "ext4", device: "/dev/sda", blocksize: 4096)
            try d.client.mount(mountable: "/dev/sda", mountpoint: "/")
            let content = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
            try d.client.upload(filename: .bytes(content), remotefilename: "/data")
            try d.client.umountAll()

            #expect(fsErrorMessage { try d.client.e2fsck(device: "/dev/sda", correct: true, forceall: true) }
                    == "only one of the options 'correct', 'forceall' or 'forceno' may be specified")
            try d.client.e2fsck(device: "/dev/sda", forceall: true)
            try d.client.e2fsckF(device: "/dev/sda")
            #expect(try d.client.fsck(fstype: "ext4", device: "/dev/sda") == 0)

            let minimum = try d.client.vfsMinimumSize(mountable: "/dev/sda")
            #expect(minimum > 0 && minimum < 64 * 1024 * 1024 && minimum % 4096 == 0)

            #expect(fsErrorMessage { try d.client.resize2fsSize(device: "/dev/sda", size: 1000) }
                    == "1000: size must be a round number of kilobytes")
            try d.client.resize2fsSize(device: "/dev/sda", size: 32 * 1024 * 1024)
            var sb = fsHash(try d.client.tune2fsL(device: "/dev/sda"))
            #expect(sb["Block count"] == String(32 * 1024 * 1024 / 4096))
            try d.client.resize2fs(device: "/dev/sda")
            sb = fsHash(try d.client.tune2fsL(device: "/dev/sda"))
            #expect(sb["Block count"] == String(64 * 1024 * 1024 / 4096))

            try d.client.mount(mountable: "/dev/sda", mountpoint: "/")
            #expect(try fsDownload(d, "/data") == content)
            try d.client.umountAll()
            _ = try host(["e2fsck", "-fn", d.images[0]])
        }
    }

    @Test func tune2fsSetsSuperblockFields() throws {
        try withStandaloneDaemon(diskSizesMB: [32]) { d throws in
            try d.client.mkfs(fstype: "ext4", device: "/dev/sda")
            try d.client.tune2fs(device: "/dev/sda", maxmountcount: 20, mountcount: 5, errorbehavior: "panic",
                                 intervalbetweenchecks: 86400, reservedblockspercentage: 2,
                                 lastmounteddirectory: "/boot", user: 0)
            let sb = fsHash(try d.client.tune2fsL(device: "/dev/sda"))
            #expect(sb["Maximum mount count"] == "20")
            #expect(sb["Mount count"] == "5")
            #expect(sb["Errors behavior"] == "Panic")
            #expect(sb["Check interval"] == "86400 (1 day)")
            #expect(sb["Last mounted on"] == "/boot")
            #expect(sb["Reserved block count"].flatMap(Int.init) != nil)
            #expect(fsErrorMessage { try d.client.tune2fs(device: "/dev/sda", errorbehavior: "explode") }
                    == "invalid errorbehavior parameter: explode")
            #expect(fsErrorMessage { try d.client.tune2fs(device: "/dev/sda", maxmountcount: -1) }
                    == "maxmountcount cannot be negative")
        }
    }

    @Test func mke2fsAndMke2journal() throws {
        try withStandaloneDaemon(diskSizesMB: [32, 16]) { d throws in
            try d.client.mke2fs(device: "/dev/sda", blocksize: 2048, label: "m2", fstype: "ext3",
                                forcecreate: true, extent: false)
            let info = try fsHostBlkid(d.images[0])
            #expect(info["TYPE"] == "ext3" && info["LABEL"] == "m2")
            let sb = fsHash(try d.client.tune2fsL(device: "/dev/sda"))
            #expect(sb["Block size"] == "2048")
            #expect(sb["Filesystem features"].map { $0.contains("has_journal") && !$0.contains("extent") } == true)
            #expect(fsErrorMessage { try d.client.mke2fs(device: "/dev/sda", fstype: "xfs") }
                    == "xfs: not a valid extended filesystem type")
            #expect(fsErrorMessage { try d.client.mke2fs(device: "/dev/sda", blockscount: -1) }
                    == "blockscount must be >= 0")
            try d.client.mke2fs(device: "/dev/sda", blockscount: 4096, blocksize: 1024, forcecreate: true)
            #expect(fsHash(try d.client.tune2fsL(device: "/dev/sda"))["Block count"] == "4096")

            try d.client.mke2journal(blocksize: 1024, device: "/dev/sdb")
            #expect(try fsHostBlkid(d.images[1])["TYPE"] == "jbd")
        }
    }

    @Test func e2attrsAndGenerationOnFiles() throws {
        try withStandaloneDaemon(diskSizesMB: [32]) { d throws in
            // Setting the generation needs ext4 without metadata_csum (the
            // kernel refuses it there with ENOTTY).
            try d.client.mkfs(fstype: "ext4", device: "/dev/sda", features: "^metadata_csum")
            try d.client.mount(mountable: "/dev/sda", mountpoint: "/")
            try d.client.touch(path: "/f")
            #expect(try d.client.getE2attrs(file: "/f") == "e")
            try d.client.setE2attrs(file: "/f", attrs: "ad")
            #expect(try d.client.getE2attrs(file: "/f") == "ade")
            #expect(daemonErrno { try d.client.rm(path: "/f") } == "EPERM")
            try d.client.setE2attrs(file: "/f", attrs: "a", clear: true)
            #expect(try d.client.getE2attrs(file: "/f") == "de")
            try d.client.setE2attrs(file: "/f", attrs: "")
            #expect(fsErrorMessage { try d.client.setE2attrs(file: "/f", attrs: "R") } == "bad file attribute 'R'")
            #expect(fsErrorMessage { try d.client.setE2attrs(file: "/f", attrs: "aa") } == "duplicate file attribute 'a'")
            #expect(fsErrorMessage { try d.client.setE2attrs(file: "/f", attrs: "a1") } == "unknown file attribute '1'")
            #expect(fsErrorMessage { _ = try d.client.getE2attrs(file: "/missing") }.hasPrefix("lsattr: /missing: "))

            try d.client.setE2generation(file: "/f", generation: 123_456)
            #expect(try d.client.getE2generation(file: "/f") == 123_456)
            try d.client.umountAll()
        }
    }

    @Test func swapOnOffByDeviceLabelUuidAndFile() throws {
        try withStandaloneDaemon(diskSizesMB: [16, 32]) { d throws in
            let uuid = "abcdef01-2345-6789-abcd-ef0123456789"
            let label = "gfsswap\(getpid() % 100000)"
            try d.client.mkswap(device: "/dev/sda", label: label, uuid: uuid)
            let info = try fsHostBlkid(d.images[0])
            #expect(info["TYPE"] == "swap" && info["LABEL"] == label && info["UUID"] == uuid)
            #expect(fsErrorMessage { try d.client.mkswap(device: "/dev/sda", label: "seventeen-chars-x") }
                    == "seventeen-chars-x: Linux swap labels are limited to 16 bytes")
            let node = try fsLoopNode(of: d.images[0])
            func swapsList() throws -> String { try String(contentsOfFile: "/proc/swaps", encoding: .utf8) }

            try d.client.swaponDevice(device: "/dev/sda")
            #expect(try swapsList().contains(node + " "))
            try d.client.swapoffDevice(device: "/dev/sda")
            #expect(try !swapsList().contains(node + " "))
            try d.client.swaponLabel(label: label)
            #expect(try swapsList().contains(node + " "))
            try d.client.swapoffLabel(label: label)
            try d.client.swaponUuid(uuid: uuid)
            #expect(try swapsList().contains(node + " "))
            try d.client.swapoffUuid(uuid: uuid)
            #expect(try !swapsList().contains(node + " "))
            #expect(fsErrorMessage { try d.client.swapoffDevice(device: "/dev/sda") }.hasPrefix("/dev/sda: swapoff: "))

            try d.client.mkfs(fstype: "ext4", device: "/dev/sdb")
            try d.client.mount(mountable: "/dev/sdb", mountpoint: "/")
            try d.client.upload(filename: .bytes([UInt8](repeating: 0, count: 1 << 20)), remotefilename: "/swapfile")
            try d.client.mkswapFile(path: "/swapfile")
            try d.client.swaponFile(file: "/swapfile")
            let on = try swapsList()
            try d.client.swapoffFile(file: "/swapfile")
            #expect(on.contains("/swapfile"))
            #expect(try !swapsList().contains("/swapfile"))
            try d.client.umountAll()
        }
    }

    @Test func fstrimAndDfOnAMountedFilesystem() throws {
        try withMountedFilesystem(sizeMB: 32) { d throws in
            try d.client.fstrim(mountpoint: "/")
            try d.client.fstrim(mountpoint: "/", offset: 0, length: 1 << 20, minimumfreeextent: 4096)
            #expect(fsErrorMessage { try d.client.fstrim(mountpoint: "/", offset: -1) } == "offset < 0")
            #expect(fsErrorMessage { try d.client.fstrim(mountpoint: "/", length: 0) } == "length <= 0")
            let df = try d.client.df()
            #expect(df.hasPrefix("Filesystem"))
            #expect(df.contains("/dev/sda ") && df.contains(d.sysroot))
            let dfh = try d.client.dfH()
            #expect(dfh.contains("/dev/sda ") && dfh.contains("M "))
            try d.client.umountAll()
        }
    }

    /// A minimal ISO 9660 image: system area, primary volume descriptor
    /// at sector 16, terminator at 17.
    static func isoImage() -> [UInt8] {
        var iso = [UInt8](repeating: 0, count: 2048 * 20)
        func put(_ off: Int, _ s: String, _ len: Int) {
            let b = Array(s.utf8)
            for i in 0..<len { iso[off + i] = i < b.count ? b[i] : 32 }
        }
        func both32(_ off: Int, _ v: UInt32) {
            for i in 0..<4 { iso[off + i] = UInt8(v >> (8 * i) & 0xff); iso[off + 7 - i] = UInt8(v >> (8 * i) & 0xff) }
        }
        func both16(_ off: Int, _ v: UInt16) {
            iso[off] = UInt8(v & 0xff); iso[off + 1] = UInt8(v >> 8)
            iso[off + 2] = UInt8(v >> 8); iso[off + 3] = UInt8(v & 0xff)
        }
        let p = 16 * 2048
        iso[p] = 1
        put(p + 1, "CD001", 5)
        iso[p + 6] = 1
        put(p + 8, "LINUX", 32)
        put(p + 40, "MYVOLUME", 32)
        both32(p + 80, 20)
        both16(p + 120, 1)
        both16(p + 124, 1)
        both16(p + 128, 2048)
        put(p + 190, "SETID", 128)
        put(p + 318, "PUBLISHER", 128)
        put(p + 446, "PREPARER", 128)
        put(p + 574, "APP", 128)
        put(p + 702, "", 37)
        put(p + 739, "", 37)
        put(p + 776, "", 37)
        // 2021-03-04 05:06:07.00, GMT+1 (4 * 15 minutes).
        put(p + 813, "2021030405060700", 16); iso[p + 829] = 4
        put(p + 830, "2021030405060700", 16); iso[p + 846] = 0
        put(p + 847, "0000000000000000", 16)
        put(p + 864, "0000000000000000", 16)
        let t = 17 * 2048
        iso[t] = 255
        put(t + 1, "CD001", 5)
        iso[t + 6] = 1
        return iso
    }

    @Test func isoinfoReadsThePrimaryVolumeDescriptor() throws {
        try withStandaloneDaemon(diskSizesMB: [1, 16]) { d throws in
            // Written before the daemon ever reads the disk.
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: d.images[0]))
            try h.write(contentsOf: Data(Self.isoImage()))
            try h.close()
            _ = try host(["blockdev", "--flushbufs", try fsLoopNode(of: d.images[0])], allowFailure: true)
            let info = try d.client.isoinfoDevice(device: "/dev/sda")
            #expect(info.isoSystemId == "LINUX" && info.isoVolumeId == "MYVOLUME")
            #expect(info.isoVolumeSpaceSize == 20 && info.isoLogicalBlockSize == 2048)
            #expect(info.isoVolumeSetSize == 1 && info.isoVolumeSequenceNumber == 1)
            #expect(info.isoVolumeSetId == "SETID" && info.isoPublisherId == "PUBLISHER")
            #expect(info.isoDataPreparerId == "PREPARER" && info.isoApplicationId == "APP")
            #expect(info.isoCopyrightFileId == "")
            // 2021-03-04T05:06:07Z is 1614834367; the +1 h zone is subtracted.
            #expect(info.isoVolumeCreationT == 1_614_834_367 - 3600)
            #expect(info.isoVolumeModificationT == 1_614_834_367)
            #expect(info.isoVolumeExpirationT == -1 && info.isoVolumeEffectiveT == -1)

            // The same image as a file in the guest.
            try d.client.mkfs(fstype: "ext4", device: "/dev/sdb")
            try d.client.mount(mountable: "/dev/sdb", mountpoint: "/")
            try d.client.upload(filename: .bytes(Self.isoImage()), remotefilename: "/cd.iso")
            #expect(try d.client.isoinfo(isofile: "/cd.iso").isoVolumeId == "MYVOLUME")
            try d.client.upload(filename: .bytes([UInt8](repeating: 0, count: 40000)), remotefilename: "/notiso")
            #expect(fsErrorMessage { _ = try d.client.isoinfo(isofile: "/notiso") } == "/notiso: not an ISO file or CD-ROM")
            #expect(daemonErrno { _ = try d.client.isoinfo(isofile: "/missing") } == "ENOENT")
        }
    }
}
