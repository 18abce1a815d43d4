import Foundation
import GuestfsFileFormats
import Testing

/// The header readers behind file_architecture, without root or a daemon.
struct FileArchitectureTests {
    static func elf(class c: UInt8, data: UInt8, machine: UInt16, type: UInt16 = 2) -> [UInt8] {
        var h: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, c, data, 1, 0] + [UInt8](repeating: 0, count: 8)
        func u16(_ v: UInt16) -> [UInt8] { data == 2 ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)] }
        h += u16(type) + u16(machine) + [UInt8](repeating: 0, count: 100)
        h[20] = data == 2 ? 0 : 1  // e_version 1
        if data == 2 { h[23] = 1 }
        return h
    }

    @Test func realLibrariesOfDebianArchitectures() throws {
        let cases = [
            ("/usr/lib/x86_64-linux-gnu/libc.so.6", "x86_64"), ("/usr/lib32/libc.so.6", "i386"),
            ("/usr/aarch64-linux-gnu/lib/libc.so.6", "aarch64"), ("/usr/arm-linux-gnueabihf/lib/libc.so.6", "arm"),
            ("/usr/powerpc64-linux-gnu/lib/libc.so.6", "ppc64"), ("/usr/powerpc64le-linux-gnu/lib/libc.so.6", "ppc64le"),
            ("/usr/s390x-linux-gnu/lib/libc.so.6", "s390x"), ("/usr/riscv64-linux-gnu/lib/libc.so.6", "riscv64"),
            ("/usr/mips64el-linux-gnuabi64/lib/libc.so.6", "MIPS"), ("/usr/bin/true", "x86_64"),
        ]
        for (path, arch) in cases {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)).prefix(65536))
            #expect(FileArchitecture.identify(bytes) == .architecture(arch), "\(path)")
        }
    }

    /// The machine-name table is file(1)'s: for every e_machine, the name
    /// file(1) prints (the text upstream's regular expression captures)
    /// is the table's, and unnamed machines are absent.
    @Test func machineNamesAreFileOnes() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/file") else { return }
        let regex = try NSRegularExpression(
            pattern: "ELF (\\d+)-bit (MSB|LSB).*(?:executable|shared object|relocatable)(?:,)? ([^,]+?),")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("elf-names-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let machines = Array(0..<300).map(UInt16.init) + [0x9026, 0x9041, 0xBAAB, 0x5441, 0xFEB0, 0x18AD]
        var paths: [String] = []
        for m in machines {
            let p = dir.appendingPathComponent("m\(m)").path
            try Data(Self.elf(class: 2, data: 1, machine: m)).write(to: URL(fileURLWithPath: p))
            paths.append(p)
        }
        let proc = Process()
        proc.executableURL = URL(fileURLWithPath: "/usr/bin/file")
        proc.arguments = ["-b"] + paths
        let pipe = Pipe()
        proc.standardOutput = pipe
        try proc.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        proc.waitUntilExit()
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.count == machines.count)
        for (m, line) in zip(machines, lines) {
            let match = regex.firstMatch(in: line, range: NSRange(line.startIndex..., in: line))
            let name = match.map { String(line[Range($0.range(at: 3), in: line)!]) }
            if let name, !name.hasPrefix("*unknown arch") {
                #expect(FileArchitecture.elfMachineNames[m] == name, "e_machine \(m): \(line)")
            } else {
                #expect(FileArchitecture.elfMachineNames[m] == nil, "e_machine \(m): \(line)")
            }
        }
    }

    @Test func canonicalNamesAsUpstream() {
        let cases: [(UInt8, UInt8, UInt16, String)] = [
            (1, 1, 3, "i386"), (1, 1, 6, "i386"), (2, 1, 62, "x86_64"), (1, 1, 62, "x86_64"),
            (1, 2, 2, "SPARC"), (1, 2, 18, "sparc"), (2, 2, 43, "sparc64"), (2, 1, 50, "ia64"),
            (2, 2, 21, "ppc64"), (2, 1, 21, "ppc64le"), (1, 2, 20, "ppc"), (2, 1, 183, "aarch64"),
            (1, 1, 40, "arm"), (1, 1, 243, "riscv32"), (2, 1, 243, "riscv64"), (1, 2, 22, "s390"),
            (2, 2, 22, "s390x"), (1, 2, 8, "MIPS"), (2, 1, 258, "loongarch64"), (1, 1, 258, "loongarch32"), (2, 1, 0x9026, "Alpha (unofficial)"),
        ]
        for (c, d, m, arch) in cases {
            #expect(FileArchitecture.elfArchitecture(Self.elf(class: c, data: d, machine: m)) == arch, "\(m)")
        }
        // core files, "no file type", processor-specific types: none
        for t: UInt16 in [0, 4, 5, 0xFF00] {
            #expect(FileArchitecture.elfArchitecture(Self.elf(class: 2, data: 1, machine: 62, type: t)) == nil)
        }
        for t: UInt16 in [1, 2, 3] {
            #expect(FileArchitecture.elfArchitecture(Self.elf(class: 2, data: 1, machine: 62, type: t)) == "x86_64")
        }
        // bad class or byte order, short headers, unnamed machines
        #expect(FileArchitecture.elfArchitecture(Self.elf(class: 3, data: 1, machine: 62)) == nil)
        #expect(FileArchitecture.elfArchitecture(Self.elf(class: 2, data: 0, machine: 62)) == nil)
        #expect(FileArchitecture.elfArchitecture(Array(Self.elf(class: 2, data: 1, machine: 62).prefix(19))) == nil)
        #expect(FileArchitecture.elfArchitecture(Array(Self.elf(class: 2, data: 1, machine: 62).prefix(20))) == "x86_64")
        #expect(FileArchitecture.elfArchitecture(Self.elf(class: 2, data: 1, machine: 0x18AD)) == nil)
    }

    static func pe(machine: UInt16, plus: Bool, lfanew: UInt32 = 0x40) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: Int(lfanew) + 24 + 240)
        h[0] = 0x4D; h[1] = 0x5A
        withUnsafeBytes(of: lfanew.littleEndian) { h.replaceSubrange(0x3C..<0x40, with: $0) }
        let p = Int(lfanew)
        h[p] = 0x50; h[p + 1] = 0x45
        h[p + 4] = UInt8(machine & 0xFF); h[p + 5] = UInt8(machine >> 8)
        h[p + 24] = 0x0B; h[p + 25] = plus ? 0x02 : 0x01
        return h
    }

    @Test func windowsBinaries() {
        #expect(FileArchitecture.identify(Self.pe(machine: 0x14C, plus: false)) == .architecture("i386"))
        #expect(FileArchitecture.identify(Self.pe(machine: 0x8664, plus: true)) == .architecture("x86_64"))
        #expect(FileArchitecture.identify(Self.pe(machine: 0xAA64, plus: true)) == .architecture("aarch64"))
        #expect(FileArchitecture.identify(Self.pe(machine: 0x1C4, plus: false)) == .architecture("arm"))
        #expect(FileArchitecture.identify(Self.pe(machine: 0x200, plus: true)) == .architecture("ia64"))
        // machines nobody names: upstream's rule (PE32 i386, PE32+ x86_64)
        #expect(FileArchitecture.identify(Self.pe(machine: 0x1234, plus: false)) == .architecture("i386"))
        #expect(FileArchitecture.identify(Self.pe(machine: 0x1234, plus: true)) == .architecture("x86_64"))
        #expect(FileArchitecture.identify(Self.pe(machine: 0x8664, plus: true, lfanew: 0x100)) == .architecture("x86_64"))
        // MS-DOS only, a PE offset past the end, no "PE\0\0", a ROM image magic
        var dos = Self.pe(machine: 0x14C, plus: false); dos[0x40] = 0
        #expect(FileArchitecture.identify(dos) == .unknown)
        var far = Self.pe(machine: 0x14C, plus: false); far[0x3D] = 0x7F
        #expect(FileArchitecture.identify(far) == .unknown)
        var rom = Self.pe(machine: 0x14C, plus: false); rom[0x40 + 24] = 0x07
        #expect(FileArchitecture.identify(rom) == .unknown)
    }

    @Test func compressionMagics() {
        #expect(Compression.detect([0x1F, 0x8B, 8]) == .gzip)
        #expect(Compression.detect(Array("BZh9".utf8)) == .bzip2)
        #expect(Compression.detect([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) == .xz)
        #expect(Compression.detect([0x28, 0xB5, 0x2F, 0xFD]) == .zstd)
        #expect(Compression.detect([0x89, 0x4C, 0x5A, 0x4F, 0x00, 0x0D, 0x0A, 0x1A, 0x0A]) == .lzop)
        #expect(Compression.detect([0x04, 0x22, 0x4D, 0x18]) == .lz4)
        #expect(Compression.detect([0x02, 0x21, 0x4C, 0x18]) == .lz4)
        #expect(Compression.detect([0x5D, 0x00, 0x00, 0x80]) == .lzma)
        #expect(Compression.detect([0x1F]) == nil)
        #expect(Compression.detect(Array("hello".utf8)) == nil)
        #expect(FileArchitecture.identify([0x28, 0xB5, 0x2F, 0xFD, 0]) == .compressed(.zstd))
        #expect(FileArchitecture.identify(Array("text\n".utf8)) == .unknown)
        #expect(FileArchitecture.identify([]) == .unknown)
    }
}
