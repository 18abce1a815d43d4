import CGuestfsLazy
import CParted
import Foundation
@testable import GuestfsDaemon
import Testing

/// The libraries loaded on first use (CGuestfsLazy): they are not in the
/// daemon's DT_NEEDED, every one of them loads on demand, the trampolines'
/// slow path passes arguments through, and nothing is loaded from a
/// changed root.
@Suite(.serialized) struct LazyLibrariesTests {
    static let all: [LazyLibrary] = [.augeas, .hivex, .lvm2cmd, .parted, .rpm, .selinux, .systemd, .tsk, .yara]

    @Test func everyLibraryLoadsBySoname() throws {
        for lib in Self.all {
            #expect(lib.soname.hasPrefix("lib") && lib.soname.contains(".so."), "\(lib.soname)")
            try lib.require(for: "test")
            #expect(lib.isLoaded, "\(lib.soname)")
        }
    }

    /// A trampoline called before its library is loaded goes through the
    /// assembly slow path: it must load the library and call the function
    /// with the caller's arguments intact (two integers, then a pointer).
    @Test func slowPathLoadsAndKeepsArguments() throws {
        gfs_lazy_unbind_for_testing(GFS_LAZY_PARTED)
        #expect(!LazyLibrary.parted.isLoaded)
        let align = try #require(ped_alignment_new(1234, 2048))
        #expect(LazyLibrary.parted.isLoaded)
        #expect(align.pointee.offset == 1234 && align.pointee.grain_size == 2048)
        ped_alignment_destroy(align)
        gfs_lazy_unbind_for_testing(GFS_LAZY_PARTED)
        let msdos = try #require(ped_disk_type_get("msdos"))
        #expect(String(cString: msdos.pointee.name) == "msdos")
        #expect(String(cString: ped_partition_flag_get_name(PED_PARTITION_BOOT)) == "boot")
    }

    /// Under a chroot (as the Augeas thread is in the guest) a library not
    /// loaded yet is refused, not looked up in the new root.
    @Test(.enabled(if: getuid() == 0)) func refusedInsideAnotherRoot() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lazy-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        gfs_lazy_unbind_for_testing(GFS_LAZY_SELINUX)
        let thread = try ConfinedThread()
        defer { thread.stop() }
        let error = try thread.confined(in: dir) { () -> DaemonError? in
            do { try LazyLibrary.selinux.require(for: "getcon"); return nil } catch let e as DaemonError { return e }
        }
        let e = try #require(error)
        #expect(e.errno == ENOTSUP)
        #expect(e.message.contains("not loaded before entering the guest's root"), "\(e.message)")
        try LazyLibrary.selinux.require(for: "getcon")
        #expect(LazyLibrary.selinux.isLoaded)
    }

    /// The daemon binary does not need any of them at start.
    @Test func daemonDoesNotNeedThem() throws {
        let bin = StandaloneDaemon.daemonPath
        guard FileManager.default.fileExists(atPath: bin) else { return }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/readelf")
        p.arguments = ["-d", bin]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(text.contains("(NEEDED)"))
        for lib in Self.all {
            #expect(!text.contains("[\(lib.soname)]"), "\(lib.soname) is DT_NEEDED")
        }
    }
}
