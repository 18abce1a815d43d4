import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

/// Helpers for the file tests: the sysroot is a plain directory (nothing is
/// mounted on it), so the test sees what the daemon did directly.
extension StandaloneDaemon {
    func hostPath(_ guest: String) -> String { sysroot + guest }

    func hostWrite(_ guest: String, _ text: String) throws {
        try text.write(toFile: hostPath(guest), atomically: false, encoding: .utf8)
    }

    func hostWrite(_ guest: String, bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: hostPath(guest)))
    }

    func hostRead(_ guest: String) -> [UInt8]? {
        FileManager.default.contents(atPath: hostPath(guest)).map { [UInt8]($0) }
    }

    func hostText(_ guest: String) -> String? {
        hostRead(guest).map { String(decoding: $0, as: UTF8.self) }
    }

    func hostMkdir(_ guest: String) throws {
        try FileManager.default.createDirectory(atPath: hostPath(guest), withIntermediateDirectories: true)
    }

    func hostExists(_ guest: String) -> Bool {
        var st = stat()
        return lstat(hostPath(guest), &st) == 0
    }

    func hostStat(_ guest: String) -> stat? {
        var st = stat()
        return lstat(hostPath(guest), &st) == 0 ? st : nil
    }

    func hostSymlink(_ guest: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: hostPath(guest), withDestinationPath: target)
    }

    func hostReadlink(_ guest: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: hostPath(guest))
    }

    /// A file beside the sysroot (outside it) that must never change.
    func makeCanary() throws -> String {
        let path = directory + "/canary"
        try "canary\n".write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }
}

func canaryIntact(_ path: String) -> Bool {
    (try? String(contentsOfFile: path, encoding: .utf8)) == "canary\n"
}

/// The message of a daemon error.
func daemonMessage(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch GuestfsClientError.daemon(_, let message) {
        return message
    } catch {
        return "not a daemon error: \(error)"
    }
}

@Suite("files: create, remove, links, copy, move", .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"))
struct FilesTests {
    @Test func touchCreatesAndRefusesNonRegularFiles() throws {
        try withStandaloneDaemon { d in
            try d.client.touch(path: "/new")
            #expect(d.hostRead("/new") == [])
            try d.hostWrite("/old", "x")
            var times = [timespec(tv_sec: 100, tv_nsec: 0), timespec(tv_sec: 100, tv_nsec: 0)]
            _ = utimensat(AT_FDCWD, d.hostPath("/old"), &times, 0)
            try d.client.touch(path: "/old")
            #expect(d.hostStat("/old")!.st_mtim.tv_sec > 100)
            try d.hostMkdir("/dir")
            #expect(daemonMessage { try d.client.touch(path: "/dir") } == "/dir: touch can only be used on a regular files")
            #expect(daemonErrno { try d.client.touch(path: "/nodir/x") } == "ENOENT")
        }
    }

    @Test func rmRmFRmdirRmRf() throws {
        try withStandaloneDaemon { d in
            try d.hostWrite("/f", "x")
            try d.hostMkdir("/d/sub")
            try d.hostWrite("/d/sub/g", "y")
            try d.client.rm(path: "/f")
            #expect(!d.hostExists("/f"))
            #expect(daemonErrno { try d.client.rm(path: "/f") } == "ENOENT")
            #expect(daemonMessage { try d.client.rm(path: "/f") } == "/f: No such file or directory")
            #expect(daemonErrno { try d.client.rm(path: "/d") } == "EISDIR")
            try d.client.rmF(path: "/f")  // missing: fine
            #expect(daemonErrno { try d.client.rmF(path: "/d") } == "EISDIR")
            #expect(daemonErrno { try d.client.rmdir(path: "/d") } == "ENOTEMPTY")
            #expect(daemonErrno { try d.client.rmdir(path: "/d/sub/g") } == "ENOTDIR")
            try d.client.rmRf(path: "/d")
            #expect(!d.hostExists("/d"))
            try d.client.rmRf(path: "/nothing")
            #expect(daemonMessage { try d.client.rmRf(path: "/") } == "cannot remove root directory")
            #expect(daemonMessage { try d.client.rmRf(path: "/x/..") }?.hasPrefix("/x/..: rm: refusing to remove '.' or '..' directory") == true)
            try d.hostMkdir("/e")
            try d.client.rmdir(path: "/e")
            #expect(!d.hostExists("/e"))
        }
    }

    @Test func symlinksNeverLeadOutOfTheSysroot() throws {
        try withStandaloneDaemon { d in
            let canary = try d.makeCanary()
            // Links that would reach the canary if followed on the host: an
            // absolute one names the canary's host path, which inside the
            // guest is a path under the sysroot.
            try d.hostSymlink("/abs", to: canary)
            try d.hostSymlink("/rel", to: "../canary")
            try d.hostSymlink("/absdir", to: d.directory)
            try d.hostSymlink("/loop1", to: "/loop2")
            try d.hostSymlink("/loop2", to: "loop1")
            #expect(daemonErrno { try d.client.writeFile(path: "/abs", content: "evil", size: 0) } == "ENOENT")
            #expect(daemonErrno { try d.client.internalWriteAppend(path: "/absdir/canary", content: [1]) } == "ENOENT")
            #expect(daemonErrno { try d.client.chmod(mode: 0o600, path: "/abs") } == "ENOENT")
            #expect(daemonErrno { try d.client.truncate(path: "/abs") } == "ENOENT")
            #expect(daemonErrno { _ = try d.client.ll(directory: "/absdir") } == "ENOENT")
            // ".." stops at the top of the sysroot.
            try d.client.writeFile(path: "/rel", content: "evil", size: 0)
            #expect(d.hostText("/canary") == "evil")
            try d.client.truncate(path: "/../../canary")
            #expect(d.hostText("/canary") == "")
            // Where the guest's view has the absolute target, it is used.
            try d.hostMkdir(d.directory)
            try d.client.writeFile(path: "/abs", content: "inside", size: 0)
            #expect(d.hostText(canary) == "inside")
            try d.client.rmRf(path: "/absdir")
            #expect(!d.hostExists("/absdir") && d.hostExists(canary))
            try d.client.cp(src: "/abs", dest: "/copy")
            #expect(d.hostText("/copy") == "inside")
            try d.client.cpA(src: "/abs", dest: "/copy-a")
            #expect(d.hostReadlink("/copy-a") == canary)
            try d.client.lnSf(target: "x", linkname: "/abs")
            #expect(d.hostReadlink("/abs") == "x")
            #expect(daemonErrno { _ = try d.client.filesize(file: "/loop1") } == "ELOOP")
            #expect(daemonErrno { _ = try d.client.isFile(path: "/loop1", followsymlinks: true) } == "ELOOP")
            #expect(try d.client.isSymlink(path: "/loop1"))
            var st = stat()
            #expect(canaryIntact(canary) && stat(canary, &st) == 0 && st.st_mode & 0o777 == 0o644)
        }
    }

    @Test func everyKindOfCallStaysInsideTheSysroot() throws {
        try withStandaloneDaemon { d in
            let canary = try d.makeCanary()
            let before = try FileManager.default.contentsOfDirectory(atPath: d.directory).sorted()
            // /out names the host directory holding the canary; /up climbs
            // above the top with "..".
            try d.hostSymlink("/out", to: d.directory)
            try d.hostSymlink("/up", to: "../../../..")
            let viaOut = "/out/canary"
            #expect(daemonErrno { _ = try d.client.head(path: viaOut) } == "ENOENT")
            #expect(daemonErrno { _ = try d.client.checksum(csumtype: "md5", path: viaOut) } == "ENOENT")
            #expect(daemonErrno { _ = try d.client.grep(regex: "c", path: viaOut) } == "ENOENT")
            #expect(daemonErrno { _ = try d.client.pread(path: viaOut, count: 6, offset: 0) } == "ENOENT")
            #expect(daemonErrno { _ = try d.client.statns(path: viaOut) } == "ENOENT")
            #expect(daemonErrno { _ = try d.client.getxattrs(path: viaOut) } == "ENOENT")
            #expect(daemonErrno { try d.client.ls0(dir: "/out", filenames: DownloadSink()) } == "ENOENT")
            #expect(daemonErrno { try d.client.find0(directory: "/out", files: DownloadSink()) } == "ENOENT")
            #expect(daemonErrno { try d.client.rm(path: viaOut) } == "ENOENT")
            #expect(daemonErrno { try d.client.mkdir(path: "/out/new") } == "ENOENT")
            #expect(daemonErrno { try d.client.chown(owner: 1, group: 1, path: viaOut) } == "ENOENT")
            #expect(daemonErrno { try d.client.setxattr(xattr: "user.x", val: "1", vallen: 1, path: viaOut) } == "ENOENT")
            #expect(daemonErrno { try d.client.touch(path: "/out/new") } == "ENOENT")
            #expect(daemonErrno { try d.client.fillDir(dir: "/out", nr: 1) } == "ENOENT")
            #expect(daemonErrno { _ = try d.client.mkdtemp(tmpl: "/out/XXXXXX") } == "ENOENT")
            #expect(daemonMessage { try d.client.cp(src: viaOut, dest: "/copy") } != nil)
            #expect(daemonMessage { try d.client.mv(src: viaOut, dest: "/moved") } != nil)
            #expect(daemonMessage { try d.client.lnS(target: "x", linkname: "/out/link") } != nil)
            #expect(try d.client.globExpand(pattern: "/out/*") == [])
            #expect(try d.client.caseSensitivePath(path: "/up/CANARY") == "/up/CANARY")
            #expect(try d.client.realpath(path: "/up") == "/")
            // Through /up everything lands at the sysroot's top.
            try d.client.writeFile(path: "/up/canary", content: "inside", size: 0)
            #expect(d.hostText("/canary") == "inside")
            try d.client.mkdirP(path: "/up/a/b")
            #expect(d.hostStat("/a/b") != nil)
            try d.client.cpA(src: "/up/a", dest: "/up/c")
            #expect(d.hostStat("/c/b") != nil)
            try d.client.rmRf(path: "/up/a")
            #expect(d.hostStat("/a") == nil)
            let ls = DownloadSink()
            try d.client.ls0(dir: "/up", filenames: ls)
            #expect(Set(ls.string.split(separator: "\0").map(String.init)) == ["out", "up", "canary", "c"])
            #expect(canaryIntact(canary))
            #expect(try FileManager.default.contentsOfDirectory(atPath: d.directory).sorted() == before)
        }
    }

    @Test func chmodChownLchownUtimens() throws {
        try withStandaloneDaemon { d in
            try d.hostWrite("/f", "x")
            try d.hostSymlink("/l", to: "/f")
            try d.client.chmod(mode: 0o4751, path: "/f")
            #expect(d.hostStat("/f")!.st_mode & 0o7777 == 0o4751)
            #expect(daemonMessage { try d.client.chmod(mode: -1, path: "/f") } == "/f: mode is negative")
            #expect(daemonMessage { try d.client.chmod(mode: 0o777, path: "/none") } == "/none: 0777: No such file or directory")
            #expect(daemonErrno { try d.client.chmod(mode: 0o777, path: "/none") } == "ENOENT")
            try d.client.chown(owner: 1234, group: 5678, path: "/l")
            #expect(d.hostStat("/f")!.st_uid == 1234 && d.hostStat("/f")!.st_gid == 5678)
            try d.client.lchown(owner: 42, group: 43, path: "/l")
            #expect(d.hostStat("/l")!.st_uid == 42 && d.hostStat("/f")!.st_uid == 1234)
            #expect(daemonMessage { try d.client.chown(owner: 1, group: 1, path: "/none") } == "/none: 1.1: No such file or directory")
            try d.client.utimens(path: "/f", atsecs: 1, atnsecs: 2, mtsecs: 3, mtnsecs: 4)
            let st = d.hostStat("/f")!
            #expect(st.st_atim.tv_sec == 1 && st.st_atim.tv_nsec == 2 && st.st_mtim.tv_sec == 3 && st.st_mtim.tv_nsec == 4)
            // -2 = UTIME_OMIT leaves the time alone; the link itself is changed.
            try d.client.utimens(path: "/l", atsecs: 7, atnsecs: -2, mtsecs: 8, mtnsecs: 0)
            #expect(d.hostStat("/l")!.st_mtim.tv_sec == 8 && d.hostStat("/f")!.st_mtim.tv_sec == 3)
            #expect(daemonMessage { try d.client.utimens(path: "/none", atsecs: 0, atnsecs: 0, mtsecs: 0, mtnsecs: 0) }
                    == "utimensat: /none: No such file or directory")
        }
    }

    @Test func umaskAndGetUmask() throws {
        try withStandaloneDaemon { d in
            #expect(try d.client.getUmask() == 0o22)
            #expect(try d.client.umask(mask: 0o77) == 0o22)
            #expect(try d.client.getUmask() == 0o77)
            try d.client.touch(path: "/f")
            #expect(d.hostStat("/f")!.st_mode & 0o777 == 0o600)
            #expect(daemonMessage { _ = try d.client.umask(mask: -1) } == "037777777777: mask negative or out of range")
            #expect(daemonMessage { _ = try d.client.umask(mask: 0o1000) } == "01000: mask negative or out of range")
        }
    }

    @Test func hardAndSymbolicLinks() throws {
        try withStandaloneDaemon { d in
            try d.hostWrite("/f", "data")
            try d.hostMkdir("/dir")
            try d.client.ln(target: "/f", linkname: "/hard")
            #expect(d.hostStat("/hard")!.st_ino == d.hostStat("/f")!.st_ino)
            #expect(daemonErrno { try d.client.ln(target: "/f", linkname: "/hard") } == "EEXIST")
            #expect(daemonMessage { try d.client.ln(target: "/none", linkname: "/l") } == "link: /none: /l: No such file or directory")
            try d.hostWrite("/g", "other")
            try d.client.lnF(target: "/g", linkname: "/hard")
            #expect(d.hostStat("/hard")!.st_ino == d.hostStat("/g")!.st_ino)
            try d.client.lnS(target: "/f", linkname: "/sym")
            #expect(d.hostReadlink("/sym") == "/f")
            // Into an existing directory: DIR/basename(target).
            try d.client.lnS(target: "/x/target", linkname: "/dir")
            #expect(d.hostReadlink("/dir/target") == "/x/target")
            #expect(daemonMessage { try d.client.lnS(target: "/y", linkname: "/sym") }?
                .hasPrefix("ln -s: /y: /sym: ln: failed to create symbolic link '") == true)
            try d.client.lnSf(target: "/y", linkname: "/sym")
            #expect(d.hostReadlink("/sym") == "/y")
            // As upstream (whose ln looked from the appliance's side): a link
            // with an absolute target is replaced, a relative one to a
            // directory receives the new link.
            try d.hostSymlink("/absdir", to: "/dir")
            try d.client.lnSf(target: "/z", linkname: "/absdir")
            #expect(d.hostReadlink("/absdir") == "/z")
            try d.hostSymlink("/reldir", to: "dir")
            try d.client.lnSf(target: "/w", linkname: "/reldir")
            #expect(d.hostReadlink("/dir/w") == "/w" && d.hostReadlink("/reldir") == "dir")
            try d.client.lnS(target: "-dash", linkname: "/dash")
            #expect(d.hostReadlink("/dash") == "-dash")
            #expect(daemonErrno { try d.client.lnS(target: "/x", linkname: "/none/y") } == "")
        }
    }

    @Test func copyMoveRename() throws {
        try withStandaloneDaemon { d in
            try d.hostWrite("/f", "content")
            try d.hostMkdir("/src/sub")
            try d.hostWrite("/src/sub/g", "g")
            try d.hostSymlink("/src/link", to: "sub/g")
            try d.hostMkdir("/dst")
            try d.client.cp(src: "/f", dest: "/f2")
            #expect(d.hostText("/f2") == "content")
            try d.client.cp(src: "/f", dest: "/dst")
            #expect(d.hostText("/dst/f") == "content")
            #expect(daemonMessage { try d.client.cp(src: "/none", dest: "/x") }?.hasPrefix("cp: cannot stat '") == true)
            #expect(daemonMessage { try d.client.cp(src: "/src", dest: "/x") }?.contains("-r not specified; omitting directory") == true)
            try d.client.cpR(src: "/src", dest: "/dst")
            #expect(d.hostText("/dst/src/sub/g") == "g")
            #expect(d.hostReadlink("/dst/src/link") == "sub/g")
            try d.client.chmod(mode: 0o700, path: "/src/sub")
            try d.client.cpA(src: "/src", dest: "/copy")
            #expect(d.hostStat("/copy/sub")!.st_mode & 0o777 == 0o700)
            #expect(d.hostReadlink("/copy/link") == "sub/g")
            try d.client.mv(src: "/f2", dest: "/dst")
            #expect(d.hostText("/dst/f2") == "content" && !d.hostExists("/f2"))
            try d.client.mv(src: "/copy", dest: "/moved")
            #expect(d.hostText("/moved/sub/g") == "g")
            #expect(daemonMessage { try d.client.mv(src: "/moved", dest: "/moved/sub/x") }?
                .contains("to a subdirectory of itself") == true)
            try d.client.rename(oldpath: "/moved", newpath: "/renamed")
            #expect(d.hostExists("/renamed/sub/g"))
            #expect(daemonMessage { try d.client.rename(oldpath: "/none", newpath: "/x") } == "rename: /none: /x: No such file or directory")
            #expect(daemonErrno { try d.client.rename(oldpath: "/renamed", newpath: "/renamed/sub/q") } == "EINVAL")
        }
    }

    @Test func truncateFallocateWriteAndFill() throws {
        try withStandaloneDaemon { d in
            try d.hostWrite("/f", "0123456789")
            try d.client.truncateSize(path: "/f", size: 4)
            #expect(d.hostText("/f") == "0123")
            try d.client.truncateSize(path: "/f", size: 6)
            #expect(d.hostRead("/f") == Array("0123".utf8) + [0, 0])
            try d.client.truncate(path: "/f")
            #expect(d.hostRead("/f") == [])
            #expect(daemonMessage { try d.client.truncate(path: "/none") } == "open: /none: No such file or directory")
            try d.client.fallocate64(path: "/fa", len: 100_000)
            #expect(d.hostStat("/fa")!.st_size == 100_000 && d.hostStat("/fa")!.st_blocks > 0)
            try d.client.fallocate(path: "/fb", len: 10)
            #expect(d.hostRead("/fb") == [UInt8](repeating: 0, count: 10))
            #expect(daemonMessage { try d.client.fallocate(path: "/fb", len: -1) } == "length < 0")

            try d.client.internalWrite(path: "/w", content: [0, 1, 2, 255])
            #expect(d.hostRead("/w") == [0, 1, 2, 255])
            try d.client.internalWriteAppend(path: "/w", content: [9])
            #expect(d.hostRead("/w") == [0, 1, 2, 255, 9])
            try d.client.internalWrite(path: "/w", content: [])
            #expect(d.hostRead("/w") == [])
            try d.client.writeFile(path: "/wf", content: "hello", size: 0)
            #expect(d.hostText("/wf") == "hello")
            try d.client.writeFile(path: "/wf", content: "hello", size: 2)
            #expect(d.hostText("/wf") == "he")
            #expect(daemonMessage { try d.client.writeFile(path: "/wf", content: "hello", size: 6) }
                    == "size parameter is larger than string content")
            #expect(daemonMessage { try d.client.writeFile(path: "/wf", content: "hello", size: -1) } == "size cannot be negative")

            try d.client.fill(c: 0x41, len: 20_000, path: "/fill")
            #expect(d.hostRead("/fill") == [UInt8](repeating: 0x41, count: 20_000))
            // fill does not truncate: a shorter fill leaves the tail.
            try d.client.fill(c: 0x42, len: 2, path: "/fill")
            #expect(d.hostRead("/fill")!.prefix(3) == [0x42, 0x42, 0x41])
            #expect(daemonMessage { try d.client.fill(c: 256, len: 1, path: "/x") } == "256: byte number must be in range 0..255")
            #expect(daemonMessage { try d.client.fill(c: 1, len: -1, path: "/x") } == "-1: length is < 0")
            try d.client.fillPattern(pattern: "abc", len: 7, path: "/pat")
            #expect(d.hostText("/pat") == "abcabca")
            try d.client.fillPattern(pattern: "0123456789", len: 200_005, path: "/bigpat")
            let big = d.hostRead("/bigpat")!
            #expect(big.count == 200_005 && big[199_999] == UInt8(ascii: "9") && big[200_004] == UInt8(ascii: "4"))
            #expect(daemonMessage { try d.client.fillPattern(pattern: "", len: 1, path: "/x") } == "pattern string must be non-empty")
        }
    }

    @Test func preadAndPwrite() throws {
        try withStandaloneDaemon { d in
            try d.hostWrite("/f", "0123456789")
            #expect(try d.client.pread(path: "/f", count: 3, offset: 2) == Array("234".utf8))
            #expect(try d.client.pread(path: "/f", count: 100, offset: 8) == Array("89".utf8))
            #expect(try d.client.pread(path: "/f", count: 5, offset: 100) == [])
            #expect(daemonMessage { _ = try d.client.pread(path: "/f", count: -1, offset: 0) } == "count is negative")
            #expect(daemonMessage { _ = try d.client.pread(path: "/f", count: 1, offset: -1) } == "offset is negative")
            #expect(daemonMessage { _ = try d.client.pread(path: "/f", count: 4 << 20, offset: 0) }
                    == "/f: count is too large for the protocol, use smaller reads")
            #expect(daemonMessage { _ = try d.client.pread(path: "/none", count: 1, offset: 0) } == "open: /none: No such file or directory")
            #expect(daemonErrno { _ = try d.client.pread(path: "/", count: 1, offset: 0) } == "EISDIR")
            #expect(try d.client.pwrite(path: "/f", content: Array("ab".utf8), offset: 3) == 2)
            #expect(d.hostText("/f") == "012ab56789")
            #expect(try d.client.pwrite(path: "/f", content: Array("z".utf8), offset: 12) == 1)
            #expect(d.hostRead("/f") == Array("012ab56789".utf8) + [0, 0, UInt8(ascii: "z")])
            #expect(daemonMessage { _ = try d.client.pwrite(path: "/f", content: [1], offset: -1) } == "offset is negative")
            #expect(daemonErrno { _ = try d.client.pwrite(path: "/none", content: [1], offset: 0) } == "ENOENT")
        }
    }

    @Test func temporaryNames() throws {
        try withStandaloneDaemon { d in
            try d.hostMkdir("/tmp")
            let dir = try d.client.mkdtemp(tmpl: "/tmp/dirXXXXXX")
            #expect(dir.hasPrefix("/tmp/dir") && dir.count == "/tmp/dirXXXXXX".count && !dir.hasSuffix("XXXXXX"))
            #expect(d.hostStat(dir)!.st_mode & S_IFMT == S_IFDIR)
            #expect(daemonMessage { _ = try d.client.mkdtemp(tmpl: "/tmp/XXXXX") } == "/tmp/XXXXX: Invalid argument")
            #expect(daemonMessage { _ = try d.client.mkdtemp(tmpl: "/none/XXXXXX") } == "/none/XXXXXX: No such file or directory")
            let file = try d.client.mktemp(tmpl: "/tmp/fileXXXXXX")
            #expect(d.hostStat(file)!.st_mode & S_IFMT == S_IFREG && d.hostStat(file)!.st_mode & 0o777 == 0o600)
            let withSuffix = try d.client.mktemp(tmpl: "/tmp/sXXXXXX", suffix: ".txt")
            #expect(withSuffix.hasPrefix("/tmp/s") && withSuffix.hasSuffix(".txt") && d.hostExists(withSuffix))
            #expect(daemonMessage { _ = try d.client.mktemp(tmpl: "/tmp/abc", suffix: ".x") } == "template /tmp/abc must end in X")
            #expect(daemonMessage { _ = try d.client.mktemp(tmpl: "/tmp/XXX", suffix: ".x") } == "/tmp/XXX.x: Invalid argument")
            #expect(daemonErrno { _ = try d.client.mktemp(tmpl: "/none/XXXXXX") } == "ENOENT")
        }
    }

    @Test func deviceNodesAndFifos() throws {
        try withStandaloneDaemon { d in
            try d.client.mkfifo(mode: 0o640, path: "/fifo")
            #expect(d.hostStat("/fifo")!.st_mode & S_IFMT == S_IFIFO)
            #expect(d.hostStat("/fifo")!.st_mode & 0o777 == 0o640)
            try d.client.mknodC(mode: 0o666, devmajor: 1, devminor: 3, path: "/null")
            let null = d.hostStat("/null")!
            #expect(null.st_mode & S_IFMT == S_IFCHR && null.st_rdev == 0x103)
            try d.client.mknodB(mode: 0o600, devmajor: 7, devminor: 0, path: "/blk")
            #expect(d.hostStat("/blk")!.st_mode & S_IFMT == S_IFBLK)
            try d.client.mknod(mode: 0o10644, devmajor: 0, devminor: 0, path: "/fifo2")
            #expect(d.hostStat("/fifo2")!.st_mode & S_IFMT == S_IFIFO)
            #expect(daemonMessage { try d.client.mkfifo(mode: 0o10000, path: "/x") } == "10000: mode must specify only file permission bits")
            #expect(daemonMessage { try d.client.mknod(mode: -1, devmajor: 0, devminor: 0, path: "/x") } == "/x: mode is negative")
            #expect(daemonErrno { try d.client.mkfifo(mode: 0o644, path: "/fifo") } == "EEXIST")
            #expect(try d.client.isFifo(path: "/fifo"))
            #expect(try d.client.isChardev(path: "/null"))
            #expect(try d.client.isBlockdev(path: "/blk"))
            #expect(try !d.client.isChardev(path: "/fifo"))
        }
    }

    @Test func copyAttributesModeOwnershipXattrs() throws {
        try withStandaloneDaemon { d in
            try d.hostWrite("/src", "s")
            try d.hostWrite("/dst", "d")
            chmod(d.hostPath("/src"), 0o751)
            chown(d.hostPath("/src"), 11, 12)
            try host(["setfattr", "-n", "user.k", "-v", "v", d.hostPath("/src")])
            // Nothing given: nothing copied.
            try d.client.copyAttributes(src: "/src", dest: "/dst")
            #expect(d.hostStat("/dst")!.st_mode & 0o777 != 0o751)
            try d.client.copyAttributes(src: "/src", dest: "/dst", mode: true)
            #expect(d.hostStat("/dst")!.st_mode & 0o777 == 0o751 && d.hostStat("/dst")!.st_uid == 0)
            try d.client.copyAttributes(src: "/src", dest: "/dst", all: true, xattributes: false)
            #expect(d.hostStat("/dst")!.st_uid == 11 && d.hostStat("/dst")!.st_gid == 12)
            #expect(try host(["getfattr", "-d", d.hostPath("/dst")]).isEmpty)
            try d.client.copyAttributes(src: "/src", dest: "/dst", all: true)
            #expect(try host(["getfattr", "--only-values", "-n", "user.k", d.hostPath("/dst")]) == "v")
            #expect(daemonMessage { try d.client.copyAttributes(src: "/none", dest: "/dst", all: true) }
                    == "stat: /none: No such file or directory")
        }
    }
}
