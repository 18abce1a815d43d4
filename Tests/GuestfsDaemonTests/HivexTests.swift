import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

/// hivexregedit (Debian's libwin-hivex-perl, installed by scripts/setup).
let hivexToolsPresent = FileManager.default.isExecutableFile(atPath: "/usr/bin/hivexregedit")

/// hivex_* against a standalone daemon. The hives are made on the host from
/// .reg text (Tests/hivex/make-hive: a minimal hive, then Debian's
/// `hivexregedit --merge`), and every change is read back on the host with
/// `hivexregedit --export`, independently of the daemon.
@Suite(.enabled(if: StandaloneDaemon.available && hivexToolsPresent)) struct HivexTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    static let makeHive = repoRoot + "/Tests/hivex/make-hive"

    static let software = """
        Windows Registry Editor Version 5.00

        [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft]

        [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT]

        [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]
        @="default"
        "ProductName"="Windows Test"
        "CurrentBuild"=dword:00001db0
        "Blob"=hex:01,02,03
        "Paths"=hex(7):61,00,00,00,62,00,00,00,00,00

        [HKEY_LOCAL_MACHINE\\SOFTWARE\\Empty]

        """

    /// Writes a hive made from `reg` at `path` (a host path).
    static func makeHive(at path: String, reg: String = software) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        let regFile = path + ".reg"
        try reg.write(toFile: regFile, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: regFile) }
        try host([makeHive, path, regFile])
    }

    /// The hive's keys and values as hivexregedit prints them.
    static func export(_ path: String) throws -> String {
        try host(["hivexregedit", "--export", "--prefix", "HKEY_LOCAL_MACHINE\\SOFTWARE", path, "\\"])
    }

    static func utf16z(_ s: String) -> [UInt8] {
        (s.utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }) + [0, 0]
    }

    static let config = "/Windows/System32/config"

    @Test func keysAndValuesAreRead() throws {
        try withStandaloneDaemon { d in
            let c = d.client
            try Self.makeHive(at: d.sysroot + Self.config + "/SOFTWARE")
            try c.hivexOpen(filename: Self.config + "/SOFTWARE")
            let root = try c.hivexRoot()
            #expect(try c.hivexNodeName(nodeh: root) == "ROOT")
            let children = try c.hivexNodeChildren(nodeh: root).map(\.hivexNodeH)
            #expect(try children.map { try c.hivexNodeName(nodeh: $0) }.sorted() == ["Empty", "Microsoft"])
            let microsoft = try c.hivexNodeGetChild(nodeh: root, name: "microsoft")  // names are case-insensitive
            #expect(children.contains(microsoft))
            #expect(try c.hivexNodeParent(nodeh: microsoft) == root)
            #expect(try c.hivexNodeGetChild(nodeh: root, name: "Nope") == 0)
            let current = try c.hivexNodeGetChild(nodeh: try c.hivexNodeGetChild(nodeh: microsoft, name: "Windows NT"),
                                                  name: "CurrentVersion")
            #expect(try c.hivexNodeChildren(nodeh: current) == [])

            var byKey: [String: Int64] = [:]
            for v in try c.hivexNodeValues(nodeh: current) { byKey[try c.hivexValueKey(valueh: v.hivexValueH)] = v.hivexValueH }
            #expect(byKey.keys.sorted() == ["", "Blob", "CurrentBuild", "Paths", "ProductName"])
            let name = try c.hivexNodeGetValue(nodeh: current, key: "ProductName")
            #expect(name == byKey["ProductName"])
            #expect(try c.hivexNodeGetValue(nodeh: current, key: "Nope") == 0)
            #expect(try c.hivexValueType(valueh: name) == 1)
            #expect(try c.hivexValueValue(valueh: name) == Self.utf16z("Windows Test"))
            #expect(try c.hivexValueString(valueh: name) == "Windows Test")
            #expect(try c.hivexValueUtf8(valueh: name) == "Windows Test")
            #expect(try c.hivexValueString(valueh: byKey[""]!) == "default")
            #expect(try c.hivexValueType(valueh: byKey["CurrentBuild"]!) == 4)
            #expect(try c.hivexValueValue(valueh: byKey["CurrentBuild"]!) == [0xb0, 0x1d, 0, 0])
            #expect(try c.hivexValueType(valueh: byKey["Blob"]!) == 3)
            #expect(try c.hivexValueValue(valueh: byKey["Blob"]!) == [1, 2, 3])
            #expect(try c.hivexValueType(valueh: byKey["Paths"]!) == 7)

            // Errors: libhivex's errno, as upstream words it.
            let noParent = daemonError { _ = try c.hivexNodeParent(nodeh: root) }
            #expect(noParent?.errno == "EFAULT" && noParent?.message == "failed: Bad address")
            let badNode = daemonError { _ = try c.hivexNodeName(nodeh: 12345) }
            #expect(badNode?.errno == "EINVAL" && badNode?.message == "failed: Invalid argument")
            let negative = daemonError { _ = try c.hivexNodeChildren(nodeh: -8) }
            #expect(negative?.errno == "EINVAL")
            let valueAsNode = daemonError { _ = try c.hivexNodeValues(nodeh: name) }
            #expect(valueAsNode?.errno == "EINVAL")
            let dwordAsString = daemonError { _ = try c.hivexValueString(valueh: byKey["CurrentBuild"]!) }
            #expect(dwordAsString?.errno == "EINVAL" && dwordAsString?.message == "failed: Invalid argument")
            let readOnly = daemonError { _ = try c.hivexNodeAddChild(parent: root, name: "New") }
            #expect(readOnly?.errno == "EROFS" && readOnly?.message == "failed: Read-only file system")
            let commitReadOnly = daemonError { try c.hivexCommit(filename: nil) }
            #expect(commitReadOnly?.errno == "EROFS" && commitReadOnly?.message == "commit failed: Read-only file system")

            try c.hivexClose()
            let closed = [daemonError { _ = try c.hivexRoot() }, daemonError { try c.hivexClose() },
                          daemonError { _ = try c.hivexValueUtf8(valueh: name) }, daemonError { try c.hivexCommit(filename: nil) }]
            // The deprecated hivex_value_utf8 runs hivex_value_string's code upstream.
            #expect(closed.map { $0?.message } == ["do_hivex_root", "do_hivex_close", "do_hivex_value_string", "do_hivex_commit"]
                        .map { "\($0): you must call 'hivex-open' first to initialize the hivex handle" })
        }
    }

    @Test func openErrors() throws {
        try withStandaloneDaemon { d in
            let c = d.client
            let missing = daemonError { try c.hivexOpen(filename: "/nope") }
            #expect(missing?.errno == "ENOENT" && missing?.message == "hivex failed to open /nope: No such file or directory")
            try "not a hive".write(toFile: d.sysroot + "/small", atomically: false, encoding: .utf8)
            let small = daemonError { try c.hivexOpen(filename: "/small") }
            #expect(small?.errno == "EINVAL" && small?.message == "hivex failed to open /small: Invalid argument")
            try Data(repeating: 0x41, count: 16384).write(to: URL(fileURLWithPath: d.sysroot + "/big"))
            let notHive = daemonError { try c.hivexOpen(filename: "/big") }
            #expect(notHive?.errno == "ENOTSUP" && notHive?.message == "hivex failed to open /big: Operation not supported")
            try FileManager.default.createSymbolicLink(atPath: d.sysroot + "/loop", withDestinationPath: "/loop")
            let loop = daemonError { try c.hivexOpen(filename: "/loop") }
            #expect(loop?.errno == "ELOOP" && loop?.message == "hivex failed to open /loop: Too many levels of symbolic links")
            // A failed open leaves no handle behind.
            let noHandle = daemonError { _ = try c.hivexRoot() }
            #expect(noHandle?.message.hasPrefix("do_hivex_root: you must call") == true)
        }
    }

    @Test func changesAreCommittedAndReadBackOnTheHost() throws {
        try withStandaloneDaemon { d in
            let c = d.client
            let hostHive = d.sysroot + Self.config + "/SOFTWARE"
            try Self.makeHive(at: hostHive)
            #expect(chmod(hostHive, 0o640) == 0 && chown(hostHive, 12, 34) == 0)
            try c.hivexOpen(filename: Self.config + "/SOFTWARE", verbose: false, debug: false, write: true)
            let root = try c.hivexRoot()
            let added = try c.hivexNodeAddChild(parent: root, name: "Added")
            #expect(try c.hivexNodeName(nodeh: added) == "Added")
            try c.hivexNodeSetValue(nodeh: added, key: "Greeting", t: 1, val: Self.utf16z("héllo"))
            try c.hivexNodeSetValue(nodeh: added, key: "Count", t: 4, val: [42, 0, 0, 0])
            try c.hivexNodeSetValue(nodeh: added, key: "", t: 3, val: [])
            let empty = try c.hivexNodeGetChild(nodeh: root, name: "Empty")
            try c.hivexNodeDeleteChild(nodeh: empty)
            let current = try c.hivexNodeGetChild(nodeh: try c.hivexNodeGetChild(nodeh: try c.hivexNodeGetChild(
                nodeh: root, name: "Microsoft"), name: "Windows NT"), name: "CurrentVersion")
            try c.hivexNodeSetValue(nodeh: current, key: "ProductName", t: 1, val: Self.utf16z("Windows Changed"))
            let deleteRoot = daemonError { try c.hivexNodeDeleteChild(nodeh: root) }
            #expect(deleteRoot?.errno == "EINVAL" && deleteRoot?.message == "failed: Invalid argument")
            // Nothing reaches the file before the commit.
            #expect(try Self.export(hostHive).contains("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Empty]"))
            try c.hivexCommit(filename: nil)

            #expect(try Self.export(hostHive) == """
                Windows Registry Editor Version 5.00

                [HKEY_LOCAL_MACHINE\\SOFTWARE\\]

                [HKEY_LOCAL_MACHINE\\SOFTWARE\\Added]
                @=hex(3):
                "Count"=dword:0000002a
                "Greeting"=hex(1):68,00,e9,00,6c,00,6c,00,6f,00,00,00

                [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft]

                [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT]

                [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]
                @=hex(1):64,00,65,00,66,00,61,00,75,00,6c,00,74,00,00,00
                "Blob"=hex(3):01,02,03
                "CurrentBuild"=dword:00001db0
                "Paths"=hex(7):61,00,00,00,62,00,00,00,00,00
                "ProductName"=hex(1):57,00,69,00,6e,00,64,00,6f,00,77,00,73,00,20,00,43,00,68,00,61,00,6e,00,67,00,65,00,64,00,00,00


                """)
            // Replaced by rename: same mode and owner, no temporary file left.
            var st = stat()
            #expect(stat(hostHive, &st) == 0 && st.st_mode & 0o7777 == 0o640 && st.st_uid == 12 && st.st_gid == 34)
            #expect(try FileManager.default.contentsOfDirectory(atPath: d.sysroot + Self.config) == ["SOFTWARE"])

            // To another guest path: a new file (0666 less the umask), the
            // open hive's own file untouched by it.
            let before = try Data(contentsOf: URL(fileURLWithPath: hostHive))
            try c.hivexNodeSetValue(nodeh: added, key: "Count", t: 4, val: [43, 0, 0, 0])
            try c.hivexCommit(filename: "/copy.hive")
            #expect(try Self.export(d.sysroot + "/copy.hive").contains("\"Count\"=dword:0000002b"))
            #expect(stat(d.sysroot + "/copy.hive", &st) == 0 && st.st_mode & 0o7777 == 0o644)
            #expect(try Data(contentsOf: URL(fileURLWithPath: hostHive)) == before)

            let relative = daemonError { try c.hivexCommit(filename: "copy.hive") }
            #expect(relative?.message == "do_hivex_commit: path must start with a / character")
            let noDir = daemonError { try c.hivexCommit(filename: "/nodir/copy.hive") }
            #expect(noDir?.errno == "ENOENT" && noDir?.message == "/nodir/copy.hive: commit failed: No such file or directory")
            try FileManager.default.createSymbolicLink(atPath: d.sysroot + "/loop", withDestinationPath: "/loop")
            let loop = daemonError { try c.hivexCommit(filename: "/loop") }
            #expect(loop?.errno == "ELOOP" && loop?.message == "/loop: commit failed: Too many levels of symbolic links")
            let onDir = daemonError { try c.hivexCommit(filename: "/Windows") }
            #expect(onDir?.errno == "EISDIR" && onDir?.message == "/Windows: commit failed: Is a directory")
            #expect(try FileManager.default.contentsOfDirectory(atPath: d.sysroot).sorted() == ["Windows", "copy.hive", "loop"])
            try c.hivexClose()
        }
    }

    /// Guest paths resolve inside the guest: an absolute symlink in the
    /// guest points into the guest, and a commit replaces the file the
    /// link names, leaving the link itself. (Upstream opens /sysroot/PATH
    /// and follows such a link into the appliance's own root: measured, a
    /// commit to an absolute self-link `/loop -> /loop` reported success and
    /// wrote the hive to the appliance's /loop.)
    @Test func pathsResolveInsideTheGuest() throws {
        try withStandaloneDaemon { d in
            let c = d.client
            try Self.makeHive(at: d.sysroot + "/real/SYSTEM")
            try FileManager.default.createSymbolicLink(atPath: d.sysroot + "/link", withDestinationPath: "/real/SYSTEM")
            try c.hivexOpen(filename: "/link", write: true)
            _ = try c.hivexNodeAddChild(parent: try c.hivexRoot(), name: "ViaLink")
            try c.hivexCommit(filename: nil)
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: d.sysroot + "/link") == "/real/SYSTEM")
            #expect(try Self.export(d.sysroot + "/real/SYSTEM").contains("[HKEY_LOCAL_MACHINE\\SOFTWARE\\ViaLink]"))
            // A commit to a path through the link lands in the guest too.
            try FileManager.default.createSymbolicLink(atPath: d.sysroot + "/out", withDestinationPath: "/real")
            try c.hivexCommit(filename: "/out/SYSTEM.new")
            #expect(try Self.export(d.sysroot + "/real/SYSTEM.new").contains("ViaLink"))
        }
    }

    /// A commit that cannot be written (the filesystem is full) fails with
    /// the errno and leaves the hive on disk as it was, with no temporary
    /// file behind.
    @Test func failedCommitLeavesTheHiveWhole() throws {
        try withMountedFilesystem(sizeMB: 8) { d in
            let c = d.client
            let local = d.directory + "/SOFTWARE"
            try Self.makeHive(at: local)
            let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: local)))
            try c.mkdirP(path: "/config")
            try c.upload(filename: .file(local), remotefilename: "/config/SOFTWARE")
            try c.hivexOpen(filename: "/config/SOFTWARE", write: true)
            let root = try c.hivexRoot()
            // A value bigger than the free space left below.
            try c.hivexNodeSetValue(nodeh: root, key: "Big", t: 3, val: [UInt8](repeating: 7, count: 256 * 1024))
            // Fill the filesystem.
            var n = 0
            while daemonError({ try c.fallocate64(path: "/fill\(n)", len: 1 << 20) }) == nil { n += 1 }
            while daemonError({ try c.fallocate64(path: "/fill\(n)", len: 4096) }) == nil { n += 1 }

            let full = daemonError { try c.hivexCommit(filename: nil) }
            #expect(full?.errno == "ENOSPC" && full?.message == "commit failed: No space left on device")
            let back = DownloadSink()
            try c.download(remotefilename: "/config/SOFTWARE", filename: back)
            let unchanged = back.bytes == original  // (upstream's in-place write leaves it empty here)
            #expect(unchanged, "the hive now has \(back.bytes.count) bytes, it had \(original.count)")
            let names = DownloadSink()
            try c.ls0(dir: "/config", filenames: names)
            #expect(String(decoding: names.bytes, as: UTF8.self) == "SOFTWARE\0")

            // With room again the same handle commits.
            for i in 0...n { try? c.rmF(path: "/fill\(i)") }
            try c.hivexCommit(filename: nil)
            let after = DownloadSink()
            try c.download(remotefilename: "/config/SOFTWARE", filename: after)
            #expect(after.bytes.count > 256 * 1024 && after.bytes.count != original.count)
            try c.hivexClose()
            try c.umountAll()
        }
    }
}
