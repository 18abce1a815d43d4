/// Linux, the BSDs, Hurd, Minix and CoreOS: what each kind of root (or
/// /usr) filesystem tells, once it is mounted as the reader's "/".
struct UnixInspector {
    let fs: GuestFilesystemReader
    let devices: InspectionDevices

    static let archBinaries = ["/bin/bash", "/bin/ls", "/bin/echo", "/bin/rm", "/bin/sh"]

    var release: ReleaseFiles { ReleaseFiles(fs: fs) }
    var fstab: FstabReader { FstabReader(fs: fs, devices: devices) }

    func linuxRoot(_ mountable: String, _ data: inout InspectionData) {
        gnuRoot(.linux, release.linuxTests, mdadmConf: true, mountable, &data)
    }

    /// Linux and Hurd alike: the release files of `tests`, the binaries'
    /// architecture, fstab, and the hostname where Linux keeps it.
    private func gnuRoot(_ osType: OSType, _ tests: [(String, ReleaseFiles.Parser)], mdadmConf: Bool,
                         _ mountable: String, _ data: inout InspectionData) {
        data.osType = osType
        release.run(tests, &data)
        data.arch = architecture()
        data.fstab = fstab.entries(root: mountable, osType: osType, mdadmConf: mdadmConf)
        data.hostname = linuxHostname()
    }

    /// The architecture of the first standard binary that can be told
    /// (symlinks followed inside the guest); nil when none can.
    func architecture() -> String? {
        for bin in Self.archBinaries where fs.isFile(bin, follow: true) {
            guard let resolved = fs.realPath(bin) else { continue }
            if let arch = try? fs.architecture(of: resolved) { return arch }
        }
        return nil
    }

    /// /etc/HOSTNAME, /etc/hostname, then HOSTNAME in
    /// /etc/sysconfig/network.
    func linuxHostname() -> String? {
        if let h = hostname(fromFile: "/etc/HOSTNAME") ?? hostname(fromFile: "/etc/hostname") { return h }
        guard fs.isFile("/etc/sysconfig/network") else { return nil }
        return sysconfigNetworkHostname()
    }

    /// The first line that is neither empty nor a comment.
    func hostname(fromFile path: String) -> String? {
        Text.smallFileLines(fs, path)?.first { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    /// HOSTNAME=... as Augeas's Shellvars lens reads it: the value is kept
    /// with its quotes; two assignments make Augeas's get fail (nil).
    func sysconfigNetworkHostname() -> String? {
        guard let bytes = Text.augeasFile(fs, "/etc/sysconfig/network") else { return nil }
        let lines = Text.lines(bytes)
        var values: [String] = []
        for raw in lines {
            var line = Substring(raw)
            while let c = line.first, c == " " || c == "\t" { line = line.dropFirst() }
            if line.hasPrefix("export ") { line = line.dropFirst(7) }
            guard line.hasPrefix("HOSTNAME=") else { continue }
            var v = line.dropFirst(9)
            // A trailing comment after whitespace is not part of the value.
            if let hash = v.firstRange(of: " #") ?? v.firstRange(of: "\t#") { v = v[..<hash.lowerBound] }
            while let c = v.last, c == " " || c == "\t" { v = v.dropLast() }
            values.append(String(v))
        }
        return values.count == 1 ? values[0] : nil
    }

    func linuxUsr(_ data: inout InspectionData) {
        data.osType = .linux
        if fs.isFile("/lib/os-release", follow: true) { _ = release.osRelease("/lib/os-release", &data) }
        if let arch = architecture() { data.arch = arch }
    }

    func coreosRoot(_ mountable: String, _ data: inout InspectionData) {
        data.osType = .linux
        data.distro = .coreos
        data.hostname = linuxHostname()
        data.fstab = [FstabEntry(mountable, "/")]
    }

    func coreosUsr(_ mountable: String, _ data: inout InspectionData) {
        data.osType = .linux
        data.distro = .coreos
        if fs.isFile("/lib/os-release", follow: true) {
            _ = release.osRelease("/lib/os-release", &data)
        } else if fs.isFile("/share/coreos/lsb-release", follow: true) {
            _ = release.lsbRelease("/share/coreos/lsb-release", &data)
        }
        if let arch = architecture() { data.arch = arch }
        data.fstab = [FstabEntry(mountable, "/usr")]
    }

    func freebsdRoot(_ mountable: String, _ data: inout InspectionData) {
        data.osType = .freebsd
        data.distro = .freebsd
        // The version is only in /etc/motd.
        if fs.isFile("/etc/motd", follow: true) { _ = release.generic(.freebsd, nil)("/etc/motd", &data) }
        data.arch = architecture()
        data.fstab = fstab.entries(root: mountable, osType: .freebsd, mdadmConf: false)
        data.hostname = rcConfHostname()
    }

    func netbsdRoot(_ mountable: String, _ data: inout InspectionData) {
        data.osType = .netbsd
        data.distro = .netbsd
        if fs.isFile("/etc/release", follow: true) {
            _ = release.generic(.netbsd, "^NetBSD ([0-9]+)\\.([0-9]+)")("/etc/release", &data)
        }
        data.arch = architecture()
        data.fstab = fstab.entries(root: mountable, osType: .netbsd, mdadmConf: false)
        data.hostname = rcConfHostname()
    }

    /// Upstream 1.48 reports an OpenBSD root as type and distro "freebsd"
    /// (and reads its fstab with FreeBSD's device rules); kept for
    /// compatibility.
    func openbsdRoot(_ mountable: String, _ data: inout InspectionData) {
        freebsdRoot(mountable, &data)
    }

    /// hostname="..." (or '...', or bare) in /etc/rc.conf: the first such
    /// line; the quoted form drops the line's last character.
    func rcConfHostname() -> String? {
        guard let lines = Text.smallFileLines(fs, "/etc/rc.conf") else { return nil }
        for line in lines {
            if line.hasPrefix("hostname=\"") || line.hasPrefix("hostname='") {
                let u = Array(line.utf8)
                return String(decoding: u[10..<max(10, u.count - 1)], as: UTF8.self)
            }
            if line.hasPrefix("hostname=") { return String(line.dropFirst(9)) }
        }
        return nil
    }

    func hurdRoot(_ mountable: String, _ data: inout InspectionData) {
        gnuRoot(.hurd, release.hurdTests, mdadmConf: false, mountable, &data)
    }

    /// Minix: the version from /etc/version; no distro, no fstab.
    func minixRoot(_ data: inout InspectionData) {
        data.osType = .minix
        if fs.isFile("/etc/version", follow: true) {
            _ = release.generic(.meego, "^([0-9]+)\\.([0-9]+)(\\.([0-9]+))?")("/etc/version", &data)
            data.distro = nil
        }
        data.arch = architecture()
        data.hostname = hostname(fromFile: "/etc/hostname.file")
    }
}
