import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

/// A host command's stdout as bytes (the downloads compared with it are
/// binary).
func hostBytes(_ argv: [String]) throws -> [UInt8] {
    try hostRun(argv).stdout
}

/// The XDR structs of a download, one after the other, as the library
/// decodes filesystem_walk's, find_inode's and yara_scan's lists.
func decodeList<T: XDRCodable>(_ sink: DownloadSink, as: T.Type) throws -> [T] {
    try sink.bytes.withUnsafeBytes { raw in
        var r = XDRReader(raw)
        var list: [T] = []
        while !r.isAtEnd { list.append(try T(xdr: &r)) }
        return list
    }
}

/// Bytes the tests write and expect back: not a repeating pattern, so that
/// a block out of place would show.
func forensicsContent(_ count: Int, seed: Int) -> [UInt8] {
    var x = UInt32(truncatingIfNeeded: seed &* 2_654_435_761 | 1)
    return (0..<count).map { _ in
        x ^= x << 13; x ^= x >> 17; x ^= x << 5
        return UInt8(truncatingIfNeeded: x)
    }
}

let sleuthkitOnHost = ["icat", "blkls", "fls"].allSatisfy { FileManager.default.isExecutableFile(atPath: "/usr/bin/" + $0) }

/// download_inode and download_blocks (sleuthkit's icat and blkls in the
/// daemon), each compared with the host's own icat/blkls on the image and
/// with the bytes written.
@Suite("sleuthkit", .enabled(if: StandaloneDaemon.available && sleuthkitOnHost, "needs root, unshare, losetup, sleuthkit"))
struct SleuthkitTests {
    @Test func downloadInodeRecoversADeletedNtfsFile() throws {
        try withMountedFilesystem("ntfs", sizeMB: 64) { d in
            let c = d.client
            let content = forensicsContent(50_000, seed: 1)
            try c.upload(filename: .bytes(content), remotefilename: "/evidence.bin")
            let inode = try c.statns(path: "/evidence.bin").stIno
            try c.sync()
            try c.rm(path: "/evidence.bin")
            try c.umountAll()
            let out = DownloadSink()
            try c.downloadInode(device: "/dev/sda", inode: inode, filename: out)
            #expect(same(out.bytes, content), "\(out.bytes.count) bytes")
            #expect(same(out.bytes, try hostBytes(["icat", "-r", d.images[0], String(inode)])))
        }
    }

    @Test func downloadInodeOnExt4() throws {
        try withMountedFilesystem(sizeMB: 32) { d in
            let c = d.client
            let live = forensicsContent(70_000, seed: 2)
            try c.upload(filename: .bytes(live), remotefilename: "/live.bin")
            try c.upload(filename: .bytes(forensicsContent(9_000, seed: 3)), remotefilename: "/gone.bin")
            try c.mkdir(path: "/dir")
            let liveInode = try c.statns(path: "/live.bin").stIno
            let goneInode = try c.statns(path: "/gone.bin").stIno
            let dirInode = try c.statns(path: "/dir").stIno
            try c.sync()
            try c.rm(path: "/gone.bin")
            try c.umountAll()

            func download(_ inode: Int64) throws -> [UInt8] {
                let out = DownloadSink()
                try c.downloadInode(device: "/dev/sda", inode: inode, filename: out)
                return out.bytes
            }
            #expect(same(try download(liveInode), live))
            // ext4 frees a deleted file's extents: whatever icat -r makes
            // of it on the host, the daemon gives the same.
            for inode in [goneInode, dirInode, 2] {
                #expect(same(try download(inode), try hostBytes(["icat", "-r", d.images[0], String(inode)])), "inode \(inode)")
            }
            #expect(try download(dirInode).count == 1024)

            // Errors: the argument check, then icat's own messages; the
            // session goes on.
            #expect(daemonError { _ = try download(-1) }?.message == "inode must be >= 0")
            let tooLarge = daemonError { _ = try download(99_999_999) }
            #expect(tooLarge?.message.hasPrefix("icat: /dev/sda: ") == true, "\(String(describing: tooLarge))")
            #expect(tooLarge?.message.contains("Metadata address too large") == true, "\(String(describing: tooLarge))")
            try c.pingDaemon()
            #expect(same(try download(liveInode), live))
        }
    }

    @Test func downloadBlocksAllAndUnallocated() throws {
        try withStandaloneDaemon(diskSizesMB: [16, 8]) { d in
            let c = d.client
            try c.mkfs(fstype: "ext4", device: "/dev/sda", blocksize: 1024)
            try c.mount(mountable: "/dev/sda", mountpoint: "/")
            let gone = forensicsContent(30_000, seed: 4)
            try c.upload(filename: .bytes(gone), remotefilename: "/gone.bin")
            try c.upload(filename: .bytes(forensicsContent(20_000, seed: 5)), remotefilename: "/kept.bin")
            // On the disk before it is deleted (ext4 allocates late).
            try c.sync()
            try c.rm(path: "/gone.bin")
            try c.umountAll()

            func blocks(_ start: Int64, _ stop: Int64, unallocated: Bool?) throws -> [UInt8] {
                let out = DownloadSink()
                try c.downloadBlocks(device: "/dev/sda", start: start, stop: stop, filename: out, unallocated: unallocated)
                return out.bytes
            }
            let image = d.images[0]
            let all = try blocks(0, 16383, unallocated: nil)
            #expect(all.count == 16384 * 1024)
            #expect(same(all, try hostBytes(["blkls", "-e", image, "0-16383"])))
            // Every block: the device itself.
            #expect(same(all, [UInt8](try Data(contentsOf: URL(fileURLWithPath: image)))))
            let unallocated = try blocks(0, 16383, unallocated: true)
            #expect(same(unallocated, try hostBytes(["blkls", image, "0-16383"])))
            #expect(unallocated.count < all.count)
            // The deleted file's blocks are free again, with its bytes.
            #expect(unallocated.count % 1024 == 0)
            #expect(Self.contains(unallocated, Array(gone[0..<1024])))
            // unallocated:false is every block, as documented (upstream
            // takes any unallocated optarg as true).
            #expect(same(try blocks(0, 16383, unallocated: false), all))
            #expect(same(try blocks(100, 110, unallocated: nil), Array(all[100 * 1024..<111 * 1024])))
            // Past the end: blkls stops at the last block.
            #expect(same(try blocks(16000, 99_999_999, unallocated: nil), Array(all[(16000 * 1024)...])))

            #expect(daemonError { _ = try blocks(-1, 10, unallocated: nil) }?.message == "starting address must be greater than zero")
            #expect(daemonError { _ = try blocks(10, 10, unallocated: nil) }?.message == "stopping address must greater than starting address")
            #expect(daemonError { _ = try blocks(10, 9, unallocated: true) }?.message == "stopping address must greater than starting address")
            // No filesystem: blkls's message, not a cancelled download.
            let none = daemonError {
                try c.downloadBlocks(device: "/dev/sdb", start: 0, stop: 10, filename: DownloadSink(), unallocated: nil)
            }
            #expect(none?.message == "blkls: /dev/sdb: Cannot determine file system type", "\(String(describing: none))")
            try c.pingDaemon()
        }
    }

    /// Compares without printing megabytes when they differ.
    func same(_ a: [UInt8], _ b: [UInt8]) -> Bool { a == b }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        Data(haystack).range(of: Data(needle)) != nil
    }
}

/// internal_filesystem_walk and internal_find_inode (libtsk in process):
/// the decoded dirents checked against what the daemon's stat says and
/// against the host's fls on the same image.
@Suite("libtsk", .enabled(if: StandaloneDaemon.available && sleuthkitOnHost, "needs root, unshare, losetup, sleuthkit"))
struct TskTests {
    func walk(_ c: GuestfsClient, _ device: String) throws -> [GuestfsTskDirent] {
        let out = DownloadSink()
        try c.internalFilesystemWalk(device: device, filename: out)
        return try decodeList(out, as: GuestfsTskDirent.self)
    }

    func find(_ c: GuestfsClient, _ device: String, _ inode: Int64) throws -> [GuestfsTskDirent] {
        let out = DownloadSink()
        try c.internalFindInode(device: device, inode: inode, filename: out)
        return try decodeList(out, as: GuestfsTskDirent.self)
    }

    /// fls -r -p: "TYPE/TYPE [*] INODE[-…]:\tPATH" lines, as (path, inode,
    /// deleted).
    func fls(_ image: String) throws -> Set<String> {
        var entries = Set<String>()
        for line in try host(["fls", "-r", "-p", image]).split(separator: "\n") {
            guard let tab = line.firstIndex(of: "\t") else { continue }
            // fls names each named NTFS stream as FILE:$NAME (and only
            // those, for a file without an unnamed one).
            let path = String(line[line.index(after: tab)...].prefix { $0 != ":" })
            var words = line[..<tab].split(separator: " ")
            let deleted = words.count > 2 && words[1] == "*"
            if deleted { words.remove(at: 1) }
            let inode = words.last!.prefix { $0.isNumber }
            entries.insert("\(path) \(inode) \(deleted ? "deleted" : "allocated")")
        }
        return entries
    }

    @Test func walkExt4() throws {
        try withMountedFilesystem(sizeMB: 32) { d in
            let c = d.client
            try c.mkdir(path: "/dir")
            try c.internalWrite(path: "/dir/kept", content: Array("kept\n".utf8))
            try c.ln(target: "/dir/kept", linkname: "/hard")
            try c.lnS(target: "dir/kept", linkname: "/link")
            try c.mkfifo(mode: 0o644, path: "/dir/fifo")
            try c.internalWrite(path: "/gone", content: Array("gone\n".utf8))
            try c.rm(path: "/gone")
            let kept = try c.statns(path: "/dir/kept")
            let dir = try c.statns(path: "/dir")
            try c.umountAll()

            let all = try walk(c, "/dev/sda")
            let byName = Dictionary(all.map { ($0.tskName, $0) }, uniquingKeysWith: { a, _ in a })
            #expect(byName.keys.contains("lost+found"))
            let root = try #require(byName["."])
            #expect(root.tskInode == 2 && root.tskType == UInt8(ascii: "d") && root.tskFlags == 1)
            let k = try #require(byName["dir/kept"])
            #expect(k.tskInode == UInt64(kept.stIno))
            #expect(k.tskType == UInt8(ascii: "r"))
            #expect(k.tskSize == 5 && k.tskNlink == 2 && k.tskFlags == 1 && k.tskLink == "")
            #expect(k.tskMtimeSec == kept.stMtimeSec && k.tskMtimeNsec == kept.stMtimeNsec)
            #expect(k.tskCtimeSec == kept.stCtimeSec && k.tskAtimeSec == kept.stAtimeSec)
            #expect(k.tskCrtimeSec > 0)
            #expect(byName["hard"]?.tskInode == k.tskInode)
            let link = try #require(byName["link"])
            #expect(link.tskType == UInt8(ascii: "l") && link.tskLink == "dir/kept" && link.tskSize == 8)
            #expect(byName["dir"]?.tskType == UInt8(ascii: "d") && byName["dir"]?.tskInode == UInt64(dir.stIno))
            #expect(byName["dir/fifo"]?.tskType == UInt8(ascii: "f"))
            // libtsk's virtual folder of orphan files ("u", no metadata size).
            #expect(byName["$OrphanFiles"]?.tskType == UInt8(ascii: "u"))
            // No "." or ".." of the subfolders.
            #expect(!all.contains { $0.tskName.hasSuffix("/.") || $0.tskName.hasSuffix("/..") || $0.tskName == ".." })

            // The same names and inodes as the host's fls on the image
            // (which lists the orphans inside $OrphanFiles, and no ".").
            let ours = Set(all.filter { $0.tskName != "." }.map {
                "\($0.tskName) \($0.tskInode) \($0.tskFlags & 1 == 1 ? "allocated" : "deleted")"
            })
            let theirs = try fls(d.images[0]).filter { !$0.hasPrefix("$OrphanFiles/") }
            #expect(ours == theirs)

            // find_inode: both names of the hard link; the root as "."; an
            // inode no name uses gives an empty list.
            #expect(Set(try find(c, "/dev/sda", kept.stIno).map(\.tskName)) == ["dir/kept", "hard"])
            #expect(try find(c, "/dev/sda", kept.stIno).allSatisfy { $0 == k || $0.tskName == "hard" })
            #expect(try find(c, "/dev/sda", 2).map(\.tskName) == ["."])
            #expect(try find(c, "/dev/sda", 7777).isEmpty)
        }
    }

    @Test func walkNtfsWithDeletedFiles() throws {
        try withMountedFilesystem("ntfs", sizeMB: 64) { d in
            let c = d.client
            try c.upload(filename: .bytes(forensicsContent(20_000, seed: 6)), remotefilename: "/deleted.bin")
            try c.internalWrite(path: "/kept.txt", content: Array("kept\n".utf8))
            let deletedInode = try c.statns(path: "/deleted.bin").stIno
            try c.rm(path: "/deleted.bin")
            try c.umountAll()

            let all = try walk(c, "/dev/sda")
            let deleted = try #require(all.first { $0.tskName == "deleted.bin" })
            #expect(deleted.tskInode == UInt64(deletedInode))
            #expect(deleted.tskFlags == 0 && deleted.tskSize == 20_000)
            #expect(all.first { $0.tskName == "kept.txt" }?.tskFlags == 1)
            #expect(all.first { $0.tskName == "$MFT" }?.tskInode == 0)
            let found = try find(c, "/dev/sda", deletedInode)
            #expect(found == [deleted])
            let theirs = try fls(d.images[0]).filter { !$0.hasPrefix("$OrphanFiles/") }
            let ours = Set(all.filter { $0.tskName != "." }.map {
                "\($0.tskName) \($0.tskInode) \($0.tskFlags & 1 == 1 ? "allocated" : "deleted")"
            })
            #expect(ours == theirs)
        }
    }

    @Test func walkErrors() throws {
        try withStandaloneDaemon(diskSizesMB: [8]) { d in
            let c = d.client
            let e = daemonError { _ = try walk(c, "/dev/sda") }
            #expect(e?.message == "tsk_fs_open_img: Cannot determine file system type", "\(String(describing: e))")
            let f = daemonError { _ = try find(c, "/dev/sda", 2) }
            #expect(f?.message == "tsk_fs_open_img: Cannot determine file system type")
            #expect(daemonErrno { _ = try walk(c, "/dev/sdz") } != nil)
            // The three groups are reported available.
            for group in ["sleuthkit", "libtsk", "libyara"] {
                #expect(try c.internalFeatureAvailable(group: group) == 0, "\(group)")
                #expect(try c.availableAllGroups().contains(group), "\(group)")
            }
            try c.mkfs(fstype: "vfat", device: "/dev/sda")
            #expect(try walk(c, "/dev/sda").contains { $0.tskName == "$FAT1" })
        }
    }
}

let yaraOnHost = ["yara", "yarac"].allSatisfy { FileManager.default.isExecutableFile(atPath: "/usr/bin/" + $0) }

/// yara_load, internal_yara_scan and yara_destroy (libyara in process),
/// the detections checked against the host's yara on the same files.
@Suite("libyara", .enabled(if: StandaloneDaemon.available && yaraOnHost, "needs root, unshare, losetup, yara"))
struct YaraTests {
    static let rules = """
        rule hello_rule { strings: $a = "hello" condition: $a }
        rule never { strings: $b = "zzzqqq" condition: $b }
        rule big_file { condition: filesize > 100000 }
        rule mz_header { condition: uint16(0) == 0x5A4D }

        """

    func scan(_ c: GuestfsClient, _ path: String) throws -> [String] {
        let out = DownloadSink()
        try c.internalYaraScan(path: path, filename: out)
        let detections = try decodeList(out, as: GuestfsYaraDetection.self)
        #expect(detections.allSatisfy { $0.yaraName == path })
        return detections.map(\.yaraRule)
    }

    /// The rules the host's yara reports for `content`, in its order.
    func hostMatches(_ rulesFile: String, _ content: [UInt8], in dir: String) throws -> [String] {
        let file = dir + "/sample"
        try Data(content).write(to: URL(fileURLWithPath: file))
        return try host(["yara", rulesFile, file]).split(separator: "\n").map { String($0.split(separator: " ")[0]) }
    }

    @Test func loadScanDestroy() throws {
        try withStandaloneDaemon(diskSizesMB: [32]) { d in
            let c = d.client
            #expect(daemonError { try c.yaraDestroy() }?.message == "no yara rules loaded")
            try c.mkfs(fstype: "ext4", device: "/dev/sda")
            try c.mount(mountable: "/dev/sda", mountpoint: "/")
            #expect(daemonError { _ = try scan(c, "/x") }?.message == "no yara rules loaded")

            let samples: [String: [UInt8]] = [
                "/hello.txt": Array("say hello\n".utf8),
                "/other.txt": Array("nothing to see\n".utf8),
                "/big.exe": Array("MZ".utf8) + forensicsContent(200_000, seed: 7) + Array("hello".utf8),
                "/empty": [],
            ]
            for (path, content) in samples { try c.upload(filename: .bytes(content), remotefilename: path) }
            try c.lnS(target: "hello.txt", linkname: "/link")

            let source = d.directory + "/rules.yar", compiled = d.directory + "/rules.yarc"
            try Self.rules.write(toFile: source, atomically: true, encoding: .utf8)
            try host(["yarac", source, compiled])
            for rulesFile in [source, compiled] {
                try c.yaraLoad(filename: .file(rulesFile))
                for (path, content) in samples {
                    #expect(try scan(c, path) == (try hostMatches(source, content, in: d.directory)), "\(path) with \(rulesFile)")
                }
                #expect(try scan(c, "/link") == ["hello_rule"])
            }
            #expect(try scan(c, "/big.exe") == ["hello_rule", "big_file", "mz_header"])
            #expect(try scan(c, "/other.txt") == [])

            // Not a file: clear errors, and the daemon does not wait on a
            // FIFO with no writer.
            #expect(daemonError { _ = try scan(c, "/nope") }?.message == "/nope: No such file or directory")
            #expect(daemonErrno { _ = try scan(c, "/nope") } == "ENOENT")
            try c.mkdir(path: "/dir")
            #expect(daemonError { _ = try scan(c, "/dir") }?.message == "/dir: Is a directory")
            // (yara reads nothing from it: an empty file to the rules.)
            try c.mkfifo(mode: 0o644, path: "/fifo")
            #expect(try scan(c, "/fifo") == (try scan(c, "/empty")))
            #expect(try scan(c, "/hello.txt") == ["hello_rule"])

            try c.yaraDestroy()
            #expect(daemonError { try c.yaraDestroy() }?.message == "no yara rules loaded")
            #expect(daemonError { _ = try scan(c, "/hello.txt") }?.message == "no yara rules loaded")
        }
    }

    @Test func badRules() throws {
        try withMountedFilesystem(sizeMB: 32) { d in
            let c = d.client
            try c.internalWrite(path: "/hello.txt", content: Array("hello".utf8))
            try c.yaraLoad(filename: .bytes(Array(Self.rules.utf8)))
            #expect(try scan(c, "/hello.txt") == ["hello_rule"])

            // Upstream's message (the details go to the console); the
            // rules loaded before are gone.
            let broken = "rule broken { strings $a = \"x\" condition: $a }\nrule bad2 { condition: nosuch }\n"
            let e = daemonError { try c.yaraLoad(filename: .bytes(Array(broken.utf8))) }
            #expect(e?.message == "found 2 errors when compiling the rules", "\(String(describing: e))")
            #expect(daemonError { _ = try scan(c, "/hello.txt") }?.message == "no yara rules loaded")
            #expect(d.stderr.contains("Yara error (line 1)"))

            // A compiled rules file of another yara version, or truncated:
            // an error (upstream never replies).
            let foreign = Array("YARA".utf8) + [0, 0, 0, 0] + Array("garbage".utf8)
            let f = daemonError { try c.yaraLoad(filename: .bytes(foreign)) }
            #expect(f?.message.hasPrefix("yr_rules_load: ") == true, "\(String(describing: f))")
            let source = d.directory + "/r.yar", compiled = d.directory + "/r.yarc"
            try Self.rules.write(toFile: source, atomically: true, encoding: .utf8)
            try host(["yarac", source, compiled])
            let whole = [UInt8](try Data(contentsOf: URL(fileURLWithPath: compiled)))
            #expect(daemonError { try c.yaraLoad(filename: .bytes(Array(whole.prefix(whole.count / 2)))) } != nil)
            try c.yaraLoad(filename: .bytes(whole))
            #expect(try scan(c, "/hello.txt") == ["hello_rule"])

            // Empty rules load, and nothing matches.
            try c.yaraLoad(filename: .bytes([]))
            #expect(try scan(c, "/hello.txt") == [])
            try c.pingDaemon()
        }
    }
}
