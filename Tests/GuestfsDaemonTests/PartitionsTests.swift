import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing


/// `sfdisk --dump` of an image, read on the host independently of the daemon.
func sfdiskDump(_ image: String) throws -> String {
    try host(["sfdisk", "--dump", image])
}

@Suite("partitions", .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"))
struct PartitionsTests {
    @Test func partDiskMBRStartsAt128AndLeaves128Free() throws {
        try withStandaloneDaemon(diskSizesMB: [64]) { d in
            try d.client.partDisk(device: "/dev/sda", parttype: "mbr")
            let parts = try d.client.partList(device: "/dev/sda")
            #expect(parts == [GuestfsPartition(partNum: 1, partStart: 65536, partEnd: 67043839, partSize: 66978304)])
            #expect(try d.client.listPartitions() == ["/dev/sda1"])
            #expect(try d.client.partGetParttype(device: "/dev/sda") == "msdos")
            #expect(try d.client.partGetMbrId(device: "/dev/sda", partnum: 1) == 0x83)
            #expect(try d.client.partGetMbrPartType(device: "/dev/sda", partnum: 1) == "primary")
            #expect(try d.client.partGetBootable(device: "/dev/sda", partnum: 1) == false)
            let e = daemonError { _ = try d.client.partGetName(device: "/dev/sda", partnum: 1) }
            #expect(e?.message == "part-get-name can only be used on GUID Partition Tables")
            // The kernel already sees the partition: its size is readable.
            #expect(try d.client.blockdevGetsize64(device: "/dev/sda1") == 66978304)
            let dump = try sfdiskDump(d.images[0])
            #expect(dump.contains("label: dos"))
            #expect(dump.contains("start=         128, size=      130817, type=83"))
        }
    }

    @Test func partDiskGPTNamesThePartitionP1() throws {
        try withStandaloneDaemon(diskSizesMB: [64]) { d in
            try d.client.partDisk(device: "/dev/sda", parttype: "gpt")
            #expect(try d.client.partList(device: "/dev/sda")
                == [GuestfsPartition(partNum: 1, partStart: 65536, partEnd: 67043839, partSize: 66978304)])
            #expect(try d.client.partGetParttype(device: "/dev/sda") == "gpt")
            #expect(try d.client.partGetName(device: "/dev/sda", partnum: 1) == "p1")
            #expect(try d.client.partGetGptType(device: "/dev/sda", partnum: 1) == "0FC63DAF-8483-4772-8E79-3D69D8477DE4")
            #expect(try d.client.partGetMbrPartType(device: "/dev/sda", partnum: 1) == "primary")
            let dump = try sfdiskDump(d.images[0])
            #expect(dump.contains("label: gpt"))
            #expect(dump.contains("start=         128, size=      130817, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4"))
            #expect(dump.contains("name=\"p1\""))
        }
    }

    @Test func unknownTableTypesAndBadArgumentsAreRefused() throws {
        try withStandaloneDaemon(diskSizesMB: [16]) { d in
            let e1 = daemonError { try d.client.partDisk(device: "/dev/sda", parttype: "foo") }
            #expect(e1?.message == "unknown partition type: common choices are \"gpt\" and \"msdos\"")
            let e2 = daemonError { try d.client.partInit(device: "/dev/sda", parttype: "foo") }
            #expect(e2?.message == "unknown partition type: common choices are \"gpt\" and \"msdos\"")
            let e3 = daemonError { try d.client.partAdd(device: "/dev/sda", prlogex: "x", startsect: 1, endsect: 2) }
            #expect(e3?.message == "unknown partition type: x: this should be \"primary\", \"logical\" or \"extended\"")
            let e4 = daemonError { try d.client.partAdd(device: "/dev/sda", prlogex: "p", startsect: -5, endsect: 2) }
            #expect(e4?.message == "startsect cannot be negative")
            let e5 = daemonError { try d.client.partDel(device: "/dev/sda", partnum: 0) }
            #expect(e5?.message == "partition number must be >= 1")
        }
    }

    @Test func blankDiskHasNoLabelEINVAL() throws {
        try withStandaloneDaemon(diskSizesMB: [16]) { d in
            let e = daemonError { _ = try d.client.partList(device: "/dev/sda") }
            #expect(e?.errno == "EINVAL")
            #expect(e?.message == "parted: /dev/sda: parted exited with status 1: Error: /dev/sda: unrecognised disk label: Invalid argument")
            let e2 = daemonError { _ = try d.client.partGetParttype(device: "/dev/sda") }
            #expect(e2?.errno == "EINVAL")
            let e3 = daemonError { _ = try d.client.partGetBootable(device: "/dev/sda", partnum: 1) }
            #expect(e3?.errno == "EINVAL")
            #expect(e3?.message == "parted print: /dev/sda: Error: /dev/sda: unrecognised disk label")
        }
    }

    @Test func mbrPrimaryExtendedLogicalAsParted() throws {
        try withStandaloneDaemon(diskSizesMB: [64]) { d in
            let c = d.client
            try c.partInit(device: "/dev/sda", parttype: "msdos")
            try c.partAdd(device: "/dev/sda", prlogex: "p", startsect: 64, endsect: 1000)
            try c.partAdd(device: "/dev/sda", prlogex: "e", startsect: 1001, endsect: 60000)
            try c.partAdd(device: "/dev/sda", prlogex: "l", startsect: 1002, endsect: 2000)
            try c.partAdd(device: "/dev/sda", prlogex: "l", startsect: 2100, endsect: 3000)
            let e = daemonError { try c.partAdd(device: "/dev/sda", prlogex: "l", startsect: 2500, endsect: 3500) }
            #expect(e?.message == "parted: /dev/sda: Error: You requested a partition from 1280kB to 1792kB (sectors 2500..3500).\n"
                + "The closest location we can manage is 1537kB to 1792kB (sectors 3002..3500).")
            try c.partAdd(device: "/dev/sda", prlogex: "p", startsect: 60001, endsect: -1)
            #expect(try c.partList(device: "/dev/sda") == [
                GuestfsPartition(partNum: 1, partStart: 32768, partEnd: 512511, partSize: 479744),
                GuestfsPartition(partNum: 2, partStart: 512512, partEnd: 30720511, partSize: 30208000),
                GuestfsPartition(partNum: 5, partStart: 513024, partEnd: 1024511, partSize: 511488),
                GuestfsPartition(partNum: 6, partStart: 1075200, partEnd: 1536511, partSize: 461312),
                GuestfsPartition(partNum: 3, partStart: 30720512, partEnd: 67108863, partSize: 36388352),
            ])
            #expect(try c.listPartitions() == ["/dev/sda1", "/dev/sda2", "/dev/sda3", "/dev/sda5", "/dev/sda6"])
            #expect(try c.partGetMbrPartType(device: "/dev/sda", partnum: 1) == "primary")
            #expect(try c.partGetMbrPartType(device: "/dev/sda", partnum: 2) == "extended")
            #expect(try c.partGetMbrPartType(device: "/dev/sda", partnum: 5) == "logical")
            // parted marks the extended partition LBA: 0x0f.
            #expect(try c.partGetMbrId(device: "/dev/sda", partnum: 2) == 0x0f)
            #expect(try c.partGetMbrId(device: "/dev/sda", partnum: 5) == 0x83)
            let dump = try sfdiskDump(d.images[0])
            #expect(dump.contains("start=        1002, size=         999, type=83"))
            #expect(dump.contains("start=        1001, size=       59000, type=f"))

            let e2 = daemonError { _ = try c.partGetMbrId(device: "/dev/sda", partnum: 9) }
            #expect(e2?.message == "sfdisk exited with status 1: sfdisk: /dev/sda: partition 9: partition table contains only 6 partitions")
            let e3 = daemonError { try c.partDel(device: "/dev/sda", partnum: 9) }
            #expect(e3?.message == "parted: /dev/sda: Error: Partition doesn't exist.")

            try c.partDel(device: "/dev/sda", partnum: 6)
            try c.partResize(device: "/dev/sda", partnum: 5, endsect: 2050)
            #expect(try c.partList(device: "/dev/sda").map { [$0.partNum, Int32($0.partEnd / 512)] }
                == [[1, 1000], [2, 60000], [5, 2050], [3, 131071]])
            #expect(try c.listPartitions() == ["/dev/sda1", "/dev/sda2", "/dev/sda3", "/dev/sda5"])
            let e4 = daemonError { try c.partResize(device: "/dev/sda", partnum: 1, endsect: 100_000_000) }
            #expect(e4?.message == "parted: /dev/sda: Error: The location 100000000s is outside of the device /dev/sda.:")
            let e5 = daemonError { try c.partSetName(device: "/dev/sda", partnum: 1, name: "foo") }
            #expect(e5?.message == "parted: /dev/sda: Error: msdos disk labels do not support partition name.")
        }
    }

    @Test func mbrBootableAndIdRoundTrip() throws {
        try withStandaloneDaemon(diskSizesMB: [32]) { d in
            let c = d.client
            try c.partDisk(device: "/dev/sda", parttype: "msdos")
            try c.partSetBootable(device: "/dev/sda", partnum: 1, bootable: true)
            #expect(try c.partGetBootable(device: "/dev/sda", partnum: 1))
            try c.partSetMbrId(device: "/dev/sda", partnum: 1, idbyte: 0x07)
            #expect(try c.partGetMbrId(device: "/dev/sda", partnum: 1) == 7)
            #expect(try c.listPartitions() == ["/dev/sda1"])
            let dump = try sfdiskDump(d.images[0])
            #expect(dump.contains("type=7, bootable"))
            try c.partSetBootable(device: "/dev/sda", partnum: 1, bootable: false)
            #expect(try c.partGetBootable(device: "/dev/sda", partnum: 1) == false)
            #expect(!(try sfdiskDump(d.images[0])).contains("bootable"))
            let e = daemonError { try c.partSetBootable(device: "/dev/sda", partnum: 3, bootable: true) }
            #expect(e?.message == "parted: /dev/sda: Error: Partition doesn't exist.")
        }
    }

    @Test func gptFieldsRoundTrip() throws {
        try withStandaloneDaemon(diskSizesMB: [64]) { d in
            let c = d.client
            try c.partDisk(device: "/dev/sda", parttype: "gpt")
            try c.partSetName(device: "/dev/sda", partnum: 1, name: "hello world")
            #expect(try c.partGetName(device: "/dev/sda", partnum: 1) == "hello world")
            try c.partSetGptType(device: "/dev/sda", partnum: 1, guid: "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F")
            #expect(try c.partGetGptType(device: "/dev/sda", partnum: 1) == "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F")
            try c.partSetGptGuid(device: "/dev/sda", partnum: 1, guid: "01234567-89AB-CDEF-0123-456789ABCDEF")
            #expect(try c.partGetGptGuid(device: "/dev/sda", partnum: 1) == "01234567-89AB-CDEF-0123-456789ABCDEF")
            try c.partSetGptAttributes(device: "/dev/sda", partnum: 1, attributes: 5)
            #expect(try c.partGetGptAttributes(device: "/dev/sda", partnum: 1) == 5)
            // All 64 bits are written and read back (upstream 1.48 drops the
            // high 32 on the way back; 1.54's own test wants them, as here).
            try c.partSetGptAttributes(device: "/dev/sda", partnum: 1, attributes: Int64(bitPattern: 0x8000_0000_0000_0005))
            #expect(try host(["sgdisk", "-i", "1", d.images[0]]).contains("Attribute flags: 8000000000000005"))
            #expect(try c.partGetGptAttributes(device: "/dev/sda", partnum: 1) == Int64(bitPattern: 0x8000_0000_0000_0005))
            // libguestfs 1.54's tests/gpt value: bits 0, 2, 48 and 49.
            try c.partSetGptAttributes(device: "/dev/sda", partnum: 1, attributes: 844424930131973)
            #expect(try host(["sgdisk", "-i", "1", d.images[0]]).contains("Attribute flags: 0003000000000005"))
            #expect(try c.partGetGptAttributes(device: "/dev/sda", partnum: 1) == 844424930131973)
            try c.partSetGptAttributes(device: "/dev/sda", partnum: 1, attributes: 5)
            try c.partSetDiskGuid(device: "/dev/sda", guid: "01234567-89AB-CDEF-0123-456789ABCDE0")
            #expect(try c.partGetDiskGuid(device: "/dev/sda") == "01234567-89AB-CDEF-0123-456789ABCDE0")
            try c.partSetDiskGuidRandom(device: "/dev/sda")
            let random = try c.partGetDiskGuid(device: "/dev/sda")
            // sgdisk made the kernel re-read the table: the partition is still there.
            #expect(try c.listPartitions() == ["/dev/sda1"])
            #expect(try c.blockdevGetsize64(device: "/dev/sda1") == 66978304)
            #expect(random != "01234567-89AB-CDEF-0123-456789ABCDE0" && random.count == 36)

            // Read back on the host.
            let dump = try sfdiskDump(d.images[0])
            #expect(dump.contains("label-id: \(random)"))
            #expect(dump.contains("type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F, uuid=01234567-89AB-CDEF-0123-456789ABCDEF, name=\"hello world\", attrs=\"RequiredPartition LegacyBIOSBootable\""))

            // parted's "boot" flag on GPT is the ESP type.
            try c.partSetBootable(device: "/dev/sda", partnum: 1, bootable: true)
            #expect(try c.partGetBootable(device: "/dev/sda", partnum: 1))
            #expect(try c.partGetGptType(device: "/dev/sda", partnum: 1) == "C12A7328-F81F-11D2-BA4B-00A0C93EC93B")

            let e = daemonError { try c.partSetGptType(device: "/dev/sda", partnum: 7, guid: "01234567-89AB-CDEF-0123-456789ABCDEF") }
            #expect(e?.message == "sgdisk /dev/sda -t 7:01234567-89AB-CDEF-0123-456789ABCDEF: Could not change partition 7's type code to 01234567-89AB-CDEF-0123-456789ABCDEF!\nError encountered; not saving changes.")
            let e2 = daemonError { _ = try c.partGetGptAttributes(device: "/dev/sda", partnum: 7) }
            #expect(e2?.message == "/dev/sda: sgdisk output did not contain 'Attribute flags'")
            let e3 = daemonError { _ = try c.partGetGptGuid(device: "/dev/sda", partnum: 0) }
            #expect(e3?.message == "partition number must be >= 1")

            // GPT positions: the end must leave room for the backup table.
            try c.partAdd(device: "/dev/sda", prlogex: "p", startsect: 130950, endsect: 131000)
            #expect(try c.partGetName(device: "/dev/sda", partnum: 2) == "primary")
            let e4 = daemonError { try c.partAdd(device: "/dev/sda", prlogex: "p", startsect: 131001, endsect: -1) }
            #expect(e4?.message.hasSuffix("(sectors 131001..131038).") == true)
            #expect(try c.listPartitions() == ["/dev/sda1", "/dev/sda2"])
        }
    }

    @Test func expandGptMovesTheBackupToTheEnd() throws {
        try withStandaloneDaemon(diskSizesMB: [32, 64]) { d in
            let c = d.client
            try c.partDisk(device: "/dev/sda", parttype: "gpt")
            // Copy the primary GPT of the 32 MB disk onto the 64 MB one.
            let head = try c.preadDevice(device: "/dev/sda", count: 34 * 512, offset: 0)
            #expect(try c.pwriteDevice(device: "/dev/sdb", content: head, offset: 0) == 34 * 512)
            try c.partExpandGpt(device: "/dev/sdb")
            let out = try host(["sgdisk", "-p", d.images[1]])
            #expect(out.contains("last usable sector is 131038"))
        }
    }

    @Test func wholeDiskFilesystemIsNotPartitioned() throws {
        try withStandaloneDaemon(diskSizesMB: [32]) { d in
            // The loop device reads through the image file, so a host mkfs shows.
            try host(["mkfs.ext4", "-q", "-F", d.images[0]])
            let e = daemonError { _ = try d.client.partGetParttype(device: "/dev/sda") }
            #expect(e?.message == "/dev/sda: not a partitioned device")
            let e2 = daemonError { _ = try d.client.partGetName(device: "/dev/sda", partnum: 1) }
            #expect(e2?.message == "/dev/sda: not a partitioned device")
        }
    }

    @Test func sfdiskListingsUseTheLibraryDeviceNames() throws {
        try withStandaloneDaemon(diskSizesMB: [64]) { d in
            try d.client.partDisk(device: "/dev/sda", parttype: "mbr")
            let l = try d.client.sfdiskL(device: "/dev/sda")
            #expect(l.contains("Disk /dev/sda: 64 MiB, 67108864 bytes, 131072 sectors"))
            #expect(l.contains("Disklabel type: dos"))
            // Columns stay aligned although the real node name is longer.
            let row = l.split(separator: "\n").first { $0.hasPrefix("/dev/sda1 ") }.map(String.init) ?? ""
            let header = l.split(separator: "\n").first { $0.hasPrefix("Device") }.map(String.init) ?? ""
            #expect(row.split(separator: " ") == ["/dev/sda1", "128", "130944", "130817", "63.9M", "83", "Linux"])
            #expect(row.firstRange(of: " 130944")?.upperBound.utf16Offset(in: row) == header.firstRange(of: "End")?.upperBound.utf16Offset(in: header))
            #expect(try d.client.sfdiskKernelGeometry(device: "/dev/sda").hasPrefix("/dev/sda: "))
            #expect(try d.client.sfdiskDiskGeometry(device: "/dev/sda").hasPrefix("/dev/sda: "))
        }
    }

    @Test func deprecatedSfdiskWritesTheTableAndRefusesGeometry() throws {
        try withStandaloneDaemon(diskSizesMB: [32]) { d in
            let c = d.client
            try c.sfdisk(device: "/dev/sda", cyls: 0, heads: 0, sectors: 0, lines: [",,83"])
            #expect(try c.listPartitions() == ["/dev/sda1"])
            #expect(try c.partList(device: "/dev/sda").map(\.partStart) == [1 << 20])
            #expect(try sfdiskDump(d.images[0]).contains("start=        2048, size=       63488, type=83"))
            // Modern sfdisk has no -C/-H/-S: upstream's call fails the same way.
            let e = daemonError { try c.sfdisk(device: "/dev/sda", cyls: 1, heads: 2, sectors: 3, lines: [",,83"]) }
            #expect(e?.message == "sfdisk -C 1 -H 2 -S 3 /dev/sda: external command failed")
        }
    }

    @Test func logicalPartitionsNeedAnExtendedOneAndRenumber() throws {
        try withStandaloneDaemon(diskSizesMB: [16]) { d in
            let c = d.client
            try c.partInit(device: "/dev/sda", parttype: "mbr")
            let e = daemonError { try c.partAdd(device: "/dev/sda", prlogex: "l", startsect: 100, endsect: 200) }
            #expect(e?.message == "parted: /dev/sda: parted: invalid token: logical\nError: Expecting a partition type.")
            try c.partAdd(device: "/dev/sda", prlogex: "p", startsect: 2048, endsect: 4095)
            try c.partAdd(device: "/dev/sda", prlogex: "p", startsect: 4096, endsect: 8191)
            try c.partAdd(device: "/dev/sda", prlogex: "e", startsect: 8192, endsect: 20000)
            try c.partAdd(device: "/dev/sda", prlogex: "p", startsect: 20001, endsect: 30000)
            let full = daemonError { try c.partAdd(device: "/dev/sda", prlogex: "p", startsect: 30001, endsect: 31000) }
            #expect(full?.message == "parted: /dev/sda: parted: invalid token: primary\nError: Expecting a partition type.")
            try c.partAdd(device: "/dev/sda", prlogex: "l", startsect: 8194, endsect: 9000)
            try c.partAdd(device: "/dev/sda", prlogex: "logical", startsect: 9002, endsect: 10000)
            #expect(try c.listPartitions() == ["/dev/sda1", "/dev/sda2", "/dev/sda3", "/dev/sda4", "/dev/sda5", "/dev/sda6"])
            // Deleting logical 5 renumbers logical 6 as 5, as parted does.
            try c.partDel(device: "/dev/sda", partnum: 5)
            #expect(try c.partList(device: "/dev/sda").map { [Int64($0.partNum), $0.partStart / 512] }
                == [[1, 2048], [2, 4096], [3, 8192], [5, 9002], [4, 20001]])
            #expect(try c.listPartitions() == ["/dev/sda1", "/dev/sda2", "/dev/sda3", "/dev/sda4", "/dev/sda5"])
            #expect(try c.blockdevGetsize64(device: "/dev/sda5") == 999 * 512)
            let e2 = daemonError { _ = try c.partGetBootable(device: "/dev/sda", partnum: 9) }
            #expect(e2?.message == "partition number 9 not found")
            // Shrinking asks a question script mode does not answer.
            let e3 = daemonError { try c.partResize(device: "/dev/sda", partnum: 4, endsect: 25000) }
            #expect(e3?.message == "parted: /dev/sda: Warning: Shrinking a partition can cause data loss, are you sure you want to continue?:")
            #expect(try c.partList(device: "/dev/sda").last?.partEnd == 30001 * 512 - 1)
            let e4 = daemonError { try c.partResize(device: "/dev/sda", partnum: 9, endsect: 25000) }
            #expect(e4?.message == "parted: /dev/sda: Error: Partition doesn't exist.:")
        }
    }
}
