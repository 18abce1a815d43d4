import Foundation
import GuestfsClient
import GuestfsProtocol
@testable import GuestfsDaemon
import Testing

/// How many times `needle` (plain ASCII) occurs in the file at `path`.
func fsOccurrences(_ path: String, _ needle: [UInt8]) throws -> Int {
    let pattern = String(decoding: needle, as: UTF8.self)
    let out = try host(["sh", "-c", "grep -a -o -F -e \"$0\" \"$1\" | wc -l", pattern, path])
    return Int(out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
}

/// Whether `needle` occurs anywhere in the file at `path`.
func fsFileContains(_ path: String, _ needle: [UInt8]) throws -> Bool {
    try fsOccurrences(path, needle) > 0
}

@Suite("zerofree", .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"))
struct ZerofreeTests {
    static let secret = Array("SECRET-zerofree-pattern-0123456789-".utf8)

    @Test func zerofreeZeroesDeletedDataAndKeepsFiles() throws {
        try withMountedFilesystem(sizeMB: 64) { d throws in
            var keep = [UInt8](repeating: 0, count: 300_000)
            for i in keep.indices { keep[i] = UInt8(truncatingIfNeeded: i &* 2654435761 >> 13) }
            let secretFile = Array((0..<4000).map { _ in Self.secret }.joined())
            try d.client.upload(filename: .bytes(keep), remotefilename: "/keep.bin")
            try d.client.upload(filename: .bytes(secretFile), remotefilename: "/secret.bin")
            try d.client.umountAll()
            #expect(try fsFileContains(d.images[0], Self.secret), "the pattern is on disk before the delete")

            try d.client.mount(mountable: "/dev/sda", mountpoint: "/")
            try d.client.rm(path: "/secret.bin")
            try d.client.umountAll()
            #expect(try fsFileContains(d.images[0], Self.secret), "a delete leaves the data in free blocks")

            try d.client.zerofree(device: "/dev/sda")
            #expect(try !fsFileContains(d.images[0], Self.secret), "zerofree wiped the freed blocks")
            try d.client.mount(mountable: "/dev/sda", mountpoint: "/")
            #expect(try fsDownload(d, "/keep.bin") == keep)
            try d.client.umountAll()
            // The host agrees the filesystem is clean.
            _ = try host(["e2fsck", "-fn", d.images[0]])
        }
    }

    @Test func zerofreeRefusesAMountedFilesystem() throws {
        try withMountedFilesystem(sizeMB: 32) { d throws in
            let message = fsErrorMessage { try d.client.zerofree(device: "/dev/sda") }
            #expect(message == "/dev/sda: zerofree: filesystem /dev/sda is mounted rw")
            #expect(daemonErrno { try d.client.zerofree(device: "/dev/sda") } == "")
            // Still mounted and usable.
            try d.client.touch(path: "/still-here")
            #expect(try d.client.mounts() == ["/dev/sda"])
        }
    }

    @Test func zerofreeFailsOnANonExtFilesystem() throws {
        try withStandaloneDaemon(diskSizesMB: [32]) { d throws in
            try d.client.mkfs(fstype: "vfat", device: "/dev/sda")
            let message = fsErrorMessage { try d.client.zerofree(device: "/dev/sda") }
            #expect(message.hasPrefix("/dev/sda: "))
            #expect(!message.contains("%"), "no progress noise in the message: \(message)")
        }
    }

    @Test func zerofreeReportsProgressOnALargeFilesystem() throws {
        try withStandaloneDaemon(diskSizesMB: [1024]) { d throws in
            try d.client.mkfs(fstype: "ext4", device: "/dev/sda")
            let before = d.client.progressMessages.count
            let start = Date()
            try d.client.zerofree(device: "/dev/sda")
            let elapsed = Date().timeIntervalSince(start)
            print("zerofree of 1 GB took \(elapsed) s, \(d.client.progressMessages.count - before) progress messages")
            let progress = d.client.progressMessages.dropFirst(before)
            if elapsed >= 2.5 {
                #expect(!progress.isEmpty, "a \(elapsed) s zerofree sent progress")
            }
            if let last = progress.last {
                #expect(last.position == last.total && last.total == 1000)
                #expect(progress.allSatisfy { $0.position <= $0.total })
            }
        }
    }

    @Test func zeroFreeSpaceFillsAndRemovesItsFile() throws {
        try withMountedFilesystem(sizeMB: 32) { d throws in
            // 8 MB of pattern: far more than ext4 keeps back from any
            // writer (its reserved clusters), which zero_free_space cannot fill.
            let secretFile = Array((0..<240_000).map { _ in Self.secret }.joined())
            try d.client.upload(filename: .bytes(secretFile), remotefilename: "/secret.bin")
            try d.client.upload(filename: .bytes(Array("kept".utf8)), remotefilename: "/kept")
            try d.client.sync()
            try d.client.rm(path: "/secret.bin")
            // Freed blocks are reusable once the journal commits the delete.
            try d.client.sync()
            let before = try fsOccurrences(d.images[0], Self.secret)
            #expect(before > 200_000)
            try d.client.zeroFreeSpace(directory: "/")
            #expect(try fsDownload(d, "/kept") == Array("kept".utf8))
            try d.client.umountAll()
            let after = try fsOccurrences(d.images[0], Self.secret)
            #expect(after < before / 10, "\(after) of \(before) copies left")
            // Only lost+found and kept remain at the top.
            let listing = try host(["debugfs", "-R", "ls -l /", d.images[0]])
            let names = Set(listing.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) })
            #expect(names == [".", "..", "lost+found", "kept"])
            #expect(daemonErrno { try d.client.zeroFreeSpace(directory: "/nodir") } == "ENOENT")
        }
    }

    /// The daemon's zerofree leaves the same bytes as the zerofree tool run
    /// on a copy of the image: every free block that held data is zeros,
    /// nothing else changed (superblock, bitmaps, files, the blocks that
    /// were zeros already). With 4 KiB and 1 KiB blocks (1 KiB: direct I/O
    /// on offsets that are not 4 KiB-aligned) and data in many scattered
    /// free runs.
    @Test(arguments: [4096, 1024] as [Int32])
    func sameBytesAsTheZerofreeTool(blocksize: Int32) throws {
        try withStandaloneDaemon(diskSizesMB: [48]) { d throws in
            try d.client.mkfs(fstype: "ext4", device: "/dev/sda", blocksize: blocksize)
            try d.client.mount(mountable: "/dev/sda", mountpoint: "/")
            let secretFile = Array((0..<3000).map { _ in Self.secret }.joined())
            // Interleaved files, every other one deleted: free runs of
            // various lengths between used blocks.
            for i in 0..<40 {
                try d.client.upload(filename: .bytes(Array(secretFile.prefix(1500 + i * 2600))), remotefilename: "/f\(i)")
            }
            try d.client.upload(filename: .bytes(Array(repeating: 0x5A, count: 5_000_000)), remotefilename: "/big")
            try d.client.sync()
            for i in stride(from: 0, to: 40, by: 2) { try d.client.rm(path: "/f\(i)") }
            try d.client.rm(path: "/big")
            try d.client.umountAll()
            let copy = d.images[0] + ".tool"
            _ = try host(["cp", "--sparse=never", d.images[0], copy])
            defer { try? FileManager.default.removeItem(atPath: copy) }
            _ = try host(["zerofree", copy])
            #expect(try fsFileContains(d.images[0], Self.secret), "deleted data is on disk before")

            try d.client.zerofree(device: "/dev/sda")
            // Byte for byte, but for the superblock's last-write time (the
            // two ran at different seconds) and so its checksum.
            func masked(_ path: String) throws -> Data {
                var b = try Data(contentsOf: URL(fileURLWithPath: path))
                for r in [0x30..<0x34, 0x274..<0x275, 0x3FC..<0x400] {
                    b.replaceSubrange((1024 + r.lowerBound)..<(1024 + r.upperBound), with: Data(count: r.count))
                }
                return b
            }
            let ours = try masked(d.images[0]), tool = try masked(copy)
            if ours != tool {
                let at = zip(ours, tool).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                Issue.record("ours (\(ours.count) bytes) and the tool's (\(tool.count)) differ first at \(at.map(String.init) ?? "the end")")
            }
            // Nothing left of the deleted files; the kept ones intact.
            try d.client.mount(mountable: "/dev/sda", mountpoint: "/")
            for i in stride(from: 1, to: 40, by: 2) {
                #expect(try fsDownload(d, "/f\(i)") == Array(secretFile.prefix(1500 + i * 2600)))
            }
            try d.client.umountAll()
            #expect(try fsOccurrences(d.images[0], Self.secret) == (0..<20).reduce(0) { n, k in
                n + (1500 + (2 * k + 1) * 2600) / Self.secret.count
            }, "only the kept files' copies of the pattern remain")
        }
    }

    /// A filesystem mounted read-only may be zerofree'd, as the tool allows.
    @Test func zerofreeWorksOnAReadOnlyMount() throws {
        try withMountedFilesystem(sizeMB: 32) { d throws in
            try d.client.upload(filename: .bytes(Array((0..<2000).map { _ in Self.secret }.joined())), remotefilename: "/s")
            try d.client.sync()
            try d.client.rm(path: "/s")
            try d.client.umountAll()
            try d.client.mountRo(mountable: "/dev/sda", mountpoint: "/")
            try d.client.zerofree(device: "/dev/sda")
            #expect(try d.client.isDir(path: "/lost+found", followsymlinks: nil) && !d.client.exists(path: "/s"))
            try d.client.umountAll()
            #expect(try !fsFileContains(d.images[0], Self.secret))
        }
    }

    @Test func nonzeroRunsAreMaximalAndInOrder() {
        let bs = 512
        func runs(_ dirty: [Int], blocks: Int, byteAt: Int = 0) -> [Range<Int>] {
            var b = [UInt8](repeating: 0, count: blocks * bs)
            for i in dirty { b[i * bs + byteAt] = 1 }
            return b.withUnsafeBytes { Ext2Zerofree.nonzeroRuns($0, blockSize: bs) }
        }
        #expect(runs([], blocks: 8) == [])
        #expect(runs([0, 1, 2, 3], blocks: 4) == [0..<4])
        #expect(runs([0, 2, 3, 7], blocks: 8) == [0..<1, 2..<4, 7..<8])
        // The last byte of a block counts as much as the first.
        #expect(runs([5], blocks: 8, byteAt: bs - 1) == [5..<6])
        #expect(runs([1], blocks: 3, byteAt: 1) == [1..<2])
        var oneByte: [UInt8] = [0]
        #expect(oneByte.withUnsafeBytes { Ext2Zerofree.isZero($0) })
        oneByte[0] = 9
        #expect(!oneByte.withUnsafeBytes { Ext2Zerofree.isZero($0) })
    }

    /// The walk over free runs: chunks of at most chunkBytes, progress up
    /// to 1000 and never backwards, an answer that starts before the
    /// asked block (as a cluster bitmap's can) neither loops nor reads a
    /// block twice, and every dirty block of a free run is zeroed while
    /// used blocks are left alone.
    @Test func freeRunsAreReadInChunksAndDirtyBlocksZeroed() throws {
        let bs = 4096
        let count = 3000
        let image = FileManager.default.temporaryDirectory.appendingPathComponent("zf-walk-\(getpid()).img").path
        var bytes = [UInt8](repeating: 0, count: count * bs)
        let used: Set<Int> = Set(0..<10).union(1500..<1510)
        let dirty = [10, 11, 500, 1499, 1510, 2999]
        for b in Array(used) + dirty { bytes[b * bs + 7] = 0xAB }
        FileManager.default.createFile(atPath: image, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: image) }
        var disk = try Ext2Zerofree.Disk(device: image)
        defer { disk.close() }
        var marks: [UInt64] = []
        var asked: [UInt64] = []
        let g = Ext2Zerofree.Geometry(blockSize: bs, first: 0, count: UInt64(count), freeBlocks: UInt64(count - used.count))
        try Ext2Zerofree.zeroFreeRuns(g, freeRuns: { from in
            asked.append(from)
            guard let s = (Int(from)..<count).first(where: { !used.contains($0) }) else { return nil }
            // Runs cut at 700 blocks, so the next question starts on a
            // free block; that one is answered from 5 blocks earlier.
            let e = min((s..<count).first(where: { used.contains($0) }) ?? count, s + 700)
            let start = s == Int(from) && s >= 5 && !(s - 5..<s).contains(where: used.contains) ? s - 5 : s
            return UInt64(start)..<UInt64(e)
        }, disk: &disk, progress: { marks.append($0) })
        try disk.sync()
        let after = [UInt8](try Data(contentsOf: URL(fileURLWithPath: image)))
        for b in 0..<count {
            let expected: UInt8 = used.contains(b) ? 0xAB : 0
            #expect(after[b * bs + 7] == expected, "block \(b)")
        }
        #expect(marks.last == 1000)
        #expect(marks == marks.sorted())
        #expect(asked == asked.sorted() && Set(asked).count == asked.count, "\(asked)")
        #expect(asked.count > 5, "runs were cut and answered from earlier blocks")
    }
}
