import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

/// Puts a static busybox in the sysroot with the applets the tests use.
func installBusybox(in sysroot: String) throws {
    let fm = FileManager.default
    try fm.createDirectory(atPath: sysroot + "/bin", withIntermediateDirectories: true)
    try fm.copyItem(atPath: "/bin/busybox", toPath: sysroot + "/bin/busybox")
    for applet in ["sh", "echo", "cat", "ls", "false", "printf", "pwd"] {
        try fm.createSymbolicLink(atPath: sysroot + "/bin/" + applet, withDestinationPath: "busybox")
    }
}

@Suite("commands: command, sh, dmesg, utsname, initrd, ...", .enabled(if: StandaloneDaemon.available && FileManager.default.fileExists(atPath: "/bin/busybox"), "needs root, unshare, losetup, busybox-static"))
struct CommandsTests {
    @Test func commandRunsChrootedInTheSysroot() throws {
        try withStandaloneDaemon { d in
            try installBusybox(in: d.sysroot)
            #expect(try d.client.command(arguments: ["/bin/echo", "hello", "world"]) == "hello world\n")
            // PATH is searched inside the chroot, and the cwd is its root.
            #expect(try d.client.command(arguments: ["pwd"]) == "/\n")
            #expect(try d.client.commandLines(arguments: ["printf", "a\\n\\nb\\n"]) == ["a", "", "b"])
            #expect(try d.client.commandLines(arguments: ["printf", "x\\ny"]) == ["x", "y"])
            #expect(try d.client.commandLines(arguments: ["printf", ""]) == [])
            // The guest's root is /: files the command writes land in the sysroot.
            _ = try d.client.sh(command: "echo made-inside > /made; ls /")
            #expect(FileManager.default.contents(atPath: d.sysroot + "/made") == Data("made-inside\n".utf8))
            #expect(try d.client.sh(command: "cat /made") == "made-inside\n")
            #expect(try d.client.shLines(command: "echo one; echo two") == ["one", "two"])
        }
    }

    @Test func failingCommandsReportTheirStderr() throws {
        try withStandaloneDaemon { d in
            try installBusybox(in: d.sysroot)
            let e = daemonError { _ = try d.client.sh(command: "echo some output; echo it broke >&2; exit 3") }
            #expect(e?.message == "it broke")
            #expect(e?.errno == "")
            // Nothing on stderr: an empty message, as upstream.
            #expect(daemonError { _ = try d.client.command(arguments: ["false"]) }?.message == "")
            let missing = daemonError { _ = try d.client.command(arguments: ["no-such-program", "x"]) }
            #expect(missing?.message == "no-such-program: No such file or directory")
            #expect(daemonError { _ = try d.client.command(arguments: []) }?.message == "passed an empty list")
            try d.client.pingDaemon()
        }
    }

    /// --network (guestfs_network=1 in the appliance): commands see the
    /// appliance's /etc/resolv.conf, read-only, and the guest's own file
    /// (or its absence) is as it was afterwards.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/etc/resolv.conf"), "needs the host's /etc/resolv.conf"))
    func networkCommandsSeeTheAppliancesResolver() throws {
        let appliance = try #require(FileManager.default.contents(atPath: "/etc/resolv.conf"))
        let d = try StandaloneDaemon(extraArguments: ["--network"])
        defer { d.stop() }
        try installBusybox(in: d.sysroot)
        let etc = d.sysroot + "/etc"
        try FileManager.default.createDirectory(atPath: etc, withIntermediateDirectories: true)
        // No resolv.conf in the guest: one is there while the command runs,
        // and gone after.
        #expect(try d.client.command(arguments: ["cat", "/etc/resolv.conf"]) == String(decoding: appliance, as: UTF8.self))
        #expect(!FileManager.default.fileExists(atPath: etc + "/resolv.conf"))
        // The guest's own file is covered, not written: a write fails, and
        // its bytes are the same afterwards.
        let own = Data("nameserver 192.0.2.53\n".utf8)
        #expect(FileManager.default.createFile(atPath: etc + "/resolv.conf", contents: own))
        #expect(try d.client.sh(command: "cat /etc/resolv.conf") == String(decoding: appliance, as: UTF8.self))
        #expect(daemonError { _ = try d.client.sh(command: "echo x > /etc/resolv.conf") } != nil)
        #expect(FileManager.default.contents(atPath: etc + "/resolv.conf") == own)
        // A symlink (Ubuntu's into /run) is followed inside the guest; its
        // target is made for the command and removed after.
        try FileManager.default.removeItem(atPath: etc + "/resolv.conf")
        try FileManager.default.createDirectory(atPath: d.sysroot + "/run/resolve", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: etc + "/resolv.conf", withDestinationPath: "../run/resolve/stub.conf")
        #expect(try d.client.command(arguments: ["cat", "/etc/resolv.conf"]) == String(decoding: appliance, as: UTF8.self))
        #expect(!FileManager.default.fileExists(atPath: d.sysroot + "/run/resolve/stub.conf"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: etc + "/resolv.conf") == "../run/resolve/stub.conf")
        // A dangling symlink into a folder the guest lacks: the command runs,
        // without a resolver.
        try FileManager.default.removeItem(atPath: d.sysroot + "/run")
        #expect(try d.client.command(arguments: ["echo", "still runs"]) == "still runs\n")
        // Without --network nothing is bound.
        try withStandaloneDaemon { plain in
            try installBusybox(in: plain.sysroot)
            #expect(daemonError { _ = try plain.client.command(arguments: ["cat", "/etc/resolv.conf"]) }?.message
                    == "cat: can't open '/etc/resolv.conf': No such file or directory")
        }
    }

    @Test func shNeedsABinShInTheSysroot() throws {
        try withStandaloneDaemon { d in
            let e = daemonError { _ = try d.client.sh(command: "echo hi") }
            #expect(e?.message == "/bin/sh: No such file or directory")
        }
    }

    @Test func applianceFacilities() throws {
        try withStandaloneDaemon { d in
            var uts = utsname()
            uname(&uts)
            let u = try d.client.utsname()
            let release = withUnsafeBytes(of: &uts.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let machine = withUnsafeBytes(of: &uts.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            #expect(u.utsSysname == "Linux")
            #expect(u.utsRelease == release)
            #expect(u.utsMachine == machine)
            #expect(!u.utsVersion.isEmpty)

            let kmsgs = try d.client.dmesg()
            #expect(kmsgs.contains("Linux version") || kmsgs.split(separator: "\n").count > 3)

            let start = Date()
            try d.client.sleep(secs: 1)
            #expect(Date().timeIntervalSince(start) >= 1)

            try d.client.dropCaches(whattodrop: 2)
            let bad = daemonError { try d.client.dropCaches(whattodrop: 0) }
            #expect(bad?.errno == "EINVAL")
            #expect(bad?.message == "/proc/sys/vm/drop_caches: Invalid argument")

            let m = daemonError { try d.client.modprobe(modulename: "no_such_module_xyz") }
            #expect(m?.message.contains("no_such_module_xyz") == true)
        }
    }

    @Test func initrdListAndCatReadCompressedAndPlainArchives() throws {
        try withStandaloneDaemon { d in
            let tree = d.directory + "/tree"
            try makeHostTree(tree, ["/etc/conf": .directory, "/init": "the init\n", "/etc/conf/blob": .file(transferPattern(5000))])
            let cpio = try hostPipe(["sh", "-c", "cd '\(tree)' && find . | LC_ALL=C sort | cpio --quiet -o -H newc"], input: Data())
            try FileManager.default.createDirectory(atPath: d.sysroot + "/boot", withIntermediateDirectories: true)
            for (name, compressor) in [("initrd.gz", ["gzip", "-c"]), ("initrd.xz", ["xz", "-c", "--check=crc32"]),
                                       ("initrd.zst", ["zstd", "-c", "-q"]), ("initrd.cpio", ["cat"])] {
                try hostPipe(compressor, input: cpio).write(to: URL(fileURLWithPath: d.sysroot + "/boot/" + name))
                let names = try d.client.initrdList(path: "/boot/" + name)
                #expect(names == [".", "etc", "etc/conf", "etc/conf/blob", "init"], "\(name)")
                #expect(try d.client.initrdCat(initrdpath: "/boot/" + name, filename: "init") == Array("the init\n".utf8))
                #expect(try d.client.initrdCat(initrdpath: "/boot/" + name, filename: "etc/conf/blob") == transferPattern(5000))
            }
            let e = daemonError { _ = try d.client.initrdCat(initrdpath: "/boot/initrd.gz", filename: "nope") }
            #expect(e?.errno == "ENOENT")
            #expect(e?.message == "open: /boot/initrd.gz:nope: No such file or directory")
            #expect(daemonError { _ = try d.client.initrdList(path: "/boot/missing") }?.message == "pclose: command failed with return code 2")
            #expect(daemonError { _ = try d.client.initrdCat(initrdpath: "/boot/missing", filename: "init") }?.message == "command failed with return code 2: Success")
            // initrd_cat cleans up its temporary directory.
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: "/tmp").filter { $0.hasPrefix("initrd-cat-") }
            #expect(leftovers.isEmpty, "\(leftovers)")
        }
    }
}
