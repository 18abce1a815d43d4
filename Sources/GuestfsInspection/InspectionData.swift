/// What inspection learns about one operating system, and the identifiers
/// it reports (the exact strings of libguestfs 1.48).
public enum OSType: String, Sendable {
    case dos, freebsd, hurd, linux, minix, netbsd, openbsd, windows
}

public enum Distro: String, Sendable {
    case alpineLinux = "alpinelinux", altLinux = "altlinux", archLinux = "archlinux"
    case buildroot, centos, cirros, coreos, debian, fedora, freebsd, freedos
    case frugalware, gentoo, kaliLinux = "kalilinux", kylin, linuxMint = "linuxmint"
    case mageia, mandriva, meego, msdos, neokylin, netbsd, openbsd, openmandriva
    case opensuse, oracleLinux = "oraclelinux", pardus, pldLinux = "pldlinux"
    case redhatBased = "redhat-based", rhel, rocky, scientificLinux = "scientificlinux"
    case slackware, sles, suseBased = "suse-based", ttylinux, ubuntu
    case voidLinux = "voidlinux", windows
}

public enum PackageFormat: String, Sendable {
    case apk, deb, ebuild, pacman, pisi, pkgsrc, rpm, xbps
}

public enum PackageManagement: String, Sendable {
    case apk, apt, dnf, pacman, pisi, portage, up2date, urpmi, xbps, yum, zypper
}

public struct Version: Sendable, Equatable, Comparable {
    public var major: Int
    public var minor: Int
    public init(_ major: Int, _ minor: Int) {
        self.major = major
        self.minor = minor
    }
    public static func < (a: Version, b: Version) -> Bool {
        (a.major, a.minor) < (b.major, b.minor)
    }
}

/// One fstab line kept by inspection: the device (in the daemon's names)
/// and where it is mounted ("none" for swap is kept too).
public struct FstabEntry: Sendable, Equatable {
    public var mountable: String
    public var mountpoint: String
    public init(_ mountable: String, _ mountpoint: String) {
        self.mountable = mountable
        self.mountpoint = mountpoint
    }
}

public struct InspectionData: Sendable, Equatable {
    public var osType: OSType?
    public var distro: Distro?
    public var packageFormat: PackageFormat?
    public var packageManagement: PackageManagement?
    public var productName: String?
    public var productVariant: String?
    public var version: Version?
    public var arch: String?
    public var hostname: String?
    /// os-release's BUILD_ID, or Windows' CurrentBuildNumber (1.54).
    public var buildId: String?
    public var fstab: [FstabEntry] = []
    public var windowsSystemroot: String?
    public var windowsSoftwareHive: String?
    public var windowsSystemHive: String?
    public var windowsCurrentControlSet: String?
    /// 1.60: whether the software hive shows group policy objects (nil:
    /// not Windows, or the hive's CurrentVersion key was not found).
    public var windowsGroupPolicy: Bool?
    public var driveMappings: [(letter: String, device: String)] = []

    public init() {}

    public static func == (a: InspectionData, b: InspectionData) -> Bool {
        a.osType == b.osType && a.distro == b.distro && a.packageFormat == b.packageFormat
            && a.packageManagement == b.packageManagement && a.productName == b.productName
            && a.productVariant == b.productVariant && a.version == b.version && a.arch == b.arch
            && a.hostname == b.hostname && a.buildId == b.buildId && a.fstab == b.fstab && a.windowsSystemroot == b.windowsSystemroot
            && a.windowsSoftwareHive == b.windowsSoftwareHive && a.windowsSystemHive == b.windowsSystemHive
            && a.windowsCurrentControlSet == b.windowsCurrentControlSet && a.windowsGroupPolicy == b.windowsGroupPolicy
            && a.driveMappings.map(\.letter) == b.driveMappings.map(\.letter)
            && a.driveMappings.map(\.device) == b.driveMappings.map(\.device)
    }

    /// Fills what this root does not know from its /usr filesystem (the
    /// root's own values win; fstab and drive mappings are concatenated,
    /// the child's first).
    mutating func merge(from child: InspectionData) {
        osType = osType ?? child.osType
        distro = distro ?? child.distro
        packageFormat = packageFormat ?? child.packageFormat
        packageManagement = packageManagement ?? child.packageManagement
        version = version ?? child.version
        windowsGroupPolicy = windowsGroupPolicy ?? child.windowsGroupPolicy
        let texts: [WritableKeyPath<InspectionData, String?>] = [
            \.productName, \.productVariant, \.arch, \.hostname, \.buildId,
            \.windowsSystemroot, \.windowsSoftwareHive, \.windowsSystemHive, \.windowsCurrentControlSet,
        ]
        for field in texts { self[keyPath: field] = self[keyPath: field] ?? child[keyPath: field] }
        fstab = child.fstab + fstab
        driveMappings = child.driveMappings + driveMappings
    }
}

public enum FilesystemRole: Sendable, Equatable {
    case root(InspectionData)
    case usr(InspectionData)
    case swap
    case other
}

/// One filesystem that inspection looked at.
public struct InspectedFilesystem: Sendable, Equatable {
    public var mountable: String
    public var vfsType: String
    public var role: FilesystemRole
    public init(mountable: String, vfsType: String, role: FilesystemRole) {
        self.mountable = mountable
        self.vfsType = vfsType
        self.role = role
    }
}
