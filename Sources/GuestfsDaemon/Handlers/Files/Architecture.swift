#if canImport(Glibc)
import Glibc
#endif
import GuestfsFileFormats
import SystemPackage

/// file_architecture: the headers are read here (GuestfsFileFormats), not
/// file(1)'s English. Compressed files go through the decompressor's
/// stdout once: the first bytes say what is inside, and a cpio scanner
/// keeps the initrd binaries upstream looks at. Every compression the
/// appliance has a tool for works, zstd, lzop and lz4 included (upstream
/// answers "unknown architecture" for those).
extension Handlers {
    static let fileArchitectureHeaderBytes = 65536

    public func fileArchitecture(filename: String) throws -> String {
        let host = try context.resolve(filename, followFinal: false)
        guard let st = fileStatus(host, follow: false) else { throw DaemonError.system("lstat: \(filename)") }
        let unknown = DaemonError(message: "unknown architecture: \(filename)")
        // upstream asks the `file` call, which names directories, links,
        // devices ... without looking inside: none has an architecture
        guard st.st_mode & S_IFMT == S_IFREG else { throw unknown }

        let fd = try FileDescriptor.open(FilePath(host), .readOnly, options: [.closeOnExec])
        return try fd.closeAfter {
            let header = try fd.read(upTo: Self.fileArchitectureHeaderBytes)
            switch FileArchitecture.identify(header) {
            case .architecture(let arch):
                return arch
            case .cpio:
                var scanner = CpioScanner(wanted: FileArchitecture.initrdBinaries)
                scanner.feed(header)
                while !scanner.isDone {
                    let chunk = try fd.read(upTo: 1 << 20)
                    if chunk.isEmpty { break }
                    scanner.feed(chunk)
                }
                scanner.finish()
                return try Self.initrdArchitecture(scanner, filename)
            case .compressed(let compression):
                var inner: [UInt8] = []
                var scanner = CpioScanner(wanted: FileArchitecture.initrdBinaries)
                let limit = Self.fileArchitectureHeaderBytes
                // The decompressor's status is not checked: like upstream's
                // `zcat | cpio`, what it wrote before an error counts.
                try context.runner.run(compression.decompressCommand, stdin: .file(host), stdout: .discard,
                                       onStdout: { chunk in
                    if inner.count < limit { inner.append(contentsOf: chunk.prefix(limit - inner.count)) }
                    scanner.feed(chunk)
                })
                scanner.finish()
                switch FileArchitecture.identify(inner) {
                case .architecture(let arch): return arch
                case .cpio: return try Self.initrdArchitecture(scanner, filename)
                default: throw unknown
                }
            case .unknown:
                throw unknown
            }
        }
    }

    /// The architecture of the first of upstream's initrd binaries present.
    static func initrdArchitecture(_ scanner: CpioScanner, _ filename: String) throws -> String {
        guard scanner.state == .finished else { throw DaemonError(message: "cpio command failed") }
        for name in FileArchitecture.initrdBinaries {
            guard let bytes = scanner.found[name] else { continue }
            // the first binary present decides, as upstream
            if case .architecture(let arch) = FileArchitecture.identify(bytes) { return arch }
            throw DaemonError(message: "unknown architecture: \(filename)")
        }
        throw DaemonError(message: "could not determine architecture of cpio archive: \(filename)")
    }
}
