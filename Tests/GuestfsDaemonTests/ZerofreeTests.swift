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
        try withStandaloneDaemon(diskSizesMB: [64]) { d throws in
            try d.client.mkfs(fstype: "ext4", device: "/dev/sda")
            try d.client.mount(mountable: "/dev/sda", mountpoint: "/")
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
        try withStandaloneDaemon(diskSizesMB: [32]) { d throws in
            try d.client.mkfs(fstype: "ext4", device: "/dev/sda")
            try d.client.mount(mountable: "/dev/sda", mountpoint: "/")
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

    @Test func zerofreeProgressParserReadsTenthsOfAPercent() {
        var buffer = Array("\r  0.0%\r  0.1%\r 12.".utf8)
        #expect(Handlers.zerofreeLastPercent(&buffer) == 1)
        #expect(buffer == Array("\r 12.".utf8))
        buffer += Array("3%\r100.0%".utf8)
        #expect(Handlers.zerofreeLastPercent(&buffer) == 1000)
        #expect(Handlers.zerofreeWithoutProgress("\r  0.0%\r  1.5%zerofree: bad thing\n") == "zerofree: bad thing\n")
    }

    @Test func zeroFreeSpaceFillsAndRemovesItsFile() throws {
        try withStandaloneDaemon(diskSizesMB: [32]) { d throws in
            try d.client.mkfs(fstype: "ext4", device: "/dev/sda")
            try d.client.mount(mountable: "/dev/sda", mountpoint: "/")
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

    /// zerofree raises the device's read-ahead while it runs and puts the
    /// user's setting back (here on a loop device made by the test).
    @Test func readaheadIsRaisedThenRestored() throws {
        let image = FileManager.default.temporaryDirectory.appendingPathComponent("zf-ra-\(getpid()).img").path
        FileManager.default.createFile(atPath: image, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: image) }
        let fh = try FileHandle(forWritingTo: URL(fileURLWithPath: image))
        try fh.truncate(atOffset: 16 << 20)
        try fh.close()
        let loop = try host(["losetup", "--find", "--show", image]).trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? host(["losetup", "-d", loop]) }
        func ra() throws -> String { try host(["blockdev", "--getra", loop]).trimmingCharacters(in: .whitespacesAndNewlines) }
        _ = try host(["blockdev", "--setra", "256", loop])
        let restore = Handlers.raiseReadahead(loop, toSectors: 8192)
        #expect(try ra() == "8192")
        restore()
        #expect(try ra() == "256")
        // Already larger: left alone.
        _ = try host(["blockdev", "--setra", "16384", loop])
        let keep = Handlers.raiseReadahead(loop, toSectors: 8192)
        #expect(try ra() == "16384")
        keep()
        #expect(try ra() == "16384")
    }
}
