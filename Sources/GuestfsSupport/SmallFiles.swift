#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// The one way to read a small file whole (sysfs and /proc attributes,
/// guest configuration files), and its text forms.
public enum SmallFile {
    /// A whole file's bytes; the open's or read's Errno on failure.
    public static func bytes(_ path: String) throws -> [UInt8] {
        let fd = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
        return try fd.closeAfter {
            var out: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = try buffer.withUnsafeMutableBytes { try fd.read(into: $0) }
                if n == 0 { return out }
                out += buffer[0..<n]
            }
        }
    }

    /// A file's text, or nil when it cannot be read.
    public static func text(_ path: String) -> String? {
        (try? bytes(path)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// A one-line attribute (sysfs) without its trailing newlines; "" when
    /// it cannot be read.
    public static func line(_ path: String) -> String {
        guard var s = text(path) else { return "" }
        while s.last == "\n" { s.removeLast() }
        return s
    }
}

extension FileDescriptor {
    /// Up to `count` bytes from the current offset: fewer only at the end
    /// of the file.
    public func read(upTo count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = try bytes.withUnsafeMutableBytes { raw in
                try self.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]), retryOnInterrupt: true)
            }
            if n == 0 { break }
            filled += n
        }
        bytes.removeSubrange(filled...)
        return bytes
    }
}

/// stat(2) of a path (lstat(2) when `follow` is false), or nil with errno
/// set. A free function: inside the handlers `stat` names the procedure.
public func fileStatus(_ path: String, follow: Bool = true) -> stat? {
    var st = stat()
    let r = follow ? stat(path, &st) : lstat(path, &st)
    return r == 0 ? st : nil
}
