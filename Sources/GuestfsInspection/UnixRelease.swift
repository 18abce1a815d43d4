/// Which distribution a Unix root is: /etc/os-release first, then
/// /etc/lsb-release, then each distribution's own release file, in
/// upstream's order. A parser that returns false lets the next test run,
/// keeping whatever it already set (upstream's behaviour: Debian's
/// product name ends up being the first line of /etc/debian_version).
struct ReleaseFiles {
    let fs: GuestFilesystemReader

    typealias Parser = (String, inout InspectionData) -> Bool

    static let rollingDistros: [Distro] = [.archLinux, .gentoo, .voidLinux]

    /// Runs the tests in order until one file exists and its parser says
    /// it is done.
    func run(_ tests: [(String, Parser)], _ data: inout InspectionData) {
        for (file, parse) in tests where fs.isFile(file, follow: true) {
            if parse(file, &data) { return }
        }
    }

    var linuxTests: [(String, Parser)] {
        let g = generic
        var tests: [(String, Parser)] = [
            ("/etc/os-release", osRelease),
            ("/etc/lsb-release", lsbRelease),
            ("/etc/openmandriva-release", g(.openmandriva, "OpenMandriva.*release ([0-9]+)\\.([0-9]+)\\.?([0-9]+)? .*")),
        ]
        tests += redHatFamily("/etc/oracle-release", .oracleLinux, "Oracle Linux")
        tests += redHatFamily("/etc/centos-release", .centos, "CentOS")
        tests += redHatFamily("/etc/rocky-release", .rocky, "Rocky Linux", updates: false)
        tests += [("/etc/altlinux-release", g(.altLinux, nil)),
                  ("/etc/redhat-release", g(.fedora, "Fedora release ([0-9]+)"))]
        tests += redHatFamily("/etc/redhat-release", .rhel, "Red Hat")
        tests += redHatFamily("/etc/redhat-release", .centos, "CentOS")
        tests += redHatFamily("/etc/redhat-release", .rocky, "Rocky Linux", updates: false)
        tests += redHatFamily("/etc/redhat-release", .scientificLinux, "Scientific Linux")
        return tests + [
            ("/etc/redhat-release", g(.redhatBased, nil)),
            ("/etc/redhat-release", { _, d in d.distro = .redhatBased; return true }),
            ("/etc/debian_version", g(.debian, nil)),
            ("/etc/pardus-release", g(.pardus, nil)),
            // arch-release is empty: nothing but the distro to learn.
            ("/etc/arch-release", { _, d in d.distro = .archLinux; return true }),
            ("/etc/gentoo-release", g(.gentoo, nil)),
            ("/etc/meego-release", g(.meego, nil)),
            ("/etc/slackware-version", g(.slackware, nil)),
            ("/etc/ttylinux-target", g(.ttylinux, nil)),
            ("/etc/SuSE-release", suseRelease),
            ("/etc/SuSE-release", { _, d in d.distro = .suseBased; return true }),
            ("/etc/cirros/version", g(.cirros, nil)),
            ("/etc/br-version", { file, d in
                let distro: Distro = fs.isFile("/usr/share/cirros/logo", follow: true) ? .cirros : .buildroot
                return generic(distro, nil)(file, &d)
            }),
            ("/etc/alpine-release", g(.alpineLinux, nil)),
            ("/etc/frugalware-release", g(.frugalware, "Frugalware ([0-9]+)\\.([0-9]+)")),
            ("/etc/pld-release", g(.pldLinux, "([0-9]+)\\.([0-9]+) PLD Linux")),
        ]
    }

    /// A Red Hat style release file of `file` naming `name`, tried as
    /// upstream does: "release N Update M" (old releases; not for
    /// `updates: false`), then "release N.M", then "release N".
    func redHatFamily(_ file: String, _ distro: Distro, _ name: String, updates: Bool = true) -> [(String, Parser)] {
        var patterns = ["\(name).*release ([0-9]+)\\.([0-9]+)", "\(name).*release ([0-9]+)"]
        if updates { patterns.insert("\(name).*release ([0-9]+).*Update ([0-9]+)", at: 0) }
        return patterns.map { (file, generic(distro, $0)) }
    }

    var hurdTests: [(String, Parser)] {
        [("/etc/os-release", osRelease), ("/etc/debian_version", generic(.debian, nil))]
    }

    static func distro(osReleaseID id: String) -> Distro? {
        switch id {
        case "alpine": return .alpineLinux
        case "altlinux": return .altLinux
        case "arch": return .archLinux
        case "centos": return .centos
        case "coreos": return .coreos
        case "debian": return .debian
        case "fedora": return .fedora
        case "frugalware": return .frugalware
        case "gentoo": return .gentoo
        case "kali": return .kaliLinux
        case "kylin": return .kylin
        case "mageia": return .mageia
        case "neokylin": return .neokylin
        case "openmandriva": return .openmandriva
        case "opensuse": return .opensuse
        case "pardus": return .pardus
        case "pld": return .pldLinux
        case "rhel": return .rhel
        case "rocky": return .rocky
        case "sles", "sled": return .sles
        case "ubuntu": return .ubuntu
        case "void": return .voidLinux
        default: return id.hasPrefix("opensuse-") ? .opensuse : nil
        }
    }

    /// os-release: ID, PRETTY_NAME, VERSION_ID (and BUILD_ID, kept even
    /// when the file is not enough). Done only with a distro, a
    /// product name and a version (rolling distros get 0.0); Debian,
    /// CentOS and Rocky with a bare major version fall through to their
    /// release files.
    func osRelease(_ file: String, _ data: inout InspectionData) -> Bool {
        guard let lines = Text.smallFileLines(fs, file) else { return false }
        for (key, value) in Text.keyValues(lines, unquote: Text.shellUnquote) {
            switch key {
            case "ID":
                if let d = Self.distro(osReleaseID: value) { data.distro = d }
            case "PRETTY_NAME":
                data.productName = value
            case "VERSION_ID":
                if let m = Text.match("^V([0-9]+)Update([0-9]+)$", value), let a = Text.int(m[1]), let b = Text.int(m[2]) {
                    data.version = Version(a, b)
                } else {
                    Text.parseVersion(value, into: &data)
                }
            case "BUILD_ID":
                data.buildId = value
            default: break
            }
        }
        guard let distro = data.distro, data.productName != nil else { return false }
        if [.debian, .centos, .rocky].contains(distro), let v = data.version, v.minor == 0 { return false }
        if data.version == nil {
            if Self.rollingDistros.contains(distro) {
                data.version = Version(0, 0)
                return true
            }
            return false
        }
        return true
    }

    /// lsb-release: DISTRIB_ID (a few known), DISTRIB_RELEASE,
    /// DISTRIB_DESCRIPTION. A bare file (RHEL 3) is not enough.
    func lsbRelease(_ file: String, _ data: inout InspectionData) -> Bool {
        guard let lines = Text.smallFileLines(fs, file) else { return false }
        var ok = false
        for (key, value) in Text.keyValues(lines, unquote: Text.simpleUnquote) {
            switch key {
            case "DISTRIB_ID":
                let d: Distro? = switch value {
                case "CoreOS": .coreos
                case "LinuxMint": .linuxMint
                case "Mageia": .mageia
                case "Ubuntu": .ubuntu
                default: nil
                }
                if let d {
                    data.distro = d
                    ok = true
                }
            case "DISTRIB_RELEASE":
                Text.parseVersion(value, into: &data)
            case "DISTRIB_DESCRIPTION":
                data.productName = value
                ok = true
            default: break
            }
        }
        return ok
    }

    /// /etc/SuSE-release: product name on the first line; SLES (or Novell
    /// Linux Desktop) with VERSION and PATCHLEVEL lines, openSUSE with a
    /// version on the second line.
    func suseRelease(_ file: String, _ data: inout InspectionData) -> Bool {
        guard let lines = Text.smallFileLines(fs, file) else { return false }
        let product = lines[0]
        data.productName = product
        if Text.match("^SUSE (Linux|LINUX) Enterprise ", product) != nil
            || Text.match("^Novell Linux Desktop ", product) != nil {
            let major = lines.count >= 2 ? Text.match("^VERSION = ([0-9]+)", lines[1]).flatMap { Text.int($0[1]) } : nil
            let minor = lines.count >= 3 ? Text.match("^PATCHLEVEL = ([0-9]+)", lines[2]).flatMap { Text.int($0[1]) } : nil
            data.distro = .sles
            data.version = major.map { Version($0, minor ?? 0) }
        } else if Text.match("^(openSUSE|SuSE Linux|SUSE LINUX) ", product) != nil {
            if lines.count >= 2 { Text.parseVersion(lines[1], into: &data) }
            data.distro = .opensuse
        }
        return true
    }

    /// Any other release file: its first line is the product name; with a
    /// pattern, the pattern must match (groups 1 and 2 are the version);
    /// without one a version is looked for but not required.
    func generic(_ distro: Distro, _ pattern: String?) -> Parser {
        { file, data in
            let product = Text.firstLine(fs, file)
            if product.isEmpty { return false }
            data.productName = product
            data.distro = distro
            guard let pattern else {
                Text.parseVersion(product, into: &data)
                return true
            }
            guard let m = Text.match(pattern, product) else { return false }
            let major = m.count > 1 ? Text.int(m[1]) : nil
            let minor = m.count > 2 ? Text.int(m[2]) : nil
            if let major { data.version = Version(major, minor ?? 0) }
            return true
        }
    }
}
