import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

// Robustness, part 3: cancellation both ways in the middle of upload,
// download, tar_in and tar_out against the live daemon: it keeps serving,
// leaves no child process behind and no temporary file.

/// Children of the daemon process (a tar or cp left running = leak).
func rbChildren(_ pid: Int32) -> [String] {
    let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
    return text.split(separator: " ").map(String.init)
}

/// Entries of /tmp that daemon handlers use for temporary files.
func rbDaemonTempFiles() -> Set<String> {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []
    return Set(names.filter { $0.hasPrefix("excludes") || $0.hasPrefix("guestfsd-") && !$0.hasPrefix("guestfsd-test-") || $0.hasPrefix("vgmeta") || $0.hasPrefix("initrd-cat-") })
}

/// Daemon temporary files made since `before` that stay. Tests run in
/// parallel: another test's daemon may hold such a name (its lvm.conf
/// directory) while it runs, and it goes when that daemon exits; a file the
/// daemon under test left behind does not go, and is returned.
func rbNewTempFiles(since before: Set<String>, settleSeconds: Double = 30) -> Set<String> {
    var left = rbDaemonTempFiles().subtracting(before)
    let deadline = Date().addingTimeInterval(settleSeconds)
    while !left.isEmpty && Date() < deadline {
        usleep(100_000)
        left.formIntersection(rbDaemonTempFiles())
    }
    return left
}

/// Everything under a directory, relative, sorted.
func rbTree(_ root: String) -> [String] {
    ((FileManager.default.enumerator(atPath: root)?.allObjects as? [String]) ?? []).sorted()
}

func rbPattern(_ offset: Int, _ buffer: UnsafeMutableRawBufferPointer) {
    for i in 0..<buffer.count { buffer[i] = UInt8(truncatingIfNeeded: (offset + i) &* 2654435761 >> 7) }
}

@Suite("robustness: cancelled transfers", .serialized,
       .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"))
struct RobustnessTransferTests {
    /// Waits briefly for the daemon's children to be reaped.
    func noChildren(_ d: StandaloneDaemon) -> Bool {
        for _ in 0..<100 {
            if rbChildren(d.process.processIdentifier).isEmpty { return true }
            usleep(20_000)
        }
        return false
    }

    @Test func uploadCancelledByTheLibraryThenByTheDaemon() throws {
        let tempBefore = rbDaemonTempFiles()
        try withStandaloneDaemon { d in
            let data = [UInt8](repeating: 0x42, count: 3_000_000)
            do {
                try d.client.upload(filename: .cancelling(after: 1_000_000, bytes: data), remotefilename: "/up")
                Issue.record("a cancelled upload must fail")
            } catch GuestfsClientError.daemon(_, let message) {
                #expect(message.contains("cancel"), "\(message)")
            }
            #expect(try d.client.echoDaemon(words: ["after", "cancel"]) == "after cancel")
            // Upstream leaves what arrived in the target (no rename dance): only
            // that file, no temporary beside it.
            #expect(rbTree(d.sysroot) == ["up"])
            let size = (try? FileManager.default.attributesOfItem(atPath: d.sysroot + "/up")[.size] as? Int) ?? -1
            #expect(size <= 1_000_000)

            // The daemon gives up (no such directory): it must cancel, eat the
            // rest of the upload and answer.
            #expect(daemonErrno { try d.client.upload(filename: .bytes(data), remotefilename: "/missing/up") } == "ENOENT")
            #expect(daemonErrno { try d.client.upload(filename: .bytes(data), remotefilename: "/up/not-a-dir") } == "ENOTDIR")
            // A full upload afterwards arrives whole.
            try d.client.upload(filename: .generated(count: 2_500_000, generator: rbPattern), remotefilename: "/whole")
            let got = try Data(contentsOf: URL(fileURLWithPath: d.sysroot + "/whole"))
            var want = [UInt8](repeating: 0, count: 2_500_000)
            want.withUnsafeMutableBytes { rbPattern(0, $0) }
            #expect(got == Data(want))
            #expect(noChildren(d))
        }
        #expect(rbNewTempFiles(since: tempBefore).isEmpty)
    }

    @Test func downloadCancelledByTheLibraryMidStream() throws {
        try withStandaloneDaemon { d in
            try d.client.upload(filename: .generated(count: 20_000_000, generator: rbPattern), remotefilename: "/big")
            for cancelAt in [1, 65_536, 3_000_000] {
                let sink = DownloadSink(cancelAfter: cancelAt)
                #expect(throws: GuestfsClientError.transferCancelled) {
                    try d.client.download(remotefilename: "/big", filename: sink)
                }
                #expect(sink.count < 20_000_000)
                #expect(try d.client.echoDaemon(words: ["next", "\(cancelAt)"]) == "next \(cancelAt)")
            }
            // Then a whole download is byte-exact.
            let sink = DownloadSink()
            try d.client.download(remotefilename: "/big", filename: sink)
            var want = [UInt8](repeating: 0, count: 20_000_000)
            want.withUnsafeMutableBytes { rbPattern(0, $0) }
            #expect(sink.bytes == want)
            // A directory cannot be downloaded: an error reply or an aborted
            // transfer, then the session goes on.
            try FileManager.default.createDirectory(atPath: d.sysroot + "/dir", withIntermediateDirectories: true)
            #expect(throws: GuestfsClientError.self) { try d.client.download(remotefilename: "/dir", filename: DownloadSink()) }
            try d.client.pingDaemon()
            #expect(noChildren(d))
        }
    }

    @Test func tarInCancelledBothWays() throws {
        let tempBefore = rbDaemonTempFiles()
        // A real archive of a few MB made on the host.
        let stage = NSTemporaryDirectory() + "rb-tarin-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: stage + "/t", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: stage) }
        for i in 0..<8 {
            var b = [UInt8](repeating: 0, count: 700_000)
            b.withUnsafeMutableBytes { rbPattern(i * 1000, $0) }
            try Data(b).write(to: URL(fileURLWithPath: stage + "/t/f\(i)"))
        }
        try host(["tar", "-C", stage + "/t", "-cf", stage + "/t.tar", "."])
        let tar = try [UInt8](Data(contentsOf: URL(fileURLWithPath: stage + "/t.tar")))
        try withStandaloneDaemon { d in
            try FileManager.default.createDirectory(atPath: d.sysroot + "/dest", withIntermediateDirectories: true)
            do {
                try d.client.tarIn(tarfile: .cancelling(after: 1_500_000, bytes: tar), directory: "/dest")
                Issue.record("a cancelled tar_in must fail")
            } catch GuestfsClientError.daemon(_, let message) {
                #expect(message.contains("cancel"), "\(message)")
            }
            #expect(noChildren(d), "tar left running after a cancelled tar_in")
            #expect(try d.client.echoDaemon(words: ["after"]) == "after")
            // The daemon gives up: not a tar archive, then a missing directory.
            #expect(throws: GuestfsClientError.self) {
                try d.client.tarIn(tarfile: .bytes([UInt8](repeating: 0x55, count: 2_000_000)), directory: "/dest")
            }
            #expect(daemonErrno { try d.client.tarIn(tarfile: .bytes(tar), directory: "/nope") } != nil)
            #expect(noChildren(d))
            try d.client.pingDaemon()
            // A whole tar_in afterwards lands intact.
            try FileManager.default.removeItem(atPath: d.sysroot + "/dest")
            try FileManager.default.createDirectory(atPath: d.sysroot + "/dest", withIntermediateDirectories: true)
            try d.client.tarIn(tarfile: .bytes(tar), directory: "/dest")
            for i in 0..<8 {
                #expect(FileManager.default.contentsEqual(atPath: d.sysroot + "/dest/f\(i)", andPath: stage + "/t/f\(i)"))
            }
        }
        #expect(rbNewTempFiles(since: tempBefore).isEmpty)
    }

    @Test func tarOutCancelledByTheLibrary() throws {
        let tempBefore = rbDaemonTempFiles()
        try withStandaloneDaemon { d in
            try FileManager.default.createDirectory(atPath: d.sysroot + "/src", withIntermediateDirectories: true)
            for i in 0..<10 {
                var b = [UInt8](repeating: 0, count: 1_000_000)
                b.withUnsafeMutableBytes { rbPattern(i, $0) }
                try Data(b).write(to: URL(fileURLWithPath: d.sysroot + "/src/f\(i)"))
            }
            for (cancelAt, excludes) in [(100_000, nil), (2_000_000, ["f3"] as [String]?)] {
                let sink = DownloadSink(cancelAfter: cancelAt)
                #expect(throws: GuestfsClientError.transferCancelled) {
                    try d.client.tarOut(directory: "/src", tarfile: sink, excludes: excludes)
                }
                #expect(noChildren(d), "tar left running after a cancelled tar_out")
                #expect(try d.client.echoDaemon(words: ["after"]) == "after")
            }
            // A whole tar_out afterwards is a valid archive of everything.
            let sink = DownloadSink()
            try d.client.tarOut(directory: "/src", tarfile: sink)
            let out = NSTemporaryDirectory() + "rb-tarout-" + UUID().uuidString.prefix(8) + ".tar"
            try Data(sink.bytes).write(to: URL(fileURLWithPath: out))
            defer { try? FileManager.default.removeItem(atPath: out) }
            let listing = try host(["tar", "-tf", out]).split(separator: "\n").map { String($0) }.filter { $0.contains("f") }.sorted()
            #expect(listing == (0..<10).map { "./f\($0)" }.sorted())
        }
        #expect(rbNewTempFiles(since: tempBefore).isEmpty)
    }
}

// Robustness, part 6: resource limits.
@Suite("robustness: resource limits", .serialized,
       .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"))
struct RobustnessResourceTests {
    static func status(_ pid: Int32, _ key: String) -> Int {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
        }
        return -1
    }

    static func openFiles(_ pid: Int32) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).count
    }

    @Test func tenThousandCallsLeaveMemoryAndDescriptorsFlat() throws {
        try withStandaloneDaemon { d in
            let pid = d.process.processIdentifier
            let c = d.client
            try c.internalWrite(path: "/f", content: Array("hello\n".utf8))
            func mixedCall(_ i: Int) throws {
                switch i % 10 {
                case 0: try c.pingDaemon()
                case 1: _ = try c.echoDaemon(words: ["w", String(i)])
                case 2: _ = try c.isFile(path: "/f")
                case 3: _ = daemonErrno { _ = try c.pread(path: "/missing", count: 10, offset: 0) }
                case 4: _ = try c.pread(path: "/f", count: 6, offset: 0)
                case 5: _ = daemonErrno { _ = try c.isFile(path: "relative") }
                case 6: if i % 100 == 6 { try c.upload(filename: .bytes([UInt8](repeating: 1, count: 20_000)), remotefilename: "/u") } else { try c.pingDaemon() }
                case 7: if i % 100 == 7 { let s = DownloadSink(); try c.download(remotefilename: "/u", filename: s) } else { try c.pingDaemon() }
                case 8: _ = try c.exists(path: "/nope")
                default: _ = try c.sendCall(procedure: 0, argsBytes: []); _ = try c.readReply(timeoutSeconds: 10)
                }
            }
            for i in 0..<300 { try mixedCall(i) }
            let rssFirst = Self.status(pid, "VmRSS"), fdFirst = Self.openFiles(pid)
            for i in 300..<10_300 { try mixedCall(i) }
            let rssLast = Self.status(pid, "VmRSS"), fdLast = Self.openFiles(pid)
            print("ROBUSTNESS resources: calls=10000 VmRSS first=\(rssFirst) kB last=\(rssLast) kB fds first=\(fdFirst) last=\(fdLast)")
            #expect(rssFirst > 0)
            #expect(rssLast - rssFirst < 4096, "RSS grew from \(rssFirst) kB to \(rssLast) kB over 10,000 calls")
            #expect(fdLast == fdFirst, "descriptors: \(fdFirst) -> \(fdLast)")
            #expect(rbChildren(pid).isEmpty)
        }
    }

    @Test func fourMebibyteArgumentsAndRepliesGiveCleanErrors() throws {
        try withStandaloneDaemon { d in
            let c = d.client
            // An argument that makes the frame too large.
            let tooBig = [UInt8](repeating: 0x61, count: GuestfsConstants.messageMax)
            do {
                try c.internalWrite(path: "/big", content: tooBig)
                Issue.record("a frame over 4 MiB must be refused")
            } catch GuestfsClientError.daemon(_, let message) {
                #expect(message.contains("exceeds the maximum"), "\(message)")
            }
            #expect(!FileManager.default.fileExists(atPath: d.sysroot + "/big"))
            // The largest argument that fits is written whole.
            let fits = [UInt8](repeating: 0x62, count: GuestfsConstants.messageMax - 4096)
            try c.internalWrite(path: "/fits", content: fits)
            let size = (try FileManager.default.attributesOfItem(atPath: d.sysroot + "/fits")[.size] as? Int) ?? -1
            #expect(size == fits.count)
            // A 4 MiB string argument (echo_daemon) is refused the same way.
            #expect(throws: GuestfsClientError.self) {
                _ = try c.echoDaemon(words: [String(repeating: "z", count: GuestfsConstants.messageMax)])
            }
            // A reply that would exceed 4 MiB: ll of a directory whose listing
            // is about 6 MB.
            let dir = d.sysroot + "/many"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let stem = String(repeating: "n", count: 220)
            for i in 0..<22_000 { _ = FileManager.default.createFile(atPath: "\(dir)/\(stem)\(i)", contents: nil) }
            do {
                let listing = try c.ll(directory: "/many")
                Issue.record("a 6 MB listing cannot fit in a reply (got \(listing.utf8.count) bytes)")
            } catch GuestfsClientError.daemon(_, let message) {
                #expect(message.contains("exceeds the maximum") || message.contains("too large") || message.contains("too long"), "\(message)")
            }
            #expect(try c.echoDaemon(words: ["still", "here"]) == "still here")
            print("ROBUSTNESS limits: inputs=3 crashes=0 hangs=0")
        }
    }
}
