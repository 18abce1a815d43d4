import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

/// NUL-terminated records of a download.
private func records(_ bytes: [UInt8]) -> [String] {
    var out = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    if out.last == "" { out.removeLast() }
    return out
}

@Suite("files: directories and listings", .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"))
struct FilesListingTests {
    @Test func mkdirMkdirPMkdirMode() throws {
        try withStandaloneDaemon { d in
            try d.client.mkdir(path: "/a")
            #expect(d.hostStat("/a")!.st_mode & S_IFMT == S_IFDIR && d.hostStat("/a")!.st_mode & 0o777 == 0o755)
            #expect(daemonMessage { try d.client.mkdir(path: "/a") } == "/a: File exists")
            #expect(daemonErrno { try d.client.mkdir(path: "/none/x") } == "ENOENT")
            try d.client.mkdirMode(path: "/m", mode: 0o700)
            #expect(d.hostStat("/m")!.st_mode & 0o777 == 0o700)
            #expect(daemonMessage { try d.client.mkdirMode(path: "/mm", mode: -1) } == "/mm: mode is negative")
            try d.client.mkdirP(path: "/p/q/r")
            try d.client.mkdirP(path: "/p/q/r")
            try d.client.mkdirP(path: "/p/s/")
            #expect(d.hostStat("/p/q/r") != nil && d.hostStat("/p/s") != nil)
            try d.hostWrite("/p/file", "x")
            #expect(daemonMessage { try d.client.mkdirP(path: "/p/file/x") } == "/p/file/x: Not a directory")
            #expect(daemonErrno { try d.client.mkdirP(path: "/p/file/x") } == "ENOTDIR")
            #expect(daemonMessage { try d.client.mkdirP(path: "/p/file") } == "/p/file: a path element was not a directory")
            // A symlink to a directory is not one for mkdir_p (upstream lstat).
            try d.hostSymlink("/p/link", to: "q")
            #expect(daemonMessage { try d.client.mkdirP(path: "/p/link") } == "/p/link: a path element was not a directory")
        }
    }

    @Test func ls0InReaddirOrderAndReaddirTypes() throws {
        try withStandaloneDaemon { d in
            try d.hostTree(["/d/sub": .directory, "/d/b": "x", "/d/a": "y", "/d/l": .link("a")])
            let sink = DownloadSink()
            try d.client.ls0(dir: "/d", filenames: sink)
            let expected = try FileManager.default.contentsOfDirectory(atPath: d.hostPath("/d"))
            #expect(records(sink.bytes) == expected)  // readdir order, like upstream
            #expect(sink.bytes.last == 0)
            #expect(daemonMessage { try d.client.ls0(dir: "/none", filenames: DownloadSink()) } == "opendir: /none: No such file or directory")
            #expect(daemonErrno { try d.client.ls0(dir: "/d/a", filenames: DownloadSink()) } == "ENOTDIR")

            let entries = try d.client.readdir(dir: "/d")
            var types: [String: Character] = [:]
            for e in entries { types[e.name] = Character(UnicodeScalar(e.ftyp)) }
            #expect(types == [".": "d", "..": "d", "sub": "d", "a": "r", "b": "r", "l": "l"])
            #expect(entries.first { $0.name == "a" }!.ino == Int64(d.hostStat("/d/a")!.st_ino))
            #expect(daemonMessage { _ = try d.client.readdir(dir: "/d/a") } == "opendir: /d/a: Not a directory")
        }
    }

    @Test func llRunsLsOnTheRealPath() throws {
        try withStandaloneDaemon { d in
            try d.hostTree(["/d": .directory, "/d/f": "hello", "/link": .link("d")])
            let expected = try host(["ls", "-lan", d.hostPath("/d")])
            #expect(try d.client.ll(directory: "/d") == expected)
            #expect(try d.client.ll(directory: "/link") == expected)
            #expect(try d.client.ll(directory: "/d/f").hasSuffix(" \(d.hostPath("/d/f"))\n"))
            #expect(daemonMessage { _ = try d.client.ll(directory: "/none") } == "/none: No such file or directory")
            #expect(daemonErrno { _ = try d.client.ll(directory: "/d/f/") } == "ENOTDIR")
            let z = try d.client.llz(directory: "/d")
            #expect(z.contains(" f\n") && z.hasPrefix("total "))
            #expect(expected.contains(" 0 0 "))  // numeric owners, as upstream's appliance shows them
        }
    }

    @Test func find0ListsRelativeNamesAsUpstream() throws {
        try withStandaloneDaemon { d in
            try d.hostTree(["/d/sub": .directory, "/d/a": "", "/d/sub/b": "", "/d/sub/l": .link("/")])
            let sink = DownloadSink()
            try d.client.find0(directory: "/d", files: sink)
            // Upstream strips "/sysroot/d": names under a subdirectory keep
            // their leading slash.
            #expect(Set(records(sink.bytes)) == ["/a", "/sub", "/sub/b", "/sub/l"])
            let root = DownloadSink()
            try d.client.find0(directory: "/", files: root)
            #expect(Set(records(root.bytes)) == ["d", "d/a", "d/sub", "d/sub/b", "d/sub/l"])
            let slash = DownloadSink()
            try d.client.find0(directory: "/d/", files: slash)
            #expect(Set(records(slash.bytes)) == ["a", "sub", "sub/b", "sub/l"])
            #expect(daemonMessage { try d.client.find0(directory: "/d/a", files: DownloadSink()) } == "/d/a: not a directory")
            #expect(daemonErrno { try d.client.find0(directory: "/none", files: DownloadSink()) } == "ENOENT")
            // Many names stream through several chunks.
            try d.hostMkdir("/many")
            for i in 0..<600 { try d.hostWrite("/many/file-with-a-long-name-\(i)", "") }
            let many = DownloadSink()
            try d.client.find0(directory: "/many", files: many)
            #expect(records(many.bytes).count == 600 && many.count > 8192)
        }
    }

    @Test func globExpandInsideTheSysroot() throws {
        try withStandaloneDaemon { d in
            try d.hostMkdir("/d/sub")
            try d.hostWrite("/d/a", "")
            try d.hostWrite("/d/.hidden", "")
            try d.hostWrite("/d/sub/b", "")
            try d.hostSymlink("/d/lnk", to: "/d/sub")
            try d.hostSymlink("/d/out", to: "/")
            #expect(try d.client.globExpand(pattern: "/d/*") == ["/d/a", "/d/lnk/", "/d/out/", "/d/sub/"])
            #expect(try d.client.globExpand(pattern: "/d/*", directoryslash: false) == ["/d/a", "/d/lnk", "/d/out", "/d/sub"])
            #expect(try d.client.globExpand(pattern: "/d/{sub,a}") == ["/d/sub/", "/d/a"])
            // Absolute symlinks are followed inside the sysroot.
            #expect(try d.client.globExpand(pattern: "/d/lnk/*") == ["/d/lnk/b"])
            #expect(try d.client.globExpand(pattern: "/d/out/d/s*") == ["/d/out/d/sub/"])
            #expect(try d.client.globExpand(pattern: "/d/nomatch*") == [])
            #expect(try d.client.globExpand(pattern: "/d/[") == [])
            #expect(try d.client.globExpand(pattern: "/d") == ["/d/"])
        }
    }

    @Test func caseSensitivePathMatchesEachElement() throws {
        try withStandaloneDaemon { d in
            try d.hostMkdir("/Windows/System32")
            try d.hostWrite("/Windows/System32/Config.sys", "")
            try d.hostSymlink("/lnk", to: "Windows")
            #expect(try d.client.caseSensitivePath(path: "/windows/system32/config.SYS") == "/Windows/System32/Config.sys")
            #expect(try d.client.caseSensitivePath(path: "/WINDOWS/system32/newfile") == "/Windows/System32/newfile")
            #expect(try d.client.caseSensitivePath(path: "/LNK/SYSTEM32") == "/lnk/System32")
            #expect(try d.client.caseSensitivePath(path: "/") == "/")
            #expect(try d.client.caseSensitivePath(path: "//windows//") == "/Windows")
            #expect(daemonMessage { _ = try d.client.caseSensitivePath(path: "/nope/x") } == "nope: not found")
            #expect(daemonMessage { _ = try d.client.caseSensitivePath(path: "/windows/..") } == "path contains \".\" or \"..\" elements")
            #expect(daemonMessage { _ = try d.client.caseSensitivePath(path: "/windows/./x") } == ".: not found")
            #expect(daemonMessage { _ = try d.client.caseSensitivePath(path: "/windows/system32/config.sys/x") }
                    == "chdir: Config.sys: Not a directory")
            #expect(daemonErrno { _ = try d.client.caseSensitivePath(path: "/windows/system32/config.sys/x") } == "ENOTDIR")
        }
    }

    @Test func duFillDirAndLostAndFound() throws {
        try withStandaloneDaemon { d in
            try d.hostMkdir("/d")
            try d.client.fillDir(dir: "/d", nr: 12)
            let names = try FileManager.default.contentsOfDirectory(atPath: d.hostPath("/d")).sorted()
            #expect(names.count == 12 && names.first == "00000000" && names.last == "00000011")
            #expect(daemonMessage { try d.client.fillDir(dir: "/none", nr: 1) } == "create: /none/00000000: No such file or directory")
            try d.hostWrite("/d/big", String(repeating: "x", count: 300_000))
            let expected = Int64(try host(["du", "-s", d.hostPath("/d")]).prefix { $0.isNumber })!
            #expect(try d.client.du(path: "/d") == expected && expected >= 292)
            #expect(daemonMessage { _ = try d.client.du(path: "/none") }?.hasPrefix("/none: du: cannot access '") == true)
            try d.client.mklostAndFound(mountpoint: "/d")
            #expect(d.hostStat("/d/lost+found")!.st_mode & S_IFMT == S_IFDIR)
            #expect(daemonMessage { try d.client.mklostAndFound(mountpoint: "/none") }?.hasSuffix("/none && mklost+found: command failed") == true)
        }
    }

    @Test func internalListsForTheLibrary() throws {
        try withStandaloneDaemon { d in
            try d.hostMkdir("/d")
            try d.hostWrite("/d/f", "12345")
            try d.hostSymlink("/d/l", to: "f")
            try host(["setfattr", "-n", "user.b", "-v", "2", d.hostPath("/d/f")])
            try host(["setfattr", "-n", "user.a", "-v", "1", d.hostPath("/d/f")])
            let stats = try d.client.internalLstatnslist(path: "/d", names: ["f", "l", "none"])
            #expect(stats.count == 3)
            #expect(stats[0].stSize == 5 && stats[0].stMode & Int64(S_IFMT) == Int64(S_IFREG))
            #expect(stats[1].stMode & Int64(S_IFMT) == Int64(S_IFLNK))
            #expect(stats[2].stIno == -1)
            #expect(daemonMessage { _ = try d.client.internalLstatnslist(path: "/d", names: ["a/b"]) }
                    == "internal_lstatnslist_stub: 'a/b' is not a file name")
            #expect(daemonErrno { _ = try d.client.internalLstatnslist(path: "/none", names: ["a"]) } == "ENOENT")
            // ".." of the top is the top itself, never the host's directory.
            let top = try d.client.internalLstatnslist(path: "/", names: [".."])
            #expect(top[0].stIno == Int64(d.hostStat("/")!.st_ino))

            #expect(try d.client.internalReadlinklist(path: "/d", names: ["l", "f", "none"]) == ["f", "", ""])
            #expect(daemonMessage { _ = try d.client.internalReadlinklist(path: "/none", names: ["a"]) }
                    == "open: /none: No such file or directory")

            let x = try d.client.internalLxattrlist(path: "/d", names: ["f", "none", "l"])
            #expect(x.map(\.attrname) == ["", "user.a", "user.b", "", ""])
            #expect(x[0].attrval == Array("2".utf8) + [0])
            #expect(x[1].attrval == Array("1".utf8) && x[2].attrval == Array("2".utf8))
            #expect(x[3].attrval == [])  // cannot be listed
            #expect(x[4].attrval == Array("0".utf8) + [0])  // the link itself has none
        }
    }
}
