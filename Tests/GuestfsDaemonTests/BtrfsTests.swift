import Foundation
import GuestfsClient
import GuestfsProtocol
@testable import GuestfsDaemon
import Testing

/// The btrfs group against a standalone daemon (the host kernel has
/// btrfs): every procedure, with outcomes checked by the host's own
/// btrfs-progs on the daemon's loop devices. Also f2fs_expand and
/// mksquashfs, checked with f2fs-tools and unsquashfs.
@Suite(.enabled(if: StandaloneDaemon.available), .serialized) struct BtrfsTests {
    /// The loop device the daemon attached `image` to.
    func loopDevice(_ image: String) throws -> String {
        let out = try host(["losetup", "-j", image, "-O", "NAME", "-n"])
        return out.split(separator: "\n").first.map(String.init) ?? ""
    }

    /// Runs `btrfs ARGS MOUNTPOINT` on the host, with the filesystem on
    /// `loop` mounted in a private mount namespace (the daemon's own mounts
    /// are invisible to the host); MP in `args` is the mountpoint.
    func hostBtrfs(_ loop: String, _ args: [String], options: String = "", allowFailure: Bool = false) throws -> String {
        let mp = NSTemporaryDirectory() + "btrfs-check-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: mp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: mp) }
        let opts = options.isEmpty ? "" : "-o \(options) "
        let command = "mount \(opts)\(loop) \(mp) && btrfs " + args.map { $0.hasPrefix("MP") ? mp + $0.dropFirst(2) : $0 }.joined(separator: " ")
            + "; s=$?; umount \(mp); exit $s"
        return try host(["unshare", "-m", "--propagation", "private", "sh", "-c", command], allowFailure: allowFailure)
    }

    /// The temporary mountpoints (/tmp/btrfsXXXXXX, /tmp/btrfs.XXXXXX) and
    /// squashfs images (/var/tmp/squashfs.XXXXXX) the daemon makes.
    func daemonTemporaries() -> Set<String> {
        let tmp = ((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []).filter {
            ($0.hasPrefix("btrfs.") && $0.count == 12) || ($0.hasPrefix("btrfs") && $0.count == 11 && !$0.contains("-"))
        }
        let vartmp = ((try? FileManager.default.contentsOfDirectory(atPath: "/var/tmp")) ?? []).filter { $0.hasPrefix("squashfs.") }
        return Set(tmp.map { "/tmp/" + $0 } + vartmp.map { "/var/tmp/" + $0 })
    }

    func read(_ c: GuestfsClient, _ path: String) throws -> String {
        try c.head(path: path).joined(separator: "\n")
    }

    @Test func subvolumesSnapshotsDefaultAndListing() throws {
        try withStandaloneDaemon(diskSizesMB: [300, 300]) { d in
            let c = d.client
            #expect(try c.internalFeatureAvailable(group: "btrfs") == 0)
            try c.mkfsBtrfs(devices: ["/dev/sda", "/dev/sdb"], allocstart: 0, datatype: "raid1", label: "guest",
                            metadata: "raid1", nodesize: 16384, sectorsize: 4096)
            let loop = try loopDevice(d.images[0])
            // Both devices hold the filesystem, as btrfs sees it.
            #expect(try c.btrfsFilesystemShow(device: "/dev/sda") == ["/dev/sda", "/dev/sdb"])
            let hostShow = try host(["btrfs", "filesystem", "show", loop])
            #expect(hostShow.contains("Label: 'guest'") && hostShow.contains("Total devices 2"), "\(hostShow)")
            #expect(try c.vfsType(mountable: "/dev/sdb") == "btrfs")
            #expect(try c.vfsLabel(mountable: "/dev/sda") == "guest")

            try c.mount(mountable: "/dev/sda", mountpoint: "/")
            try c.btrfsSubvolumeCreate(dest: "/root")
            try c.btrfsSubvolumeCreate(dest: "/home")
            try c.mkdir(path: "/dir")
            try c.btrfsSubvolumeCreate(dest: "/dir/nested")
            try c.internalWrite(path: "/root/hello", content: Array("before\n".utf8))
            try c.internalWrite(path: "/home/hello", content: Array("home\n".utf8))
            try c.btrfsSubvolumeSnapshot(source: "/root", dest: "/snap", ro: true)
            try c.internalWrite(path: "/root/hello", content: Array("after\n".utf8))
            // The snapshot holds what /root held when it was taken, and is read-only.
            #expect(try read(c, "/snap/hello") == "before")
            #expect(try read(c, "/root/hello") == "after")
            #expect(daemonError { try c.internalWrite(path: "/snap/new", content: [1]) } != nil)
            try c.btrfsFilesystemSync(fs: "/")

            // The list, field by field as the host's btrfs lists it.
            let list = try c.btrfsSubvolumeList(fs: "/")
            #expect(list.map(\.btrfssubvolumePath) == ["root", "home", "dir/nested", "snap"])
            let hostList = try hostBtrfs(loop, ["subvolume", "list", "MP"])
            let hostEntries = hostList.split(separator: "\n").map { line -> (UInt64, UInt64, String) in
                let w = line.split(separator: " ")
                return (UInt64(w[1])!, UInt64(w[6])!, String(w[8]))
            }
            #expect(list.map { [String($0.btrfssubvolumeId), String($0.btrfssubvolumeTopLevelId), $0.btrfssubvolumePath] }
                    == hostEntries.map { [String($0.0), String($0.1), $0.2] })
            // The same through the device and through a btrfs volume.
            #expect(try c.btrfsSubvolumeList(fs: "/dev/sda") == list)
            #expect(try c.btrfsSubvolumeList(fs: "btrfsvol:/dev/sda/home") == list)

            // show: the path first, "-" as empty, snapshots joined.
            let show = try c.btrfsSubvolumeShow(subvolume: "/root")
            var info: [String: String] = [:]
            for i in stride(from: 0, to: show.count - 1, by: 2) { info[show[i]] = show[i + 1] }
            #expect(show.first == "path" && info["path"] == "root")
            #expect(info["Name"] == "root")
            #expect(info["Subvolume ID"] == String(list[0].btrfssubvolumeId))
            #expect(info["Parent UUID"] == "")
            #expect(info["Snapshot(s)"] == "snap")
            let snapShow = try c.btrfsSubvolumeShow(subvolume: "/snap")
            #expect(snapShow.contains("readonly"))
            let hostShowRoot = try hostBtrfs(loop, ["subvolume", "show", "MP/root"])
            #expect(hostShowRoot.contains(info["UUID"] ?? "?"))
            #expect(daemonError { _ = try c.btrfsSubvolumeShow(subvolume: "/dir") }?.message.hasPrefix("/dir: ") == true)

            // The default subvolume.
            #expect(try c.btrfsSubvolumeGetDefault(fs: "/") == 5)
            let homeID = Int64(list[1].btrfssubvolumeId)
            try c.btrfsSubvolumeSetDefault(id: homeID, fs: "/")
            #expect(try c.btrfsSubvolumeGetDefault(fs: "/") == homeID)
            #expect(try c.btrfsSubvolumeGetDefault(fs: "/dev/sdb") == homeID)
            #expect(try hostBtrfs(loop, ["subvolume", "get-default", "MP"]).hasPrefix("ID \(homeID) "))
            try c.umountAll()

            // list_filesystems: the device (its default subvolume, /home)
            // and every other subvolume; sdb is the same filesystem again.
            let all = try c.listFilesystems()
            #expect(all == ["/dev/sda", "btrfs",
                            "btrfsvol:/dev/sda/root", "btrfs",
                            "btrfsvol:/dev/sda/dir/nested", "btrfs",
                            "btrfsvol:/dev/sda/snap", "btrfs",
                            "/dev/sdb", "btrfs",
                            "btrfsvol:/dev/sdb/root", "btrfs",
                            "btrfsvol:/dev/sdb/dir/nested", "btrfs",
                            "btrfsvol:/dev/sdb/snap", "btrfs"], "\(all)")

            // Listing mounted each device on a temporary directory: gone.
            #expect(daemonTemporaries().isEmpty, "\(daemonTemporaries())")
            #expect(try c.mounts().isEmpty)

            // Mounting: the whole device is the default; subvolumes by
            // btrfsvol: and by subvol=.
            try c.mount(mountable: "/dev/sda", mountpoint: "/")
            #expect(try read(c, "/hello") == "home")
            try c.umountAll()
            try c.mount(mountable: "btrfsvol:/dev/sda/dir/nested", mountpoint: "/")
            #expect(try c.exists(path: "/hello") == false)
            try c.umountAll()
            try c.mountOptions(options: "subvol=snap", mountable: "/dev/sda", mountpoint: "/")
            #expect(try read(c, "/hello") == "before")
            try c.umountAll()
            #expect(try c.vfsType(mountable: "btrfsvol:/dev/sda/root") == "btrfs")
            let parsed = try c.internalParseMountable(mountable: "btrfsvol:/dev/sda/dir/nested")
            #expect(parsed == GuestfsInternalMountable(imType: 1, imDevice: "/dev/sda", imVolume: "dir/nested"))
            #expect(try c.internalParseMountable(mountable: "/dev/sdb")
                    == GuestfsInternalMountable(imType: 0, imDevice: "/dev/sdb", imVolume: ""))
            #expect(daemonError { try c.mount(mountable: "btrfsvol:/dev/sda", mountpoint: "/") }?.message
                    == "mount_stub: btrfsvol:/dev/sda: expecting a btrfs volume")
            #expect(daemonError { try c.mount(mountable: "btrfsvol:/dev/sda/nosuch", mountpoint: "/") } != nil)

            // Delete a subvolume: gone from the host's list too.
            try c.mountOptions(options: "subvolid=5", mountable: "/dev/sda", mountpoint: "/")
            try c.btrfsSubvolumeSetDefault(id: 5, fs: "/")
            try c.btrfsSubvolumeDelete(subvolume: "/dir/nested")
            #expect(try c.btrfsSubvolumeList(fs: "/").map(\.btrfssubvolumePath) == ["root", "home", "snap"])
            try c.umountAll()
            #expect(!(try hostBtrfs(loop, ["subvolume", "list", "MP"]).contains("nested")))
            // Default 5 again: home is listed, nested is gone.
            let after = try c.listFilesystems()
            #expect(after.count == 16 && after.contains("btrfsvol:/dev/sda/home") && !after.contains { $0.contains("nested") })
            try c.mount(mountable: "/dev/sda", mountpoint: "/")
            let notSub = daemonError { try c.btrfsSubvolumeDelete(subvolume: "/dir") }
            #expect(notSub?.message.hasPrefix("/dir: ") == true, "\(String(describing: notSub))")

            // Argument errors, as upstream's.
            #expect(daemonError { try c.mkfsBtrfs(devices: []) }?.message == "list of devices must be non-empty")
            #expect(daemonError { try c.mkfsBtrfs(devices: ["/dev/sda"], datatype: "raid5") }?.message
                    == "datatype not one of the allowed values")
            #expect(daemonError { try c.mkfsBtrfs(devices: ["/dev/sda"], metadata: "dup2") }?.message
                    == "metadata not one of the allowed values")
            #expect(daemonError { try c.mkfsBtrfs(devices: ["/dev/sda"], nodesize: 1000) }?.message
                    == "nodesize must be > 0 and a power of two")
            #expect(daemonError { try c.mkfsBtrfs(devices: ["/dev/sda"], leafsize: -4096) }?.message
                    == "leafsize must be > 0 and a power of two")
            #expect(daemonError { try c.mkfsBtrfs(devices: ["/dev/sda"], sectorsize: 3) }?.message
                    == "sectorsize must be > 0 and a power of two")
            #expect(daemonError { try c.mkfsBtrfs(devices: ["/dev/sda"], bytecount: 0) }?.message == "bytecount must be > 0")
            #expect(daemonError { try c.btrfsFilesystemDefragment(path: "/", compress: "gzip") }?.message
                    == "unknown compress method: gzip")
            try c.btrfsFilesystemDefragment(path: "/", flush: true, compress: "zlib")
            try c.btrfsFilesystemDefragment(path: "/root", compress: "lzo")
            #expect(try read(c, "/root/hello") == "after")
            try c.umountAll()

            // One device of the two gone: ENODEV, as upstream.
            try c.wipefs(device: "/dev/sdb")
            try host(["btrfs", "device", "scan", "--forget", try loopDevice(d.images[1])], allowFailure: true)
            let missing = daemonError { _ = try c.btrfsFilesystemShow(device: "/dev/sda") }
            #expect(missing?.errno == "ENODEV" && missing?.message == "/dev/sda: missing devices", "\(String(describing: missing))")
        }
    }

    @Test func devicesResizeQuotasScrubAndBalance() throws {
        try withStandaloneDaemon(diskSizesMB: [400, 400, 400]) { d in
            let c = d.client
            try c.mkfsBtrfs(devices: ["/dev/sda"])
            let loop = try loopDevice(d.images[0])
            try c.mount(mountable: "/dev/sda", mountpoint: "/")
            try c.btrfsSubvolumeCreate(dest: "/data")
            try c.internalWrite(path: "/data/file", content: Array(repeating: 0x41, count: 200_000))

            // Resize: the host sees the new device size.
            func devSize() throws -> String {
                let out = try hostBtrfs(loop, ["filesystem", "show", "--raw", "MP"])
                let line = out.split(separator: "\n").first { $0.contains("devid") } ?? ""
                let w = line.split(separator: " ")
                return w.count > 3 ? String(w[3]) : ""
            }
            try c.btrfsFilesystemResize(mountpoint: "/", size: 300 * 1024 * 1024)
            #expect(try devSize() == String(300 * 1024 * 1024))
            try c.btrfsFilesystemResize(mountpoint: "/")
            #expect(try devSize() == String(400 * 1024 * 1024))
            #expect(daemonError { try c.btrfsFilesystemResize(mountpoint: "/", size: 0) }?.message == "size is zero or negative")
            #expect(daemonError { try c.btrfsFilesystemResize(mountpoint: "/", size: 1 << 50) }?.message.hasPrefix("/: ") == true)

            // Devices: add two, delete one, replace one; the host's list follows.
            try c.btrfsDeviceAdd(devices: ["/dev/sdb", "/dev/sdc"], fs: "/")
            #expect(try c.btrfsFilesystemShow(device: "/dev/sda") == ["/dev/sda", "/dev/sdb", "/dev/sdc"])
            #expect(try hostBtrfs(loop, ["filesystem", "show", "MP"]).contains("Total devices 3"))
            try c.btrfsDeviceDelete(devices: ["/dev/sdc"], fs: "/")
            #expect(try c.btrfsFilesystemShow(device: "/dev/sda") == ["/dev/sda", "/dev/sdb"])
            try c.btrfsReplace(srcdev: "/dev/sdb", targetdev: "/dev/sdc", mntpoint: "/")
            #expect(try c.btrfsFilesystemShow(device: "/dev/sda") == ["/dev/sda", "/dev/sdc"])
            let loopC = try loopDevice(d.images[2])
            #expect(try hostBtrfs(loop, ["filesystem", "show", "MP"]).contains(loopC))
            try c.btrfsDeviceAdd(devices: [], fs: "/")
            try c.btrfsDeviceDelete(devices: [], fs: "/")
            #expect(daemonError { try c.btrfsDeviceDelete(devices: ["/dev/sdb"], fs: "/") }?.message.hasPrefix("/: ") == true)

            // Balance: a full balance, then no balance running.
            try c.btrfsFilesystemBalance(fs: "/")
            #expect(try c.btrfsBalanceStatus(path: "/") == GuestfsBtrfsbalance(btrfsbalanceStatus: "none"))
            #expect(daemonError { try c.btrfsBalancePause(path: "/") }?.message.hasPrefix("/: ") == true)
            #expect(daemonError { try c.btrfsBalanceCancel(path: "/") }?.message.hasPrefix("/: ") == true)
            #expect(daemonError { try c.btrfsBalanceResume(path: "/") }?.message.hasPrefix("/: ") == true)

            // Scrub: started in the background; the status once it ends
            // is the host's, field by field.
            try c.btrfsScrubStart(path: "/")
            var status = try c.btrfsScrubStatus(path: "/")
            for _ in 0..<100 where status.btrfsscrubLastPhysical == 0 {
                usleep(100_000)
                status = try c.btrfsScrubStatus(path: "/")
            }
            let hostScrub = try hostBtrfs(loop, ["scrub", "status", "-R", "MP"])
            var expected: [String: UInt64] = [:]
            for line in hostScrub.split(separator: "\n") where line.hasPrefix("\t") {
                let kv = line.dropFirst().split(separator: ":")
                if kv.count == 2, let n = UInt64(kv[1].trimmingCharacters(in: .whitespaces)) { expected[String(kv[0])] = n }
            }
            #expect(status.btrfsscrubTreeExtentsScrubbed == expected["tree_extents_scrubbed"])
            #expect(status.btrfsscrubTreeBytesScrubbed == expected["tree_bytes_scrubbed"])
            #expect(status.btrfsscrubDataBytesScrubbed == expected["data_bytes_scrubbed"])
            #expect(status.btrfsscrubDataBytesScrubbed >= 200_000)
            #expect(status.btrfsscrubLastPhysical == expected["last_physical"])
            #expect(status.btrfsscrubCsumErrors == 0)
            #expect(daemonError { try c.btrfsScrubCancel(path: "/") }?.message.hasPrefix("/: ") == true)
            #expect(daemonError { try c.btrfsScrubResume(path: "/") }?.message.hasPrefix("/: ") == true)

            // Quotas and qgroups, checked with the host's qgroup table.
            #expect(daemonError { _ = try c.btrfsQgroupShow(path: "/") }?.message.hasPrefix("/: ") == true)
            try c.btrfsQuotaEnable(fs: "/dev/sda", enable: true)
            // Enabling starts a rescan; another one waits for it to end.
            for attempt in 0..<50 {
                guard let e = daemonError({ try c.btrfsQuotaRescan(fs: "/") }) else { break }
                #expect(e.message.contains("Operation now in progress") && attempt < 49, "\(e)")
                usleep(100_000)
            }
            try c.btrfsQgroupCreate(qgroupid: "1/0", subvolume: "/")
            let dataID = try c.btrfsSubvolumeList(fs: "/")[0].btrfssubvolumeId
            try c.btrfsQgroupAssign(src: "0/\(dataID)", dst: "1/0", path: "/")
            try c.btrfsQgroupLimit(subvolume: "/data", size: 10_000_000)
            // The figures settle once a rescan has ended and a commit is done.
            _ = try hostBtrfs(loop, ["quota", "rescan", "-w", "MP"], allowFailure: true)
            try c.btrfsFilesystemSync(fs: "/")
            let groups = try c.btrfsQgroupShow(path: "/")
            let hostGroups = try hostBtrfs(loop, ["qgroup", "show", "--raw", "-re", "-p", "MP"])
            #expect(groups.map(\.btrfsqgroupId) == ["0/5", "0/\(dataID)", "1/0"], "\(groups)")
            for g in groups {
                let row = hostGroups.split(separator: "\n").first { $0.split(separator: " ").first.map(String.init) == g.btrfsqgroupId }
                let w = row?.split(separator: " ") ?? []
                #expect(w.count > 2 && String(w[1]) == String(g.btrfsqgroupRfer) && String(w[2]) == String(g.btrfsqgroupExcl),
                        "\(g) \(hostGroups)")
            }
            // The limit (max_rfer) and the parent are the host's too.
            let dataRow = hostGroups.split(separator: "\n").first { $0.hasPrefix("0/\(dataID) ") } ?? ""
            #expect(dataRow.contains("10000000") && dataRow.contains("1/0"), "\(hostGroups)")
            #expect(groups.first { $0.btrfsqgroupId == "0/\(dataID)" }.map { $0.btrfsqgroupRfer >= 200_000 } == true)
            try c.btrfsQgroupRemove(src: "0/\(dataID)", dst: "1/0", path: "/")
            try c.btrfsQgroupDestroy(qgroupid: "1/0", subvolume: "/")
            #expect(try c.btrfsQgroupShow(path: "/").map(\.btrfsqgroupId) == ["0/5", "0/\(dataID)"])
            #expect(daemonError { try c.btrfsQgroupDestroy(qgroupid: "1/0", subvolume: "/") }?.message.hasPrefix("/: ") == true)
            try c.btrfsQuotaEnable(fs: "/", enable: false)
            #expect(daemonError { _ = try c.btrfsQgroupShow(path: "/") } != nil)
            try c.umountAll()
            #expect(!(try hostBtrfs(loop, ["qgroup", "show", "MP"], allowFailure: true).contains("0/5")))
            // Mountable forms of quota enable leave nothing mounted.
            try c.btrfsQuotaEnable(fs: "btrfsvol:/dev/sda/data", enable: true)
            #expect(try c.mounts().isEmpty)
            #expect(daemonTemporaries().isEmpty, "\(daemonTemporaries())")
            #expect(try hostBtrfs(loop, ["qgroup", "show", "MP"]).contains("0/5"))
        }
    }

    @Test func offlineToolsFsckRescueTuneImage() throws {
        try withStandaloneDaemon(diskSizesMB: [300, 300]) { d in
            let c = d.client
            try c.mkfsBtrfs(devices: ["/dev/sda"], label: "offline")
            let loop = try loopDevice(d.images[0])
            func superFlags() throws -> String {
                try host(["btrfs", "inspect-internal", "dump-super", loop])
            }
            try c.btrfsFsck(device: "/dev/sda")
            try c.btrfsFsck(device: "/dev/sda", superblock: 1, repair: false)
            #expect(daemonError { try c.btrfsFsck(device: "/dev/sda", superblock: -1) }?.message
                    == "super block offset must be >= 0")
            try c.btrfsRescueSuperRecover(device: "/dev/sda")
            try c.btrfsRescueChunkRecover(device: "/dev/sda")

            try c.btrfstuneEnableExtendedInodeRefs(device: "/dev/sda")
            #expect(try superFlags().contains("EXTENDED_IREF"))
            try c.btrfstuneEnableSkinnyMetadataExtentRefs(device: "/dev/sda")
            #expect(try superFlags().contains("SKINNY_METADATA"))
            try c.btrfstuneSeeding(device: "/dev/sda", seeding: true)
            #expect(try superFlags().contains("SEEDING"))
            try c.btrfstuneSeeding(device: "/dev/sda", seeding: false)
            #expect(!(try superFlags().contains("SEEDING")))
            try c.btrfsSetSeeding(device: "/dev/sda", seeding: true)
            #expect(try superFlags().contains("SEEDING"))
            // btrfstune refuses to clear the flag without -f: upstream
            // answers success and leaves it set; ours passes -f and clears it.
            try c.btrfsSetSeeding(device: "/dev/sda", seeding: false)
            #expect(!(try superFlags().contains("SEEDING")))
            // A failure is still reported (no btrfs on sdb).
            #expect(daemonError { try c.btrfsSetSeeding(device: "/dev/sdb", seeding: false) }?.message.hasPrefix("/dev/sdb: ") == true)
            #expect(daemonError { try c.btrfsFsck(device: "/dev/sdb") }?.message.hasPrefix("/dev/sdb: ") == true)

            // btrfs-image into the guest (a filesystem on sdb).
            try c.mkfs(fstype: "ext4", device: "/dev/sdb")
            try c.mount(mountable: "/dev/sdb", mountpoint: "/")
            try c.btrfsImage(source: ["/dev/sda"], image: "/meta.img", compresslevel: 9)
            // The metadata image restores to a filesystem with the same label.
            let meta = DownloadSink()
            try c.download(remotefilename: "/meta.img", filename: meta)
            let dir = NSTemporaryDirectory() + "btrfs-image-" + UUID().uuidString.prefix(8)
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            FileManager.default.createFile(atPath: dir + "/meta.img", contents: Data(meta.bytes))
            try host(["btrfs-image", "-r", dir + "/meta.img", dir + "/restored.img"])
            #expect(try host(["btrfs", "filesystem", "label", dir + "/restored.img"]) == "offline\n")
            #expect(daemonError { try c.btrfsImage(source: [], image: "/x.img") }?.message == "list of sources must be non-empty")
            try c.umountAll()
        }
    }

    @Test func f2fsExpandAndMksquashfs() throws {
        try withStandaloneDaemon(diskSizesMB: [200, 100]) { d in
            let c = d.client
            #expect(try c.internalFeatureAvailable(group: "f2fs") == 0)
            #expect(try c.internalFeatureAvailable(group: "squashfs") == 0)
            // A 100 MiB f2fs on the 200 MiB disk, expanded to the disk.
            try host(["mkfs.f2fs", "-q", "-f", d.images[0], String(100 * 1024 * 1024 / 512)])
            func sectors() throws -> Int {
                let out = try host(["dump.f2fs", d.images[0]], allowFailure: true)
                let line = out.split(separator: "\n").first { $0.contains("Info: total FS sectors") } ?? ""
                return Int(line.split(separator: "=").last?.split(separator: " ").first ?? "") ?? -1
            }
            #expect(try sectors() == 100 * 1024 * 1024 / 512)
            try c.f2fsExpand(device: "/dev/sda")
            #expect(try sectors() == 200 * 1024 * 1024 / 512)
            #expect(daemonError { try c.f2fsExpand(device: "/dev/sdb") } != nil)

            try c.mkfs(fstype: "ext4", device: "/dev/sdb")
            try c.mount(mountable: "/dev/sdb", mountpoint: "/")
            try c.mkdir(path: "/tree")
            try c.mkdir(path: "/tree/sub")
            try c.internalWrite(path: "/tree/a.txt", content: Array("alpha\n".utf8))
            try c.internalWrite(path: "/tree/sub/b.log", content: Array("beta\n".utf8))
            let sink = DownloadSink()
            try c.mksquashfs(path: "/tree", filename: sink, compress: "gzip", excludes: ["*/b.log"])
            let file = NSTemporaryDirectory() + "squash-" + UUID().uuidString.prefix(8)
            FileManager.default.createFile(atPath: file, contents: Data(sink.bytes))
            defer { try? FileManager.default.removeItem(atPath: file) }
            #expect(Array(sink.bytes.prefix(4)) == Array("hsqs".utf8))
            let listing = try host(["unsquashfs", "-l", "-d", "R", file]).split(separator: "\n").filter { $0.hasPrefix("R") }
            #expect(listing == ["R", "R/a.txt", "R/sub"], "\(listing)")
            #expect(daemonError { try c.mksquashfs(path: "/nosuch", filename: DownloadSink()) }?.message.hasPrefix("/nosuch: ") == true)
            #expect(daemonTemporaries().isEmpty, "\(daemonTemporaries())")
            try c.umountAll()
        }
    }
}

/// The parsers of btrfs-progs output on texts of the shapes the tools
/// print (states a small test filesystem does not reach: a running or
/// paused balance, odd subvolume paths, snapshot lists).
@Suite struct BtrfsOutputParsingTests {
    @Test func balanceStatusRunningPausedAndNone() throws {
        let running = try BtrfsOutput.balanceStatus("Balance on '/sysroot/' is running\n3 out of about 8 chunks balanced (4 considered),  62% left\n")
        #expect(running == GuestfsBtrfsbalance(btrfsbalanceStatus: "running", btrfsbalanceTotal: 8, btrfsbalanceBalanced: 3,
                                               btrfsbalanceConsidered: 4, btrfsbalanceLeft: 62))
        let paused = try BtrfsOutput.balanceStatus("Balance on '/sysroot/a' is paused\n0 out of about 12 chunks balanced (1 considered), 100% left\n")
        #expect(paused.btrfsbalanceStatus == "paused" && paused.btrfsbalanceTotal == 12 && paused.btrfsbalanceLeft == 100)
        #expect(try BtrfsOutput.balanceStatus("No balance found on '/sysroot/'\n") == GuestfsBtrfsbalance(btrfsbalanceStatus: "none"))
        // As upstream: states other than running/paused are not understood.
        let pauseReq = #"Balance on '/sysroot/' is running, pause requested"#
        #expect(throws: DaemonError.self) { try BtrfsOutput.balanceStatus(pauseReq + "\n1 out of about 2 chunks balanced (1 considered), 50% left\n") }
        #expect(throws: DaemonError.self) { try BtrfsOutput.balanceStatus("Balance on '/' is running\n") }
        #expect(throws: DaemonError.self) { try BtrfsOutput.balanceStatus("") }
    }

    @Test func subvolumeListLines() throws {
        let e = BtrfsOutput.subvolumeListEntry("ID 257 gen 30 top level 256 path dir/with spaces/x")
        #expect(e == GuestfsBtrfssubvolume(btrfssubvolumeId: 257, btrfssubvolumeTopLevelId: 256, btrfssubvolumePath: "dir/with spaces/x"))
        // Older btrfs without "gen"; a path that itself says "path".
        #expect(BtrfsOutput.subvolumeListEntry("ID 300 top level 5 path a path b")?.btrfssubvolumePath == "b")
        #expect(BtrfsOutput.subvolumeListEntry("garbage") == nil)
    }

    @Test func subvolumeShowSnapshotsAndEmptyValues() throws {
        let out = "sub\n\tName: \t\t\tsub\n\tParent UUID: \t\t-\n\tCreation time: \t\t2026-01-02 03:04:05 +0000\n\tSnapshot(s):\n\t\t\t\ts1\n\t\t\t\tdir/s2\n\tQuota group:\t\tn/a\n"
        #expect(try BtrfsOutput.subvolumeShow(out) == ["path", "sub", "Name", "sub", "Parent UUID", "",
                                                        "Creation time", "2026-01-02 03:04:05 +0000",
                                                        "Snapshot(s)", "s1,dir/s2", "Quota group", "n/a"])
    }

    @Test func qgroupAndScrubLines() throws {
        #expect(BtrfsOutput.qgroupLine("0/256          16384        16384   a") == GuestfsBtrfsqgroup(btrfsqgroupId: "0/256", btrfsqgroupRfer: 16384, btrfsqgroupExcl: 16384))
        #expect(BtrfsOutput.qgroupLine("1/0 x y") == nil)
        let none = try BtrfsOutput.scrubStatus("UUID: x\n\tno stats available\n")
        #expect(none == GuestfsBtrfsscrub())
        #expect(throws: DaemonError.self) { try BtrfsOutput.scrubStatus("UUID: x\n\tnew_counter: 3\n") }
    }
}

/// A balance started by the host on the same filesystem (the daemon's
/// calls are one at a time) is seen running, paused, resumed and cancelled
/// through the daemon; the paused counters are the host's.
@Suite(.enabled(if: StandaloneDaemon.available), .serialized) struct BtrfsBalanceTests {
    @Test func runningBalancePausedResumedAndCancelled() throws {
        try withStandaloneDaemon(diskSizesMB: [2048]) { d in
            let c = d.client
            let helper = BtrfsTests()
            try c.mkfsBtrfs(devices: ["/dev/sda"])
            let loop = try helper.loopDevice(d.images[0])
            try c.mount(mountable: "/dev/sda", mountpoint: "/")
            for i in 1...6 { try c.fallocate64(path: "/f\(i)", len: 200 << 20) }
            try c.btrfsFilesystemSync(fs: "/")

            func startHostBalance() throws -> Process {
                let mp = NSTemporaryDirectory() + "btrfs-balance-" + UUID().uuidString.prefix(8)
                try FileManager.default.createDirectory(atPath: mp, withIntermediateDirectories: true)
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
                p.arguments = ["-m", "--propagation", "private", "sh", "-c",
                               "mount \(loop) \(mp) && btrfs balance start --full-balance \(mp) >/dev/null 2>&1; umount \(mp); rmdir \(mp)"]
                try p.run()
                return p
            }
            func waitRunning() throws -> GuestfsBtrfsbalance {
                var s = try c.btrfsBalanceStatus(path: "/")
                for _ in 0..<200 where s.btrfsbalanceStatus != "running" {
                    usleep(20_000)
                    s = try c.btrfsBalanceStatus(path: "/")
                }
                return s
            }

            let first = try startHostBalance()
            let running = try waitRunning()
            #expect(running.btrfsbalanceStatus == "running" && running.btrfsbalanceTotal > 0, "\(running)")
            try c.btrfsBalancePause(path: "/")
            first.waitUntilExit()
            let paused = try c.btrfsBalanceStatus(path: "/")
            #expect(paused.btrfsbalanceStatus == "paused")
            let hostStatus = try helper.hostBtrfs(loop, ["balance", "status", "MP"], allowFailure: true)
            #expect(hostStatus.contains("is paused")
                    && hostStatus.contains("\(paused.btrfsbalanceBalanced) out of about \(paused.btrfsbalanceTotal) chunks balanced (\(paused.btrfsbalanceConsidered) considered)")
                    && hostStatus.contains("\(paused.btrfsbalanceLeft)% left"), "\(hostStatus) \(paused)")
            try c.btrfsBalanceResume(path: "/")
            #expect(try c.btrfsBalanceStatus(path: "/").btrfsbalanceStatus == "none")

            let second = try startHostBalance()
            #expect(try waitRunning().btrfsbalanceStatus == "running")
            try c.btrfsBalanceCancel(path: "/")
            second.waitUntilExit()
            #expect(try c.btrfsBalanceStatus(path: "/").btrfsbalanceStatus == "none")
            #expect(try helper.hostBtrfs(loop, ["balance", "status", "MP"]).contains("No balance found"))
            try c.umountAll()
        }
    }
}
