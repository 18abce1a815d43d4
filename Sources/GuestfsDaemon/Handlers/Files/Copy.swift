#if canImport(Glibc)
import Glibc
#endif
import GuestfsProtocol
import SystemPackage

/// Copies between devices and files inside the appliance: copy_*_to_*
/// (offsets, size, sparse, append), copy_size and dd.
extension Handlers {
    public func copyDeviceToDevice(src: String, dest: String, srcoffset: Int64?, destoffset: Int64?, size: Int64?, sparse: Bool?, append: Bool?) throws {
        if append == true { throw DaemonError(message: "the append flag cannot be set for this call") }
        try CopyEngine(context: context).copy(
            source: src, sourceName: context.canonicalDeviceName(src),
            destination: dest, destinationName: context.canonicalDeviceName(dest),
            destinationFlags: O_WRONLY, unlinkOnFailure: false,
            srcoffset: srcoffset, destoffset: destoffset, size: size, sparse: sparse == true)
    }

    public func copyDeviceToFile(src: String, dest: String, srcoffset: Int64?, destoffset: Int64?, size: Int64?, sparse: Bool?, append: Bool?) throws {
        let destHost = try context.resolve(dest)
        try CopyEngine(context: context).copy(
            source: src, sourceName: context.canonicalDeviceName(src),
            destination: destHost, destinationName: dest,
            destinationFlags: O_WRONLY | O_CREAT | O_NOCTTY | (append == true ? O_APPEND : O_TRUNC),
            unlinkOnFailure: false,
            srcoffset: srcoffset, destoffset: destoffset, size: size, sparse: sparse == true)
    }

    public func copyFileToDevice(src: String, dest: String, srcoffset: Int64?, destoffset: Int64?, size: Int64?, sparse: Bool?, append: Bool?) throws {
        let srcHost = try context.resolve(src)
        if append == true { throw DaemonError(message: "the append flag cannot be set for this call") }
        try CopyEngine(context: context).copy(
            source: srcHost, sourceName: src,
            destination: dest, destinationName: context.canonicalDeviceName(dest),
            destinationFlags: O_WRONLY, unlinkOnFailure: false,
            srcoffset: srcoffset, destoffset: destoffset, size: size, sparse: sparse == true)
    }

    public func copyFileToFile(src: String, dest: String, srcoffset: Int64?, destoffset: Int64?, size: Int64?, sparse: Bool?, append: Bool?) throws {
        let srcHost = try context.resolve(src)
        let destHost = try context.resolve(dest)
        try CopyEngine(context: context).copy(
            source: srcHost, sourceName: src,
            destination: destHost, destinationName: dest,
            destinationFlags: O_WRONLY | O_CREAT | O_NOCTTY | (append == true ? O_APPEND : O_TRUNC),
            unlinkOnFailure: true,
            srcoffset: srcoffset, destoffset: destoffset, size: size, sparse: sparse == true)
    }

    /// Copies exactly `size` bytes from the start of src to dest.
    public func copySize(src: String, dest: String, size: Int64) throws {
        let srcName = copyDisplayName(src), destName = copyDisplayName(dest)
        let srcHost = src.hasPrefix("/dev/") ? src : try context.resolve(src)
        let destHost = dest.hasPrefix("/dev/") ? dest : try context.resolve(dest)
        let input = try FileIO.open(srcHost, O_RDONLY, error: srcName)
        defer { try? input.close() }
        let output = dest.hasPrefix("/dev/")
            ? try FileIO.open(destHost, O_WRONLY, error: destName)
            : try FileIO.open(destHost, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY, mode: 0o666, error: destName)
        var outputOpen = true
        defer { if outputOpen { try? output.close() } }

        // A negative size is a huge unsigned one upstream: copy to the end,
        // then complain that the input is too short.
        let total = UInt64(bitPattern: size)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: TransferIO.bufferSize, alignment: 4096)
        defer { buffer.deallocate() }
        var position: UInt64 = 0
        while position < total {
            let want = Int(min(UInt64(buffer.count), total - position))
            let n = try input.readSome(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]),
                                       error: "\(srcName): read")
            if n == 0 { throw DaemonError(message: "\(srcName): input file too short") }
            try output.writeAll(UnsafeRawBufferPointer(rebasing: buffer[0..<n]), error: "\(destName): write")
            position += UInt64(n)
            try context.progress(position, of: total)
        }
        outputOpen = false
        try output.closeChecked(error: "\(destName): close")
    }

    /// dd bs=1024K from src to dest (devices or guest files).
    public func dd(src: String, dest: String) throws {
        let srcHost = src.hasPrefix("/dev/") ? src : try context.resolve(src)
        let destHost = dest.hasPrefix("/dev/") ? dest : try context.resolve(dest)
        let r = try context.runner.run(["dd", "bs=1024K", "if=" + srcHost, "of=" + destHost])
        guard r.succeeded else {
            throw DaemonError(message: "\(copyDisplayName(src)): \(copyDisplayName(dest)): \(r.stderrString.trimmingTrailingNewlines())")
        }
    }

    fileprivate func copyDisplayName(_ devOrPath: String) -> String {
        devOrPath.hasPrefix("/dev/") ? context.canonicalDeviceName(devOrPath) : devOrPath
    }
}

/// The loop behind copy_*_to_*: large reads, optional sparse writes (runs
/// of zero blocks become seeks), progress by size or pulses.
struct CopyEngine {
    let context: DaemonContext
    /// Zero detection granularity for sparse copies.
    static let sparseBlock = 4096

    func copy(source: String, sourceName: String, destination: String, destinationName: String,
              destinationFlags: Int32, unlinkOnFailure: Bool,
              srcoffset: Int64?, destoffset: Int64?, size: Int64?, sparse: Bool) throws {
        if let srcoffset, srcoffset < 0 { throw DaemonError(message: "srcoffset is negative") }
        if let destoffset, destoffset < 0 { throw DaemonError(message: "destoffset is negative") }
        if let size, size < 0 { throw DaemonError(message: "size is negative") }

        let input = try FileIO.open(source, O_RDONLY, error: sourceName)
        defer { try? input.close() }
        if let srcoffset, srcoffset > 0, lseek(input.rawValue, off_t(srcoffset), SEEK_SET) < 0 {
            throw DaemonError.system("lseek: \(sourceName)")
        }
        let output = try FileIO.open(destination, destinationFlags, mode: 0o666, error: destinationName)
        var outputOpen = true
        var succeeded = false
        defer {
            if outputOpen { try? output.close() }
            if !succeeded && unlinkOnFailure { unlink(destination) }
        }
        if let destoffset, destoffset > 0, lseek(output.rawValue, off_t(destoffset), SEEK_SET) < 0 {
            throw DaemonError.system("lseek: \(destinationName)")
        }

        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: TransferIO.bufferSize, alignment: 4096)
        defer { buffer.deallocate() }
        var remaining = size  // nil: to the end of the source
        var copied: UInt64 = 0
        var skippedAtEnd = false
        while remaining != 0 {
            let want = remaining.map { Int(min(Int64(buffer.count), $0)) } ?? buffer.count
            let n = try input.readSome(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]),
                                       error: "read: \(sourceName)")
            if n == 0 {
                if remaining == nil { break }
                throw DaemonError(message: "\(sourceName): input too short")
            }
            let data = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            if sparse {
                skippedAtEnd = try writeSparse(data, to: output, name: destinationName)
            } else {
                try output.writeAll(data, error: "\(destinationName): write")
            }
            copied += UInt64(n)
            if let r = remaining {
                remaining = r - Int64(n)
                try context.progress(copied, of: UInt64(size!))
            } else {
                try context.progress(0, of: 1)  // upstream's "pulse mode"
            }
        }
        if skippedAtEnd {
            // Seeking over trailing zeros does not extend a regular file.
            var st = Glibc.stat()
            let end = lseek(output.rawValue, 0, SEEK_CUR)
            if fstat(output.rawValue, &st) == 0, st.st_mode & S_IFMT == S_IFREG, end > st.st_size,
               ftruncate(output.rawValue, end) != 0 {
                throw DaemonError.system("\(destinationName): write")
            }
        }
        if size == nil { try context.progress(1, of: 1) }
        outputOpen = false
        try output.closeChecked(error: "close: \(destinationName)")
        succeeded = true
    }

    /// Writes the non-zero blocks of `data` and seeks over the zero ones.
    /// Returns whether the data ended with a seek.
    private func writeSparse(_ data: UnsafeRawBufferPointer, to fd: FileDescriptor, name: String) throws -> Bool {
        var offset = 0
        var endedWithSeek = false
        while offset < data.count {
            let zero = FileOps.isAllZero(UnsafeRawBufferPointer(rebasing: data[offset..<min(offset + Self.sparseBlock, data.count)]))
            // Extend the run of blocks of the same kind.
            var end = min(offset + Self.sparseBlock, data.count)
            while end < data.count {
                let next = min(end + Self.sparseBlock, data.count)
                if FileOps.isAllZero(UnsafeRawBufferPointer(rebasing: data[end..<next])) != zero { break }
                end = next
            }
            if zero {
                if lseek(fd.rawValue, off_t(end - offset), SEEK_CUR) < 0 {
                    throw DaemonError.system("\(name): seek (because of sparse flag)")
                }
            } else {
                try fd.writeAll(UnsafeRawBufferPointer(rebasing: data[offset..<end]), error: "\(name): write")
            }
            endedWithSeek = zero
            offset = end
        }
        return endedWithSeek
    }
}
