import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

/// The bytes of a host file that are not zero.
func nonZeroBytes(_ path: String) throws -> Int {
    try Data(contentsOf: URL(fileURLWithPath: path)).reduce(0) { $0 + ($1 == 0 ? 0 : 1) }
}

@Suite("scrub", .enabled(if: StandaloneDaemon.available && FileManager.default.isExecutableFile(atPath: "/usr/bin/scrub"),
                         "needs root, unshare, losetup, scrub"))
struct ScrubTests {
    static let secret = Array("SECRET-scrub-pattern-0123456789-".utf8)

    @Test func scrubDeviceLeavesOnlyZerosAndScrubsSignature() throws {
        try withMountedFilesystem(sizeMB: 8) { d throws in
            try d.client.upload(filename: .bytes(Array((0..<3000).map { _ in Self.secret }.joined())), remotefilename: "/s")
            try d.client.umountAll()
            #expect(try fsFileContains(d.images[0], Self.secret))
            try d.client.scrubDevice(device: "/dev/sda")
            #expect(try !fsFileContains(d.images[0], Self.secret))
            // NNSA patterns end with 0x00; scrub leaves its 12-byte
            // signature at the start so that it can refuse a second run.
            let head = try Data(contentsOf: URL(fileURLWithPath: d.images[0])).prefix(12)
            #expect(Array(head.dropFirst(3)) == Array("SCRUBBED!".utf8))
            #expect(try nonZeroBytes(d.images[0]) <= 12)
            #expect(fsErrorMessage { try d.client.scrubDevice(device: "/dev/sda") }
                    == "/dev/sda: scrub: /dev/sda already scrubbed? (-f to force)")
        }
    }

    @Test func scrubFileOverwritesAndRemovesTheFile() throws {
        try withMountedFilesystem(sizeMB: 32) { d throws in
            try d.client.upload(filename: .bytes(Array((0..<3000).map { _ in Self.secret }.joined())), remotefilename: "/s")
            try d.client.writeFile(path: "/keep", content: "kept", size: 0)
            try d.client.lnS(target: "/s", linkname: "/link")
            try d.client.sync()
            #expect(try fsFileContains(d.images[0], Self.secret))
            try d.client.scrubFile(file: "/link")  // follows the link inside the guest
            #expect(try d.client.exists(path: "/s") == false)
            #expect(try fsDownload(d, "/keep") == Array("kept".utf8))
            try d.client.umountAll()
            #expect(try !fsFileContains(d.images[0], Self.secret), "the file's blocks were overwritten")

            try d.client.mount(mountable: "/dev/sda", mountpoint: "/")
            #expect(daemonError { try d.client.scrubFile(file: "/missing") }! == ("ENOENT", "malloc: No such file or directory"))
        }
    }

    @Test func scrubFreespaceWipesFreedBlocksAndCleansUp() throws {
        try withMountedFilesystem(sizeMB: 16) { d throws in
            try d.client.upload(filename: .bytes(Array((0..<3000).map { _ in Self.secret }.joined())), remotefilename: "/s")
            try d.client.writeFile(path: "/keep", content: "kept", size: 0)
            try d.client.sync()
            try d.client.rm(path: "/s")
            try d.client.sync()
            let before = try fsOccurrences(d.images[0], Self.secret)
            #expect(before >= 3000, "a delete leaves the data in free blocks")
            try d.client.scrubFreespace(dir: "/fill")
            #expect(try d.client.exists(path: "/fill") == false, "scrub removed its directory and files")
            #expect(try fsDownload(d, "/keep") == Array("kept".utf8))
            try d.client.umountAll()
            // scrub fills the free space with one file written in whole
            // buffers: the last free blocks, less than a buffer, keep
            // their data (measured: 32 of 3000 copies left in 16 MB).
            let after = try fsOccurrences(d.images[0], Self.secret)
            #expect(after * 20 < before, "\(after) of \(before) copies left")

            try d.client.mount(mountable: "/dev/sda", mountpoint: "/")
            try d.client.mkdir(path: "/there")
            #expect(fsErrorMessage { try d.client.scrubFreespace(dir: "/there") }
                    == "/there: scrub: -X directory already exists")
        }
    }
}
