#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// The f2fs group (resize.f2fs from f2fs-tools) and the squashfs group
/// (mksquashfs from squashfs-tools).
extension Handlers {
    public func f2fsExpand(device: String) throws {
        try fsCommand(["resize.f2fs", device], foldStdout: true)
    }

    /// Builds a squashfs image of a guest directory in /var/tmp (/tmp is
    /// a tmpfs in the appliance) and sends it.
    public func mksquashfs(path: String, filename: FileOutSink, compress: String?, excludes: [String]?) throws {
        let source = try context.resolve(path)
        let (fd, image) = try FileOps.makeTemporary("/var/tmp/squashfs.XXXXXX")
        try? fd.close()
        defer { unlink(image) }
        var excludeFile: String?
        defer { if let excludeFile { unlink(excludeFile) } }
        var argv = ["mksquashfs", source, image, "-noappend", "-root-becomes", source, "-wildcards", "-no-recovery"]
        if let compress { argv += ["-comp", compress] }
        if let excludes {
            excludeFile = try TransferIO.makeExcludeFile(function: "mksquashfs", patterns: excludes)
            argv += ["-ef", excludeFile!]
        }
        try fsCommand(argv, errorPrefix: "\(path): ")
        let file: FileDescriptor
        do {
            file = try FileDescriptor.open(image, .readOnly, options: [.closeOnExec])
        } catch let e as Errno {
            throw TransferIO.error(e, image)
        }
        try file.closeAfter {
            let size = UInt64(try TransferIO.fileStat(file).st_size)
            try filename.start()
            try send(from: file, to: filename, limit: nil, total: size, name: image)
        }
    }
}
