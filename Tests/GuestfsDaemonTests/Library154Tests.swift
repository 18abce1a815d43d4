import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

/// Decodes internal_readdir's file as libguestfs 1.54's library does:
/// guestfs_int_dirent structs one after another to the end of the file.
/// (Names are bytes to the C library; ours would refuse a non-UTF-8 one, so
/// they are decoded as opaque and shown lossily.)
private func decodeDirents(_ bytes: [UInt8]) throws -> [GuestfsDirent] {
    try bytes.withUnsafeBytes { raw in
        var r = XDRReader(raw)
        var out: [GuestfsDirent] = []
        while !r.isAtEnd {
            let ino = try r.readInt64()
            let ftyp = try r.readChar()
            let name = try r.readOpaque()
            out.append(GuestfsDirent(ino: ino, ftyp: ftyp, name: String(decoding: name, as: UTF8.self)))
        }
        return out
    }
}

/// The procedures libguestfs 1.54 added to the table (511-515) and the
/// 64-bit GPT attributes it expects.
@Suite("libguestfs 1.54 procedures", .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"))
struct Library154Tests {
    @Test func internalReaddirIsReaddirAsAnXDRFile() throws {
        try withStandaloneDaemon { d in
            try d.hostMkdir("/d/sub")
            try d.hostWrite("/d/file", "x")
            _ = try host(["ln", "-s", "file", d.hostPath("/d/link")])
            _ = try host(["mkfifo", d.hostPath("/d/fifo")])
            let sink = DownloadSink()
            try d.client.internalReaddir(dir: "/d", filename: sink)
            let entries = try decodeDirents(sink.bytes)
            // Exactly what 1.48's readdir returns, in the same (readdir) order.
            #expect(entries == (try d.client.readdir(dir: "/d")))
            var types: [String: Character] = [:]
            for e in entries { types[e.name] = Character(UnicodeScalar(e.ftyp)) }
            #expect(types == [".": "d", "..": "d", "sub": "d", "file": "r", "link": "l", "fifo": "f"])
            // Inode numbers as the host sees them.
            let ino = try FileManager.default.attributesOfItem(atPath: d.hostPath("/d/file"))[.systemFileNumber] as? UInt64
            #expect(entries.first { $0.name == "file" }?.ino == Int64(ino ?? 0))

            #expect(daemonError { try d.client.internalReaddir(dir: "/none", filename: DownloadSink()) }?.message
                    == "opendir: /none: No such file or directory")
            #expect(daemonErrno { try d.client.internalReaddir(dir: "/d/file", filename: DownloadSink()) } == "ENOTDIR")
        }
    }

    @Test func internalReaddirStreamsManyEntriesAndNamesByteForByte() throws {
        try withStandaloneDaemon { d in
            try d.hostMkdir("/many")
            for i in 0..<700 { try d.hostWrite("/many/a-rather-long-file-name-to-fill-chunks-\(i)", "") }
            // A name that is not UTF-8 (Latin-1 "café").
            let raw: [UInt8] = Array(d.hostPath("/many/caf").utf8) + [0xE9, 0]
            let fd = raw.withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o644) }
            #expect(fd >= 0)
            close(fd)
            let sink = DownloadSink()
            try d.client.internalReaddir(dir: "/many", filename: sink)
            #expect(sink.count > 3 * 8192, "several chunks")
            // The raw file: the Latin-1 name's bytes are there as they are on disk.
            let needle: [UInt8] = [0, 0, 0, 4] + Array("caf".utf8) + [0xE9]
            #expect(sink.bytes.indices.contains { i in sink.bytes[i...].starts(with: needle) })
            let entries = try decodeDirents(sink.bytes)
            #expect(entries.count == 703)
            #expect(Set(entries.map(\.name)).isSuperset(of: (0..<700).map { "a-rather-long-file-name-to-fill-chunks-\($0)" }))
        }
    }

    @Test func findfsPartuuidAndPartlabel() throws {
        try withStandaloneDaemon(diskSizesMB: [32, 32]) { d in
            let c = d.client
            try c.partDisk(device: "/dev/sda", parttype: "mbr")
            try c.partInit(device: "/dev/sdb", parttype: "gpt")
            try c.partAdd(device: "/dev/sdb", prlogex: "p", startsect: 2048, endsect: 20479)
            try c.partAdd(device: "/dev/sdb", prlogex: "p", startsect: 20480, endsect: -2048)
            let label = "pl-" + UUID().uuidString.prefix(8)
            try c.partSetName(device: "/dev/sdb", partnum: 2, name: label)
            let guid = UUID().uuidString
            try c.partSetGptGuid(device: "/dev/sdb", partnum: 1, guid: guid)
            #expect(try c.findfsPartlabel(label: label) == "/dev/sdb2")
            // blkid spells GPT PARTUUIDs in lower case; findfs matches exactly.
            #expect(try c.findfsPartuuid(uuid: guid.lowercased()) == "/dev/sdb1")
            // An MBR PARTUUID is the disk signature and the partition number.
            let mbr = try host(["blkid", "-p", "-o", "value", "-s", "PTUUID", d.images[0]]).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(mbr.count == 8)
            #expect(try c.findfsPartuuid(uuid: mbr + "-01") == "/dev/sda1")

            #expect(daemonError { _ = try c.findfsPartlabel(label: "no-such-label") }?.message
                    == "findfs exited with status 1: findfs: unable to resolve 'PARTLABEL=no-such-label'")
            #expect(daemonError { _ = try c.findfsPartuuid(uuid: guid.uppercased()) }?.message
                    == "findfs exited with status 1: findfs: unable to resolve 'PARTUUID=\(guid.uppercased())'")
        }
    }

    @Test func groupsAsDebian13ReportsThemAndClevisWithoutClevis() throws {
        try withStandaloneDaemon(diskSizesMB: [16]) { d throws in
            let c = d.client
            // Exactly Debian 13's reference (available-all-groups), retired
            // groups (always available) included.
            #expect(try c.availableAllGroups() == """
                acl augeas blkdiscard blkdiscardzeroes btrfs clevisluks extlinux f2fs fstrim gdisk grub hivex \
                inotify journal ldm libtsk libyara linuxcaps linuxfsuuid linuxmodules linuxxattrs luks lvm2 \
                mdadm mknod ntfs3g ntfsprogs realpath rsync scrub selinux selinuxrelabel sleuthkit squashfs \
                syslinux wipefs xfs xz zerofree
                """.split(separator: " ").map(String.init))
            #expect(try c.internalFeatureAvailable(group: "augeas") == 0 && c.internalFeatureAvailable(group: "realpath") == 0)
            #expect(try c.internalFeatureAvailable(group: "no-such-group") == 2)
            let hasClevis = ["/usr/bin/clevis-luks-unlock", "/bin/clevis-luks-unlock"].contains { FileManager.default.fileExists(atPath: $0) }
            #expect(try c.internalFeatureAvailable(group: "clevisluks") == (hasClevis ? 0 : 1))
            if !hasClevis {
                let e = daemonError { try c.clevisLuksUnlock(device: "/dev/sda", mapname: "m") }
                #expect(e?.errno == "ENOTSUP")
                #expect(e?.message == "feature 'clevisluks' is not available in this\nbuild of libguestfs.  Read 'AVAILABILITY' in the guestfs(3) man page for\nhow to check for the availability of features.")
            }
        }
    }
}
