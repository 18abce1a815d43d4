/// What `file_architecture` learns from the first bytes of a file: read
/// from the headers themselves (ELF, PE, cpio, compression magics) instead
/// of running file(1) and parsing its English, as upstream does. The
/// answers are upstream's strings: upstream maps file(1)'s machine name to
/// a canonical architecture, and so do we, from a table of the names
/// file 5.44 prints for each ELF e_machine.
public enum BinaryKind: Equatable, Sendable {
    /// An ELF or PE binary of this architecture.
    case architecture(String)
    /// A cpio archive (an uncompressed initrd): look at its binaries.
    case cpio
    /// Compressed data: decompress and look at what is inside (one level).
    case compressed(Compression)
    /// Anything else (text, data, a core file, an ELF of a machine file(1)
    /// does not name).
    case unknown
}

/// Compression formats an initrd or a kernel may use.
public enum Compression: String, CaseIterable, Sendable {
    case gzip, bzip2, xz, lzma, zstd, lzop, lz4

    /// The tool and flags that write the decompressed data to stdout.
    public var decompressCommand: [String] {
        switch self {
        case .gzip: return ["gzip", "-dc"]
        case .bzip2: return ["bzip2", "-dc"]
        case .xz: return ["xz", "-dc"]
        case .lzma: return ["xz", "--format=lzma", "-dc"]
        case .zstd: return ["zstd", "-dcq"]
        case .lzop: return ["lzop", "-dc"]
        case .lz4: return ["lz4", "-dc"]
        }
    }

    /// The format whose magic starts `bytes`, if any.
    public static func detect<C: Collection>(_ bytes: C) -> Compression? where C.Element == UInt8, C.Index == Int {
        func starts(_ magic: [UInt8]) -> Bool {
            bytes.count >= magic.count && zip(bytes.prefix(magic.count), magic).allSatisfy { $0 == $1 }
        }
        if starts([0x1F, 0x8B]) { return .gzip }
        if starts([0x42, 0x5A, 0x68]) { return .bzip2 }                       // "BZh"
        if starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return .xz }
        if starts([0x28, 0xB5, 0x2F, 0xFD]) { return .zstd }
        if starts([0x89, 0x4C, 0x5A, 0x4F, 0x00, 0x0D, 0x0A, 0x1A, 0x0A]) { return .lzop }
        if starts([0x04, 0x22, 0x4D, 0x18]) || starts([0x02, 0x21, 0x4C, 0x18]) { return .lz4 }
        // .lzma (LZMA-alone): properties byte 0x5D and a 2^n dictionary
        if starts([0x5D, 0x00, 0x00]) { return .lzma }
        return nil
    }
}

public enum FileArchitecture {
    /// The binaries upstream looks for in an initrd, in its order; the
    /// first one present as a regular file decides.
    public static let initrdBinaries = [
        "bin/ls", "bin/rm", "bin/modprobe", "sbin/modprobe",
        "bin/sh", "bin/bash", "bin/dash", "bin/nash",
    ]

    /// Classifies a file by its first bytes (64 KiB is plenty).
    public static func identify(_ header: [UInt8]) -> BinaryKind {
        if let arch = elfArchitecture(header) ?? peArchitecture(header) { return .architecture(arch) }
        if CpioFormat.detect(header) != nil { return .cpio }
        if let c = Compression.detect(header) { return .compressed(c) }
        return .unknown
    }

    // MARK: ELF

    /// The architecture of an ELF executable, shared object or relocatable
    /// file (core files and other types have none, as upstream).
    public static func elfArchitecture(_ h: [UInt8]) -> String? {
        guard h.count >= 20, h[0] == 0x7F, h[1] == 0x45, h[2] == 0x4C, h[3] == 0x46 else { return nil }
        let elfClass = h[4], data = h[5]
        guard elfClass == 1 || elfClass == 2, data == 1 || data == 2 else { return nil }
        let bigEndian = data == 2
        func u16(_ at: Int) -> UInt16 {
            bigEndian ? UInt16(h[at]) << 8 | UInt16(h[at + 1]) : UInt16(h[at + 1]) << 8 | UInt16(h[at])
        }
        // ET_REL, ET_EXEC, ET_DYN ("relocatable", "executable", "shared
        // object"/"pie executable" in file(1)'s words)
        guard (1...3).contains(u16(16)) else { return nil }
        guard let name = elfMachineNames[u16(18)] else { return nil }
        return canonicalArchitecture(machineName: name, bits: elfClass == 1 ? 32 : 64, bigEndian: bigEndian)
    }

    /// Upstream's mapping of file(1)'s ELF machine name to an architecture
    /// (libguestfs 1.60's daemon/filearch.ml); names it does not map come
    /// back unchanged ("MIPS", "Alpha", ...). LoongArch is `loongarch64`
    /// (`loongarch32`) as in 1.54 and 1.60; 1.48 passes file(1)'s
    /// "LoongArch" through.
    public static func canonicalArchitecture(machineName name: String, bits: Int, bigEndian: Bool) -> String {
        if name.contains("Intel 80386") || name.contains("Intel 80486") { return "i386" }
        if name.contains("x86-64") { return "x86_64" }
        if name.contains("SPARC32") { return "sparc" }
        if name.contains("SPARC V9") { return "sparc64" }
        if name.contains("IA-64") { return "ia64" }
        // "64" somewhere before "PowerPC"
        if let p = name.firstRange(of: "PowerPC"), name[..<p.lowerBound].contains("64") {
            return bigEndian ? "ppc64" : "ppc64le"
        }
        if name.contains("PowerPC") { return "ppc" }
        if name.contains("ARM aarch64") { return "aarch64" }
        if name.contains("ARM") { return "arm" }
        if name.contains("UCB RISC-V") { return "riscv\(bits)" }
        if name.contains("IBM S/390") { return bits == 32 ? "s390" : "s390x" }
        if name.contains("LoongArch") { return "loongarch\(bits)" }
        return name
    }

    // MARK: PE

    /// The architecture of a Windows PE executable or DLL. Upstream says
    /// "i386" for every PE32 and "x86_64" for every PE32+ file; we name the
    /// machines file(1) reports but upstream ignores (ARM64 is "aarch64",
    /// ARM Thumb-2 "arm", Itanium "ia64") and fall back to upstream's rule
    /// for the rest.
    public static func peArchitecture(_ h: [UInt8]) -> String? {
        guard h.count >= 0x40, h[0] == 0x4D, h[1] == 0x5A else { return nil }     // "MZ"
        let pe = Int(le32(h, 0x3C))
        guard pe >= 4, pe <= h.count - 26 else { return nil }
        guard h[pe] == 0x50, h[pe + 1] == 0x45, h[pe + 2] == 0, h[pe + 3] == 0 else { return nil }
        let machine = le16(h, pe + 4)
        let magic = le16(h, pe + 24)
        guard magic == 0x10B || magic == 0x20B else { return nil }
        switch machine {
        case 0x014C: return "i386"
        case 0x8664: return "x86_64"
        case 0xAA64: return "aarch64"
        case 0x01C0, 0x01C2, 0x01C4: return "arm"
        case 0x0200: return "ia64"
        default: return magic == 0x10B ? "i386" : "x86_64"
        }
    }

    static func le16(_ h: [UInt8], _ at: Int) -> UInt16 { UInt16(h[at]) | UInt16(h[at + 1]) << 8 }
    static func le32(_ h: [UInt8], _ at: Int) -> UInt32 {
        UInt32(h[at]) | UInt32(h[at + 1]) << 8 | UInt32(h[at + 2]) << 16 | UInt32(h[at + 3]) << 24
    }
}

