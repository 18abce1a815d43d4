import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

/// file_architecture through the daemon on the samples of
/// Tests/guests/make-arch-samples (real cross-built libcs, hand-made PE
/// headers, initrds compressed every way). The expected answers are the
/// reference appliance's (Tests/appliance/compat/file-architecture.fish
/// compares them side by side), except where upstream is wrong: it cannot
/// read zstd, lzop or lz4 initrds nor a zstd-compressed ELF, and calls
/// every PE32+ file "x86_64" and every PE32 file "i386", ARM ones included;
/// 1.48 calls a LoongArch ELF "LoongArch" (file(1)'s name), 1.54 and 1.60
/// `loongarch64`, as ours.
@Suite("file_architecture", .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"))
struct FileArchitectureTests {
    static let expected: [(String, String)] = [
        ("elf-x86_64", "x86_64"), ("elf-i386", "i386"), ("elf-aarch64", "aarch64"), ("elf-armhf", "arm"),
        ("elf-ppc64", "ppc64"), ("elf-ppc64le", "ppc64le"), ("elf-s390x", "s390x"), ("elf-riscv64", "riscv64"),
        ("elf-mips64el", "MIPS"), ("elf-x86_64-exe", "x86_64"), ("elf-sparc64", "sparc64"), ("elf-sparc32", "SPARC"),
        ("elf-sparc32plus", "sparc"), ("elf-mips-be", "MIPS"), ("elf-mipsel", "MIPS"), ("elf-ppc32", "ppc"),
        ("elf-s390-31", "s390"), ("elf-riscv32", "riscv32"), ("elf-ia64", "ia64"),
        ("elf-alpha", "Alpha (unofficial)"), ("elf-alpha-official", "Alpha"), ("elf-hppa", "PA-RISC"),
        ("elf-m68k", "Motorola m68k"), ("elf-sh4", "Renesas SH"), ("elf-loong64", "loongarch64"),
        ("elf-x32", "x86_64"), ("elf-i486", "i386"), ("elf-relocatable-arm", "arm"), ("elf-nomachine", "no machine"),
        ("pe-i386.exe", "i386"), ("pe-i386.dll", "i386"), ("pe-x86_64.exe", "x86_64"), ("pe-x86_64.dll", "x86_64"),
        ("pe-efi-x86_64.efi", "x86_64"),
        ("initrd.cpio", "aarch64"), ("initrd-sh-ppc64le.cpio", "ppc64le"), ("initrd.cpio.gz", "aarch64"),
        ("initrd.cpio.bz2", "aarch64"), ("initrd.cpio.xz", "aarch64"), ("initrd-sh-ppc64le.cpio.gz", "ppc64le"),
        ("elf-s390x.gz", "s390x"), ("elf-s390x.bz2", "s390x"), ("elf-s390x.xz", "s390x"), ("elf-s390x.lzma", "s390x"),
        // upstream: "unknown architecture" (file(1) cannot look inside)
        ("initrd.cpio.zst", "aarch64"), ("initrd.cpio.lzo", "aarch64"), ("initrd.cpio.lz4", "aarch64"),
        ("elf-s390x.zst", "s390x"),
        // upstream: "x86_64" and "i386" (PE32+ and PE32, whatever the machine)
        ("pe-aarch64.exe", "aarch64"), ("pe-aarch64.dll", "aarch64"), ("pe-armnt.exe", "arm"),
    ]
    static let unknown = ["elf-core-x86_64", "elf-notype", "mz-dos.exe", "text.txt", "empty", "short-elf"]

    /// Makes the samples in the guest's /samples: their host path.
    @discardableResult
    static func makeSamples(_ d: StandaloneDaemon) throws -> String {
        let dir = d.hostPath("/samples")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../guests/make-arch-samples").standardized.path
        _ = try host([script, dir])
        return dir
    }

    @Test func samplesAnswerAsTheReference() throws {
        try withStandaloneDaemon { d in
            try Self.makeSamples(d)
            for (name, arch) in Self.expected {
                #expect(try d.client.fileArchitecture(filename: "/samples/\(name)") == arch, "\(name)")
            }
            for name in Self.unknown {
                let e = daemonError { _ = try d.client.fileArchitecture(filename: "/samples/\(name)") }
                #expect(e?.message == "unknown architecture: /samples/\(name)", "\(name)")
                #expect(e?.errno == "", "\(name)")
            }
            #expect(daemonMessage { _ = try d.client.fileArchitecture(filename: "/samples/initrd-empty.cpio.gz") }
                    == "could not determine architecture of cpio archive: /samples/initrd-empty.cpio.gz")
            // not regular files: upstream's `file` names them, nothing more
            try d.hostMkdir("/samples/dir")
            try host(["ln", "-s", "elf-x86_64", d.hostPath("/samples/link")])
            #expect(daemonMessage { _ = try d.client.fileArchitecture(filename: "/samples/dir") }
                    == "unknown architecture: /samples/dir")
            #expect(daemonMessage { _ = try d.client.fileArchitecture(filename: "/samples/link") }
                    == "unknown architecture: /samples/link")
            let missing = daemonError { _ = try d.client.fileArchitecture(filename: "/samples/missing") }
            #expect(missing?.message == "lstat: /samples/missing: No such file or directory")
            #expect(missing?.errno == "ENOENT")
        }
    }

    @Test func brokenInitrds() throws {
        try withStandaloneDaemon { d in
            let dir = try Self.makeSamples(d)
            // a truncated archive: GNU cpio fails, and so does upstream
            let full = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/initrd.cpio"))
            try full.prefix(full.count / 2).write(to: URL(fileURLWithPath: "\(dir)/cut.cpio"))
            #expect(daemonMessage { _ = try d.client.fileArchitecture(filename: "/samples/cut.cpio") }
                    == "cpio command failed")
            // a gzip stream cut short: what it decompressed still counts
            let gz = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/elf-s390x.gz"))
            try gz.prefix(4096).write(to: URL(fileURLWithPath: "\(dir)/cut.gz"))
            #expect(try d.client.fileArchitecture(filename: "/samples/cut.gz") == "s390x")
            // gzip magic and garbage: nothing inside
            try Data([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02]).write(to: URL(fileURLWithPath: "\(dir)/bad.gz"))
            #expect(daemonMessage { _ = try d.client.fileArchitecture(filename: "/samples/bad.gz") }
                    == "unknown architecture: /samples/bad.gz")
        }
    }
}
