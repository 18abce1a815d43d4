#if canImport(Glibc)
import Glibc
#endif
import GuestfsProtocol

/// How an argument string must be checked and translated before a handler
/// sees it (the `kind` of each arg in the protocol JSON).
public enum ArgumentKind: Sendable {
    case pathname, device, mountable, devOrPath, mountableOrPath, guid, filename
}

/// What handlers share: the sysroot, device names, the tool runner and
/// progress reporting. One per daemon.
public final class DaemonContext {
    public let sysroot: Sysroot
    public var devices: DeviceNames
    public let runner: CommandRunner
    public let verbose: Bool
    /// True inside the appliance (not standalone on a host).
    public let inAppliance: Bool
    /// The appliance has a network (guestfs_network=1, or --network): the
    /// commands run in the guest get the appliance's resolver.
    public let network: Bool
    let progressReporter: ProgressReporter
    /// The size the library says an upload will have (the header's
    /// progress_hint; 0 when unknown). Upload handlers report progress
    /// against it, as upstream does only when it is set.
    public internal(set) var progressHint: UInt64 = 0
    /// Refuse guest paths while nothing is mounted on the sysroot, as
    /// upstream does (in the appliance, whose /sysroot is an empty
    /// directory of the initramfs). Off in standalone mode, where the
    /// sysroot may be a plain directory.
    public var requireMountedRoot: Bool
    /// Set by internal_exit: the session exits once the reply is sent.
    public var exitAfterReply = false
    /// Counts the calls that may have written a block device (partition
    /// tables, PV labels, filesystems, raw bytes): what any in-process
    /// library caches about the disks is valid only while this number
    /// stays the same (see DiskChanges.swift).
    public private(set) var diskGeneration: UInt64 = 0

    public init(sysroot: Sysroot, devices: DeviceNames = DeviceNames(), runner: CommandRunner = CommandRunner(),
                verbose: Bool = false, inAppliance: Bool = false, network: Bool = false,
                clock: DaemonClock = MonotonicClock()) {
        self.sysroot = sysroot
        self.devices = devices
        self.runner = runner
        self.verbose = verbose
        self.inAppliance = inAppliance
        self.network = network
        self.requireMountedRoot = inAppliance
        self.progressReporter = ProgressReporter(clock: clock)
    }

    /// Something may have written a block device: every cache about the
    /// disks made before now is stale.
    public func devicesMayHaveChanged() {
        diskGeneration &+= 1
    }

    /// Reports how far a long call has got; rate-limited as upstream does.
    public func progress(_ position: UInt64, of total: UInt64) throws {
        try progressReporter.report(position: position, total: total)
    }

    /// Reports progress with no rate limit (test hooks only).
    public func progressUnlimited(_ position: UInt64, of total: UInt64) throws {
        try progressReporter.sendNow(position: position, total: total)
    }

    /// Checks and translates one argument by kind. Errors read as
    /// upstream's do: "PROC_stub: NAME: No such file or directory".
    public func checkArgument(_ value: String, kind: ArgumentKind, procedure: String) throws -> String {
        do {
            return try checkArgument(value, kind: kind)
        } catch let e as DaemonError {
            throw DaemonError(e.errno, "\(procedure)_stub: \(e.message)")
        }
    }

    func checkArgument(_ value: String, kind: ArgumentKind) throws -> String {
        switch kind {
        case .pathname:
            return try checkPathname(value)
        case .device:
            return try resolveDevice(value)
        case .mountable:
            if value.hasPrefix("btrfsvol:") {
                guard let (device, volume) = parseBtrfsvol(value) else {
                    throw DaemonError(message: "\(value): expecting a btrfs volume")
                }
                return "btrfsvol:" + device + "/" + volume
            }
            return try resolveDevice(value)
        case .devOrPath:
            return value.hasPrefix("/dev/") ? try resolveDevice(value) : try checkPathname(value)
        case .mountableOrPath:
            if value.hasPrefix("/dev/") || value.hasPrefix("btrfsvol:") {
                return try checkArgument(value, kind: .mountable)
            }
            return try checkPathname(value)
        case .filename:
            // A name inside a directory: no slash (upstream's check).
            if value.contains("/") { throw DaemonError(message: "'\(value)' is not a file name") }
            return value
        case .guid:
            return value
        }
    }

    public func checkPathname(_ path: String) throws -> String {
        guard path.hasPrefix("/") else {
            throw DaemonError(message: "path must start with a / character")
        }
        if requireMountedRoot, !isRootMounted() {
            throw DaemonError(message: "you must call 'mount' first to mount the root filesystem")
        }
        if path.utf8.count >= Int(PATH_MAX) {
            throw DaemonError(ENAMETOOLONG, "\(path.prefix(64))...: \(errnoDescription(ENAMETOOLONG))")
        }
        return path
    }

    /// The node of a device name; ENOENT when there is no such device
    /// (names outside /dev included, as upstream).
    public func resolveDevice(_ name: String) throws -> String {
        guard name.hasPrefix("/dev/") else { throw DeviceNames.missing(name) }
        return try devices.node(for: name)
    }

    /// The name returned to the library for a device node.
    public func canonicalDeviceName(_ node: String) -> String {
        if node.hasPrefix("btrfsvol:"), let (device, volume) = splitBtrfsvol(node) {
            return "btrfsvol:" + devices.canonical(device) + "/" + volume
        }
        return devices.canonical(node)
    }

    /// Parses "btrfsvol:/dev/DEVICE/VOLUME" as upstream's parse_btrfsvol:
    /// the device is the shortest prefix naming a device that is not a
    /// directory (/dev/VG/LV/vol works), translated to its node.
    func parseBtrfsvol(_ value: String) -> (device: String, volume: String)? {
        btrfsvolParts(value) { try? self.resolveDevice($0) }
    }

    /// Splits an already translated "btrfsvol:NODE/VOLUME" (the node is the
    /// shortest prefix that is not a directory).
    func splitBtrfsvol(_ value: String) -> (device: String, volume: String)? {
        btrfsvolParts(value) { fileStatus($0) != nil ? $0 : nil }
    }

    /// The shortest "/dev/..." prefix of a btrfsvol: value whose node
    /// (`node(prefix)`, nil to try a longer prefix) is not a directory, and
    /// the volume after it; nil when the node cannot be examined.
    private func btrfsvolParts(_ value: String, node: (String) -> String?) -> (device: String, volume: String)? {
        let desc = value.dropFirst("btrfsvol:".count)
        guard desc.hasPrefix("/dev/") else { return nil }
        var index = desc.index(desc.startIndex, offsetBy: 5)
        while let slash = desc[index...].firstIndex(of: "/") {
            index = desc.index(after: slash)
            guard let node = node(String(desc[..<slash])) else { continue }
            guard let st = fileStatus(node) else { return nil }
            if st.st_mode & S_IFMT != S_IFDIR { return (node, String(desc[index...])) }
        }
        return nil
    }

    // MARK: Paths

    /// Something is mounted on the sysroot: it is a mount point when it is
    /// on another device than its parent (or is the same inode as /..).
    public func isRootMounted() -> Bool {
        let top = sysroot.hostPath("/")
        var here = stat(), parent = stat()
        guard stat(top, &here) == 0, stat(top + "/..", &parent) == 0 else { return false }
        return here.st_dev != parent.st_dev || here.st_ino == parent.st_ino
    }

    /// Resolves a guest path to a host path inside the sysroot.
    public func resolve(_ guestPath: String, followFinal: Bool = true) throws -> String {
        try sysroot.resolve(guestPath, followFinal: followFinal)
    }
}
