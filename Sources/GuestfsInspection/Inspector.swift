/// Mounting each filesystem in turn, as inspection needs: the daemon
/// mounts read-only on the sysroot and unmounts everything after.
public protocol InspectionMounter {
    /// Mounts `mountable` (a library name) read-only as "/"; throws when
    /// it cannot be mounted. `options` is "ro" or "ro,ufstype=...".
    func mount(_ mountable: String, options: String, vfsType: String?) throws
    func unmountAll() throws
}

/// Upstream's inspect_os: which filesystems are roots of an operating
/// system, and what each root tells.
public struct Inspector {
    let fs: GuestFilesystemReader
    let devices: InspectionDevices
    let mounter: InspectionMounter

    public init(filesystem: GuestFilesystemReader, devices: InspectionDevices, mounter: InspectionMounter) {
        self.fs = filesystem
        self.devices = devices
        self.mounter = mounter
    }

    /// Inspects each (mountable, vfs type) of list_filesystems, in order.
    public func inspect(filesystems: [(mountable: String, vfsType: String)]) throws -> [InspectedFilesystem] {
        try mounter.unmountAll()
        var found: [InspectedFilesystem] = []
        for (mountable, vfsType) in filesystems {
            if let role = try check(mountable, vfsType) {
                found.append(InspectedFilesystem(mountable: mountable, vfsType: vfsType, role: role))
            }
        }
        found = try Self.collectCoreOS(found)
        found = Self.dropShadowBSDRoot(found)
        found = Self.dropBtrfsSnapshotRoots(found)
        found = Self.mergeLinuxUsr(found)
        return found
    }

    func check(_ mountable: String, _ vfsType: String) throws -> FilesystemRole? {
        if vfsType == "swap" { return .swap }
        var mounted = false
        if vfsType == "ufs" {
            // FreeBSD's ufs2, else the 44bsd of NetBSD and OpenBSD.
            for type in ["ufs2", "44bsd"] where !mounted {
                mounted = (try? mounter.mount(mountable, options: "ro,ufstype=\(type)", vfsType: "ufs")) != nil
            }
        } else {
            mounted = (try? mounter.mount(mountable, options: "ro", vfsType: nil)) != nil
        }
        guard mounted else { return nil }
        let role: FilesystemRole
        do {
            role = try FilesystemChecker(fs: fs, devices: devices).check(mountable)
        } catch {
            try? mounter.unmountAll()
            throw error
        }
        try mounter.unmountAll()
        return role
    }

    /// CoreOS keeps its version on one of two /usr partitions: the one with
    /// the higher version is merged into the single CoreOS root.
    static func collectCoreOS(_ fses: [InspectedFilesystem]) throws -> [InspectedFilesystem] {
        var roots: [InspectedFilesystem] = [], usrs: [InspectedFilesystem] = [], others: [InspectedFilesystem] = []
        for f in fses {
            switch f.role {
            case .root(let d) where d.distro == .coreos: roots.append(f)
            case .usr(let d) where d.distro == .coreos: usrs.append(f)
            default: others.append(f)
            }
        }
        if roots.isEmpty { return fses }
        if roots.count > 1 { throw InspectionError("multiple CoreOS root filesystems found") }
        guard !usrs.isEmpty else { return fses }
        // Upstream's lists are built in reverse; its sort is stable.
        usrs.reverse()
        let version = { (f: InspectedFilesystem) -> Version in
            if case .usr(let d) = f.role { return d.version ?? Version(0, 0) }
            return Version(0, 0)
        }
        let usr = usrs.enumerated().sorted {
            version($0.element) != version($1.element) ? version($0.element) > version($1.element) : $0.offset < $1.offset
        }[0].element
        var root = roots[0]
        root.merge(from: usr)
        return [root] + others.reversed()
    }

    /// A BSD root on a primary MBR partition that has a twin (same OS type)
    /// elsewhere is the MBR shadow of the real root: dropped.
    static func dropShadowBSDRoot(_ fses: [InspectedFilesystem]) -> [InspectedFilesystem] {
        func bsdType(_ f: InspectedFilesystem) -> OSType? {
            guard case .root(let d) = f.role, let t = d.osType, [.freebsd, .netbsd, .openbsd].contains(t) else { return nil }
            return t
        }
        guard let index = fses.firstIndex(where: {
            bsdType($0) != nil && Text.match("^/dev/(?:h|s|v)d.[1234]$", $0.mountable) != nil
        }) else { return fses }
        let type = bsdType(fses[index])
        var rest = fses
        rest.remove(at: index)
        let shadow = rest.contains { f in
            if case .root(let d) = f.role { return d.osType == type }
            return false
        }
        return shadow ? rest : fses
    }

    /// A root on a btrfs subvolume that repeats the root on the same
    /// device's top level (same OS, distro, product and version) is a
    /// snapshot of it (SLES keeps dozens): dropped, as upstream 1.60 does.
    static func dropBtrfsSnapshotRoots(_ fses: [InspectedFilesystem]) -> [InspectedFilesystem] {
        func rootData(_ f: InspectedFilesystem) -> InspectionData? {
            guard f.vfsType == "btrfs", case .root(let d) = f.role else { return nil }
            return d
        }
        return fses.filter { snapshot in
            guard snapshot.mountable.hasPrefix("btrfsvol:"), let d1 = rootData(snapshot) else { return true }
            return !fses.contains { parent in
                guard !parent.mountable.hasPrefix("btrfsvol:"), let d2 = rootData(parent),
                      snapshot.mountable.hasPrefix("btrfsvol:" + parent.mountable + "/") else { return false }
                return d1.osType == d2.osType && d1.distro == d2.distro
                    && d1.productName == d2.productName && d1.version == d2.version
            }
        }
    }

    /// A Linux root whose fstab lists a /usr filesystem takes what that
    /// /usr knows (os-release, architecture) where it knows nothing.
    static func mergeLinuxUsr(_ fses: [InspectedFilesystem]) -> [InspectedFilesystem] {
        fses.map { f in
            guard case .root(let d) = f.role, d.distro != .coreos else { return f }
            guard let usr = fses.first(where: { u in
                if case .usr = u.role { return d.fstab.contains { $0.mountable == u.mountable } }
                return false
            }) else { return f }
            var merged = f
            merged.merge(from: usr)
            return merged
        }
    }
}

extension InspectedFilesystem {
    mutating func merge(from child: InspectedFilesystem) {
        let childData: InspectionData
        switch child.role {
        case .root(let d), .usr(let d): childData = d
        case .swap, .other: childData = InspectionData()
        }
        switch role {
        case .root(var d):
            d.merge(from: childData)
            role = .root(d)
        case .usr(var d):
            d.merge(from: childData)
            role = .usr(d)
        case .swap, .other: break
        }
    }
}

/// What one mounted filesystem is (upstream's check_filesystem), tested
/// in upstream's order.
struct FilesystemChecker {
    let fs: GuestFilesystemReader
    let devices: InspectionDevices

    func check(_ mountable: String) throws -> FilesystemRole {
        var data = InspectionData()
        let unix = UnixInspector(fs: fs, devices: devices)
        let windows = WindowsInspector(fs: fs, devices: devices)
        enum Kind { case root, usr, other }
        var kind = Kind.other
        let etcBin = fs.isDir("/etc") && fs.isDir("/bin")
        if fs.isFile("/grub/menu.lst") || fs.isFile("/grub/grub.conf") || fs.isFile("/grub2/grub.cfg") {
            // A Grub /boot.
        } else if etcBin && fs.isFile("/etc/freebsd-update.conf") && fs.isFile("/etc/fstab") {
            kind = .root
            unix.freebsdRoot(mountable, &data)
        } else if etcBin && fs.isFile("/netbsd") && fs.isFile("/etc/fstab") && fs.isFile("/etc/release") {
            kind = .root
            unix.netbsdRoot(mountable, &data)
        } else if etcBin && fs.isFile("/bsd") && fs.isFile("/etc/fstab") && fs.isFile("/etc/motd") {
            kind = .root
            unix.openbsdRoot(mountable, &data)
        } else if fs.isFile("/hurd/console") && fs.isFile("/hurd/hello") && fs.isFile("/hurd/null") {
            kind = .root
            unix.hurdRoot(mountable, &data)
        } else if etcBin && fs.isFile("/service/vm") && fs.isFile("/etc/fstab") && fs.isFile("/etc/version") {
            kind = .root
            unix.minixRoot(&data)
        } else if fs.isDir("/etc") && (fs.isDir("/bin") || isSymlink("/bin", to: "usr/bin"))
                    && (fs.isFile("/etc/fstab") || fs.isFile("/etc/hosts")) {
            kind = .root
            unix.linuxRoot(mountable, &data)
        } else if fs.isDir("/etc") && fs.isDir("/root") && fs.isDir("/home") && fs.isDir("/usr")
                    && fs.isFile("/etc/coreos/update.conf") {
            kind = .root
            unix.coreosRoot(mountable, &data)
        } else if etcBin && fs.isDir("/share") && !fs.isDir("/local") && !fs.isFile("/etc/fstab") {
            // A Linux /usr/local.
        } else if fs.isDir("/bin") && fs.isDir("/local") && fs.isDir("/share") && fs.isDir("/src")
                    && !fs.isFile("/etc/fstab") {
            kind = .usr
            unix.linuxUsr(&data)
        } else if fs.isDir("/bin") && fs.isDir("/share") && fs.isDir("/local") && fs.isDir("/share/coreos") {
            kind = .usr
            unix.coreosUsr(mountable, &data)
        } else if fs.isDir("/log") && fs.isDir("/run") && fs.isDir("/spool") {
            // A Linux /var.
        } else if windows.systemroot() != nil {
            kind = .root
            try windows.windowsRoot(&data)
        } else if fs.isDirNoCase("/System Volume Information") {
            // A Windows data volume (with or without applications).
        } else if fs.isDirNoCase("/FDOS") && fs.isFileNoCase("/FDOS/FREEDOS.BSS") {
            kind = .root
            data.osType = .dos
            data.distro = .freedos
            data.arch = "i386"
        } else if fs.isDirNoCase("/DOS") && fs.isFileNoCase("/DOS/COMMAND.COM") {
            kind = .root
            data.osType = .dos
            data.distro = .msdos
            data.arch = "i386"
        }
        data.packageFormat = Self.packageFormat(data.distro)
        data.packageManagement = packageManagement(data)
        switch kind {
        case .root: return .root(data)
        case .usr: return .usr(data)
        case .other: return .other
        }
    }

    func isSymlink(_ path: String, to target: String) -> Bool {
        fs.kind(of: path, followSymlinks: false) == .symlink && fs.readLink(path) == target
    }

    static func packageFormat(_ distro: Distro?) -> PackageFormat? {
        switch distro {
        case nil: return nil
        case .altLinux, .centos, .rocky, .fedora, .mageia, .mandriva, .meego, .neokylin, .openmandriva,
             .opensuse, .oracleLinux, .redhatBased, .rhel, .scientificLinux, .sles, .suseBased:
            return .rpm
        case .debian, .kaliLinux, .kylin, .linuxMint, .ubuntu: return .deb
        case .archLinux: return .pacman
        case .gentoo: return .ebuild
        case .pardus: return .pisi
        case .alpineLinux: return .apk
        case .voidLinux: return .xbps
        case .buildroot, .cirros, .coreos, .freebsd, .freedos, .frugalware, .msdos, .netbsd, .openbsd,
             .pldLinux, .slackware, .ttylinux, .windows:
            return nil
        }
    }

    func packageManagement(_ data: InspectionData) -> PackageManagement? {
        let major = data.version?.major ?? 0
        switch data.distro {
        case nil: return nil
        case .meego: return .yum
        case .fedora:
            // dnf from Fedora 22 when installed; no version: unknown.
            if major >= 22 && fs.isFile("/usr/bin/dnf", follow: true) { return .dnf }
            return major >= 1 ? .yum : nil
        case .neokylin: return .dnf
        case .centos, .rocky, .oracleLinux, .redhatBased, .rhel, .scientificLinux:
            if major >= 8 { return .dnf }
            if major >= 5 { return .yum }
            if major >= 2 { return .up2date }
            return nil
        case .altLinux, .debian, .kaliLinux, .kylin, .linuxMint, .ubuntu: return .apt
        case .archLinux: return .pacman
        case .gentoo: return .portage
        case .pardus: return .pisi
        case .mageia, .mandriva: return .urpmi
        case .opensuse, .sles, .suseBased: return .zypper
        case .alpineLinux: return .apk
        case .voidLinux: return .xbps
        case .openmandriva: return .dnf
        case .buildroot, .cirros, .coreos, .freebsd, .freedos, .frugalware, .msdos, .netbsd, .openbsd,
             .pldLinux, .slackware, .ttylinux, .windows:
            return nil
        }
    }
}
