import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

@Suite("files: content tools, stat and type tests", .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"))
struct FilesContentTests {
    static let twelveLines = (1...12).map { "line \($0)" }.joined(separator: "\n") + "\n"

    @Test func headAndTail() throws {
        try withStandaloneDaemon { d in
            try d.hostWrite("/f", Self.twelveLines)
            try d.hostWrite("/crlf", "a\r\nb\r\n")
            try d.hostMkdir("/dir")
            #expect(try d.client.head(path: "/f") == (1...10).map { "line \($0)" })
            #expect(try d.client.tail(path: "/f") == (3...12).map { "line \($0)" })
            #expect(try d.client.headN(nrlines: 2, path: "/f") == ["line 1", "line 2"])
            #expect(try d.client.headN(nrlines: -10, path: "/f") == ["line 1", "line 2"])
            #expect(try d.client.headN(nrlines: 0, path: "/f") == [])
            #expect(try d.client.tailN(nrlines: 2, path: "/f") == ["line 11", "line 12"])
            // Negative: from line N on (tail -n +N).
            #expect(try d.client.tailN(nrlines: -11, path: "/f") == ["line 11", "line 12"])
            #expect(try d.client.tailN(nrlines: 0, path: "/f") == [])
            #expect(try d.client.head(path: "/crlf") == ["a\r", "b\r"])
            #expect(daemonMessage { _ = try d.client.head(path: "/none") } == "/none: No such file or directory")
            #expect(daemonErrno { _ = try d.client.head(path: "/none") } == "ENOENT")
            #expect(daemonMessage { _ = try d.client.head(path: "/dir") }
                    == "head -n 10: head: error reading 'standard input': Is a directory")
            #expect(daemonMessage { _ = try d.client.tailN(nrlines: 1, path: "/dir") }
                    == "tail -n 1: tail: error reading 'standard input': Is a directory")
            // Output is a C string upstream: it stops at the first NUL.
            try d.hostWrite("/bin", bytes: [0x41, 0x0a, 0x42, 0x00, 0x43, 0x0a])
            #expect(try d.client.head(path: "/bin") == ["A", "B"])
        }
    }

    @Test func wordCounts() throws {
        try withStandaloneDaemon { d in
            try d.hostWrite("/f", "hello world\nsecond line here\n")
            try d.hostMkdir("/dir")
            #expect(try d.client.wcL(path: "/f") == 2)
            #expect(try d.client.wcW(path: "/f") == 5)
            #expect(try d.client.wcC(path: "/f") == 29)
            #expect(daemonMessage { _ = try d.client.wcL(path: "/none") } == "wc -l: /none: No such file or directory")
            #expect(daemonMessage { _ = try d.client.wcL(path: "/dir") } == "wc -l: wc: 'standard input': Is a directory")
        }
    }

    @Test func grepFamily() throws {
        try withStandaloneDaemon { d in
            try d.hostWrite("/f", "Hello\nhello world\nfoo.bar\nfooxbar\n-v\n")
            let gz = d.hostPath("/f.gz")
            try host(["sh", "-c", "gzip -c < \"$0\" > \"$1\"", d.hostPath("/f"), gz])
            #expect(try d.client.grep(regex: "hello", path: "/f") == ["hello world"])
            #expect(try d.client.grep(regex: "hello", path: "/f", insensitive: true) == ["Hello", "hello world"])
            #expect(try d.client.grepi(regex: "HELLO", path: "/f") == ["Hello", "hello world"])
            #expect(try d.client.grep(regex: "foo.bar", path: "/f") == ["foo.bar", "fooxbar"])
            #expect(try d.client.fgrep(pattern: "foo.bar", path: "/f") == ["foo.bar"])
            #expect(try d.client.fgrepi(pattern: "FOO.BAR", path: "/f") == ["foo.bar"])
            #expect(try d.client.egrep(regex: "^(Hello|foo\\.)", path: "/f") == ["Hello", "foo.bar"])
            #expect(try d.client.egrepi(regex: "^(hello$|FOOX)", path: "/f") == ["Hello", "fooxbar"])
            #expect(try d.client.grep(regex: "nomatch", path: "/f") == [])
            // A pattern starting with "-" is a pattern, not an option.
            #expect(try d.client.grep(regex: "-v", path: "/f") == ["-v"])
            #expect(try d.client.zgrep(regex: "hello", path: "/f.gz") == ["hello world"])
            #expect(try d.client.zgrepi(regex: "HELLO", path: "/f.gz") == ["Hello", "hello world"])
            #expect(try d.client.zegrep(regex: "^(Hello|foo\\.)", path: "/f.gz") == ["Hello", "foo.bar"])
            #expect(try d.client.zegrepi(regex: "^(HELLO)$", path: "/f.gz") == ["Hello"])
            #expect(try d.client.zfgrep(pattern: "foo.bar", path: "/f.gz") == ["foo.bar"])
            #expect(try d.client.zfgrepi(pattern: "FOO.BAR", path: "/f.gz") == ["foo.bar"])
            #expect(try d.client.grep(regex: "hello", path: "/f.gz", compressed: true) == ["hello world"])
            #expect(try d.client.zgrep(regex: "hello", path: "/f") == ["hello world"])  // plain files too
            #expect(daemonMessage { _ = try d.client.grep(regex: "x", path: "/f", extended: true, fixed: true) }
                    == "can't use 'extended' and 'fixed' flags at the same time")
            #expect(daemonMessage { _ = try d.client.grep(regex: "[", path: "/f") }?.hasPrefix("[: grep: ") == true)
            #expect(daemonMessage { _ = try d.client.grep(regex: "x", path: "/none") } == "/none: No such file or directory")
            try d.hostMkdir("/dir")
            #expect(daemonMessage { _ = try d.client.grep(regex: "x", path: "/dir") } == "x: grep: (standard input): Is a directory")
        }
    }

    @Test func stringsAndHexdump() throws {
        try withStandaloneDaemon { d in
            try d.hostWrite("/bin", bytes: [0, 1] + Array("hello".utf8) + [0, 0xff] + Array("world\n".utf8) + [0, 0x41, 0x42])
            #expect(try d.client.strings(path: "/bin") == ["hello", "world"])
            try d.hostWrite("/utf16", bytes: Array("wide!".utf8).flatMap { [$0, 0] })
            #expect(try d.client.stringsE(encoding: "l", path: "/utf16") == ["wide!"])
            let bigEndian = try host(["strings", "-a", "-e", "b", d.hostPath("/utf16")])
            #expect(try d.client.stringsE(encoding: "b", path: "/utf16") == bigEndian.split(separator: "\n").map(String.init))
            #expect(daemonMessage { _ = try d.client.stringsE(encoding: "x", path: "/bin") } == "x: invalid encoding")
            #expect(daemonMessage { _ = try d.client.strings(path: "/none") } == "/none: No such file or directory")
            try d.hostWrite("/t", "hello\nworld\n")
            #expect(try d.client.stringsE(encoding: "S", path: "/t") == ["hello", "world"])
            #expect(try d.client.hexdump(path: "/t") == """
                00000000  68 65 6c 6c 6f 0a 77 6f  72 6c 64 0a              |hello.world.|
                0000000c

                """)
            try d.hostWrite("/empty", "")
            #expect(try d.client.hexdump(path: "/empty") == "")
            #expect(daemonErrno { _ = try d.client.hexdump(path: "/none") } == "ENOENT")
        }
    }

    @Test func checksumAndChecksumsOut() throws {
        try withStandaloneDaemon { d in
            try d.hostWrite("/t", "hello\nworld\n")
            try d.hostMkdir("/dir/sub")
            try d.hostMkdir("/empty")
            try d.hostWrite("/dir/a", "hello\n")
            try d.hostWrite("/dir/sub/b", "hello\nworld\n")
            #expect(try d.client.checksum(csumtype: "crc", path: "/t") == "3795442390")
            #expect(try d.client.checksum(csumtype: "md5", path: "/dir/a") == "b1946ac92492d2347c6235b4d2611184")
            #expect(try d.client.checksum(csumtype: "SHA1", path: "/dir/a") == "f572d396fae9206628714fb2ce00f72e94f2258f")
            #expect(try d.client.checksum(csumtype: "sha256", path: "/t")
                    == "4a1e67f2fe1d1cc7b31d0ca2ec441da4778203a036a77da10344c85e24ff0f92")
            for (type, tool) in [("sha224", "sha224sum"), ("sha384", "sha384sum"), ("sha512", "sha512sum")] {
                let expected = String(try host([tool, d.hostPath("/t")]).prefix { $0 != " " })
                #expect(try d.client.checksum(csumtype: type, path: "/t") == expected)
            }
            #expect(daemonMessage { _ = try d.client.checksum(csumtype: "foo", path: "/t") }
                    == "unknown checksum type, expecting crc|md5|sha1|sha224|sha256|sha384|sha512")
            #expect(daemonErrno { _ = try d.client.checksum(csumtype: "foo", path: "/none") } == "ENOENT")
            #expect(daemonMessage { _ = try d.client.checksum(csumtype: "md5", path: "/dir") } == "md5sum: md5sum: -: Is a directory")

            let sums = DownloadSink()
            try d.client.checksumsOut(csumtype: "md5", directory: "/dir", sumsfile: sums)
            let lines = Set(sums.string.split(separator: "\n").map(String.init))
            #expect(lines == ["b1946ac92492d2347c6235b4d2611184  ./a", "0f723ae7f9bf07744445e93ac5595156  ./sub/b"])
            let crc = DownloadSink()
            try d.client.checksumsOut(csumtype: "crc", directory: "/dir/sub", sumsfile: crc)
            #expect(crc.string == "3795442390 12 ./b\n")
            // No files: xargs still runs the tool once on empty input.
            let empty = DownloadSink()
            try d.client.checksumsOut(csumtype: "md5", directory: "/empty", sumsfile: empty)
            #expect(empty.string == "d41d8cd98f00b204e9800998ecf8427e  -\n")
            #expect(daemonMessage { try d.client.checksumsOut(csumtype: "md5", directory: "/t", sumsfile: DownloadSink()) }
                    == "/t: not a directory")
            #expect(daemonMessage { try d.client.checksumsOut(csumtype: "x", directory: "/dir", sumsfile: DownloadSink()) }
                    == "unknown checksum type, expecting crc|md5|sha1|sha224|sha256|sha384|sha512")
            #expect(daemonErrno { try d.client.checksumsOut(csumtype: "md5", directory: "/none", sumsfile: DownloadSink()) } == "ENOENT")
        }
    }

    @Test func equalIsZeroFileZfile() throws {
        try withStandaloneDaemon(diskSizesMB: [8]) { d in
            try d.hostWrite("/a", "same")
            try d.hostWrite("/b", "same")
            try d.hostWrite("/c", "diff")
            try d.hostMkdir("/dir")
            #expect(try d.client.equal(file1: "/a", file2: "/b"))
            #expect(try !d.client.equal(file1: "/a", file2: "/c"))
            #expect(daemonMessage { _ = try d.client.equal(file1: "/none", file2: "/a") } == "")
            #expect(daemonMessage { _ = try d.client.equal(file1: "/dir", file2: "/a") }?.hasSuffix(": Is a directory") == true)

            try d.hostWrite("/zero", bytes: [UInt8](repeating: 0, count: 100_000))
            try d.hostWrite("/notzero", bytes: [UInt8](repeating: 0, count: 99_999) + [1])
            #expect(try d.client.isZero(path: "/zero"))
            #expect(try !d.client.isZero(path: "/notzero"))
            #expect(try d.client.isZero(path: "/dir/../a") == false)
            #expect(daemonMessage { _ = try d.client.isZero(path: "/none") } == "open: /none: No such file or directory")
            #expect(daemonMessage { _ = try d.client.isZero(path: "/dir") } == "read: /dir: Is a directory")

            try d.hostWrite("/text", "hello\nfoo\n")
            try d.hostSymlink("/sym", to: "text")
            try host(["sh", "-c", "gzip -nc < \"$0\" > \"$1\"", d.hostPath("/text"), d.hostPath("/t.gz")])
            try d.client.mkfifo(mode: 0o644, path: "/fifo")
            #expect(try d.client.file(path: "/text") == "ASCII text")
            let gzType = try d.client.file(path: "/t.gz")
            #expect(gzType == "ASCII text (gzip compressed data, from Unix)")
            #expect(try d.client.file(path: "/dir") == "directory")
            #expect(try d.client.file(path: "/sym") == "symbolic link")
            #expect(try d.client.file(path: "/fifo") == "FIFO")
            #expect(daemonMessage { _ = try d.client.file(path: "/none") } == "lstat: /none: No such file or directory")
            #expect(daemonErrno { _ = try d.client.file(path: "/none") } == "ENOENT")
            #expect(try d.client.file(path: "/dev/sda") == "data")
            #expect(try d.client.zfile(meth: "gzip", path: "/t.gz") == "ASCII text")
            #expect(try d.client.zfile(meth: "gzip", path: "/none") == "empty")
            #expect(daemonMessage { _ = try d.client.zfile(meth: "zip", path: "/t.gz") } == "unknown method")
        }
    }

    @Test func existenceAndTypeTests() throws {
        try withStandaloneDaemon { d in
            try d.hostWrite("/f", "x")
            try d.hostMkdir("/dir")
            try d.hostSymlink("/lf", to: "f")
            try d.hostSymlink("/ld", to: "/dir")
            try d.hostSymlink("/dangling", to: "/none")
            #expect(try d.client.exists(path: "/f") && d.client.exists(path: "/dangling"))
            #expect(try !d.client.exists(path: "/none") && !d.client.exists(path: "/f/x"))
            #expect(try d.client.isFile(path: "/f") && !d.client.isFile(path: "/lf"))
            #expect(try d.client.isFile(path: "/lf", followsymlinks: true))
            #expect(try d.client.isDir(path: "/dir") && !d.client.isDir(path: "/ld"))
            #expect(try d.client.isDir(path: "/ld", followsymlinks: true))
            #expect(try !d.client.isDir(path: "/f/x"))
            #expect(try d.client.isSymlink(path: "/lf") && !d.client.isSymlink(path: "/f"))
            #expect(try !d.client.isSocket(path: "/f") && !d.client.isFifo(path: "/none"))
            try host(["python3", "-c", "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", d.hostPath("/sock")])
            try d.hostSymlink("/lsock", to: "sock")
            #expect(try d.client.isSocket(path: "/sock") && !d.client.isSocket(path: "/lsock"))
            #expect(try d.client.isSocket(path: "/lsock", followsymlinks: true))
            #expect(try d.client.file(path: "/sock") == "socket")
            #expect(try !d.client.isBlockdev(path: "/f/x"))
        }
    }

    @Test func statStructsFilesizeStatvfs() throws {
        try withStandaloneDaemon { d in
            try d.hostWrite("/f", "12345")
            try d.hostSymlink("/l", to: "f")
            var times = [timespec(tv_sec: 1, tv_nsec: 2), timespec(tv_sec: 3, tv_nsec: 4)]
            _ = utimensat(AT_FDCWD, d.hostPath("/f"), &times, 0)
            let s = try d.client.statns(path: "/l")
            let h = d.hostStat("/f")!
            #expect(s.stSize == 5 && s.stIno == Int64(h.st_ino) && s.stMode == Int64(h.st_mode))
            #expect(s.stDev == Int64(h.st_dev) && s.stNlink == 1 && s.stBlksize == Int64(h.st_blksize))
            #expect(s.stAtimeSec == 1 && s.stAtimeNsec == 2 && s.stMtimeSec == 3 && s.stMtimeNsec == 4)
            #expect(s.stCtimeSec == Int64(h.st_ctim.tv_sec) && s.stSpare1 == 0)
            let l = try d.client.lstatns(path: "/l")
            #expect(l.stMode & Int64(S_IFMT) == Int64(S_IFLNK) && l.stSize == 1)
            #expect(daemonMessage { _ = try d.client.statns(path: "/none") } == "/none: No such file or directory")
            #expect(daemonErrno { _ = try d.client.lstatns(path: "/none") } == "ENOENT")
            #expect(try d.client.filesize(file: "/l") == 5)
            #expect(daemonMessage { _ = try d.client.filesize(file: "/none") } == "/none: No such file or directory")
            let v = try d.client.statvfs(path: "/")
            var hv = statvfs()
            _ = statvfs(d.sysroot, &hv)
            #expect(v.bsize == Int64(hv.f_bsize) && v.blocks == Int64(hv.f_blocks) && v.namemax == Int64(hv.f_namemax))
            #expect(v.fsid == Int64(bitPattern: UInt64(hv.f_fsid)))
            #expect(daemonMessage { _ = try d.client.statvfs(path: "/f/x") } == "statvfs: /f/x: Not a directory")
        }
    }

    @Test func readlinkAndRealpath() throws {
        try withStandaloneDaemon { d in
            try d.hostTree(["/d/sub": .directory, "/d/a": "", "/abs": .link("/d/sub"), "/rel": .link("d/sub"),
                            "/up": .link("../../../..")])
            #expect(try d.client.readlink(path: "/abs") == "/d/sub")
            #expect(try d.client.readlink(path: "/up") == "../../../..")
            #expect(daemonMessage { _ = try d.client.readlink(path: "/d/a") } == "readlink: /d/a: Invalid argument")
            #expect(daemonErrno { _ = try d.client.readlink(path: "/none") } == "ENOENT")
            #expect(try d.client.realpath(path: "/abs/../a") == "/d/a")
            #expect(try d.client.realpath(path: "/rel/") == "/d/sub")
            #expect(try d.client.realpath(path: "/up") == "/")
            #expect(try d.client.realpath(path: "/") == "/")
            #expect(try d.client.realpath(path: "/../d/./sub/..") == "/d")
            #expect(daemonMessage { _ = try d.client.realpath(path: "/none") } == "realpath: /none: No such file or directory")
            #expect(daemonMessage { _ = try d.client.realpath(path: "/d/a/") } == "realpath: /d/a/: Not a directory")
        }
    }

    /// The same calls on a real filesystem mounted on the sysroot (the
    /// appliance's case): paths resolve through the mount.
    @Test func onAMountedExt4Filesystem() throws {
        try withMountedFilesystem(sizeMB: 32) { d in
            try d.client.mkdirP(path: "/etc/sub")
            try d.client.writeFile(path: "/etc/hosts", content: "127.0.0.1 localhost\n", size: 0)
            try d.client.lnS(target: "/etc", linkname: "/link")
            #expect(try d.client.grep(regex: "localhost", path: "/link/hosts") == ["127.0.0.1 localhost"])
            #expect(try d.client.checksum(csumtype: "md5", path: "/etc/hosts").count == 32)
            let v = try d.client.statvfs(path: "/etc")
            #expect(v.bsize >= 1024 && v.blocks > 0 && v.namemax == 255)
            let root = DownloadSink()
            try d.client.find0(directory: "/", files: root)
            #expect(Set(root.string.split(separator: "\0").map(String.init))
                    == ["lost+found", "etc", "etc/sub", "etc/hosts", "link"])
            try d.client.rmRf(path: "/lost+found")
            try d.client.mklostAndFound(mountpoint: "/")
            #expect(try d.client.isDir(path: "/lost+found"))
            #expect(try d.client.realpath(path: "/link/sub/..") == "/etc")
            #expect(try d.client.ll(directory: "/link").contains(" hosts\n"))
            try d.client.umountAll()
        }
    }
}
