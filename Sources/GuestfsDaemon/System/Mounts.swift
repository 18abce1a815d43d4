#if canImport(Glibc)
import Glibc
#endif

/// One line of /proc/self/mountinfo we care about.
public struct MountEntry: Sendable {
    public var device: String
    public var mountpoint: String
    public var fstype: String
    public var options: String
}

extension DaemonContext {
    /// The mounts of this namespace, in mount order.
    public func mountTable() -> [MountEntry] {
        guard let f = fopen("/proc/self/mountinfo", "r") else { return [] }
        defer { fclose(f) }
        var entries: [MountEntry] = []
        var line: UnsafeMutablePointer<CChar>? = nil
        var cap = 0
        defer { free(line) }
        while getline(&line, &cap, f) > 0 {
            let text = String(cString: line!)
            // id parent major:minor root mountpoint options [optional...] - fstype source superopts
            let halves = text.split(separator: " - ", maxSplits: 1)
            guard halves.count == 2 else { continue }
            let left = halves[0].split(separator: " ")
            let right = halves[1].split(separator: " ")
            guard left.count >= 6, right.count >= 2 else { continue }
            entries.append(MountEntry(device: Self.unescapeMountField(right[1]),
                                      mountpoint: Self.unescapeMountField(left[4]),
                                      fstype: String(right[0]),
                                      options: String(left[5])))
        }
        return entries
    }

    /// mountinfo escapes space, tab, newline and backslash as \\ooo.
    static func unescapeMountField(_ s: Substring) -> String {
        guard s.contains("\\") else { return String(s) }
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.first {
            if b == 92, bytes.count >= 4 {
                let digits = bytes.dropFirst().prefix(3)
                if digits.allSatisfy({ $0 >= 48 && $0 <= 55 }) {
                    out.append(digits.reduce(0) { $0 * 8 + ($1 - 48) })
                    bytes = bytes.dropFirst(4)
                    continue
                }
            }
            out.append(b)
            bytes = bytes.dropFirst()
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Unmounts every mount at or below `top`, deepest first. Busy mounts
    /// are retried once after a sync, then reported.
    public func unmountAll(under top: String, includingTop: Bool = false) throws {
        let prefix = top.hasSuffix("/") ? top : top + "/"
        let points = mountTable().map(\.mountpoint).filter {
            $0.hasPrefix(prefix) || (includingTop && $0 == top) || (top == "/" && $0 != "/")
        }
        // Deepest first: later mounts and longer paths go first.
        for point in points.reversed().sorted(by: { $0.count > $1.count }) {
            if umount(point) != 0 {
                let e = errno
                if e == EINVAL || e == ENOENT { continue }  // already gone
                Glibc.sync()
                if umount(point) != 0 && errno != EINVAL {
                    throw DaemonError.system("umount: \(sysroot.guestPath(ofHost: point) ?? point)", errno: e)
                }
            }
        }
    }
}

