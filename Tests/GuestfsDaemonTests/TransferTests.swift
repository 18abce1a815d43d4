import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing


/// Bytes with a pattern that changes every byte, so offsets show.
func transferPattern(_ count: Int, seed: Int = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: ($0 &* 31) ^ ($0 >> 8) ^ seed) }
}

/// A host tool with stdin fed from `input` and stdout returned.
func hostPipe(_ argv: [String], input: Data) throws -> Data {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = argv
    let inPipe = Pipe(), outPipe = Pipe()
    p.standardInput = inPipe
    p.standardOutput = outPipe
    p.standardError = FileHandle.nullDevice
    try p.run()
    let writer = Thread {
        inPipe.fileHandleForWriting.write(input)
        try? inPipe.fileHandleForWriting.close()
    }
    writer.start()
    let out = outPipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return out
}

/// A running `sha256sum` fed incrementally.
final class StreamingSHA256 {
    let process = Process()
    let input = Pipe()
    let output = Pipe()

    init() throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.standardInput = input
        process.standardOutput = output
        try process.run()
    }

    func update(_ data: UnsafeRawBufferPointer) {
        var done = 0
        while done < data.count {
            let n = write(input.fileHandleForWriting.fileDescriptor, data.baseAddress! + done, data.count - done)
            if n <= 0 { if errno == EINTR { continue }; return }
            done += n
        }
    }

    func finish() -> String {
        try? input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: out, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
    }
}

/// Peak resident memory (VmHWM) of a process, in KiB.
func peakRSSKiB(pid: Int32) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
    }
    return nil
}

/// A download read straight off the client's socket with one large
/// buffer. The client's own reader is very slow in debug builds (it grows
/// its buffer by appending 64 KiB of zeros per recv), which would make a
/// 1 GiB download take minutes; this measures the daemon instead. Returns
/// the bytes received and the progress messages seen.
func rawDownload(_ client: GuestfsClient, remotefilename: String,
                 onData: (UnsafeRawBufferPointer) -> Void) throws -> (bytes: Int, progress: Int) {
    var w = XDRWriter(capacity: 256)
    DownloadArgs(remotefilename: remotefilename).encode(xdr: &w)
    try client.sendCall(procedure: Procedure.download.rawValue, argsBytes: w.bytes)
    let capacity = 4 << 20
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
    defer { buffer.deallocate() }
    var start = 0, end = 0
    func need(_ n: Int) throws {
        while end - start < n {
            if start > 0 {
                memmove(buffer.baseAddress!, buffer.baseAddress! + start, end - start)
                end -= start
                start = 0
            }
            let got = recv(client.fd, buffer.baseAddress! + end, capacity - end, 0)
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { throw GuestfsClientError.connectionClosed }
            end += got
        }
    }
    func word(at offset: Int = 0) -> UInt32 {
        UInt32(bigEndian: UnsafeRawBufferPointer(buffer).loadUnaligned(fromByteOffset: start + offset, as: UInt32.self))
    }
    var progress = 0, bytes = 0, replied = false
    while true {
        try need(4)
        let length = Int(word())
        if word() == GuestfsConstants.progressFlag {
            try need(28)
            start += 28
            progress += 1
            continue
        }
        try need(4 + length)
        if !replied {
            guard word(at: 4 + 36) == 0 else { throw GuestfsClientError.protocolViolation("download failed") }
            replied = true
        } else {
            let cancel = word(at: 4)
            let count = Int(word(at: 8))
            if count == 0 {
                start += 4 + length
                if cancel != 0 { throw GuestfsClientError.transferCancelled }
                return (bytes, progress)
            }
            onData(UnsafeRawBufferPointer(rebasing: buffer[(start + 12)..<(start + 12 + count)]))
            bytes += count
        }
        start += 4 + length
    }
}

@Suite("transfer: upload, download, archives", .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"))
struct TransferTests {
    @Test func uploadWritesTheFileAndDownloadReadsItBack() throws {
        try withStandaloneDaemon { d in
            let data = transferPattern(300_000)
            try d.client.upload(filename: .bytes(data), remotefilename: "/f")
            #expect(FileManager.default.contents(atPath: d.sysroot + "/f") == Data(data))
            let sink = DownloadSink()
            try d.client.download(remotefilename: "/f", filename: sink)
            #expect(sink.bytes == data)

            // Upload truncates; an empty upload makes an empty file.
            try d.client.upload(filename: .bytes([1, 2, 3]), remotefilename: "/f")
            #expect(FileManager.default.contents(atPath: d.sysroot + "/f") == Data([1, 2, 3]))
            try d.client.upload(filename: .bytes([]), remotefilename: "/empty")
            #expect(FileManager.default.contents(atPath: d.sysroot + "/empty") == Data())
            let empty = DownloadSink()
            try d.client.download(remotefilename: "/empty", filename: empty)
            #expect(empty.bytes.isEmpty)
        }
    }

    @Test func uploadAndDownloadReportUpstreamErrors() throws {
        try withStandaloneDaemon { d in
            try FileManager.default.createDirectory(atPath: d.sysroot + "/dir", withIntermediateDirectories: true)
            let e1 = daemonError { try d.client.upload(filename: .bytes(transferPattern(50_000)), remotefilename: "/no/such/f") }
            #expect(e1?.errno == "ENOENT")
            #expect(e1?.message == "/no/such/f: No such file or directory")
            let e2 = daemonError { try d.client.upload(filename: .bytes([1]), remotefilename: "/dir") }
            #expect(e2?.errno == "EISDIR")
            let e3 = daemonError { try d.client.download(remotefilename: "/missing", filename: DownloadSink()) }
            #expect(e3?.errno == "ENOENT")
            #expect(e3?.message == "/missing: No such file or directory")
            let e4 = daemonError { try d.client.download(remotefilename: "/dir", filename: DownloadSink()) }
            #expect(e4?.message == "/dir: is a directory")
            // The daemon still serves after each failure.
            try d.client.pingDaemon()
        }
    }

    @Test func uploadFollowsSymlinksInsideTheSysroot() throws {
        try withStandaloneDaemon { d in
            try FileManager.default.createDirectory(atPath: d.sysroot + "/real", withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: d.sysroot + "/link", withDestinationPath: "/real")
            try d.client.upload(filename: .bytes([7, 7]), remotefilename: "/link/x")
            #expect(FileManager.default.contents(atPath: d.sysroot + "/real/x") == Data([7, 7]))
        }
    }

    @Test func offsetsUploadAndDownloadParts() throws {
        try withStandaloneDaemon { d in
            try d.client.upload(filename: .bytes([UInt8](repeating: 0x61, count: 100)), remotefilename: "/f")
            try d.client.uploadOffset(filename: .bytes([0x42, 0x43]), remotefilename: "/f", offset: 10)
            var expected = [UInt8](repeating: 0x61, count: 100)
            expected[10] = 0x42; expected[11] = 0x43
            #expect(FileManager.default.contents(atPath: d.sysroot + "/f") == Data(expected))
            // Past the end: the file grows with a hole.
            try d.client.uploadOffset(filename: .bytes([0x5a]), remotefilename: "/f", offset: 200)
            #expect(FileManager.default.contents(atPath: d.sysroot + "/f")?.count == 201)

            let part = DownloadSink()
            try d.client.downloadOffset(remotefilename: "/f", filename: part, offset: 9, size: 4)
            #expect(part.bytes == [0x61, 0x42, 0x43, 0x61])
            // Asking beyond the end sends what there is.
            let tail = DownloadSink()
            try d.client.downloadOffset(remotefilename: "/f", filename: tail, offset: 199, size: 1000)
            #expect(tail.bytes == [0, 0x5a])

            #expect(daemonError { try d.client.uploadOffset(filename: .bytes([1]), remotefilename: "/f", offset: -1) }?.message == "/f: offset in file is negative: Success")
            #expect(daemonError { try d.client.downloadOffset(remotefilename: "/f", filename: DownloadSink(), offset: 0, size: -1) }?.message == "/f: size is negative: Success")
        }
    }

    @Test func devicesUploadAndDownloadByCanonicalName() throws {
        try withStandaloneDaemon(diskSizesMB: [4]) { d in
            let data = transferPattern(1 << 20, seed: 5)
            try d.client.upload(filename: .bytes(data), remotefilename: "/dev/sda")
            let sink = DownloadSink()
            try d.client.downloadOffset(remotefilename: "/dev/sda", filename: sink, offset: 0, size: Int64(data.count))
            #expect(sink.bytes == data)
            let whole = DownloadSink(discarding: ())
            try d.client.download(remotefilename: "/dev/sda", filename: whole)
            #expect(whole.count == 4 << 20)
            let image = try FileHandle(forReadingFrom: URL(fileURLWithPath: d.images[0]))
            #expect(try image.read(upToCount: data.count) == Data(data))
        }
    }

    @Test func internalUploadWritesAnAppliancePathWithTheMode() throws {
        try withStandaloneDaemon { d in
            let target = d.directory + "/internal-upload"
            try d.client.internalUpload(filename: .bytes([1, 2, 3, 4]), tmpname: target, mode: 0o600)
            #expect(FileManager.default.contents(atPath: target) == Data([1, 2, 3, 4]))
            let attributes = try FileManager.default.attributesOfItem(atPath: target)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
        }
    }

    /// The headline: 1 GiB each way, checked by SHA-256, in bounded memory.
    @Test func oneGibibyteRoundTripInBoundedMemory() throws {
        try withStandaloneDaemon { d in
            let size = 1 << 30
            var block = [UInt8](repeating: 0, count: GuestfsConstants.maxChunkSize)
            var rng = SystemRandomNumberGenerator()
            for i in block.indices { block[i] = UInt8.random(in: 0...255, using: &rng) }
            let sent = try StreamingSHA256()
            let start = Date()
            var progress = 0
            d.client.onProgress = { _ in progress += 1 }
            try d.client.upload(filename: .generated(count: size) { offset, buffer in
                block.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<buffer.count])) }
                withUnsafeBytes(of: UInt64(offset)) { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<min(8, buffer.count)])) }
                sent.update(UnsafeRawBufferPointer(buffer))
            }, remotefilename: "/big")
            let uploadSeconds = Date().timeIntervalSince(start)
            let sentHash = sent.finish()
            let onDisk = try host(["sha256sum", d.sysroot + "/big"]).split(separator: " ").first.map(String.init)
            #expect(onDisk == sentHash)

            let received = try StreamingSHA256()
            let start2 = Date()
            let (count, downloadProgress) = try rawDownload(d.client, remotefilename: "/big") { received.update($0) }
            let downloadSeconds = Date().timeIntervalSince(start2)
            #expect(count == size)
            #expect(received.finish() == sentHash)
            #expect(downloadProgress > 0, "download of 1 GiB sends progress messages")
            _ = progress
            // The session is in step after the raw download.
            #expect(try d.client.echoDaemon(words: ["after"]) == "after")

            let pid = d.process.processIdentifier
            let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? "?"
            let peak = peakRSSKiB(pid: pid) ?? -1
            print("1 GiB upload \(String(format: "%.1f", uploadSeconds)) s (\(String(format: "%.0f", 1024 / uploadSeconds)) MiB/s), download \(String(format: "%.1f", downloadSeconds)) s (\(String(format: "%.0f", 1024 / downloadSeconds)) MiB/s); daemon (\(comm.trimmingCharacters(in: .whitespacesAndNewlines))) peak RSS \(peak / 1024) MiB")
            #expect(comm.hasPrefix("guestfsd"))
            #expect(peak > 0 && peak < 32 * 1024, "daemon peak RSS \(peak) KiB")
            try? FileManager.default.removeItem(atPath: d.sysroot + "/big")
        }
    }

    @Test func cancelledTransfersLeaveTheDaemonServing() throws {
        try withStandaloneDaemon { d in
            let data = transferPattern(200_000)
            let e = daemonError { try d.client.upload(filename: .cancelling(after: 100_000, bytes: data), remotefilename: "/f") }
            #expect(e?.message == "file upload cancelled")
            try d.client.pingDaemon()

            try FileManager.default.createDirectory(atPath: d.sysroot + "/t", withIntermediateDirectories: true)
            let e2 = daemonError { try d.client.tarIn(tarfile: .cancelling(after: 20_000, bytes: data), directory: "/t") }
            #expect(e2?.message == "file upload cancelled")
            #expect(try FileManager.default.contentsOfDirectory(atPath: d.sysroot + "/t").isEmpty)
            try d.client.pingDaemon()

            try d.client.upload(filename: .bytes(transferPattern(3 << 20)), remotefilename: "/big")
            let sink = DownloadSink(cancelAfter: 100_000)
            #expect(throws: GuestfsClientError.self) { try d.client.download(remotefilename: "/big", filename: sink) }
            #expect(sink.count < 3 << 20)
            #expect(try d.client.echoDaemon(words: ["still", "here"]) == "still here")
            let again = DownloadSink()
            try d.client.download(remotefilename: "/big", filename: again)
            #expect(again.bytes.count == 3 << 20)
        }
    }

    @Test func tarRoundTripsWithEveryCompression() throws {
        try withStandaloneDaemon { d in
            let src = d.sysroot + "/src"
            try makeHostTree(src, ["/sub": .directory, "/a.txt": "hello\n", "/sub/b.bin": .file(transferPattern(70_000)),
                                   "/l": .link("a.txt")])
            for (i, compress) in [nil, "gzip", "bzip2", "xz", "zstd", "lzop"].enumerated() {
                let tarball = DownloadSink()
                try d.client.tarOut(directory: "/src", tarfile: tarball, compress: compress)
                let listing = try hostPipe(["tar", "-t"] + (compress.map { ["--" + $0] } ?? []) + ["-f", "-"], input: Data(tarball.bytes))
                let names = Set(String(decoding: listing, as: UTF8.self).split(separator: "\n"))
                #expect(names.isSuperset(of: ["./a.txt", "./sub/b.bin", "./l"]), "\(compress ?? "none"): \(names)")

                let dest = "/dst\(i)"
                try FileManager.default.createDirectory(atPath: d.sysroot + dest, withIntermediateDirectories: true)
                try d.client.tarIn(tarfile: .bytes(tarball.bytes), directory: dest, compress: compress)
                #expect(FileManager.default.contents(atPath: d.sysroot + dest + "/sub/b.bin") == Data(transferPattern(70_000)))
                #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: d.sysroot + dest + "/l")) == "a.txt")
            }
            // The old forms.
            let tgz = DownloadSink()
            try d.client.tgzOut(directory: "/src", tarball: tgz)
            #expect(tgz.bytes.starts(with: [0x1f, 0x8b]))
            try FileManager.default.createDirectory(atPath: d.sysroot + "/tgz", withIntermediateDirectories: true)
            try d.client.tgzIn(tarball: .bytes(tgz.bytes), directory: "/tgz")
            #expect(FileManager.default.contents(atPath: d.sysroot + "/tgz/a.txt") == Data("hello\n".utf8))
            let txz = DownloadSink()
            try d.client.txzOut(directory: "/src", tarball: txz)
            #expect(txz.bytes.starts(with: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))
            try FileManager.default.createDirectory(atPath: d.sysroot + "/txz", withIntermediateDirectories: true)
            try d.client.txzIn(tarball: .bytes(txz.bytes), directory: "/txz")
            #expect(FileManager.default.contents(atPath: d.sysroot + "/txz/a.txt") == Data("hello\n".utf8))
        }
    }

    /// tar_in resolves names as the guest would: through the guest's own
    /// absolute and relative symlinks, never through the host's.
    @Test func tarInExtractsWithTheGuestAsRoot() throws {
        try withStandaloneDaemon { d in
            let fm = FileManager.default
            let s = d.sysroot
            try fm.createDirectory(atPath: s + "/usr/lib", withIntermediateDirectories: true)
            try fm.createDirectory(atPath: s + "/usr/share/alt", withIntermediateDirectories: true)
            try fm.createDirectory(atPath: s + "/etc", withIntermediateDirectories: true)
            try fm.createSymbolicLink(atPath: s + "/lib", withDestinationPath: "usr/lib")           // usr-merged
            try fm.createSymbolicLink(atPath: s + "/etc/alt", withDestinationPath: "/usr/share/alt") // absolute, guest's
            try fm.createSymbolicLink(atPath: s + "/etc/hostlog", withDestinationPath: "/var/log")   // only the host has it
            let stage = d.directory + "/stage"
            try fm.createDirectory(atPath: stage + "/lib", withIntermediateDirectories: true)
            try fm.createDirectory(atPath: stage + "/etc/alt", withIntermediateDirectories: true)
            try Data("libfoo\n".utf8).write(to: URL(fileURLWithPath: stage + "/lib/libfoo.so"))
            try Data("alt\n".utf8).write(to: URL(fileURLWithPath: stage + "/etc/alt/editor"))
            // Sparse, owned by a uid/gid with a user name the host knows.
            try host(["truncate", "-s", "8M", stage + "/sparse"])
            try host(["sh", "-c", "printf end | dd of=\"$1\" bs=1 seek=8388605 conv=notrunc 2>/dev/null", "sh", stage + "/sparse"])
            try host(["tar", "-C", stage, "--owner=nobody:4321", "--group=nogroup:8765", "-S",
                      "-cf", d.directory + "/a.tar", "lib/libfoo.so", "etc/alt/editor", "sparse"])
            let archive = try [UInt8](Data(contentsOf: URL(fileURLWithPath: d.directory + "/a.tar")))
            try d.client.tarIn(tarfile: .bytes(archive), directory: "/")
            #expect(fm.contents(atPath: s + "/usr/lib/libfoo.so") == Data("libfoo\n".utf8))
            #expect(fm.contents(atPath: s + "/usr/share/alt/editor") == Data("alt\n".utf8))
            #expect((try? fm.destinationOfSymbolicLink(atPath: s + "/lib")) == "usr/lib")
            // Owners are the archive's numbers (no name lookup).
            var st = stat()
            #expect(stat(s + "/usr/lib/libfoo.so", &st) == 0 && st.st_uid == 4321 && st.st_gid == 8765)
            // GNU sparse members come back sparse, with the right bytes.
            #expect(stat(s + "/sparse", &st) == 0 && st.st_size == 8 << 20 && st.st_blocks < 64)
            let tail = try FileHandle(forReadingFrom: URL(fileURLWithPath: s + "/sparse"))
            try tail.seek(toOffset: UInt64(8 << 20) - 3)
            #expect(tail.readDataToEndOfFile() == Data("end".utf8))
            try tail.close()

            // A member below a guest symlink whose target exists only on the
            // host: an error, nothing written on the host.
            let log = d.directory + "/evil-probe"
            try Data("x".utf8).write(to: URL(fileURLWithPath: d.directory + "/stage/etc/probe"))
            try host(["tar", "-C", stage, "--transform", "s,^etc/probe$,etc/hostlog/guestfsd-tar-probe,",
                      "-cf", log, "etc/probe"])
            let e = daemonError { try d.client.tarIn(tarfile: .bytes(try [UInt8](Data(contentsOf: URL(fileURLWithPath: log)))), directory: "/") }
            #expect(e?.message.hasPrefix("tar subcommand failed on directory: /: tar: etc/hostlog/guestfsd-tar-probe: Cannot open") == true,
                    "\(String(describing: e))")
            #expect(!fm.fileExists(atPath: "/var/log/guestfsd-tar-probe"))

            // compress(1)'s .Z format (scripts/setup installs ncompress),
            // decompressed outside tar.
            let z = try hostPipe(["sh", "-c", "tar -C \"$1\" -cf - lib/libfoo.so | compress -c", "sh", stage], input: Data())
            #expect(z.starts(with: [0x1f, 0x9d]))
            try fm.createDirectory(atPath: s + "/z", withIntermediateDirectories: true)
            try d.client.tarIn(tarfile: .bytes([UInt8](z)), directory: "/z", compress: "compress")
            #expect(fm.contents(atPath: s + "/z/lib/libfoo.so") == Data("libfoo\n".utf8))

            // Extended attributes, with the libraries tar needs for them
            // loaded before it enters the guest.
            try host(["setfattr", "-n", "user.guestfs", "-v", "kept", stage + "/lib/libfoo.so"])
            try host(["tar", "-C", stage, "--xattrs", "-cf", d.directory + "/x.tar", "lib/libfoo.so"])
            try fm.createDirectory(atPath: s + "/x", withIntermediateDirectories: true)
            try d.client.tarIn(tarfile: .bytes(try [UInt8](Data(contentsOf: URL(fileURLWithPath: d.directory + "/x.tar")))),
                               directory: "/x", xattrs: true, acls: true)
            #expect(try host(["getfattr", "--only-values", "-n", "user.guestfs", s + "/x/lib/libfoo.so"]) == "kept")
        }
    }

    @Test func tarOutOptionsAndErrors() throws {
        try withStandaloneDaemon { d in
            let src = d.sysroot + "/src"
            try FileManager.default.createDirectory(atPath: src + "/skip", withIntermediateDirectories: true)
            try Data("x".utf8).write(to: URL(fileURLWithPath: src + "/keep"))
            try Data("y".utf8).write(to: URL(fileURLWithPath: src + "/skip/me"))
            try Data("z".utf8).write(to: URL(fileURLWithPath: src + "/drop.log"))
            chown(src + "/keep", 4321, 8765)
            let tarball = DownloadSink()
            try d.client.tarOut(directory: "/src", tarfile: tarball, numericowner: true, excludes: ["./skip", "*.log"])
            let listing = String(decoding: try hostPipe(["tar", "-tv", "--numeric-owner", "-f", "-"], input: Data(tarball.bytes)), as: UTF8.self)
            #expect(listing.contains("./keep"))
            #expect(listing.contains("4321/8765"))
            #expect(!listing.contains("skip"))
            #expect(!listing.contains("drop.log"))
            // No owner names, numericowner or not: they would be the
            // appliance's, not the guest's (upstream's appliance has none).
            chown(src + "/keep", 0, 0)
            let plain = DownloadSink()
            try d.client.tarOut(directory: "/src", tarfile: plain)
            let named = String(decoding: try hostPipe(["tar", "-tv", "-f", "-"], input: Data(plain.bytes)), as: UTF8.self)
            #expect(named.contains(" 0/0 "))
            #expect(!named.contains("root"))

            #expect(daemonError { try d.client.tarOut(directory: "/src", tarfile: DownloadSink(), compress: "rar") }?.message == "unknown compression type: rar")
            let missing = daemonError { try d.client.tarOut(directory: "/nope", tarfile: DownloadSink()) }
            #expect(missing?.errno == "ENOENT")
            #expect(missing?.message == "stat: /nope: No such file or directory")
            #expect(daemonError { try d.client.tarOut(directory: "/src/keep", tarfile: DownloadSink()) }?.message == "/src/keep: not a directory")
            #expect(daemonError { try d.client.tarOut(directory: "/src", tarfile: DownloadSink(), excludes: ["a\nb"]) }?.message == "tar-out: excludes file patterns cannot contain \\n character")

            let e = daemonError { try d.client.tarIn(tarfile: .bytes([1, 2, 3]), directory: "/src", compress: "rar") }
            #expect(e?.message == "unknown compression type: rar")
            let e2 = daemonError { try d.client.tarIn(tarfile: .bytes([]), directory: "/nope") }
            #expect(e2?.errno == "ENOENT")
            #expect(e2?.message == "/nope: No such file or directory")
            let garbage = daemonError { try d.client.tarIn(tarfile: .bytes(transferPattern(10_000)), directory: "/src") }
            #expect(garbage?.message.hasPrefix("tar subcommand failed on directory: /src: tar:") == true)
            // tar gives up long before the end of a big upload: an error, and
            // the rest of the upload is drained so the session stays in step.
            let early = daemonError { try d.client.tarIn(tarfile: .bytes(transferPattern(4 << 20)), directory: "/src") }
            #expect(early?.message.hasPrefix("write error on directory: /src: tar:") == true
                    || early?.message.hasPrefix("tar subcommand failed on directory: /src: tar:") == true, "\(String(describing: early))")
            #expect(try d.client.echoDaemon(words: ["in", "step"]) == "in step")
            // No probe files or temporaries are left behind.
            #expect(try FileManager.default.contentsOfDirectory(atPath: src).sorted() == ["drop.log", "keep", "skip"])
        }
    }

    /// Every tar a handler makes carries numeric owners only, with or
    /// without `numericowner`: the names this machine's passwd gives uid 0
    /// ("root") or 65534 ("nobody") are not the guest's (issue 20).
    @Test func tarArchivesCarryNoUserOrGroupNames() throws {
        try withStandaloneDaemon { d in
            let src = d.sysroot + "/owners"
            try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
            let owners: [(String, uid_t, gid_t)] = [("root", 0, 0), ("daemon", 1, 1), ("g42", 0, 42),
                                                    ("nobody", 65534, 65534), ("user", 1000, 1000), ("odd", 4242, 4242)]
            for (name, uid, gid) in owners {
                try Data(name.utf8).write(to: URL(fileURLWithPath: src + "/" + name))
                #expect(chown(src + "/" + name, uid, gid) == 0)
            }
            let archives: [(String, (DownloadSink) throws -> Void)] = [
                ("tar_out", { try d.client.tarOut(directory: "/owners", tarfile: $0) }),
                ("tar_out numericowner:false", { try d.client.tarOut(directory: "/owners", tarfile: $0, numericowner: false) }),
                ("tar_out numericowner:true", { try d.client.tarOut(directory: "/owners", tarfile: $0, numericowner: true) }),
                ("tar_out compress:gzip", { try d.client.tarOut(directory: "/owners", tarfile: $0, compress: "gzip") }),
                ("tgz_out", { try d.client.tgzOut(directory: "/owners", tarball: $0) }),
                ("txz_out", { try d.client.txzOut(directory: "/owners", tarball: $0) }),
            ]
            for (what, make) in archives {
                let sink = DownloadSink()
                try make(sink)
                // "uname:gname uid/gid name" per member, read by Python's tarfile.
                let script = """
                import sys, tarfile
                with tarfile.open(fileobj=sys.stdin.buffer, mode="r|*") as t:
                    for m in t:
                        print("%s:%s %d/%d %s" % (m.uname, m.gname, m.uid, m.gid, m.name))
                """
                let listing = String(decoding: try hostPipe(["python3", "-c", script], input: Data(sink.bytes)), as: UTF8.self)
                let rows = listing.split(separator: "\n").map(String.init)
                #expect(rows.count == owners.count + 1, "\(what): \(listing)")
                for (name, uid, gid) in owners {
                    #expect(rows.contains(": \(uid)/\(gid) ./\(name)"), "\(what): \(listing)")
                }
                #expect(rows.allSatisfy { $0.hasPrefix(": ") }, "\(what) names owners: \(listing)")
            }
        }
    }

    @Test func cpioOutArchivesTheDirectory() throws {
        try withStandaloneDaemon { d in
            try FileManager.default.createDirectory(atPath: d.sysroot + "/c/d", withIntermediateDirectories: true)
            try Data("cpio!".utf8).write(to: URL(fileURLWithPath: d.sysroot + "/c/d/f"))
            for format in [nil, "crc"] {
                let sink = DownloadSink()
                try d.client.cpioOut(directory: "/c", cpiofile: sink, format: format)
                #expect(sink.bytes.starts(with: Array((format == "crc" ? "070702" : "070701").utf8)))
                let names = String(decoding: try hostPipe(["cpio", "--quiet", "-it"], input: Data(sink.bytes)), as: UTF8.self)
                #expect(Set(names.split(separator: "\n")) == [".", "d", "d/f"])
            }
            #expect(daemonError { try d.client.cpioOut(directory: "/c", cpiofile: DownloadSink(), format: "tar") }?.message == "tar: format must be 'newc' or 'crc'")
            #expect(daemonError { try d.client.cpioOut(directory: "/c/d/f", cpiofile: DownloadSink()) }?.message == "/c/d/f: not a directory")
        }
    }

    @Test func base64InAndOut() throws {
        try withStandaloneDaemon { d in
            let data = transferPattern(10_000)
            let encoded = Data(data).base64EncodedData(options: [.lineLength76Characters, .endLineWithLineFeed])
            try d.client.base64In(base64file: .bytes(Array(encoded)), filename: "/b")
            #expect(FileManager.default.contents(atPath: d.sysroot + "/b") == Data(data))
            let out = DownloadSink()
            try d.client.base64Out(filename: "/b", base64file: out)
            #expect(Data(out.bytes) == encoded + Data("\n".utf8) || Data(out.bytes) == encoded)
            #expect(Data(base64Encoded: Data(out.bytes), options: .ignoreUnknownCharacters) == Data(data))

            #expect(daemonError { try d.client.base64In(base64file: .bytes(Array("!!!notbase64".utf8)), filename: "/bad") }?.message == "base64 subcommand failed on file: /bad")
            #expect(daemonError { try d.client.base64In(base64file: .bytes(Array("aGk=".utf8)), filename: "/no/dir/f") }?.message == "base64 subcommand failed on file: /no/dir/f")
            let missing = daemonError { try d.client.base64Out(filename: "/missing", base64file: DownloadSink()) }
            #expect(missing?.errno == "ENOENT")
            #expect(missing?.message == "stat: /missing: No such file or directory")
        }
    }

    @Test func compressOutAndCompressDeviceOut() throws {
        try withStandaloneDaemon(diskSizesMB: [2]) { d in
            let data = transferPattern(100_000)
            try Data(data).write(to: URL(fileURLWithPath: d.sysroot + "/plain"))
            for (ctype, level, unpack) in [("gzip", nil, "gzip"), ("gzip", 9, "gzip"), ("bzip2", 1, "bzip2"), ("xz", 0, "xz"),
                                           ("zstd", 3, "zstd"), ("lzop", nil, "lzop")] as [(String, Int32?, String)] {
                let sink = DownloadSink()
                try d.client.compressOut(ctype: ctype, file: "/plain", zfile: sink, level: level)
                let back = try hostPipe([unpack, "-dc"], input: Data(sink.bytes))
                #expect(back == Data(data), "\(ctype) level \(level.map(String.init) ?? "default")")
            }
            #expect(daemonError { try d.client.compressOut(ctype: "gzip", file: "/plain", zfile: DownloadSink(), level: 10) }?.message == "gzip: incorrect value for level parameter")
            #expect(daemonError { try d.client.compressOut(ctype: "rar", file: "/plain", zfile: DownloadSink()) }?.message == "unknown compression type")
            #expect(daemonError { try d.client.compressOut(ctype: "gzip", file: "/missing", zfile: DownloadSink()) }?.errno == "ENOENT")

            try d.client.upload(filename: .bytes(data), remotefilename: "/dev/sda")
            let dev = DownloadSink()
            try d.client.compressDeviceOut(ctype: "lzop", device: "/dev/sda", zdevice: dev, level: 1)
            let back = try hostPipe(["lzop", "-dc"], input: Data(dev.bytes))
            #expect(back.count == 2 << 20)
            #expect(back.prefix(data.count) == Data(data))
        }
    }
}

@Suite("copy: copy_*, copy_size, dd", .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"))
struct CopyTests {
    @Test func copyFileToFileWithOffsetsSizeAndAppend() throws {
        try withStandaloneDaemon { d in
            let data = transferPattern(50_000)
            try Data(data).write(to: URL(fileURLWithPath: d.sysroot + "/src"))
            try d.client.copyFileToFile(src: "/src", dest: "/all")
            #expect(FileManager.default.contents(atPath: d.sysroot + "/all") == Data(data))

            try d.client.copyFileToFile(src: "/src", dest: "/part", srcoffset: 100, destoffset: 10, size: 1000)
            let part = FileManager.default.contents(atPath: d.sysroot + "/part")!
            #expect(part.count == 1010)
            #expect(part.prefix(10) == Data(count: 10))
            #expect(part.suffix(1000) == Data(data[100..<1100]))

            try d.client.copyFileToFile(src: "/src", dest: "/part", size: 5, append: true)
            #expect(FileManager.default.contents(atPath: d.sysroot + "/part")?.suffix(5) == Data(data[0..<5]))
            #expect(FileManager.default.contents(atPath: d.sysroot + "/part")?.count == 1015)

            #expect(daemonError { try d.client.copyFileToFile(src: "/src", dest: "/x", srcoffset: -1) }?.message == "srcoffset is negative")
            #expect(daemonError { try d.client.copyFileToFile(src: "/src", dest: "/x", destoffset: -1) }?.message == "destoffset is negative")
            #expect(daemonError { try d.client.copyFileToFile(src: "/src", dest: "/x", size: -1) }?.message == "size is negative")
            let short = daemonError { try d.client.copyFileToFile(src: "/src", dest: "/short", size: 60_000) }
            #expect(short?.message == "/src: input too short")
            #expect(!FileManager.default.fileExists(atPath: d.sysroot + "/short"), "copy_file_to_file removes its destination on failure")
            let missing = daemonError { try d.client.copyFileToFile(src: "/missing", dest: "/x") }
            #expect(missing?.errno == "ENOENT")
            #expect(missing?.message == "/missing: No such file or directory")
        }
    }

    @Test func sparseCopySkipsZeroBlocks() throws {
        try withStandaloneDaemon { d in
            var data = [UInt8](repeating: 0, count: 8 << 20)
            data.replaceSubrange(0..<4, with: [1, 2, 3, 4])
            data.replaceSubrange((4 << 20)..<((4 << 20) + 4), with: [5, 6, 7, 8])
            try Data(data).write(to: URL(fileURLWithPath: d.sysroot + "/src"))
            try d.client.copyFileToFile(src: "/src", dest: "/sparse", sparse: true)
            #expect(FileManager.default.contents(atPath: d.sysroot + "/sparse") == Data(data))
            var st = stat()
            stat(d.sysroot + "/sparse", &st)
            #expect(st.st_size == 8 << 20)
            #expect(st.st_blocks * 512 < 1 << 20, "sparse copy allocated \(st.st_blocks * 512) bytes")
        }
    }

    @Test func copiesBetweenDevicesAndFiles() throws {
        try withStandaloneDaemon(diskSizesMB: [4, 4]) { d in
            let data = transferPattern(1 << 20, seed: 9)
            try d.client.upload(filename: .bytes(data), remotefilename: "/dev/sda")
            try d.client.copyDeviceToDevice(src: "/dev/sda", dest: "/dev/sdb", srcoffset: 512, destoffset: 1024, size: 4096)
            let got = DownloadSink()
            try d.client.downloadOffset(remotefilename: "/dev/sdb", filename: got, offset: 1024, size: 4096)
            #expect(got.bytes == Array(data[512..<4608]))

            try d.client.copyDeviceToFile(src: "/dev/sda", dest: "/whole")
            #expect(FileManager.default.contents(atPath: d.sysroot + "/whole")?.count == 4 << 20)
            #expect(FileManager.default.contents(atPath: d.sysroot + "/whole")?.prefix(data.count) == Data(data))

            try Data([9, 9, 9]).write(to: URL(fileURLWithPath: d.sysroot + "/three"))
            try d.client.copyFileToDevice(src: "/three", dest: "/dev/sdb", destoffset: 10)
            let three = DownloadSink()
            try d.client.downloadOffset(remotefilename: "/dev/sdb", filename: three, offset: 9, size: 5)
            #expect(three.bytes == [0, 9, 9, 9, 0])

            let e = daemonError { try d.client.copyDeviceToDevice(src: "/dev/sda", dest: "/dev/sdb", append: true) }
            #expect(e?.message == "the append flag cannot be set for this call")
            #expect(daemonError { try d.client.copyFileToDevice(src: "/three", dest: "/dev/sdb", append: true) }?.message == "the append flag cannot be set for this call")
            let short = daemonError { try d.client.copyDeviceToDevice(src: "/dev/sda", dest: "/dev/sdb", srcoffset: 4 << 20, size: 1) }
            #expect(short?.message == "/dev/sda: input too short")
        }
    }

    @Test func copySizeAndDd() throws {
        try withStandaloneDaemon(diskSizesMB: [2]) { d in
            let data = transferPattern(30_000)
            try Data(data).write(to: URL(fileURLWithPath: d.sysroot + "/src"))
            try d.client.copySize(src: "/src", dest: "/dev/sda", size: 20_000)
            let got = DownloadSink()
            try d.client.downloadOffset(remotefilename: "/dev/sda", filename: got, offset: 0, size: 20_001)
            #expect(got.bytes == Array(data[0..<20_000]) + [0])
            try d.client.copySize(src: "/dev/sda", dest: "/out", size: 100)
            #expect(FileManager.default.contents(atPath: d.sysroot + "/out") == Data(data[0..<100]))
            #expect(daemonError { try d.client.copySize(src: "/src", dest: "/out2", size: 40_000) }?.message == "/src: input file too short")
            #expect(daemonError { try d.client.copySize(src: "/missing", dest: "/out2", size: 1) }?.errno == "ENOENT")

            try d.client.dd(src: "/src", dest: "/ddcopy")
            #expect(FileManager.default.contents(atPath: d.sysroot + "/ddcopy") == Data(data))
            try d.client.dd(src: "/dev/sda", dest: "/disk")
            #expect(FileManager.default.contents(atPath: d.sysroot + "/disk")?.count == 2 << 20)
            let e = daemonError { try d.client.dd(src: "/missing", dest: "/x") }
            #expect(e?.message.hasPrefix("/missing: /x: dd: failed to open") == true)
        }
    }
}
