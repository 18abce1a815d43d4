import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

/// Bytes of an image file, read on the host.
func imageBytes(_ path: String, offset: Int, count: Int) throws -> [UInt8] {
    let h = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
    defer { try? h.close() }
    try h.seek(toOffset: UInt64(offset))
    return Array(try h.read(upToCount: count) ?? Data())
}

func imageIsZero(_ path: String) throws -> Bool {
    let h = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
    defer { try? h.close() }
    while let d = try h.read(upToCount: 1 << 20), !d.isEmpty {
        if d.contains(where: { $0 != 0 }) { return false }
    }
    return true
}

@Suite("devices", .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"))
struct DevicesTests {
    @Test func listingsShowOnlyTheAttachedDrivesByLibraryNames() throws {
        try withStandaloneDaemon(diskSizesMB: [16, 16, 16]) { d in
            let c = d.client
            #expect(try c.listDevices() == ["/dev/sda", "/dev/sdb", "/dev/sdc"])
            #expect(try c.nrDevices() == 3)
            #expect(try c.listPartitions() == [])
            try c.partDisk(device: "/dev/sdb", parttype: "mbr")
            try c.partDisk(device: "/dev/sda", parttype: "gpt")
            #expect(try c.listPartitions() == ["/dev/sda1", "/dev/sdb1"])
            #expect(try c.isWholeDevice(device: "/dev/sda"))
            #expect(try c.isWholeDevice(device: "/dev/sdb1") == false)
            #expect(try c.listDmDevices() == [])
            #expect(try c.listMdDevices() == [])
            #expect(try c.listDiskLabels() == [])
        }
    }

    @Test func partToDevAndPartnumSplitTheLibraryName() throws {
        try withStandaloneDaemon(diskSizesMB: [16, 16]) { d in
            let c = d.client
            try c.partInit(device: "/dev/sdb", parttype: "msdos")
            try c.partAdd(device: "/dev/sdb", prlogex: "p", startsect: 2048, endsect: 4095)
            try c.partAdd(device: "/dev/sdb", prlogex: "e", startsect: 4096, endsect: 30000)
            try c.partAdd(device: "/dev/sdb", prlogex: "l", startsect: 4098, endsect: 8000)
            #expect(try c.partToDev(partition: "/dev/sdb5") == "/dev/sdb")
            #expect(try c.partToPartnum(partition: "/dev/sdb5") == 5)
            #expect(try c.partToDev(partition: "/dev/vdb1") == "/dev/sdb")
            let e = daemonError { _ = try c.partToDev(partition: "/dev/sdb") }
            #expect(e?.errno == "" && e?.message == "device name is not a partition")
            let e2 = daemonError { _ = try c.partToPartnum(partition: "/dev/sda") }
            #expect(e2?.message == "device name is not a partition")
        }
    }

    @Test func blockdevNumbersMatchTheKernel() throws {
        try withStandaloneDaemon(diskSizesMB: [64]) { d in
            let c = d.client
            #expect(try c.blockdevGetsize64(device: "/dev/sda") == 64 << 20)
            #expect(try c.blockdevGetsz(device: "/dev/sda") == 131072)
            #expect(try c.blockdevGetss(device: "/dev/sda") == 512)
            #expect(try c.blockdevGetbsz(device: "/dev/sda") == 4096)
            try c.blockdevSetbsz(device: "/dev/sda", blocksize: 1024)
            #expect(try c.blockdevGetbsz(device: "/dev/sda") == 4096)
            #expect(try c.blockdevGetro(device: "/dev/sda") == false)
            try c.blockdevSetro(device: "/dev/sda")
            #expect(try c.blockdevGetro(device: "/dev/sda"))
            let r1 = daemonErrno { _ = try c.pwriteDevice(device: "/dev/sda", content: [1], offset: 0) }
            // The kernel refuses the write open of a read-only device.
            #expect(r1 == "EPERM" || r1 == "EACCES" || r1 == "EROFS")
            try c.blockdevSetrw(device: "/dev/sda")
            #expect(try c.blockdevGetro(device: "/dev/sda") == false)
            let e = daemonError { try c.blockdevSetra(device: "/dev/sda", sectors: -1) }
            #expect(e?.message == "readahead sectors must be >= 0")
            try c.blockdevSetra(device: "/dev/sda", sectors: 256)
            // The loop device behind /dev/sda, seen from the host.
            let loop = try host(["losetup", "-n", "-O", "NAME", "-j", d.images[0]])
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try host(["blockdev", "--getra", loop]).trimmingCharacters(in: .whitespacesAndNewlines) == "256")
            try c.blockdevSetra(device: "/dev/sda", sectors: 512)
            #expect(try host(["blockdev", "--getra", loop]).trimmingCharacters(in: .whitespacesAndNewlines) == "512")
            try c.blockdevFlushbufs(device: "/dev/sda")
            // A table erased behind the kernel's back goes after a re-read.
            try c.partDisk(device: "/dev/sda", parttype: "mbr")
            #expect(try c.listPartitions() == ["/dev/sda1"])
            _ = try c.pwriteDevice(device: "/dev/sda", content: Array(repeating: 0, count: 512), offset: 0)
            #expect(try c.listPartitions() == ["/dev/sda1"])
            try c.blockdevRereadpt(device: "/dev/sda")
            #expect(try c.listPartitions() == [])
        }
    }

    @Test func preadAndPwriteDevice() throws {
        try withStandaloneDaemon(diskSizesMB: [16]) { d in
            let c = d.client
            let hello: [UInt8] = Array("hello".utf8)
            let written = try c.pwriteDevice(device: "/dev/sda", content: hello, offset: 1000)
            #expect(written == 5)
            let read = try c.preadDevice(device: "/dev/sda", count: 5, offset: 1000)
            #expect(read == hello)
            let onDisk = try imageBytes(d.images[0], offset: 1000, count: 5)
            #expect(onDisk == hello)
            // Past the end: a short (empty) read, as pread(2).
            let pastEnd = try c.preadDevice(device: "/dev/sda", count: 5, offset: 100_000_000)
            #expect(pastEnd == [])
            let r2 = daemonError { _ = try c.preadDevice(device: "/dev/sda", count: -5, offset: 0) }
            #expect(r2?.message == "count is negative")
            let r3 = daemonError { _ = try c.preadDevice(device: "/dev/sda", count: 5, offset: -1) }
            #expect(r3?.message == "offset is negative")
            let tooLarge = daemonError { _ = try c.preadDevice(device: "/dev/sda", count: 4 << 20, offset: 0) }
            #expect(tooLarge?.message
                == "/dev/sda: count is too large for the protocol, use smaller reads")
            let r4 = daemonError { _ = try c.pwriteDevice(device: "/dev/sda", content: [1], offset: -1) }
            #expect(r4?.message == "offset is negative")
            let r5 = daemonErrno { _ = try c.preadDevice(device: "/dev/sdz", count: 1, offset: 0) }
            #expect(r5 == "ENOENT")
        }
    }

    @Test func zeroClearsTheFirst128KiBOnly() throws {
        try withStandaloneDaemon(diskSizesMB: [16]) { d in
            let c = d.client
            #expect(try c.isZeroDevice(device: "/dev/sda"))
            _ = try c.pwriteDevice(device: "/dev/sda", content: Array("hello".utf8), offset: 1000)
            _ = try c.pwriteDevice(device: "/dev/sda", content: Array("world".utf8), offset: 200_000)
            #expect(try c.isZeroDevice(device: "/dev/sda") == false)
            try c.zero(device: "/dev/sda")
            let cleared = try imageBytes(d.images[0], offset: 1000, count: 5)
            #expect(cleared == [0, 0, 0, 0, 0])
            let kept = try c.preadDevice(device: "/dev/sda", count: 5, offset: 200_000)
            #expect(kept == Array("world".utf8))
            #expect(try c.isZeroDevice(device: "/dev/sda") == false)
        }
    }

    @Test func zeroDeviceClearsEverythingAndKeepsTheImageSparse() throws {
        try withStandaloneDaemon(diskSizesMB: [32]) { d in
            let c = d.client
            try c.partDisk(device: "/dev/sda", parttype: "gpt")
            _ = try c.pwriteDevice(device: "/dev/sda", content: Array(repeating: 0xAA, count: 4096), offset: 20 << 20)
            try c.zeroDevice(device: "/dev/sda")
            #expect(try c.isZeroDevice(device: "/dev/sda"))
            #expect(try imageIsZero(d.images[0]))
            var st = stat()
            #expect(stat(d.images[0], &st) == 0)
            // Only the few non-zero blocks were written: still sparse.
            #expect(st.st_blocks * 512 < 1 << 20)
            let e = daemonError { _ = try c.partList(device: "/dev/sda") }
            #expect(e?.errno == "EINVAL")
        }
    }

    @Test func checksumDeviceAsTheChecksumTools() throws {
        try withStandaloneDaemon(diskSizesMB: [8]) { d in
            let c = d.client
            _ = try c.pwriteDevice(device: "/dev/sda", content: Array("some data".utf8), offset: 4096)
            let md5 = try host(["md5sum", d.images[0]]).split(separator: " ").first.map(String.init)
            #expect(try c.checksumDevice(csumtype: "md5", device: "/dev/sda") == md5)
            let sha256 = try host(["sha256sum", d.images[0]]).split(separator: " ").first.map(String.init)
            #expect(try c.checksumDevice(csumtype: "SHA256", device: "/dev/sda") == sha256)
            let crc = try host(["cksum", d.images[0]]).split(separator: " ").first.map(String.init)
            #expect(try c.checksumDevice(csumtype: "crc", device: "/dev/sda") == crc)
            let unknown = daemonError { _ = try c.checksumDevice(csumtype: "foo", device: "/dev/sda") }
            #expect(unknown?.message
                == "unknown checksum type, expecting crc|md5|sha1|sha224|sha256|sha384|sha512")
        }
    }

    @Test func blkdiscardLeavesZeroes() throws {
        try withStandaloneDaemon(diskSizesMB: [16]) { d in
            let c = d.client
            _ = try c.pwriteDevice(device: "/dev/sda", content: Array(repeating: 0x55, count: 65536), offset: 1 << 20)
            #expect(try c.isZeroDevice(device: "/dev/sda") == false)
            try c.blkdiscard(device: "/dev/sda")
            #expect(try c.isZeroDevice(device: "/dev/sda"))
            #expect(try imageIsZero(d.images[0]))
            // The kernel no longer promises zeroes after discard.
            #expect(try c.blkdiscardzeroes(device: "/dev/sda") == false)
        }
    }
}
