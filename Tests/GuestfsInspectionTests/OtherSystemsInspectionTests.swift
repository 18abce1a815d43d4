import Foundation
import Testing
@testable import GuestfsInspection

@Suite("BSD, Hurd, Minix, DOS and Windows inspection on directory trees")
struct OtherSystemsInspectionTests {
    let trees = Trees()

    @Test func freebsdNetbsdAndOpenbsdAsUpstreamReportsThem() throws {
        let (i, mounter) = try inspectTrees(trees, [
            ("/dev/sda5", "ufs", ["/etc/freebsd-update.conf": "", "/bin/sh": "ELF",
                                  "/etc/fstab": "# Device Mountpoint FStype Options Dump Pass#\n/dev/ada0p2 / ufs rw 1 1\n/dev/ada0p3 none swap sw 0 0\n/dev/ada0s1e /var ufs rw 2 2\n",
                                  "/etc/motd": "FreeBSD 13.2-RELEASE (GENERIC) releng/13.2-n254617-525ecfdad597\n",
                                  "/etc/rc.conf": "sshd_enable=\"YES\"\nhostname=\"fbsd.example\"\n"]),
            ("/dev/sdb1", "ufs", ["/netbsd": "", "/etc/release": "NetBSD 9.3 (GENERIC)\n", "/bin/": "",
                                  "/etc/fstab": "/dev/wd0a / ffs rw 1 1\n/dev/wd0e /home ffs rw 1 2\n/dev/sd1f /data ffs rw 1 2\n",
                                  "/etc/rc.conf": "hostname=nbsd\n"]),
            ("/dev/sdc5", "ufs", ["/bsd": "", "/etc/motd": "OpenBSD 7.3 (GENERIC) #1072: Sat Mar 25 10:25:16 MDT 2023\n", "/bin/": "",
                                  "/etc/fstab": "0123456789abcdef.a / ffs rw 1 1\n0123456789abcdef.d /usr ffs rw 1 2\n", "/etc/myname": "obsd.example\n"]),
        ], devices: FakeDevices(disks: ["/dev/sda", "/dev/sdb", "/dev/sdc"]), architectures: ["/bin/sh": "x86_64"])
        #expect(mounter.mountLog.first == "/dev/sda5 ro,ufstype=ufs2")
        #expect(i.roots == ["/dev/sda5", "/dev/sdb1", "/dev/sdc5"])
        let f = try i.root("/dev/sda5")
        #expect(f.typeName == "freebsd" && f.distroName == "freebsd" && f.version == Version(13, 2))
        #expect(f.productName == "FreeBSD 13.2-RELEASE (GENERIC) releng/13.2-n254617-525ecfdad597")
        #expect(f.hostname == "fbsd.example" && f.arch == "x86_64" && f.packageFormatName == "unknown")
        #expect(try i.mountpoints("/dev/sda5").map { [$0.0, $0.1] } == [["/", "/dev/sda5"], ["/var", "/dev/sda8"]])
        #expect(try i.filesystems("/dev/sda5") == ["/dev/sda5", "/dev/sda3", "/dev/sda8"])
        let n = try i.root("/dev/sdb1")
        #expect(n.typeName == "netbsd" && n.distroName == "netbsd" && n.version == Version(9, 3) && n.hostname == "nbsd")
        // NetBSD's a, b, (c label, d disk), e, f: f is Linux's 8th partition.
        // Upstream maps only ld/sd names: wd0e stays as written.
        #expect(try i.mountpoints("/dev/sdb1").map { [$0.0, $0.1] } == [["/", "/dev/sdb1"], ["/home", "/dev/wd0e"], ["/data", "/dev/sdb8"]])
        // Upstream 1.48 reports OpenBSD as FreeBSD (and reads rc.conf, not /etc/myname).
        let o = try i.root("/dev/sdc5")
        #expect(o.typeName == "freebsd" && o.distroName == "freebsd" && o.version == Version(7, 3) && o.hostname == nil)
        #expect(try i.mountpoints("/dev/sdc5").map { [$0.0, $0.1] } == [["/", "/dev/sdc5"], ["/usr", "/dev/sd0d"]])
    }

    /// Upstream drops a BSD root on a primary partition when another root
    /// of the same type exists; OpenBSD counts as FreeBSD there too.
    @Test func bsdPrimaryPartitionShadowIsDropped() throws {
        let files = ["/etc/freebsd-update.conf": "", "/bin/": "", "/etc/fstab": ""]
        let (i, _) = try inspectTrees(trees, [("/dev/sda1", "ufs", files), ("/dev/sda5", "ufs", files)])
        #expect(i.roots == ["/dev/sda5"])
    }

    @Test func hurdAndMinix() throws {
        let (i, _) = try inspectTrees(trees, [
            ("/dev/sda1", "ext2", ["/hurd/console": "", "/hurd/hello": "", "/hurd/null": "", "/etc/debian_version": "12.0\n",
                                   "/etc/fstab": "/dev/hd0s1 / ext2 defaults 0 1\n/dev/hd0s2 /home ext2 defaults 0 2\n", "/etc/hostname": "hurd\n"]),
            ("/dev/sda2", "ext2", ["/service/vm": "", "/etc/fstab": "", "/etc/version": "3.4.0\n", "/bin/": "", "/etc/hostname.file": "minix\n"]),
        ])
        let h = try i.root("/dev/sda1")
        #expect(h.typeName == "hurd" && h.distroName == "debian" && h.version == Version(12, 0) && h.hostname == "hurd")
        #expect(try i.mountpoints("/dev/sda1").map { [$0.0, $0.1] } == [["/", "/dev/sda1"], ["/home", "/dev/sda2"]])
        let m = try i.root("/dev/sda2")
        #expect(m.typeName == "minix" && m.distroName == "unknown" && m.version == Version(3, 4) && m.hostname == "minix")
        #expect(try i.mountpoints("/dev/sda2").map(\.0) == ["/"])
    }

    @Test func dosFamilies() throws {
        let (i, _) = try inspectTrees(trees, [
            ("/dev/sda1", "vfat", ["/fdos/freedos.bss": ""]),
            ("/dev/sda2", "vfat", ["/DOS/command.com": ""]),
        ])
        #expect(try i.root("/dev/sda1").distroName == "freedos")
        #expect(try i.root("/dev/sda2").distroName == "msdos")
        #expect(try i.root("/dev/sda2").typeName == "dos" && i.root("/dev/sda2").arch == "i386")
    }

    static let windowsFiles = [
        "/WINDOWS/System32/config/SOFTWARE": "regf", "/WINDOWS/System32/config/SYSTEM": "regf",
        "/WINDOWS/System32/cmd.exe": "MZ", "/Program Files/": "", "/System Volume Information/": "",
    ]

    static func softwareHive(_ values: [RegistryValue]) -> FakeHive {
        FakeHive(keys: [["Microsoft", "Windows NT", "CurrentVersion"]: values])
    }

    static let systemHive = FakeHive(keys: [
        ["Select"]: [.dword("Current", 1), .dword("Default", 1)],
        ["ControlSet001", "Services", "Tcpip", "Parameters"]: [.sz("Hostname", "WIN-SRV"), .sz("Domain", "")],
        ["MountedDevices"]: [
            RegistryValue(name: "\\DosDevices\\C:", type: RegistryValue.regBinary, data: [0x78, 0x56, 0x34, 0x12, 0, 0, 0x10, 0, 0, 0, 0, 0]),
            RegistryValue(name: "\\DosDevices\\E:", type: RegistryValue.regBinary,
                          data: Array("DMIO:ID:".utf8) + [0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]),
            RegistryValue(name: "\\DosDevices\\D:", type: RegistryValue.regBinary, data: Array("\\??\\IDE#CdRom".utf8)),
            RegistryValue(name: "\\??\\Volume{abc}", type: RegistryValue.regBinary, data: [1, 2, 3, 4, 0, 0, 0x10, 0, 0, 0, 0, 0]),
        ],
    ])

    @Test func windowsFromTheHives() throws {
        var devices = FakeDevices()
        devices.mbr = ["78563412@\(0x100000)": "/dev/sda1"]
        devices.gpt = ["00112233-4455-6677-8899-aabbccddeeff": "/dev/sdb2"]
        let (i, _) = try inspectTrees(trees, [("/dev/sda1", "ntfs", Self.windowsFiles)], devices: devices,
            architectures: ["/WINDOWS/System32/cmd.exe": "x86_64"],
            hives: ["/WINDOWS/System32/config/SOFTWARE": Self.softwareHive([
                .sz("ProductName", "Windows Server 2019 Standard"), .sz("CurrentVersion", "6.3"),
                .dword("CurrentMajorVersionNumber", 10), .dword("CurrentMinorVersionNumber", 0), .sz("InstallationType", "Server"),
                .sz("CurrentBuild", "17763"), .sz("CurrentBuildNumber", "17763"),
            ]), "/WINDOWS/System32/config/SYSTEM": Self.systemHive])
        #expect(i.roots == ["/dev/sda1"])
        let w = try i.root("/dev/sda1")
        #expect(w.typeName == "windows" && w.distroName == "windows")
        #expect(w.productName == "Windows Server 2019 Standard" && w.productVariant == "Server" && w.version == Version(10, 0))
        #expect(w.arch == "x86_64" && w.hostname == "WIN-SRV")
        #expect(w.buildId == "17763")
        #expect(w.windowsSystemroot == "/WINDOWS" && w.windowsCurrentControlSet == "ControlSet001")
        #expect(w.windowsSoftwareHive == "/WINDOWS/System32/config/SOFTWARE")
        #expect(w.windowsSystemHive == "/WINDOWS/System32/config/SYSTEM")
        #expect(w.driveMappings.map { "\($0.letter)=\($0.device)" } == ["C=/dev/sda1", "E=/dev/sdb2"])
        #expect(w.packageFormatName == "unknown" && w.packageManagementName == "unknown")
        #expect(try i.mountpoints("/dev/sda1").map { [$0.0, $0.1] } == [["/", "/dev/sda1"]])
        #expect(try i.filesystems("/dev/sda1") == ["/dev/sda1"])
    }

    @Test func windowsWithoutAVersionValueLosesTheVariant() throws {
        let (i, _) = try inspectTrees(trees, [("/dev/sda1", "ntfs", Self.windowsFiles)],
            architectures: ["/WINDOWS/System32/cmd.exe": "i386"],
            hives: ["/WINDOWS/System32/config/SOFTWARE": Self.softwareHive([.sz("ProductName", "Windows XP"), .sz("InstallationType", "Client"),
                                                                             .sz("CurrentBuildNumber", "2600")]),
                    "/WINDOWS/System32/config/SYSTEM": FakeHive(keys: [:])])
        let w = try i.root("/dev/sda1")
        #expect(w.productName == "Windows XP" && w.productVariant == nil && w.version == nil)
        #expect(w.buildId == nil, "the look-up stopped before CurrentBuildNumber")
        #expect(w.windowsCurrentControlSet == nil && w.hostname == nil && w.driveMappings.isEmpty)
    }

    @Test func windowsSystemrootFromBootIni() throws {
        let (i, _) = try inspectTrees(trees, [("/dev/sda1", "ntfs", [
            "/boot.ini": "[boot loader]\r\ntimeout=30\r\n[operating systems]\r\nmulti(0)disk(0)rdisk(0)partition(1)\\WIN2K=\"Windows 2000\" /fastdetect\r\n",
            "/WIN2K/system32/config/": "", "/WIN2K/system32/cmd.exe": "MZ",
        ])], architectures: ["/WIN2K/system32/cmd.exe": "i386"])
        let w = try i.root("/dev/sda1")
        #expect(w.windowsSystemroot == "/WIN2K" && w.windowsSoftwareHive == nil && w.productName == nil)
    }

    @Test func windowsDataVolumeIsNotARoot() throws {
        let (i, _) = try inspectTrees(trees, [("/dev/sda2", "ntfs", ["/Program Files/": "", "/System Volume Information/": ""])])
        #expect(i.roots.isEmpty)
        #expect(i.filesystems.map(\.role) == [.other])
    }

    @Test func gptGuidFromTheRegistryBlob() {
        let blob = Array("DMIO:ID:".utf8) + [0xd4, 0xc3, 0xb2, 0xa1, 0xf6, 0xe5, 0x08, 0x07, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10]
        #expect(WindowsInspector.guid(fromBlob: blob) == "a1b2c3d4-e5f6-0708-090a-0b0c0d0e0f10")
    }

    @Test func registryValueDecoding() throws {
        #expect(try RegistryValue.sz("x", "héllo").string() == "héllo")
        #expect(try RegistryValue(name: "x", type: RegistryValue.regSZ, data: [0x61, 0, 0, 0, 0x62, 0]).string() == "a")
        #expect(try RegistryValue.dword("d", 0x0102_0304).dword() == 0x0102_0304)
        #expect(try RegistryValue(name: "b", type: RegistryValue.regDWordBigEndian, data: [1, 2, 3, 4]).dword() == 0x0102_0304)
        #expect(throws: InspectionError.self) { try RegistryValue.dword("d", 1).string() }
    }
}
