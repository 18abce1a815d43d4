import CGuestfsLazy
#if canImport(Glibc)
import Glibc
#endif

/// The C libraries the daemon loads on first use instead of at start
/// (CGuestfsLazy, scripts/gen-lazy-stubs): libaugeas, libhivex, liblvm2cmd,
/// libparted, librpm, libselinux, libsystemd, libtsk, libyara. A launch
/// that calls none of them maps 11 libraries instead of 77.
///
/// Call `require` before a topic's first call into its library: a library
/// missing from the appliance is then a clean error reply, not an abort in
/// a trampoline. It must run before anything that changes the root (the
/// Augeas thread's chroot, librpm's chrooted child): loaded there, dlopen
/// would pick the guest's copy of the library.
public enum LazyLibrary: Sendable {
    case augeas, hivex, lvm2cmd, parted, rpm, selinux, systemd, tsk, yara

    var id: gfs_lazy_library {
        switch self {
        case .augeas: GFS_LAZY_AUGEAS
        case .hivex: GFS_LAZY_HIVEX
        case .lvm2cmd: GFS_LAZY_LVM2CMD
        case .parted: GFS_LAZY_PARTED
        case .rpm: GFS_LAZY_RPM
        case .selinux: GFS_LAZY_SELINUX
        case .systemd: GFS_LAZY_SYSTEMD
        case .tsk: GFS_LAZY_TSK
        case .yara: GFS_LAZY_YARA
        }
    }

    /// The library's soname, e.g. "libtsk.so.19".
    public var soname: String { String(cString: gfs_lazy_soname(id)) }

    /// Whether this process has loaded it.
    public var isLoaded: Bool { gfs_lazy_is_loaded(id) != 0 }

    /// Loads the library once (later calls return at once); throws ENOTSUP
    /// naming the library if it cannot be loaded.
    public func require(for procedure: String) throws {
        if isLoaded { return }
        var err = [CChar](repeating: 0, count: 512)
        if gfs_lazy_load(id, &err, err.count) != 0 {
            let why = err.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw DaemonError(ENOTSUP, "\(procedure): \(soname) cannot be loaded in this appliance: \(why)")
        }
    }
}
