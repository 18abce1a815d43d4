#if canImport(Glibc)
import Glibc
#endif

/// Maps the device names the library uses (/dev/sda, or its aliases
/// /dev/vda and /dev/hda, and their partitions) to the real device nodes,
/// and back. In the appliance the disks are /dev/sdX already; in
/// standalone mode each --drive is a loop device shown as the next /dev/sdX.
public struct DeviceNames: Sendable {
    /// Standalone mode: the node of each attached drive, in order. nil in
    /// the appliance, where the disks are found under /sys/block.
    public var drives: [String]?
    public var sysBlock: String = "/sys/block"

    public init(drives: [String]? = nil) {
        self.drives = drives
    }

    /// "a", "b", ..., "z", "aa", ... for drive index 0, 1, ...
    public static func letters(forIndex index: Int) -> String {
        var i = index
        var s = ""
        repeat {
            s = String(UnicodeScalar(UInt8(97 + i % 26))) + s
            i = i / 26 - 1
        } while i >= 0
        return s
    }

    public static func index(ofLetters letters: Substring) -> Int? {
        var n = 0
        for c in letters.utf8 {
            guard c >= 97, c <= 122 else { return nil }
            n = n * 26 + Int(c - 96)
        }
        return letters.isEmpty ? nil : n - 1
    }

    /// Splits "/dev/sdb3", "/dev/vdb3", "/dev/hdb3" into (1, "3").
    static func parseDiskName(_ name: String) -> (index: Int, partition: Substring)? {
        guard name.hasPrefix("/dev/") else { return nil }
        let rest = name.dropFirst(5)
        var body: Substring
        if rest.hasPrefix("sd") || rest.hasPrefix("vd") || rest.hasPrefix("hd") {
            body = rest.dropFirst(2)
        } else if rest.hasPrefix("xvd") {
            body = rest.dropFirst(3)
        } else {
            return nil
        }
        let letters = body.prefix { $0 >= "a" && $0 <= "z" }
        let partition = body.dropFirst(letters.count)
        guard let index = index(ofLetters: letters), partition.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            return nil
        }
        if partition.first == "0" { return nil }
        return (index, partition)
    }

    /// The whole-disk devices, in canonical form and order.
    public func listDevices() -> [String] {
        if let drives {
            return drives.indices.map { "/dev/sd" + Self.letters(forIndex: $0) }
        }
        var disks: [(Int, String)] = []
        let root = sysBlock == "/sys/block" ? Self.rootDisk : nil
        for name in Self.directoryEntries(sysBlock) where name != root {
            guard let (index, partition) = Self.parseDiskName("/dev/" + name), partition.isEmpty else { continue }
            disks.append((index, name))
        }
        // Upstream sorts by the letters as a number: sdz before sdaa.
        return disks.sorted { $0.0 < $1.0 }.map { "/dev/sd" + Self.letters(forIndex: $0.0) }
    }

    /// The disk (e.g. "sdb") that holds the appliance's own root filesystem,
    /// or nil when / is not on a disk (the initramfs appliance). In a
    /// "fixed" appliance libguestfs attaches the root image as the last
    /// disk; like upstream's daemon we leave it out of the device lists
    /// (the library's drive indexes count only the user's disks).
    static let rootDisk: String? = {
        var st = stat()
        guard stat("/", &st) == 0, let sys = sysDevBlockPath(st.st_dev) else { return nil }
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink(sys, &buf, buf.count - 1)
        guard n > 0 else { return nil }
        // .../block/sdb or .../block/sdb/sdb1 (a partition: its disk)
        var parts = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: "/")
        if access(sys + "/partition", F_OK) == 0, parts.count > 1 { parts.removeLast() }
        return parts.last.map(String.init)
    }()

    /// /sys/dev/block/MAJOR:MINOR for a block device number (glibc's
    /// major/minor encoding), nil for major 0 (no block device: tmpfs,
    /// the initramfs).
    static func sysDevBlockPath(_ dev: dev_t) -> String? {
        let d = UInt64(dev)
        let major = ((d >> 8) & 0xfff) | ((d >> 32) & ~UInt64(0xfff))
        let minor = (d & 0xff) | ((d >> 12) & ~UInt64(0xff))
        guard major != 0 else { return nil }
        return "/sys/dev/block/\(major):\(minor)"
    }

    /// The node to open for a name the library sent. Names that are not
    /// disks or partitions (/dev/mapper/..., /dev/VG/LV, /dev/md0) pass
    /// through. Throws ENOENT when the device does not exist.
    public func node(for name: String) throws -> String {
        var node = name
        if let (index, partition) = Self.parseDiskName(name) {
            if let drives {
                guard index < drives.count else { throw Self.missing(name) }
                let base = drives[index]
                node = partition.isEmpty ? base : base + (base.last!.isNumber ? "p" : "") + partition
            } else {
                node = "/dev/sd" + Self.letters(forIndex: index) + partition
            }
        }
        var st = stat()
        guard stat(node, &st) == 0 else { throw Self.missing(name) }
        return node
    }

    static func missing(_ name: String) -> DaemonError {
        DaemonError(ENOENT, "\(name): \(errnoDescription(ENOENT))")
    }

    /// The canonical /dev/sdX name of a node (inverse of `node(for:)`).
    public func canonical(_ node: String) -> String {
        if let drives {
            for (i, base) in drives.enumerated() {
                let letters = Self.letters(forIndex: i)
                if node == base { return "/dev/sd" + letters }
                let partPrefix = base + (base.last!.isNumber ? "p" : "")
                if node.hasPrefix(partPrefix) {
                    let rest = node.dropFirst(partPrefix.count)
                    if !rest.isEmpty, rest.allSatisfy({ $0.isASCII && $0.isNumber }) {
                        return "/dev/sd" + letters + rest
                    }
                }
            }
            return node
        }
        if let (index, partition) = Self.parseDiskName(node) {
            return "/dev/sd" + Self.letters(forIndex: index) + partition
        }
        return node
    }

    static func directoryEntries(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
