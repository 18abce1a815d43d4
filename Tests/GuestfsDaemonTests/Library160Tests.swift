import Foundation
import GuestfsClient
import GuestfsProtocol
@testable import GuestfsDaemon
import Testing

/// The procedures libguestfs 1.60 added to the table (516-522), the two
/// optargs it appended (tar_in's keepdirlink, e2fsck's forceno) and the
/// daemon-side changes between 1.54.1 and 1.60.1 that clients see.
@Suite("libguestfs 1.60 procedures", .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"))
struct Library160Tests {
    @Test func commandOutStreamsOutputLargerThanAMessage() throws {
        guard FileManager.default.fileExists(atPath: "/bin/busybox") else { return }
        try withStandaloneDaemon { d in
            try installBusybox(in: d.sysroot)
            for applet in ["yes", "head", "seq"] {
                try FileManager.default.createSymbolicLink(atPath: d.sysroot + "/bin/" + applet, withDestinationPath: "busybox")
            }
            let size = GuestfsConstants.messageMax + 1_000_000
            let script = "yes 0123456789abcdef | head -c \(size)"
            // command's reply cannot hold it: what command_out is for.
            #expect(daemonError { _ = try d.client.sh(command: script) } != nil)
            let sink = DownloadSink()
            try d.client.shOut(command: script, output: sink)
            let line = Array("0123456789abcdef\n".utf8)
            #expect(sink.count == size)
            #expect(sink.bytes == Array((0..<(size / line.count + 1)).lazy.flatMap { _ in line }.prefix(size)))

            let lines = DownloadSink()
            try d.client.commandOut(arguments: ["seq", "1", "5"], output: lines)
            #expect(String(decoding: lines.bytes, as: UTF8.self) == "1\n2\n3\n4\n5\n")
            // The C string upstream sends: cut at the first NUL.
            let nul = DownloadSink()
            try d.client.shOut(command: "printf 'ab\\000cd'", output: nul)
            #expect(nul.bytes == Array("ab".utf8))

            // A failing command is an error reply, before any data.
            let failed = DownloadSink()
            let e = daemonError { try d.client.shOut(command: "echo partial; echo it broke >&2; exit 3", output: failed) }
            #expect(e?.message == "it broke")
            #expect(failed.count == 0)
            #expect(daemonError { try d.client.commandOut(arguments: [], output: DownloadSink()) }?.message == "passed an empty list")
            // The session goes on.
            #expect(try d.client.sh(command: "echo still here") == "still here\n")
        }
    }

    @Test func e2fsckForcenoReportsWithoutRepairing() throws {
        // Corrupted on the host before the daemon attaches the image (an
        // inode cleared under its directory entry).
        let dir = NSTemporaryDirectory() + "e2fsck-forceno-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let image = dir + "/disk.img"
        _ = try host(["truncate", "-s", "64M", image])
        let files = dir + "/files"
        try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
        try "content".write(toFile: files + "/file", atomically: false, encoding: .utf8)
        _ = try host(["mkfs.ext4", "-q", "-d", files, image])
        _ = try host(["debugfs", "-w", "-R", "clri file", image])

        let d = try StandaloneDaemon(existingImages: [image])
        defer { d.stop() }
        let c = d.client
        #expect(daemonError { try c.e2fsck(device: "/dev/sda", forceall: true, forceno: true) }?.message
                == "only one of the options 'correct', 'forceall' or 'forceno' may be specified")
        // -n: the damage is reported (status 4), and still there afterwards.
        for _ in 0..<2 {
            let e = daemonError { try c.e2fsck(device: "/dev/sda", forceno: true) }
            #expect(e?.message.contains("Fix? no") == true)
        }
        try c.e2fsck(device: "/dev/sda", forceall: true)
        try c.e2fsck(device: "/dev/sda", forceno: true)
    }

    @Test func tarInKeepdirlinkKeepsTheGuestsDirectorySymlinks() throws {
        let dir = NSTemporaryDirectory() + "keepdirlink-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: dir + "/tree/lib/modules", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "module".write(toFile: dir + "/tree/lib/modules/m.ko", atomically: false, encoding: .utf8)
        _ = try host(["tar", "-C", dir + "/tree", "-cf", dir + "/t.tar", "lib"])
        let archive = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/t.tar")))

        try withStandaloneDaemon { d in
            let c = d.client
            func mergedUsrGuest(_ root: String) throws {
                try c.mkdirP(path: root + "/usr/lib")
                try c.lnS(target: "usr/lib", linkname: root + "/lib")
            }
            try mergedUsrGuest("/keep")
            try c.tarIn(tarfile: .bytes(archive), directory: "/keep", keepdirlink: true)
            #expect(try c.isSymlink(path: "/keep/lib"))
            #expect(d.hostText("/keep/usr/lib/modules/m.ko") == "module")

            // Without it tar replaces the symlink with a directory (as before 1.60).
            try mergedUsrGuest("/plain")
            try c.tarIn(tarfile: .bytes(archive), directory: "/plain")
            #expect(try !c.isSymlink(path: "/plain/lib"))
            #expect(try c.isDir(path: "/plain/lib"))
            #expect(try !c.exists(path: "/plain/usr/lib/modules"))
        }
    }

    @Test func btrfsScrubFullRunsTheWholeScrub() throws {
        try withStandaloneDaemon(diskSizesMB: [256, 64]) { d in
            let c = d.client
            try c.mkfsBtrfs(devices: ["/dev/sda"])
            try c.mount(mountable: "/dev/sda", mountpoint: "/")
            try c.writeFile(path: "/data", content: String(repeating: "x", count: 100_000), size: 0)
            try c.sync()
            try c.btrfsScrubFull(path: "/")
            try c.btrfsScrubFull(path: "/", readonly: true)
            // Scrubbed, and the status says so.
            #expect(try c.btrfsScrubStatus(path: "/").btrfsscrubDataExtentsScrubbed > 0)
            let e = daemonError { try c.btrfsScrubFull(path: "/nowhere") }
            #expect(e?.message.hasPrefix("/nowhere: ") == true)
        }
    }

    @Test func ntfsChmodSetsTheModeInTheSecurityDescriptor() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ntfssecaudit")
                || FileManager.default.isExecutableFile(atPath: "/bin/ntfssecaudit") else { return }
        try withStandaloneDaemon(diskSizesMB: [32]) { d in
            let c = d.client
            try c.mkfs(fstype: "ntfs", device: "/dev/sda")
            try c.mountVfs(options: "", vfstype: "ntfs-3g", mountable: "/dev/sda", mountpoint: "/")
            try c.mkdir(path: "/dir")
            try c.writeFile(path: "/dir/f", content: "hi", size: 0)
            try c.writeFile(path: "/g", content: "hi", size: 0)
            try c.umountAll()

            try c.ntfsChmod(device: "/dev/sda", mode: 0o640, path: "/g")
            try c.ntfsChmod(device: "/dev/sda", mode: 0o700, path: "/dir", recursive: true)
            // Read back through ntfs-3g's permission mapping.
            try c.mountVfs(options: "permissions", vfstype: "ntfs-3g", mountable: "/dev/sda", mountpoint: "/")
            #expect(try c.statns(path: "/g").stMode & 0o777 == 0o640)
            #expect(try c.statns(path: "/dir").stMode & 0o777 == 0o700)
            #expect(try c.statns(path: "/dir/f").stMode & 0o777 == 0o700)
            try c.umountAll()

            let e = daemonError { try c.ntfsChmod(device: "/dev/sda", mode: 0o640, path: "/missing") }
            #expect(e?.message.hasPrefix("ntfssecaudit /dev/sda 640 /missing: ") == true)
        }
    }

    @Test func setfilesRelabelsSeveralPaths() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/setfiles") else { return }
        try withMountedFilesystem(sizeMB: 32) { d in
            let c = d.client
            for dir in ["/etc/selinux/targeted/contexts/files", "/bin", "/home/u", "/var/x"] { try c.mkdirP(path: dir) }
            try c.writeFile(path: SelinuxTests.specfile, content: SelinuxTests.fileContexts, size: 0)
            try c.writeFile(path: "/bin/ls", content: "ELF", size: 0)
            try c.writeFile(path: "/home/u/notes", content: "n", size: 0)

            // No paths: nothing to do, nothing labelled.
            try c.setfiles(specfile: SelinuxTests.specfile, paths: [])
            #expect(daemonErrno { _ = try c.lgetxattr(path: "/bin/ls", name: "security.selinux") } == "ENODATA")

            try c.setfiles(specfile: SelinuxTests.specfile, paths: ["/bin", "/home"])
            #expect(try SelinuxTests.label(d, "/bin/ls") == "system_u:object_r:bin_t:s0\0")
            #expect(try SelinuxTests.label(d, "/home/u/notes") == "unconfined_u:object_r:user_home_t:s0\0")
            // Only the paths given.
            #expect(daemonErrno { _ = try c.lgetxattr(path: "/var/x", name: "security.selinux") } == "ENODATA")

            let e = daemonError { try c.setfiles(specfile: "/etc/selinux/none/file_contexts", paths: ["/"]) }
            #expect(e?.message.hasPrefix("setfiles: ") == true)
            #expect(e?.message.contains("/etc/selinux/none/file_contexts") == true)
            // selinux_relabel keeps its own message, without the prefix.
            let old = daemonError { try c.selinuxRelabel(specfile: "/etc/selinux/none/file_contexts", path: "/") }
            #expect(old?.message.hasPrefix("setfiles: ") == false)
        }
    }

    @Test func xfsInfo2AgreesWithXfsInfo() throws {
        try withStandaloneDaemon(diskSizesMB: [320]) { d in
            let c = d.client
            try c.mkfs(fstype: "xfs", device: "/dev/sda", blocksize: 4096)
            let flat = try c.xfsInfo2(pathordevice: "/dev/sda")
            #expect(flat.count % 2 == 0)
            var info: [String: String] = [:]
            for i in stride(from: 0, to: flat.count, by: 2) { info[flat[i]] = flat[i + 1] }
            let old = try c.xfsInfo(pathordevice: "/dev/sda")
            #expect(info["meta-data"] == "/dev/sda")
            #expect(info["data.bsize"] == "4096")
            #expect(info["data.blocks"] == String(old.xfsDatablocks))
            #expect(info["meta-data.agcount"] == String(old.xfsAgcount))
            #expect(info["meta-data.agsize"] == "\(old.xfsAgsize) blks")
            #expect(info["naming"] == "version \(old.xfsDirversion)")
            #expect(info["log"] == "internal log")
            #expect(info["log.blocks"] == String(old.xfsLogblocks))
            #expect(info["realtime"] == "none")
            // Mounted, by path.
            try c.mount(mountable: "/dev/sda", mountpoint: "/")
            let mounted = try c.xfsInfo2(pathordevice: "/")
            #expect(mounted.contains("data.bsize"))
            try c.umountAll()
            try c.mkfs(fstype: "ext4", device: "/dev/sda")
            #expect(daemonError { _ = try c.xfsInfo2(pathordevice: "/dev/sda") }?.message.hasPrefix("xfs_info exited with status") == true)
        }
    }

    @Test func keysTakeTheBase64AndTextPrefixes() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/cryptsetup") else { return }
        try withStandaloneDaemon(diskSizesMB: [24]) { d in
            let c = d.client
            // An 8-bit key with a NUL in it: only base64 can carry it.
            let raw: [UInt8] = [0xff, 0x00, 0x41, 0x80, 0x0a, 0x7f]
            try c.luksFormat(device: "/dev/sda", key: "base64:" + Data(raw).base64EncodedString(), keyslot: 0)
            #expect(try LuksTests.hostKeyWorks(d.images[0], raw))
            // text: is the rest, literally (even when it looks like base64:).
            try c.luksAddKey(device: "/dev/sda", key: "base64:" + Data(raw).base64EncodedString(),
                             newkey: "text:base64:aGk=", keyslot: 1)
            #expect(try LuksTests.hostKeyWorks(d.images[0], Array("base64:aGk=".utf8)))
            // No prefix: the passphrase as it is.
            try c.luksAddKey(device: "/dev/sda", key: "text:base64:aGk=", newkey: "plain words", keyslot: 2)
            #expect(try LuksTests.hostKeyWorks(d.images[0], Array("plain words".utf8)))
            #expect(daemonError { try c.luksKillSlot(device: "/dev/sda", key: "base64:not*base64", keyslot: 2) }?.message
                    == "could not decode base64-encoded key")
            #expect(daemonError { try c.luksKillSlot(device: "/dev/sda", key: "base64:aGk", keyslot: 2) }?.message
                    == "could not decode base64-encoded key", "unpadded, as base64 -d refuses")
        }
    }
}

/// The 1.60 rules that need no daemon: xfs_info's text read as
/// xfs_info2 reads it, xfs_repair's messages, base64 keys.
@Suite("libguestfs 1.60 parsers")
struct Library160ParserTests {
    /// xfs_info from xfsprogs 6.1 (Debian 12) on a 320 MB filesystem.
    static let xfsInfoText = """
        meta-data=/dev/sda1              isize=512    agcount=4, agsize=20480 blks
                 =                       sectsz=512   attr=2, projid32bit=1
                 =                       crc=1        finobt=1, sparse=1, rmapbt=0
                 =                       reflink=1    bigtime=1 inobtcount=1 nrext64=0
        data     =                       bsize=4096   blocks=81920, imaxpct=25
                 =                       sunit=0      swidth=0 blks
        naming   =version 2              bsize=4096   ascii-ci=0, ftype=1
        log      =internal log           bsize=4096   blocks=16384, version=2
                 =                       sectsz=512   sunit=0 blks, lazy-count=1
        realtime =none                   extsz=4096   blocks=0, rtextents=0

        """

    @Test func xfsInfoFieldsInOrder() {
        let fields = Handlers.xfsInfoFields(Self.xfsInfoText)
        #expect(fields.map(\.key) == [
            "meta-data", "meta-data.isize", "meta-data.agcount", "meta-data.agsize", "meta-data.sectsz",
            "meta-data.attr", "meta-data.projid32bit", "meta-data.crc", "meta-data.finobt", "meta-data.sparse",
            "meta-data.rmapbt", "meta-data.reflink", "meta-data.bigtime", "meta-data.inobtcount", "meta-data.nrext64",
            "data.bsize", "data.blocks", "data.imaxpct", "data.sunit", "data.swidth",
            "naming", "naming.bsize", "naming.ascii-ci", "naming.ftype",
            "log", "log.bsize", "log.blocks", "log.version", "log.sectsz", "log.sunit", "log.lazy-count",
            "realtime", "realtime.extsz", "realtime.blocks", "realtime.rtextents",
        ])
        let map = Dictionary(fields.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(map["meta-data"] == "/dev/sda1")
        #expect(map["meta-data.agsize"] == "20480 blks")
        #expect(map["data.swidth"] == "0 blks")
        #expect(map["naming"] == "version 2")
        #expect(map["log"] == "internal log")
        #expect(map["log.sunit"] == "0 blks")
        #expect(map["realtime"] == "none")
        #expect(map["realtime.rtextents"] == "0")
    }

    @Test func xfsRepairMessages() {
        let tooSmall = """
            Phase 1 - find and verify superblock...
            Required memory for repair is greater that the maximum specified
            with the -m option. Please increase it to at least 96.

            """
        #expect(Handlers.xfsRepairMemoryNeeded(tooSmall) == "96")
        #expect(Handlers.xfsRepairMemoryNeeded("Phase 1 - find and verify superblock...\n") == nil)
        #expect(Handlers.xfsRepairOnlyOldAGFL("Phase 2\nbad agbno 4294967295 in agfl, agno 0\nfreeblk count 1 != flcount 2 in ag 0\n"))
        #expect(!Handlers.xfsRepairOnlyOldAGFL("bad agbno in agfl, agno 0\n"))
        #expect(!Handlers.xfsRepairOnlyOldAGFL("bad magic number 0x0 on inode 99\n"))
    }

    @Test func base64KeysDecodeAsBase64DashD() throws {
        #expect(KeyArgument.decodeBase64("aGVsbG8=".utf8) == Array("hello".utf8))
        #expect(KeyArgument.decodeBase64("aGVs\nbG8=\n".utf8) == Array("hello".utf8))
        #expect(KeyArgument.decodeBase64("".utf8) == [])
        #expect(KeyArgument.decodeBase64("/wBBgAp/".utf8) == [0xff, 0x00, 0x41, 0x80, 0x0a, 0x7f])
        for bad in ["aGVsbG8", "aGVsbA", "aGV=sbA=", "a===", "aGk=aGk=", "a*bc", "aGk"] {
            #expect(KeyArgument.decodeBase64(bad.utf8) == nil, "\(bad)")
        }
        #expect(try KeyArgument.bytes("text:base64:x") == Array("base64:x".utf8))
        #expect(try KeyArgument.bytes("plain") == Array("plain".utf8))
    }
}
