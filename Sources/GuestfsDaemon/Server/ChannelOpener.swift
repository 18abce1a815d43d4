#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// Finds and opens the daemon's channel.
public enum ChannelOpener {
    public static let portName = "org.libguestfs.channel.0"
    public static let defaultPath = "/dev/virtio-ports/org.libguestfs.channel.0"

    /// Opens `spec` (a path, or fd:N), or the virtio-serial port when nil.
    public static func open(_ spec: String?) throws -> Channel {
        if let spec, spec.hasPrefix("fd:") {
            guard let n = Int32(spec.dropFirst(3)), n >= 0 else {
                throw DaemonError(EINVAL, "\(spec): not a descriptor number")
            }
            let ch = Channel(descriptor: FileDescriptor(rawValue: n))
            ch.makeRawIfTerminal()
            return ch
        }
        let path = try spec ?? findVirtioPort()
        let fd = try FileDescriptor.open(FilePath(path), .readWrite, options: [.closeOnExec], retryOnInterrupt: true)
        let ch = Channel(descriptor: fd)
        ch.makeRawIfTerminal()
        return ch
    }

    /// The port's device node: the fixed udev path if present, otherwise the
    /// /dev/vportNpM whose sysfs name is org.libguestfs.channel.0.
    public static func findVirtioPort() throws -> String {
        if access(defaultPath, F_OK) == 0 { return defaultPath }
        let base = "/sys/class/virtio-ports"
        for entry in DeviceNames.directoryEntries(base).sorted() {
            guard let f = fopen(base + "/" + entry + "/name", "r") else { continue }
            var buf = [CChar](repeating: 0, count: 256)
            let line = fgets(&buf, 256, f) != nil ? cString(buf) : ""
            fclose(f)
            if line.trimmingTrailingNewlines() == portName { return "/dev/" + entry }
        }
        throw DaemonError(ENOENT, "cannot find the virtio-serial port \(portName)")
    }

    /// Listens on a unix socket and returns the first client.
    public static func acceptOne(unixPath: String) throws -> Channel {
        unlink(unixPath)
        let s = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw DaemonError.system("socket") }
        defer { close(s) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(unixPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            throw DaemonError(ENAMETOOLONG, "\(unixPath): socket path too long")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(s, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw DaemonError.system("bind \(unixPath)") }
        guard Glibc.listen(s, 1) == 0 else { throw DaemonError.system("listen \(unixPath)") }
        var client: Int32
        repeat { client = accept(s, nil, nil) } while client < 0 && errno == EINTR
        guard client >= 0 else { throw DaemonError.system("accept \(unixPath)") }
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
        unlink(unixPath)
        return Channel(descriptor: FileDescriptor(rawValue: client))
    }
}

/// guestfs_* settings from the kernel command line.
public enum KernelCommandLine {
    public static func read(path: String = "/proc/cmdline") -> [String: String] {
        guard let f = fopen(path, "r") else { return [:] }
        defer { fclose(f) }
        var buf = [CChar](repeating: 0, count: 8192)
        guard fgets(&buf, Int32(buf.count), f) != nil else { return [:] }
        return parse(cString(buf))
    }

    public static func parse(_ line: String) -> [String: String] {
        var out: [String: String] = [:]
        for word in line.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }) {
            let parts = word.split(separator: "=", maxSplits: 1)
            out[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return out
    }
}

/// Facts about this process for logs and benchmarks.
public enum ProcessStatus {
    /// VmHWM and VmRSS from /proc/self/status, in KiB.
    public static func memoryKiB() -> (peak: Int, current: Int) {
        guard let f = fopen("/proc/self/status", "r") else { return (0, 0) }
        defer { fclose(f) }
        var peak = 0, current = 0
        var buf = [CChar](repeating: 0, count: 512)
        while fgets(&buf, 512, f) != nil {
            let line = cString(buf)
            let value = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
            if line.hasPrefix("VmHWM:") { peak = value }
            if line.hasPrefix("VmRSS:") { current = value }
        }
        return (peak, current)
    }

    public static func peakRSSDescription() -> String {
        let m = memoryKiB()
        return "VmHWM \(m.peak) kB, VmRSS \(m.current) kB"
    }
}
