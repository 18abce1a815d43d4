import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

/// aug_* against a standalone daemon on a guest tree the test writes; each
/// edit is checked by reading the file back on the host, and the same edits
/// made by Debian's augtool on a copy of the tree must give the same bytes.
@Suite(.enabled(if: StandaloneDaemon.available)) struct AugeasTests {
    static let files: [String: String] = [
        "/etc/hosts": "127.0.0.1 localhost\n::1 localhost ip6-localhost\n",
        "/etc/fstab": "UUID=abcd / ext4 errors=remount-ro 0 1\n/dev/sdb1 none swap sw 0 0\n",
        "/etc/default/grub": "GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n",
        "/etc/ssh/sshd_config": "# comment\nPermitRootLogin no\nPort 22\n",
    ]

    static func writeTree(_ root: String) throws {
        for (path, text) in files {
            let full = root + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: false, encoding: .utf8)
        }
    }

    /// A daemon whose sysroot holds `files`, and its client.
    static func withConfigTree(_ body: (StandaloneDaemon, GuestfsClient) throws -> Void) throws {
        try withStandaloneDaemon { d in
            try writeTree(d.sysroot)
            try body(d, d.client)
        }
    }

    static func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "<missing>" }

    /// The edits of the four files, as augtool commands and as calls.
    static let edits: [(String, String)] = [
        ("/files/etc/hosts/1/ipaddr", "10.0.0.1"),
        ("/files/etc/hosts/01/ipaddr", "192.168.1.10"),
        ("/files/etc/hosts/01/canonical", "server"),
        ("/files/etc/hosts/01/alias[1]", "srv"),
        ("/files/etc/fstab/1/opt[1]/value", "remount-rw"),
        ("/files/etc/fstab/01/spec", "/dev/sdc1"),
        ("/files/etc/fstab/01/file", "/data"),
        ("/files/etc/fstab/01/vfstype", "xfs"),
        ("/files/etc/fstab/01/opt", "defaults"),
        ("/files/etc/fstab/01/dump", "0"),
        ("/files/etc/fstab/01/passno", "2"),
        ("/files/etc/ssh/sshd_config/PermitRootLogin", "yes"),
        ("/files/etc/ssh/sshd_config/PasswordAuthentication", "no"),
        ("/files/etc/default/grub/GRUB_TIMEOUT", "10"),
        ("/files/etc/default/grub/GRUB_CMDLINE_LINUX_DEFAULT", "\"quiet splash\""),
    ]

    @Test func editsOfFourFilesAreSavedAsAugtoolSavesThem() throws {
        try Self.withConfigTree { d, c in
            try c.augInit(root: "/", flags: 0)
            for (path, value) in Self.edits { try c.augSet(augpath: path, val: value) }
            #expect(try c.augRm(augpath: "/files/etc/default/grub/GRUB_DEFAULT") == 1)
            try c.augSave()

            #expect(Self.read(d.sysroot + "/etc/hosts")
                    == "10.0.0.1 localhost\n::1 localhost ip6-localhost\n192.168.1.10\tserver srv\n")
            #expect(Self.read(d.sysroot + "/etc/fstab")
                    == "UUID=abcd / ext4 errors=remount-rw 0 1\n/dev/sdb1 none swap sw 0 0\n/dev/sdc1\t/data\txfs\tdefaults\t0 2\n")
            #expect(Self.read(d.sysroot + "/etc/default/grub") == "GRUB_TIMEOUT=10\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet splash\"\n")
            #expect(Self.read(d.sysroot + "/etc/ssh/sshd_config")
                    == "# comment\nPermitRootLogin yes\nPort 22\nPasswordAuthentication no\n")

            // Debian's augtool, rooted at a copy of the original tree.
            let copy = d.directory + "/augtool-root"
            try Self.writeTree(copy)
            var script = Self.edits.map { "set \($0.0) '\($0.1)'" }
            script += ["rm /files/etc/default/grub/GRUB_DEFAULT", "save"]
            let input = d.directory + "/augtool.txt"
            try script.joined(separator: "\n").appending("\n").write(toFile: input, atomically: false, encoding: .utf8)
            try host(["augtool", "-r", copy, "-f", input])
            for path in Self.files.keys.sorted() {
                #expect(Self.read(d.sysroot + path) == Self.read(copy + path), "\(path)")
            }

            // The saved files are what a fresh load sees.
            try c.augLoad()
            // (the tree keeps the new entry's label "01" until the file changes)
            #expect(try c.augMatch(augpath: "/files/etc/hosts/*[canonical = 'server']") == ["/files/etc/hosts/01"])
            #expect(try c.augGet(augpath: "/files/etc/ssh/sshd_config/PasswordAuthentication") == "no")
            try c.augClose()
        }
    }

    @Test func listingsLabelsVariablesAndTreeEdits() throws {
        try Self.withConfigTree { d, c in
            try c.augInit(root: "/", flags: 0)
            #expect(try c.augMatch(augpath: "/files/etc/hosts/*") == ["/files/etc/hosts/1", "/files/etc/hosts/2"])
            #expect(try c.augMatch(augpath: "/files/etc/fstab/*/file") == ["/files/etc/fstab/1/file", "/files/etc/fstab/2/file"])
            #expect(try c.augMatch(augpath: "/files/etc/nothing/*") == [])
            // aug_ls: the children, sorted bytewise (match order is tree order).
            #expect(try c.augLs(augpath: "/files/etc/hosts/2")
                    == ["/files/etc/hosts/2/alias", "/files/etc/hosts/2/canonical", "/files/etc/hosts/2/ipaddr"])
            #expect(try c.augLs(augpath: "/files/etc/default/grub")
                    == ["/files/etc/default/grub/GRUB_CMDLINE_LINUX_DEFAULT", "/files/etc/default/grub/GRUB_DEFAULT",
                        "/files/etc/default/grub/GRUB_TIMEOUT"])
            #expect(try c.augLs(augpath: "/").contains("/files"))
            #expect(try c.augLabel(augpath: "/files/etc/hosts/1/ipaddr") == "ipaddr")
            #expect(try c.augLabel(augpath: "/files/etc/hosts/2") == "2")

            // Variables: defvar counts the nodes, defnode creates one once.
            #expect(try c.augDefvar(name: "h", expr: "/files/etc/hosts/*") == 2)
            #expect(try c.augMatch(augpath: "$h/ipaddr") == ["/files/etc/hosts/1/ipaddr", "/files/etc/hosts/2/ipaddr"])
            #expect(try c.augDefvar(name: "first", expr: "/files/etc/hosts/1") == 1)
            #expect(try c.augLs(augpath: "$first") == ["/files/etc/hosts/1/canonical", "/files/etc/hosts/1/ipaddr"])
            #expect(try c.augDefvar(name: "h", expr: nil) == 0)
            #expect(try c.augDefnode(name: "n", expr: "/files/etc/hosts/3/ipaddr", val: "192.168.0.1")
                    == GuestfsIntBool(i: 1, b: 1))
            #expect(try c.augDefnode(name: "n", expr: "/files/etc/hosts/3/ipaddr", val: "192.168.0.2")
                    == GuestfsIntBool(i: 1, b: 0))
            #expect(try c.augGet(augpath: "$n") == "192.168.0.1")
            try c.augSet(augpath: "/files/etc/hosts/3/canonical", val: "gw")

            // insert, setm, clear, mv, rm.
            try c.augInsert(augpath: "/files/etc/hosts/1", label: "0", before: true)
            #expect(try c.augLabel(augpath: "/files/etc/hosts/*[1]") == "0")
            #expect(try c.augRm(augpath: "/files/etc/hosts/0") == 1)
            #expect(try c.augSetm(base: "/files/etc/hosts/*", sub: "alias[last()+1]", val: "x") == 3)
            #expect(try c.augSetm(base: "/files/etc/hosts/*/ipaddr[. = '::1']", sub: nil, val: "::2") == 1)
            try c.augClear(augpath: "/files/etc/hosts/1/alias")
            let cleared = daemonError { _ = try c.augGet(augpath: "/files/etc/hosts/1/alias") }
            #expect(cleared?.message == "Augeas returned NULL match")
            try c.augSet(augpath: "/files/etc/hosts/1/alias", val: "lh")
            try c.augMv(src: "/files/etc/hosts/3/alias", dest: "/files/etc/hosts/2/alias[last()+1]")
            #expect(try c.augRm(augpath: "/files/etc/hosts/*/alias[. = 'nope']") == 0)
            try c.augSave()
            #expect(Self.read(d.sysroot + "/etc/hosts") == "127.0.0.1 localhost lh\n::2 localhost ip6-localhost x x\n192.168.0.1\tgw\n")
        }
    }

    @Test func transformLoadsAFileWithAnotherLensAndFlagsAreUpstreams() throws {
        try Self.withConfigTree { d, c in
            try "a=1\nb=2\n".write(toFile: d.sysroot + "/etc/custom.conf", atomically: false, encoding: .utf8)
            // AUG_NO_LOAD (32): nothing under /files until aug_load.
            try c.augInit(root: "/", flags: 32)
            #expect(try c.augMatch(augpath: "/files//*") == [])
            try c.augTransform(lens: "Shellvars", file: "/etc/custom.conf")
            try c.augLoad()
            #expect(try c.augGet(augpath: "/files/etc/custom.conf/b") == "2")
            try c.augSet(augpath: "/files/etc/custom.conf/a", val: "3")
            try c.augTransform(lens: "Shellvars", file: "/etc/custom.conf", remove: true)
            #expect(try c.augMatch(augpath: "/augeas/load/Shellvars/excl[. = '/etc/custom.conf']").count == 1)

            // AUG_SAVE_NEWFILE (2): the edit goes to FILE.augnew.
            try c.augInit(root: "/", flags: 2)
            try c.augSet(augpath: "/files/etc/ssh/sshd_config/Port", val: "2222")
            try c.augSave()
            #expect(Self.read(d.sysroot + "/etc/ssh/sshd_config") == Self.files["/etc/ssh/sshd_config"]!)
            #expect(Self.read(d.sysroot + "/etc/ssh/sshd_config.augnew") == "# comment\nPermitRootLogin no\nPort 2222\n")
            // AUG_SAVE_BACKUP (1): the old file is kept as FILE.augsave.
            try c.augInit(root: "/", flags: 1)
            try c.augSet(augpath: "/files/etc/ssh/sshd_config/Port", val: "2022")
            try c.augSave()
            #expect(Self.read(d.sysroot + "/etc/ssh/sshd_config.augsave") == Self.files["/etc/ssh/sshd_config"]!)
            #expect(Self.read(d.sysroot + "/etc/ssh/sshd_config") == "# comment\nPermitRootLogin no\nPort 2022\n")
        }
    }

    /// A root inside the guest: symlinks on the way are resolved in it.
    @Test func rootIsAGuestPath() throws {
        try withStandaloneDaemon { d in
            let c = d.client
            try Self.writeTree(d.sysroot + "/chroot")
            try FileManager.default.createSymbolicLink(atPath: d.sysroot + "/link", withDestinationPath: "/chroot")
            try c.augInit(root: "/link", flags: 0)
            #expect(try c.augGet(augpath: "/files/etc/hosts/2/canonical") == "localhost")
            try c.augSet(augpath: "/files/etc/hosts/2/canonical", val: "here")
            try c.augSave()
            #expect(Self.read(d.sysroot + "/chroot/etc/hosts") == "127.0.0.1 localhost\n::1 here ip6-localhost\n")
        }
    }

    @Test func errorsReadAsUpstreams() throws {
        // Every call under test is made outside #expect: a closure inside
        // the macro and one outside it in the same function can be given
        // the same symbol (seen with Swift 6.3: the outer one ran the
        // inner one's body).
        try Self.withConfigTree { d, c in
            // Before aug_init, and after aug_close: upstream names its daemon function.
            let early = [daemonError { _ = try c.augGet(augpath: "/files") }, daemonError { try c.augClose() },
                         daemonError { _ = try c.augLs(augpath: "/") }, daemonError { try c.augSave() }]
            for (name, e) in zip(["aug_get", "aug_close", "aug_ls", "aug_save"], early) {
                #expect(e?.errno == "" && e?.message == "do_\(name): you must call 'aug-init' first to initialize Augeas", "\(name)")
            }
            try c.augInit(root: "/", flags: 0)

            // Augeas's message, minor message and details, as upstream joins them.
            let tooMany = daemonError { _ = try c.augGet(augpath: "/files/etc/hosts/*/ipaddr") }
            #expect(tooMany?.message
                    == "aug_get: /files/etc/hosts/*/ipaddr: Too many matches for path expression: There are 2 nodes matching /files/etc/hosts/*/ipaddr")
            let badPath = daemonError { _ = try c.augGet(augpath: "/files/etc/hosts/[") }
            #expect(badPath?.message == "aug_get: /files/etc/hosts/[: Invalid path expression: empty name: /files/etc/hosts/|=|[")
            let setMany = daemonError { try c.augSet(augpath: "/files/etc/hosts/*/ipaddr", val: "1.2.3.4") }
            #expect(setMany?.message == "aug_set: /files/etc/hosts/*/ipaddr: 1.2.3.4: Too many matches for path expression")
            let insertMany = daemonError { try c.augInsert(augpath: "/files/etc/hosts/*", label: "5", before: true) }
            #expect(insertMany?.message == "aug_insert: /files/etc/hosts/*: 5 [before=1]: Too many matches for path expression")
            let noNode = daemonError { _ = try c.augGet(augpath: "/files/etc/nope") }
            #expect(noNode?.message == "no matching node")
            let noLabel = daemonError { _ = try c.augLabel(augpath: "/files/nope") }
            #expect(noLabel?.message == "no matching nodes found")
            let lsEndings = ["/files/etc/hosts/", "/files/etc/hosts]", "/files/etc/hosts*"].map { bad in
                daemonError { _ = try c.augLs(augpath: bad) }?.message
            }
            #expect(lsEndings == Array(repeating: "don't use aug-ls with a path that ends with / ] *", count: 3))
            let badMatch = daemonError { _ = try c.augMatch(augpath: "/files/etc/hosts[") }
            #expect(badMatch?.message == "aug_match: /files/etc/hosts[: Invalid path expression: illegal string literal: /files/etc/hosts[|=|")

            // A tree the lens cannot write: aug_save fails with Augeas's
            // "No error" (upstream's text) and the details under /augeas.
            #expect(try c.augRm(augpath: "/files/etc/hosts/1/canonical") == 1)
            let save = daemonError { try c.augSave() }
            #expect(save?.errno == "" && save?.message == "aug_save: No error")
            #expect(try c.augGet(augpath: "/augeas/files/etc/hosts/error") == "put_failed")
            #expect(try c.augLs(augpath: "/augeas/files/etc/hosts/error")
                    == ["/augeas/files/etc/hosts/error/lens", "/augeas/files/etc/hosts/error/message", "/augeas/files/etc/hosts/error/path"])
            let errorPath = try c.augGet(augpath: "/augeas/files/etc/hosts/error/path")
            // (libaugeas 1.14 writes the file's path twice here)
            #expect(errorPath == "/files/etc/hosts/files/etc/hosts/1")
            #expect(try c.augGet(augpath: "/augeas/files/etc/hosts/error/message").hasPrefix("Failed to match"))
            #expect(Self.read(d.sysroot + "/etc/hosts") == Self.files["/etc/hosts"]!)

            // A new aug_init replaces the handle; aug_close ends it.
            try c.augInit(root: "/", flags: 0)
            #expect(try c.augGet(augpath: "/files/etc/hosts/1/canonical") == "localhost")
            try c.augClose()
            let closed = daemonError { try c.augClose() }
            #expect(closed?.message == "do_aug_close: you must call 'aug-init' first to initialize Augeas")
        }
    }

    /// /etc/hosts in the guest is an absolute symlink to a path that
    /// exists outside the guest (standalone: on the host; in the appliance
    /// it would be the appliance's own file). Upstream's Augeas follows it
    /// out of the guest, reading and saving; here it resolves in the guest.
    @Test func absoluteSymlinksResolveInsideTheGuest() throws {
        let outside = FileManager.default.temporaryDirectory.path + "/aug-outside-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let secret = "10.9.8.7 host-secret\n"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: outside) }
        try secret.write(toFile: outside + "/shadow-of-the-host", atomically: false, encoding: .utf8)
        try Self.withConfigTree { d, c in
            try FileManager.default.removeItem(atPath: d.sysroot + "/etc/hosts")
            try FileManager.default.createSymbolicLink(atPath: d.sysroot + "/etc/hosts",
                                                       withDestinationPath: outside + "/shadow-of-the-host")

            // The target is not in the guest: nothing is loaded for the
            // file (upstream shows the host's line), and a save writes the
            // guest's /etc/hosts (Augeas replaces a dangling link with the
            // file), never the host's file.
            try c.augInit(root: "/", flags: 0)
            let loaded = try c.augMatch(augpath: "/files/etc/hosts/*/canonical")
            #expect(loaded == [])
            #expect(try c.augGet(augpath: "/files/etc/fstab/1/spec") == "UUID=abcd")
            try c.augSet(augpath: "/files/etc/hosts/1/ipaddr", val: "192.0.2.1")
            try c.augSet(augpath: "/files/etc/hosts/1/canonical", val: "written")
            try c.augSave()
            #expect(Self.read(outside + "/shadow-of-the-host") == secret)
            #expect(Self.read(d.sysroot + "/etc/hosts").contains("192.0.2.1"))
            #expect(!FileManager.default.fileExists(atPath: d.sysroot + outside + "/shadow-of-the-host"))

            try FileManager.default.removeItem(atPath: d.sysroot + "/etc/hosts")
            try FileManager.default.createSymbolicLink(atPath: d.sysroot + "/etc/hosts",
                                                       withDestinationPath: outside + "/shadow-of-the-host")
            try FileManager.default.createDirectory(atPath: d.sysroot + outside, withIntermediateDirectories: true)
            // The target in the guest: it is the one read and saved.
            try (Self.files["/etc/hosts"]!).write(toFile: d.sysroot + outside + "/shadow-of-the-host",
                                                 atomically: false, encoding: .utf8)
            // (a fresh handle: aug_load skips a file whose mtime, in
            // seconds, has not changed since it was saved)
            try c.augInit(root: "/", flags: 0)
            let canonical = try c.augMatch(augpath: "/files/etc/hosts/*/canonical").map { try c.augGet(augpath: $0) }
            #expect(canonical == ["localhost", "localhost"])
            try c.augSet(augpath: "/files/etc/hosts/2/canonical", val: "guest-only")
            try c.augSave()
            #expect(Self.read(d.sysroot + outside + "/shadow-of-the-host") == "127.0.0.1 localhost\n::1 guest-only ip6-localhost\n")
            #expect(Self.read(outside + "/shadow-of-the-host") == secret)
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: d.sysroot + "/etc/hosts")
                    == outside + "/shadow-of-the-host")
            // What aug_init shows as its root is upstream's (the appliance path).
            #expect(try c.augGet(augpath: "/augeas/root") == d.sysroot + "/")

            // A root that is itself a symlink to an absolute path: followed
            // inside the guest too.
            try FileManager.default.createDirectory(atPath: outside + "/etc", withIntermediateDirectories: true)
            try secret.write(toFile: outside + "/etc/hosts", atomically: false, encoding: .utf8)
            try FileManager.default.createDirectory(atPath: d.sysroot + outside + "/etc", withIntermediateDirectories: true)
            try (Self.files["/etc/hosts"]!).write(toFile: d.sysroot + outside + "/etc/hosts", atomically: false, encoding: .utf8)
            try FileManager.default.createSymbolicLink(atPath: d.sysroot + "/altroot", withDestinationPath: outside)
            try c.augInit(root: "/altroot", flags: 0)
            let altCanonical = try c.augMatch(augpath: "/files/etc/hosts/*/canonical").map { try c.augGet(augpath: $0) }
            #expect(altCanonical == ["localhost", "localhost"])
        }
    }

    /// The cost of the confinement: aug_load and aug_save hand over to a
    /// thread and chroot; the tree calls run where they are called.
    @Test func callsStayFast() throws {
        try Self.withConfigTree { d, c in
            try c.augInit(root: "/", flags: 0)
            let clock = ContinuousClock()
            let gets = try clock.measure {
                for _ in 0..<500 { _ = try c.augGet(augpath: "/files/etc/hosts/1/canonical") }
            }
            let loads = try clock.measure {
                for i in 0..<50 {
                    try c.augSet(augpath: "/files/etc/ssh/sshd_config/Port", val: "\(1000 + i)")
                    try c.augSave()
                    try c.augLoad()
                }
            }
            print("augeas: aug_get \(gets / 500) a call; aug_set+aug_save+aug_load \(loads / 50) a round")
            #expect(Self.read(d.sysroot + "/etc/ssh/sshd_config") == "# comment\nPermitRootLogin no\nPort 1049\n")
            #expect(gets / 500 < .milliseconds(5))
        }
    }

    /// Two consequences of the confinement that must not show: a lens
    /// module loaded on demand (AUG_NO_MODL_AUTOLOAD) still comes from the
    /// appliance, and an open handle does not keep the guest's filesystem
    /// busy (umount works, then aug_load finds nothing).
    @Test func lensesLoadOnDemandAndAnOpenHandleHoldsNoFilesystem() throws {
        try withMountedFilesystem(sizeMB: 64) { d in
            let c = d.client
            try c.mkdir(path: "/etc")
            try c.writeFile(path: "/etc/custom.conf", content: "a=1\nb=2\n", size: 0)
            try c.augInit(root: "/", flags: 96)
            #expect(try c.augMatch(augpath: "/files//*") == [])
            try c.augTransform(lens: "Shellvars", file: "/etc/custom.conf", remove: nil)
            try c.augLoad()
            #expect(try c.augGet(augpath: "/files/etc/custom.conf/b") == "2")
            try c.augSet(augpath: "/files/etc/custom.conf/a", val: "3")
            try c.augSave()
            try c.umount(pathordevice: "/")
            try c.augLoad()
            #expect(try c.augMatch(augpath: "/files/etc/custom.conf/*") == [])
            try c.mount(mountable: "/dev/sda", mountpoint: "/")
            #expect(try c.head(path: "/etc/custom.conf") == ["a=3", "b=2"])
        }
    }
}
