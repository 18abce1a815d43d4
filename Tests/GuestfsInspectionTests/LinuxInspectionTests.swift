import Foundation
import Testing
@testable import GuestfsInspection

private func data(_ i: Inspection, _ root: String) throws -> InspectionData { try i.root(root) }

/// A Linux root filesystem for the release tests: `files`, an empty
/// /etc/fstab and a /bin directory.
private func linuxRoot(_ device: String, _ files: [String: String]) -> (String, String, [String: String]) {
    (device, "ext4", files.merging(["/etc/fstab": "", "/bin/": ""]) { own, _ in own })
}

@Suite("Linux inspection on directory trees")
struct LinuxInspectionTests {
    let trees = Trees()

    static let debianFstab = """
        # /etc/fstab: static file system information.
        LABEL=ROOTFS / ext4 errors=remount-ro 0 1
        UUID="1111-2222" /boot ext4 defaults 0 2
        UUID=0000-BAD /data ext4 defaults 0 2
        PARTUUID=1234-01 /p ext4 defaults 0 0
        /dev/mapper/vg-lv /srv ext4 defaults 0 0
        /dev/mapper/gone-lv /gone ext4 defaults 0 0
        /dev/VG/LV /opt ext4 defaults 0 0
        /dev/disk/by-uuid/abcd /q ext4 defaults 0 0
        tmpfs /tmp tmpfs defaults 0 0
        proc /proc proc defaults 0 0
        /dev/cdrom /media/cdrom iso9660 ro 0 0
        /dev/sr0 /media/cd iso9660 ro 0 0
        /dev/fd0 /mnt/floppy auto noauto 0 0
        /dev/vda3 none swap sw 0 0
        /dev/sdb1 /extra ext4 defaults 0 0
        /dev/xvda4 ///usr//local// xfs defaults 0 0
        /dev/sda2 /home btrfs defaults,subvol=@home,compress 0 0
        /dev/sda2 /var btrfs subvol=@a,subvol=@var 0 0
        /dev/sda2 /multi ext4,ext3 defaults 0 0
        """

    @Test func debianProductNameIsDebianVersionAndFstabIsReadInFileOrder() throws {
        var devices = FakeDevices()
        devices.byTag = ["LABEL=ROOTFS": "/dev/sda1", "UUID=1111-2222": "/dev/sda5"]
        devices.lvs = ["/dev/mapper/vg-lv": .lv("/dev/vg/lv")]
        let (i, mounter) = try inspectTrees(trees, [("/dev/sda1", "ext4", [
            "/etc/os-release": "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n",
            "/etc/debian_version": "12.4\n",
            "/etc/hostname": "# a comment\n\nbookworm.example\nsecond\n",
            "/etc/fstab": Self.debianFstab,
            "/bin/ls": "ELF",
        ])], devices: devices)
        #expect(i.roots == ["/dev/sda1"])
        #expect(!mounter.isMounted)
        #expect(mounter.mountLog == ["/dev/sda1 ro"])
        let d = try data(i, "/dev/sda1")
        #expect(d.typeName == "linux")
        #expect(d.distroName == "debian")
        #expect(d.productName == "12.4")
        #expect(d.version == Version(12, 4))
        #expect(d.arch == "x86_64")
        #expect(d.hostname == "bookworm.example")
        #expect(d.packageFormatName == "deb")
        #expect(d.packageManagementName == "apt")
        #expect(try i.filesystems("/dev/sda1") == [
            "/dev/sda1", "/dev/sda5", "/dev/vg/lv", "/dev/mapper/gone-lv", "/dev/VG/LV", "/dev/disk/by-uuid/abcd",
            "/dev/sda3", "/dev/sdb1", "/dev/sda4", "btrfsvol:/dev/sda2/@home", "btrfsvol:/dev/sda2/@var", "/dev/sda2",
        ].filter { $0 != "/dev/sda2" })
        let mps = try i.mountpoints("/dev/sda1")
        #expect(mps.map(\.0) == ["/", "/boot", "/srv", "/gone", "/opt", "/q", "/extra", "/usr/local", "/home", "/var"])
        #expect(mps.first { $0.0 == "/usr/local" }?.1 == "/dev/sda4")
    }

    @Test func debianTestingWithoutVersionKeepsTheCodename() throws {
        let (i, _) = try inspectTrees(trees, [("/dev/sda1", "ext4", [
            "/etc/os-release": "PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\nID=debian\n",
            "/etc/debian_version": "trixie/sid\n", "/etc/hosts": "", "/bin/": "",
        ])])
        let d = try data(i, "/dev/sda1")
        #expect(d.productName == "trixie/sid")
        #expect(d.version == nil)
        #expect(d.distro == .debian)
    }

    @Test func ubuntuIsDoneByOsRelease() throws {
        let (i, _) = try inspectTrees(trees, [("/dev/sda1", "ext4", [
            "/etc/os-release": "PRETTY_NAME=\"Ubuntu 22.04.3 LTS\"\nID=ubuntu\nVERSION_ID=\"22.04\"\n",
            "/etc/debian_version": "bookworm/sid\n", "/etc/fstab": "", "/bin/": "",
            "/etc/HOSTNAME": "upper\n", "/etc/hostname": "lower\n",
        ])])
        let d = try data(i, "/dev/sda1")
        #expect(d.distroName == "ubuntu")
        #expect(d.productName == "Ubuntu 22.04.3 LTS")
        #expect(d.version == Version(22, 4))
        #expect(d.hostname == "upper")
        #expect(d.arch == nil)
        // No fstab lines: just "/".
        #expect(try i.mountpoints("/dev/sda1").map { [$0.0, $0.1] } == [["/", "/dev/sda1"]])
    }

    @Test func buildIdComesFromOsReleaseEvenWhenTheReleaseFileDecides() throws {
        let (i, _) = try inspectTrees(trees, [
            linuxRoot("/dev/sda1", ["/etc/os-release": "PRETTY_NAME=\"Arch Linux\"\nID=arch\nBUILD_ID=rolling\n"]),
            // Debian's os-release has only the major version: the release
            // file decides the version, the BUILD_ID read first stays.
            linuxRoot("/dev/sda2", ["/etc/os-release": "PRETTY_NAME=\"Debian GNU/Linux 12\"\nVERSION_ID=\"12\"\nID=debian\nBUILD_ID='2024-01-02'\n",
                                    "/etc/debian_version": "12.4\n"]),
            linuxRoot("/dev/sda3", ["/etc/os-release": "PRETTY_NAME=\"Ubuntu 22.04.3 LTS\"\nID=ubuntu\nVERSION_ID=\"22.04\"\n"]),
        ])
        #expect(try data(i, "/dev/sda1").buildId == "rolling")
        #expect(try data(i, "/dev/sda2").buildId == "2024-01-02")
        #expect(try data(i, "/dev/sda2").productName == "12.4")
        #expect(try data(i, "/dev/sda3").buildId == nil)
    }

    @Test func oldUbuntuAndMintFromLsbRelease() throws {
        let (i, _) = try inspectTrees(trees, [
            linuxRoot("/dev/sda1", ["/etc/lsb-release": "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=10.04\nDISTRIB_CODENAME=lucid\nDISTRIB_DESCRIPTION=\"Ubuntu 10.04.1 LTS\"\n",
                                    "/etc/debian_version": "squeeze/sid\n"]),
            linuxRoot("/dev/sda2", ["/etc/lsb-release": "DISTRIB_ID=LinuxMint\nDISTRIB_RELEASE=10\nDISTRIB_DESCRIPTION=\"Linux Mint 10 Julia\"\n"]),
            linuxRoot("/dev/sda3", ["/etc/lsb-release": "LSB_VERSION=core-2.0\n", "/etc/redhat-release": "Red Hat Enterprise Linux AS release 3 (Taroon Update 9)\n"]),
        ])
        #expect(i.roots == ["/dev/sda1", "/dev/sda2", "/dev/sda3"])
        let u = try data(i, "/dev/sda1")
        #expect(u.distroName == "ubuntu" && u.productName == "Ubuntu 10.04.1 LTS" && u.version == Version(10, 4))
        let m = try data(i, "/dev/sda2")
        #expect(m.distroName == "linuxmint" && m.version == Version(10, 0) && m.packageManagementName == "apt")
        let r = try data(i, "/dev/sda3")
        #expect(r.distroName == "rhel" && r.version == Version(3, 9) && r.packageManagementName == "up2date")
    }

    @Test func fedoraWithUsrMergeAndDnf() throws {
        let (i, _) = try inspectTrees(trees, [
            ("/dev/sda1", "ext4", ["/grub2/grub.cfg": "", "/etc/": ""]),
            ("/dev/sda2", "xfs", [
                "/etc/os-release": "NAME=\"Fedora Linux\"\nVERSION_ID=38\nID=fedora\nPRETTY_NAME=\"Fedora Linux 38 (Server Edition)\"\n",
                "/etc/redhat-release": "Fedora release 38 (Thirty Eight)\n",
                "/etc/fstab": "UUID=b00t /boot ext4 defaults 1 2\n/dev/mapper/fedora-root / xfs defaults 0 0\n",
                "/etc/hostname": "fedora.example\n",
                "/bin": "->usr/bin", "/usr/bin/bash": "ELF", "/usr/bin/dnf": "->dnf-3", "/usr/bin/dnf-3": "#!",
            ]),
        ], devices: FakeDevices(byTag: ["UUID=b00t": "/dev/sda1"], lvs: ["/dev/mapper/fedora-root": .notLV]))
        #expect(i.roots == ["/dev/sda2"])
        let d = try data(i, "/dev/sda2")
        #expect(d.distroName == "fedora" && d.version == Version(38, 0))
        #expect(d.productName == "Fedora Linux 38 (Server Edition)")
        #expect(d.packageFormatName == "rpm" && d.packageManagementName == "dnf")
        #expect(d.arch == "x86_64")
        #expect(try i.mountpoints("/dev/sda2").map { [$0.0, $0.1] } == [["/boot", "/dev/sda1"], ["/", "/dev/mapper/fedora-root"]])
        #expect(i.filesystems.map(\.role).contains(.other))
    }

    @Test func redHatFamilyFromReleaseFiles() throws {
        let (i, _) = try inspectTrees(trees, [
            linuxRoot("/dev/sda1", ["/etc/redhat-release": "Red Hat Enterprise Linux Server release 6.10 (Santiago)\n"]),
            linuxRoot("/dev/sda2", ["/etc/os-release": "ID=\"centos\"\nVERSION_ID=\"7\"\nPRETTY_NAME=\"CentOS Linux 7 (Core)\"\n",
                                    "/etc/centos-release": "CentOS Linux release 7.9.2009 (Core)\n", "/etc/redhat-release": "->centos-release"]),
            linuxRoot("/dev/sda3", ["/etc/redhat-release": "Foo Linux\n"]),
            linuxRoot("/dev/sda5", ["/etc/os-release": "ID=\"rocky\"\nVERSION_ID=\"9.2\"\nPRETTY_NAME=\"Rocky Linux 9.2 (Blue Onyx)\"\n"]),
            linuxRoot("/dev/sda6", ["/etc/oracle-release": "Oracle Linux Server release 7.9\n", "/etc/redhat-release": "Red Hat Enterprise Linux Server release 7.9 (Maipo)\n"]),
            linuxRoot("/dev/sda7", ["/etc/redhat-release": "Scientific Linux release 6.1 (Carbon)\n"]),
        ])
        let rhel = try data(i, "/dev/sda1")
        #expect(rhel.distroName == "rhel" && rhel.version == Version(6, 10) && rhel.packageManagementName == "yum")
        #expect(rhel.productName == "Red Hat Enterprise Linux Server release 6.10 (Santiago)")
        let centos = try data(i, "/dev/sda2")
        #expect(centos.distroName == "centos" && centos.version == Version(7, 9))
        #expect(centos.productName == "CentOS Linux release 7.9.2009 (Core)")
        let other = try data(i, "/dev/sda3")
        #expect(other.distroName == "redhat-based" && other.version == nil && other.packageManagementName == "unknown")
        #expect(other.packageFormatName == "rpm")
        let rocky = try data(i, "/dev/sda5")
        #expect(rocky.distroName == "rocky" && rocky.version == Version(9, 2) && rocky.packageManagementName == "dnf")
        let oracle = try data(i, "/dev/sda6")
        #expect(oracle.distroName == "oraclelinux" && oracle.version == Version(7, 9))
        let sl = try data(i, "/dev/sda7")
        #expect(sl.distroName == "scientificlinux" && sl.version == Version(6, 1))
    }

    @Test func rollingAndSmallDistros() throws {
        let (i, _) = try inspectTrees(trees, [
            linuxRoot("/dev/sda1", ["/etc/os-release": "NAME=\"Arch Linux\"\nPRETTY_NAME=\"Arch Linux\"\nID=arch\nBUILD_ID=rolling\n"]),
            linuxRoot("/dev/sda2", ["/etc/os-release": "ID=alpine\nVERSION_ID=3.18.4\nPRETTY_NAME=\"Alpine Linux v3.18\"\n", "/etc/alpine-release": "3.18.4\n"]),
            linuxRoot("/dev/sda3", ["/etc/os-release": "ID=gentoo\nPRETTY_NAME=\"Gentoo Linux\"\n"]),
            linuxRoot("/dev/sda5", ["/etc/os-release": "ID=\"void\"\nPRETTY_NAME=\"Void Linux\"\n"]),
            linuxRoot("/dev/sda6", ["/etc/arch-release": ""]),
            linuxRoot("/dev/sda7", ["/etc/os-release": "ID=kali\nVERSION_ID=\"2023.3\"\nPRETTY_NAME=\"Kali GNU/Linux Rolling\"\n"]),
            linuxRoot("/dev/sda8", ["/etc/altlinux-release": "ALT Linux 8.2 (Centaurus)\n"]),
            linuxRoot("/dev/sda9", ["/etc/os-release": "ID=\"mageia\"\nVERSION_ID=\"9\"\nPRETTY_NAME=\"Mageia 9\"\n"]),
            linuxRoot("/dev/sda10", ["/etc/slackware-version": "Slackware 15.0\n"]),
            linuxRoot("/dev/sda11", ["/etc/gentoo-release": "Gentoo Base System release 2.14\n"]),
        ])
        func check(_ dev: String, _ distro: String, _ v: Version?, _ fmt: String, _ mgmt: String) throws {
            let d = try data(i, dev)
            #expect(d.distroName == distro, "\(dev)")
            #expect(d.version == v, "\(dev)")
            #expect(d.packageFormatName == fmt, "\(dev)")
            #expect(d.packageManagementName == mgmt, "\(dev)")
        }
        try check("/dev/sda1", "archlinux", Version(0, 0), "pacman", "pacman")
        try check("/dev/sda2", "alpinelinux", Version(3, 18), "apk", "apk")
        try check("/dev/sda3", "gentoo", Version(0, 0), "ebuild", "portage")
        try check("/dev/sda5", "voidlinux", Version(0, 0), "xbps", "xbps")
        try check("/dev/sda6", "archlinux", nil, "pacman", "pacman")
        try check("/dev/sda7", "kalilinux", Version(2023, 3), "deb", "apt")
        try check("/dev/sda8", "altlinux", Version(8, 2), "rpm", "apt")
        try check("/dev/sda9", "mageia", Version(9, 0), "rpm", "urpmi")
        try check("/dev/sda10", "slackware", Version(15, 0), "unknown", "unknown")
        try check("/dev/sda11", "gentoo", Version(2, 14), "ebuild", "portage")
        #expect(try data(i, "/dev/sda6").productName == nil)
        #expect(try data(i, "/dev/sda8").productName == "ALT Linux 8.2 (Centaurus)")
    }

    @Test func suseReleaseFiles() throws {
        let (i, _) = try inspectTrees(trees, [
            linuxRoot("/dev/sda1", ["/etc/SuSE-release": "SUSE Linux Enterprise Server 11 (x86_64)\nVERSION = 11\nPATCHLEVEL = 4\n"]),
            linuxRoot("/dev/sda2", ["/etc/SuSE-release": "openSUSE 13.1 (x86_64)\nVERSION = 13.1\nCODENAME = Bottle\n"]),
            linuxRoot("/dev/sda3", ["/etc/os-release": "ID=\"opensuse-leap\"\nVERSION_ID=\"15.5\"\nPRETTY_NAME=\"openSUSE Leap 15.5\"\n"]),
            linuxRoot("/dev/sda5", ["/etc/SuSE-release": "Something else\n"]),
        ])
        let sles = try data(i, "/dev/sda1")
        #expect(sles.distroName == "sles" && sles.version == Version(11, 4) && sles.packageManagementName == "zypper")
        #expect(sles.productName == "SUSE Linux Enterprise Server 11 (x86_64)")
        let os = try data(i, "/dev/sda2")
        #expect(os.distroName == "opensuse" && os.version == Version(13, 1))
        #expect(try data(i, "/dev/sda3").distroName == "opensuse")
        let other = try data(i, "/dev/sda5")
        #expect(other.distroName == "unknown" && other.productName == "Something else")
    }

    @Test func hostnameFromSysconfigNetworkKeepsQuotes() throws {
        let (i, _) = try inspectTrees(trees, [
            linuxRoot("/dev/sda1", ["/etc/sysconfig/network": "NETWORKING=yes\nHOSTNAME=\"rhel5.example\"\n"]),
            linuxRoot("/dev/sda2", ["/etc/sysconfig/network": "HOSTNAME=a\nHOSTNAME=b\n"]),
            linuxRoot("/dev/sda3", ["/etc/hostname": "\n# only comments\n"]),
        ])
        #expect(try data(i, "/dev/sda1").hostname == "\"rhel5.example\"")
        #expect(try data(i, "/dev/sda2").hostname == nil)
        #expect(try data(i, "/dev/sda3").hostname == nil)
    }

    @Test func separateUsrFillsTheRootAndTheArchitecture() throws {
        let (i, _) = try inspectTrees(trees, [
            ("/dev/sda1", "ext4", ["/etc/fstab": "/dev/sda1 / ext4 defaults 0 1\n/dev/sda2 /usr ext4 defaults 0 2\n", "/bin/": ""]),
            ("/dev/sda2", "ext4", ["/bin/bash": "ELF", "/local/": "", "/share/": "", "/src/": "",
                                   "/lib/os-release": "ID=fedora\nVERSION_ID=39\nPRETTY_NAME=\"Fedora Linux 39\"\n"]),
        ], architectures: ["/bin/bash": "aarch64"])
        #expect(i.roots == ["/dev/sda1"])
        let d = try data(i, "/dev/sda1")
        #expect(d.distroName == "fedora" && d.version == Version(39, 0) && d.arch == "aarch64")
        // The package manager was decided on the root alone (no distro there).
        #expect(d.packageManagementName == "yum")
    }

    @Test func coreosRootTakesTheNewestUsr() throws {
        let (i, _) = try inspectTrees(trees, [
            ("/dev/sda3", "ext4", ["/bin/": "", "/share/coreos/": "", "/local/": "",
                                   "/lib/os-release": "ID=coreos\nVERSION_ID=647.0.0\nPRETTY_NAME=\"CoreOS 647.0.0\"\n"]),
            ("/dev/sda4", "ext4", ["/bin/": "", "/share/coreos/": "", "/local/": "",
                                   "/lib/os-release": "ID=coreos\nVERSION_ID=766.4.0\nPRETTY_NAME=\"CoreOS 766.4.0\"\n"]),
            ("/dev/sda9", "ext4", ["/etc/coreos/update.conf": "", "/root/": "", "/home/": "", "/usr/": "", "/etc/hostname": "core1\n"]),
        ])
        #expect(i.roots == ["/dev/sda9"])
        let d = try data(i, "/dev/sda9")
        #expect(d.distroName == "coreos" && d.version == Version(766, 4) && d.productName == "CoreOS 766.4.0")
        #expect(d.hostname == "core1")
        #expect(try i.mountpoints("/dev/sda9").map(\.0) == ["/usr", "/"])
        #expect(try i.filesystems("/dev/sda9") == ["/dev/sda4", "/dev/sda9"])
    }

    @Test func swapGrubBootVarAndUnmountableFilesystems() throws {
        let (i, mounter) = try inspectTrees(trees, [
            ("/dev/sda1", "ext4", ["/grub/grub.conf": ""]),
            ("/dev/sda2", "swap", [:]),
            ("/dev/sda3", "ext4", ["/log/": "", "/run/": "", "/spool/": ""]),
            ("/dev/sdb", "unknown", [:]),
        ])
        #expect(i.roots == [])
        #expect(i.filesystems.map(\.role) == [.other, .swap, .other])
        #expect(!mounter.mountLog.contains { $0.hasPrefix("/dev/sda2") })
        #expect(throws: InspectionError("/dev/sda1: root device not found: only call this function with a root device previously returned by guestfs_inspect_os")) {
            try i.root("/dev/sda1")
        }
        #expect(throws: InspectionError("no inspection data: call guestfs_inspect_os first")) {
            try Inspection().root("/dev/sda1")
        }
    }

    @Test func fstabDeviceSchemesAndMdArraysFromMdadmConf() throws {
        var devices = FakeDevices(disks: ["/dev/sda", "/dev/sdb"])
        devices.mds = ["a1b2c3d4e5f60718293a4b5c6d7e8f90": "/dev/md127"]
        let (i, _) = try inspectTrees(trees, [("/dev/md127", "ext4", [
            "/etc/mdadm/mdadm.conf": "DEVICE partitions\nARRAY /dev/md0 metadata=1.2 UUID=a1b2c3d4:e5f60718:293a4b5c:6d7e8f90 name=host:0\nARRAY /dev/md1 UUID=ffffffff:ffffffff:ffffffff:ffffffff\n",
            "/etc/fstab": """
                /dev/md0 / ext4 defaults 0 1
                /dev/md1 /m1 ext4 defaults 0 1
                /dev/cciss/c0d0p1 /cc ext4 defaults 0 0
                /dev/disk/by-id/ata-X-part1 /byid ext4 defaults 0 0
                /dev/hdb2 /h ext4 defaults 0 0
                /dev/sdc1 /c ext4 defaults 0 0
                /dev/vdb /whole ext4 defaults 0 0
                /dev/sda0 /zero ext4 defaults 0 0
                /dev/root /r ext4 defaults 0 0
                /dev/cd0 /cdrom cd9660 ro 0 0
                /dev/iso9660/FREEBSD_INSTALL /inst cd9660 ro 0 0
                /.swap none swap sw 0 0
                /dev/sda1	/tabs	ext4	defaults
                  /dev/sda1  /indented ext4 defaults # trailing comment
                /dev/sda1 /short
                """,
            "/bin/": "",
        ])], devices: devices)
        // The md array of mdadm.conf is the appliance's by UUID; by-id needs
        // a single disk; a partition number is taken on trust; a whole disk
        // and partition 0 are kept as written; lines with fewer than three
        // fields are skipped.
        #expect(try i.mountpoints("/dev/md127").map { "\($0.0)=\($0.1)" } == [
            "/=/dev/md127", "/m1=/dev/md1", "/cc=/dev/cciss/c0d0p1", "/byid=/dev/disk/by-id/ata-X-part1",
            "/h=/dev/sdb2", "/c=/dev/sdc1", "/whole=/dev/vdb", "/zero=/dev/sda0", "/r=/dev/md127",
            "/tabs=/dev/sda1", "/indented=/dev/sda1",
        ])
    }

    @Test func fstabOverAugeasSizeLimitIsIgnored() throws {
        let big = "/dev/sda1 / ext4 defaults 0 1\n" + String(repeating: "# padding\n", count: 10_000)
        let (i, _) = try inspectTrees(trees, [("/dev/sda1", "ext4", ["/etc/fstab": big, "/bin/": ""])])
        #expect(try i.root("/dev/sda1").fstab.isEmpty)
        #expect(try i.mountpoints("/dev/sda1").map(\.0) == ["/"])
    }

    @Test func versionsAndQuoting() {
        var d = InspectionData()
        Text.parseVersion("release 7.9.2009", into: &d)
        #expect(d.version == Version(7, 9))
        Text.parseVersion("2010", into: &d)
        #expect(d.version == Version(2010, 0))
        #expect(Text.shellUnquote("\"a \\\"b\\\" \\$c\"") == "a \"b\" $c")
        #expect(Text.shellUnquote("'x\\y'") == "x\\y")
        #expect(Text.simpleUnquote("\"x\\\"") == "x\\")
        #expect(Text.canonicalPath("///usr//local//") == "/usr/local")
        #expect(FstabReader.mdUUID("a1b2c3d4:e5f60718:293a4b5c:6d7e8f90") == "a1b2c3d4e5f60718293a4b5c6d7e8f90")
    }
}
