#if canImport(Glibc)
import Glibc
#endif

/// NTFS through the ntfs-3g tools (optional groups "ntfs3g" and
/// "ntfsprogs"): probe, fix, resize, clone images in and out, and ntfscat.
extension Handlers {
    /// ntfs-3g.probe's exit status: 0 when the device can be mounted so,
    /// otherwise its code (ntfs-3g.probe(8)); not an error.
    public func ntfs3gProbe(rw: Bool, device: String) throws -> Int32 {
        let r = try context.runner.run(["ntfs-3g.probe", rw ? "--readwrite" : "--readonly", device])
        return r.status
    }

    public func ntfsfix(device: String, clearbadsectors: Bool?) throws {
        var argv = ["ntfsfix"]
        if clearbadsectors == true { argv.append("-b") }
        argv.append(device)
        try ntfsTool(argv, device: device)
    }

    public func ntfsresize(device: String, size: Int64?, force: Bool?) throws {
        var argv = ["ntfsresize", "-P"]
        if let size {
            if size <= 0 { throw DaemonError(message: "size is zero or negative") }
            argv += ["--size", String(size)]
        }
        if force == true { argv.append("--force") }
        argv.append(device)
        try ntfsTool(argv, device: device)
    }

    /// 1.60: permissions on an unmounted NTFS filesystem, through
    /// ntfssecaudit (which keeps them in the file's security descriptor).
    public func ntfsChmod(device: String, mode: Int32, path: String, recursive: Bool?) throws {
        let modeText = String(UInt32(bitPattern: mode), radix: 8)
        var argv = ["ntfssecaudit"]
        if recursive == true { argv.append("-r") }
        argv += [device, modeText, path]
        let r = try context.runner.run(argv, stdout: .foldedIntoStderr)
        guard r.succeeded else {
            throw DaemonError(message: "ntfssecaudit \(fsName(device)) \(modeText) \(path): "
                                + canonicalNames(in: r.stderrString.trimmingTrailingNewlines()))
        }
    }

    public func ntfsresizeSize(device: String, size: Int64) throws {
        try ntfsresize(device: device, size: size, force: nil)
    }

    public func ntfscloneOut(device: String, backupfile: FileOutSink, metadataonly: Bool?, rescue: Bool?,
                             ignorefscheck: Bool?, preservetimestamps: Bool?, force: Bool?) throws {
        var argv = ["ntfsclone", "-o", "-"]
        if metadataonly == true { argv.append("--metadata") }
        if rescue == true { argv.append("--rescue") }
        if ignorefscheck == true { argv.append("--ignore-fs-check") }
        if preservetimestamps == true { argv.append("--preserve-timestamps") }
        if force == true { argv.append("--force") }
        argv += ["--save-image", device]
        try streamTool(argv, to: backupfile, what: fsName(device))
    }

    public func ntfscloneIn(backupfile: FileInStream, device: String) throws {
        let r = try context.runner.run(["ntfsclone", "-O", device, "--restore-image", "-"],
                                       stdin: .stream(backupfile), stdout: .discard)
        if !backupfile.finished {
            throw DaemonError(message: "write error on device: \(fsName(device)): "
                                + canonicalNames(in: r.stderrString.trimmingTrailingNewlines()))
        }
        guard r.succeeded else {
            throw DaemonError(message: "ntfsclone: \(fsName(device)): " + canonicalNames(in: r.stderrString.trimmingTrailingNewlines()))
        }
    }

    public func ntfscatI(device: String, inode: Int64, filename: FileOutSink) throws {
        if inode < 0 { throw DaemonError(message: "inode must be >= 0") }
        try streamTool(["ntfscat", "-i", String(inode), device], to: filename, what: fsName(device))
    }

    private func ntfsTool(_ argv: [String], device: String) throws {
        let r = try context.runner.run(argv)
        guard r.succeeded else {
            var message = r.stderrString.trimmingTrailingNewlines()
            if message.isEmpty { message = r.stdoutString.trimmingTrailingNewlines() }
            throw DaemonError(message: "\(fsName(device)): " + canonicalNames(in: message))
        }
    }
}
