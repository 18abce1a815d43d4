import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

/// `blkid -p -o export` of an image on the host, as KEY -> value.
private func hostBlkid(_ image: String) throws -> [String: String] {
    var r: [String: String] = [:]
    for line in try host(["blkid", "-p", "-o", "export", image], allowFailure: true).split(separator: "\n") {
        if let eq = line.firstIndex(of: "=") { r[String(line[..<eq])] = String(line[line.index(after: eq)...]) }
    }
    return r
}

/// One field of `dumpe2fs -h` on the host ("Journal UUID" -> "...").
private func hostDumpe2fs(_ image: String, _ field: String) throws -> String? {
    for line in try host(["dumpe2fs", "-h", image]).split(separator: "\n") where line.hasPrefix(field + ":") {
        return line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces)
    }
    return nil
}

/// The ten deprecated procedures of libguestfs 1.48's table, checked with
/// the host's sfdisk, blkid and dumpe2fs.
@Suite("deprecated 1.48 procedures", .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"))
struct DeprecatedTests {
    @Test func sfdiskNChangesOnePartitionAndNamesTheCommandOnFailure() throws {
        try withStandaloneDaemon(diskSizesMB: [64]) { d throws in
            try d.client.sfdisk(device: "/dev/sda", cyls: 0, heads: 0, sectors: 0, lines: [",10M", ",10M"])
            try d.client.sfdiskN(device: "/dev/sda", partnum: 3, cyls: 0, heads: 0, sectors: 0, line: ",20M")
            let parts = try d.client.partList(device: "/dev/sda")
            #expect(parts.map(\.partNum) == [1, 2, 3])
            #expect(parts.map(\.partSize) == [10 << 20, 10 << 20, 20 << 20])
            // The host reads the same table from the image.
            let dump = try host(["sfdisk", "-d", d.images[0]])
            #expect(dump.contains("disk0.img3 : start=       43008, size=       40960, type=83"))
            // Partition 9 cannot be made with partitions 4-8 missing.
            #expect(fsErrorMessage {
                try d.client.sfdiskN(device: "/dev/sda", partnum: 9, cyls: 0, heads: 0, sectors: 0, line: ",1M")
            } == "sfdisk -N 9 /dev/sda: external command failed")
            #expect(try d.client.partList(device: "/dev/sda").count == 3)
        }
    }

    @Test func sfdiskMFailsLikeUpstreamBecauseSfdiskHasNoMegabyteUnit() throws {
        try withStandaloneDaemon(diskSizesMB: [32]) { d throws in
            #expect(fsErrorMessage { try d.client.sfdiskM(device: "/dev/sda", lines: [",10"]) }
                    == "sfdisk -uM /dev/sda: external command failed")
            // Nothing was written.
            #expect(try host(["sfdisk", "-d", d.images[0]], allowFailure: true).isEmpty)
        }
    }

    @Test func mkswapLabelAndUUIDAsTheHostSeesThem() throws {
        try withStandaloneDaemon(diskSizesMB: [16, 16]) { d throws in
            try d.client.mkswapL(label: "swaplabel", device: "/dev/sda")
            let uuid = UUID().uuidString.lowercased()
            try d.client.mkswapU(uuid: uuid, device: "/dev/sdb")
            let a = try hostBlkid(d.images[0]), b = try hostBlkid(d.images[1])
            #expect(a["TYPE"] == "swap" && a["LABEL"] == "swaplabel")
            #expect(b["TYPE"] == "swap" && b["UUID"] == uuid)
            #expect(fsErrorMessage { try d.client.mkswapL(label: "12345678901234567", device: "/dev/sda") }
                    == "12345678901234567: Linux swap labels are limited to 16 bytes")
            #expect(try hostBlkid(d.images[0])["LABEL"] == "swaplabel", "a refused label leaves the swap alone")
        }
    }

    @Test func externalJournalsByLabelUUIDAndDevice() throws {
        try withStandaloneDaemon(diskSizesMB: [16, 64]) { d throws in
            // Labels and UUIDs are looked up among every block device of
            // the host: make them unique to this test.
            let label = "j" + UUID().uuidString.prefix(8).lowercased()
            try d.client.mke2journalL(blocksize: 4096, label: label, device: "/dev/sda")
            var j = try hostBlkid(d.images[0])
            #expect(j["TYPE"] == "jbd" && j["LABEL"] == label)
            try d.client.mke2fsJL(fstype: "ext4", blocksize: 4096, device: "/dev/sdb", label: label)
            #expect(try hostBlkid(d.images[1])["TYPE"] == "ext4")
            #expect(try hostDumpe2fs(d.images[1], "Journal UUID") == j["UUID"])
            #expect(try hostDumpe2fs(d.images[1], "Block size") == "4096")

            let uuid = UUID().uuidString.lowercased()
            try d.client.mke2journalU(blocksize: 4096, uuid: uuid, device: "/dev/sda")
            j = try hostBlkid(d.images[0])
            #expect(j["TYPE"] == "jbd" && j["UUID"] == uuid && j["LABEL"] == nil)
            try d.client.mke2fsJU(fstype: "ext3", blocksize: 4096, device: "/dev/sdb", uuid: uuid)
            #expect(try hostBlkid(d.images[1])["TYPE"] == "ext3")
            #expect(try hostDumpe2fs(d.images[1], "Journal UUID") == uuid)

            // By device: an ext2 with an external journal is ext3.
            try d.client.mke2fsJ(fstype: "ext2", blocksize: 4096, device: "/dev/sdb", journal: "/dev/sda")
            #expect(try hostBlkid(d.images[1])["TYPE"] == "ext3")
            #expect(try hostDumpe2fs(d.images[1], "Journal UUID") == uuid)
        }
    }

    @Test func journalCallsRefuseBadTypesLabelsAndUnknownJournals() throws {
        try withStandaloneDaemon(diskSizesMB: [16, 32]) { d throws in
            #expect(fsErrorMessage { try d.client.mke2fsJ(fstype: "btrfs", blocksize: 4096, device: "/dev/sdb", journal: "/dev/sda") }
                    == "btrfs: not a valid extended filesystem type")
            #expect(fsErrorMessage { try d.client.mke2fsJL(fstype: "ext4", blocksize: 4096, device: "/dev/sdb", label: "12345678901234567") }
                    == "12345678901234567: ext2/3/4 labels are limited to 16 bytes")
            #expect(fsErrorMessage { try d.client.mke2journalL(blocksize: 4096, label: "12345678901234567", device: "/dev/sda") }
                    == "12345678901234567: ext2/3/4 labels are limited to 16 bytes")
            let missing = UUID().uuidString.lowercased()
            let message = fsErrorMessage { try d.client.mke2fsJU(fstype: "ext4", blocksize: 4096, device: "/dev/sdb", uuid: missing) }
            #expect(message.contains("Could not find journal device matching UUID=\(missing)"))
            #expect(try hostBlkid(d.images[1])["TYPE"] == nil, "nothing made on a refused call")
        }
    }

    @Test func resize2fsMShrinksToTheMinimumAndLeavesACleanFilesystem() throws {
        try withStandaloneDaemon(diskSizesMB: [64, 16]) { d throws in
            try d.client.mkfs(fstype: "ext4", device: "/dev/sda")
            let before = Int(try hostDumpe2fs(d.images[0], "Block count") ?? "") ?? 0
            try d.client.resize2fsM(device: "/dev/sda")
            let after = Int(try hostDumpe2fs(d.images[0], "Block count") ?? "") ?? 0
            #expect(after > 0 && after < before / 4, "\(before) -> \(after) blocks")
            _ = try host(["e2fsck", "-fn", d.images[0]])
            // Never an ext filesystem: e2fsck's complaint comes back. (Over a
            // former ext4, e2fsck -y would find a backup superblock and
            // bring it back, as upstream's does.)
            try d.client.mkswap(device: "/dev/sdb", label: nil, uuid: nil)
            #expect(fsErrorMessage { try d.client.resize2fsM(device: "/dev/sdb") }.contains("Bad magic number in super-block"))
            #expect(try hostBlkid(d.images[1])["TYPE"] == "swap")
        }
    }
}
