#if canImport(Glibc)
import Glibc
#endif

/// The directory the guest's filesystems are mounted under (/sysroot in
/// the appliance). Guest paths are resolved against it the way the kernel
/// would resolve them after chroot: `..` stops at its top and symlinks,
/// absolute or relative, are followed inside it.
public struct Sysroot: Sendable {
    public let root: String
    static let maxSymlinks = 40

    public init(root: String) {
        var r = root
        while r.count > 1, r.hasSuffix("/") { r.removeLast() }
        self.root = r == "/" ? "" : r
    }

    /// The host path of a guest path, without resolving anything (for
    /// mountpoints and messages).
    public func hostPath(_ guestPath: String) -> String {
        guestPath == "/" ? (root.isEmpty ? "/" : root) : root + guestPath
    }

    /// The guest path of a host path under the sysroot, or nil.
    public func guestPath(ofHost hostPath: String) -> String? {
        if root.isEmpty { return hostPath }
        if hostPath == root { return "/" }
        if hostPath.hasPrefix(root + "/") { return String(hostPath.dropFirst(root.count)) }
        return nil
    }

    /// Resolves `guestPath` inside the sysroot and returns the host path.
    /// With `followFinal` false the last component is not followed when it
    /// is a symlink (lstat, unlink, readlink semantics). Missing components
    /// are kept as written, so the caller's own system call reports ENOENT.
    public func resolve(_ guestPath: String, followFinal: Bool = true) throws -> String {
        guard guestPath.hasPrefix("/") else {
            throw DaemonError(EINVAL, "\(guestPath): path must start with a / character")
        }
        if guestPath.utf8.count >= Int(PATH_MAX) {
            throw DaemonError(ENAMETOOLONG, "\(guestPath.prefix(64))...: \(errnoDescription(ENAMETOOLONG))")
        }
        var pending: [Substring] = guestPath.split(separator: "/").reversed()
        var resolved: [Substring] = []
        var links = 0
        var exists = true
        while let component = pending.popLast() {
            if component == "." { continue }
            if component == ".." {
                if !resolved.isEmpty { resolved.removeLast() }
                continue
            }
            let isLast = pending.isEmpty
            if !exists || (isLast && !followFinal) {
                resolved.append(component)
                continue
            }
            let candidate = root + "/" + (resolved + [component]).joined(separator: "/")
            var st = stat()
            if lstat(candidate, &st) != 0 {
                // Nothing to follow here or below: keep the rest literally.
                exists = false
                resolved.append(component)
                continue
            }
            if st.st_mode & S_IFMT == S_IFLNK {
                links += 1
                if links > Self.maxSymlinks {
                    throw DaemonError(ELOOP, "\(guestPath): \(errnoDescription(ELOOP))")
                }
                let target = try Self.readLink(candidate)
                if target.hasPrefix("/") { resolved.removeAll() }
                pending.append(contentsOf: target.split(separator: "/").reversed())
                continue
            }
            resolved.append(component)
        }
        let path = root + "/" + resolved.joined(separator: "/")
        return path
    }

    static func readLink(_ path: String) throws -> String {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        if n < 0 { throw DaemonError.system(path) }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }
}
