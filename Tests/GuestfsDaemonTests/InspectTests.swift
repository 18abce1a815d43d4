import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

/// A minimal empty registry hive (one root key and its security cell), for
/// hivexregedit --merge to fill.
func inspectEmptyHive() -> Data {
    var b = [UInt8](repeating: 0, count: 8192)
    func put32(_ v: UInt32, _ at: Int) { for i in 0..<4 { b[at + i] = UInt8(v >> (8 * UInt32(i)) & 0xff) } }
    func put16(_ v: UInt16, _ at: Int) { b[at] = UInt8(v & 0xff); b[at + 1] = UInt8(v >> 8) }
    func ascii(_ s: String, _ at: Int) { for (i, c) in s.utf8.enumerated() { b[at + i] = c } }
    // Base block: signature, equal sequence numbers, version 1.3, root cell
    // at 0x20 of the 0x1000 bytes of hive bins, XOR checksum.
    ascii("regf", 0)
    put32(1, 4); put32(1, 8); put32(1, 0x14); put32(3, 0x18); put32(0, 0x1c); put32(1, 0x20)
    put32(0x20, 0x24); put32(0x1000, 0x28); put32(1, 0x2c)
    var sum: UInt32 = 0
    for i in stride(from: 0, to: 0x1fc, by: 4) {
        sum ^= UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }
    put32(sum, 0x1fc)
    let hbin = 0x1000
    ascii("hbin", hbin); put32(0, hbin + 4); put32(0x1000, hbin + 8)
    // Root key (nk): allocated cell of 0x60, flags root|no-delete|ASCII name.
    let nk = hbin + 0x20
    put32(UInt32(bitPattern: -0x60), nk); ascii("nk", nk + 4); put16(0x2c, nk + 6)
    put32(0xffff_ffff, nk + 0x20); put32(0xffff_ffff, nk + 0x24); put32(0xffff_ffff, nk + 0x2c)
    put32(0x80, nk + 0x30); put32(0xffff_ffff, nk + 0x34)
    put16(4, nk + 0x4c); ascii("ROOT", nk + 0x50)
    // Its security cell (sk), linked to itself, with an empty descriptor.
    let sk = hbin + 0x80
    put32(UInt32(bitPattern: -0x30), sk); ascii("sk", sk + 4)
    put32(0x80, sk + 8); put32(0x80, sk + 12); put32(1, sk + 16); put32(20, sk + 20)
    b[sk + 0x18] = 1; put16(0x8000, sk + 0x1a)
    // The rest of the bin is one free cell.
    put32(UInt32(0x1000 - 0xb0), hbin + 0xb0)
    return Data(b)
}

/// A hive made from .reg text with hivexregedit.
func inspectHive(_ reg: String) throws -> Data {
    let dir = NSTemporaryDirectory() + "hive-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try inspectEmptyHive().write(to: URL(fileURLWithPath: dir + "/hive"))
    try ("Windows Registry Editor Version 5.00\n\n" + reg).write(toFile: dir + "/in.reg", atomically: true, encoding: .utf8)
    _ = try host(["hivexregedit", "--merge", dir + "/hive", dir + "/in.reg"])
    return try Data(contentsOf: URL(fileURLWithPath: dir + "/hive"))
}

/// A PE32+ console x86-64 header: what `file` calls a 64-bit Windows binary.
func inspectPEBinary() -> [UInt8] {
    var b = [UInt8](repeating: 0, count: 1024)
    b[0] = 0x4d; b[1] = 0x5a; b[0x3c] = 0x80
    b[0x80] = 0x50; b[0x81] = 0x45
    b[0x84] = 0x64; b[0x85] = 0x86  // machine x86-64
    b[0x94] = 0xf0; b[0x96] = 0x22  // optional header size, characteristics
    b[0x98] = 0x0b; b[0x99] = 0x02  // PE32+
    b[0x98 + 68] = 3                // console subsystem
    return b
}

@Suite("inspect", .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"))
struct InspectTests {
    /// Writes files into the filesystem mounted at /: "->" makes a symlink.
    static func write(_ d: StandaloneDaemon, _ files: [(String, String)]) throws {
        for (path, content) in files {
            let dir = (path as NSString).deletingLastPathComponent
            if dir != "/" { try d.client.mkdirP(path: dir) }
            if content.hasPrefix("->") {
                try d.client.lnS(target: String(content.dropFirst(2)), linkname: path)
            } else if path.hasSuffix("/") {
                try d.client.mkdirP(path: path)
            } else {
                try d.client.upload(filename: .bytes(Array(content.utf8)), remotefilename: path)
            }
        }
    }

    /// Three MBR partitions on sda: 32 MB, 16 MB, the rest.
    static func threePartitions(_ d: StandaloneDaemon) throws {
        try d.client.partInit(device: "/dev/sda", parttype: "msdos")
        try d.client.partAdd(device: "/dev/sda", prlogex: "p", startsect: 2048, endsect: 67583)
        try d.client.partAdd(device: "/dev/sda", prlogex: "p", startsect: 67584, endsect: 100351)
        try d.client.partAdd(device: "/dev/sda", prlogex: "p", startsect: 100352, endsect: -2048)
    }

    /// What inspection should report as the architecture of `binary`:
    /// file_architecture's answer, or "unknown" where it cannot tell.
    static func expectedArch(_ d: StandaloneDaemon, _ binary: String) -> String {
        (try? d.client.fileArchitecture(filename: binary)) ?? "unknown"
    }

    static func sha(_ path: String) throws -> String {
        try host(["sha256sum", path]).split(separator: " ").first.map(String.init) ?? ""
    }

    @Test func debianLikeRootWithSeparateBootAndSwapReadOnly() throws {
        try withStandaloneDaemon(diskSizesMB: [64]) { d throws in
            try Self.threePartitions(d)
            try d.client.mkfs(fstype: "ext4", device: "/dev/sda1", label: "ROOTFS")
            try d.client.mkfs(fstype: "ext4", device: "/dev/sda2")
            try d.client.mkswap(device: "/dev/sda3")
            let bootUUID = try d.client.vfsUuid(mountable: "/dev/sda2")
            #expect(fsErrorMessage { _ = try d.client.inspectGetType(root: "/dev/sda1") }
                    == "no inspection data: call guestfs_inspect_os first")
            try d.client.mount(mountable: "/dev/sda2", mountpoint: "/")
            try Self.write(d, [("/grub/grub.cfg", "menuentry\n")])
            try d.client.umountAll()
            try d.client.mount(mountable: "/dev/sda1", mountpoint: "/")
            let ls = try Data(contentsOf: URL(fileURLWithPath: "/bin/ls"))
            try d.client.mkdirP(path: "/bin")
            try d.client.upload(filename: .bytes([UInt8](ls)), remotefilename: "/bin/ls")
            try Self.write(d, [
                ("/etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_ID=\"12\"\nID=debian\n"),
                ("/etc/debian_version", "12.4\n"),
                ("/etc/hostname", "# name\nbookworm.example\n"),
                ("/etc/fstab", """
                    # <file system> <mount point> <type> <options> <dump> <pass>
                    LABEL=ROOTFS / ext4 errors=remount-ro 0 1
                    UUID=\(bootUUID) /boot ext4 defaults 0 2
                    UUID=00000000-dead /gone ext4 defaults 0 2
                    /dev/vda3 none swap sw 0 0
                    /dev/mapper/vg-data /srv ext4 defaults 0 2
                    /dev/vg/home /home ext4 defaults 0 2
                    tmpfs /tmp tmpfs defaults 0 0
                    /dev/sr0 /media/cdrom0 udf,iso9660 user,noauto 0 0

                    """),
                ("/var/lib/dpkg/status", ""),
            ])
            let arch = Self.expectedArch(d, "/bin/ls")
            try d.client.umountAll()
            // Whatever the caller mounted is unmounted first, as upstream;
            // nothing is written to the disk.
            let before = try Self.sha(d.images[0])
            try d.client.mountRo(mountable: "/dev/sda1", mountpoint: "/")
            #expect(try d.client.inspectOs() == ["/dev/sda1"])
            #expect(try d.client.mounts() == [])
            #expect(try Self.sha(d.images[0]) == before)
            #expect(try d.client.inspectGetRoots() == ["/dev/sda1"])
            let c = d.client
            #expect(try c.inspectGetType(root: "/dev/sda1") == "linux")
            #expect(try c.inspectGetDistro(root: "/dev/sda1") == "debian")
            #expect(try c.inspectGetProductName(root: "/dev/sda1") == "12.4")
            #expect(try c.inspectGetProductVariant(root: "/dev/sda1") == "unknown")
            #expect(try c.inspectGetMajorVersion(root: "/dev/sda1") == 12)
            #expect(try c.inspectGetMinorVersion(root: "/dev/sda1") == 4)
            #expect(try c.inspectGetArch(root: "/dev/sda1") == arch)
            #expect(try c.inspectGetHostname(root: "/dev/sda1") == "bookworm.example")
            #expect(try c.inspectGetPackageFormat(root: "/dev/sda1") == "deb")
            #expect(try c.inspectGetPackageManagement(root: "/dev/sda1") == "apt")
            #expect(try c.inspectGetFormat(root: "/dev/sda1") == "installed")
            #expect(try c.inspectIsLive(root: "/dev/sda1") == false)
            #expect(try c.inspectIsNetinst(root: "/dev/sda1") == false)
            #expect(try c.inspectIsMultipart(root: "/dev/sda1") == false)
            #expect(try c.inspectGetDriveMappings(root: "/dev/sda1") == [])
            // fstab in the file's order (upstream 1.60).
            #expect(try c.inspectGetMountpoints(root: "/dev/sda1")
                    == ["/", "/dev/sda1", "/boot", "/dev/sda2", "/srv", "/dev/mapper/vg-data", "/home", "/dev/vg/home"])
            #expect(try c.inspectGetFilesystems(root: "/dev/sda1")
                    == ["/dev/sda1", "/dev/sda2", "/dev/sda3", "/dev/mapper/vg-data", "/dev/vg/home"])
            #expect(fsErrorMessage { _ = try c.inspectGetWindowsSystemroot(root: "/dev/sda1") }
                    == "not a Windows guest, or systemroot could not be determined")
            #expect(fsErrorMessage { _ = try c.inspectGetWindowsCurrentControlSet(root: "/dev/sda1") }
                    == "not a Windows guest, or CurrentControlSet could not be determined")
            #expect(fsErrorMessage { _ = try c.inspectGetType(root: "/dev/sda2") }
                    == "/dev/sda2: root device not found: only call this function with a root device previously returned by guestfs_inspect_os")
            #expect(daemonErrno { _ = try c.inspectGetType(root: "/dev/sdz1") } == "ENOENT")
        }
    }

    @Test func fedoraLikeWithUsrMergedBinAndSeparateBoot() throws {
        try withStandaloneDaemon(diskSizesMB: [64, 32]) { d throws in
            try d.client.partDisk(device: "/dev/sda", parttype: "gpt")
            try d.client.mkfs(fstype: "ext4", device: "/dev/sda1")
            let bootUUID = try d.client.vfsUuid(mountable: "/dev/sda1")
            try d.client.mount(mountable: "/dev/sda1", mountpoint: "/")
            try Self.write(d, [("/grub2/grub.cfg", ""), ("/loader/entries/", "")])
            try d.client.umountAll()
            // The root is on a second disk.
            try d.client.mkfs(fstype: "ext4", device: "/dev/sdb")
            try d.client.mount(mountable: "/dev/sdb", mountpoint: "/")
            try Self.write(d, [
                ("/usr/bin/", ""), ("/bin", "->usr/bin"),
                ("/usr/bin/dnf", "->dnf-3"), ("/usr/bin/dnf-3", "#!/usr/bin/python3\n"),
                ("/etc/os-release", "NAME=\"Fedora Linux\"\nVERSION_ID=38\nID=fedora\nPRETTY_NAME=\"Fedora Linux 38 (Server Edition)\"\n"),
                ("/etc/redhat-release", "Fedora release 38 (Thirty Eight)\n"),
                ("/etc/hostname", "fedora.example\n"),
                ("/etc/fstab", "UUID=\(bootUUID) /boot ext4 defaults 1 2\n/dev/sdb / ext4 defaults 0 0\n/dev/mapper/fedora-root / xfs defaults 0 0\n"),
            ])
            try d.client.umountAll()
            #expect(try d.client.inspectOs() == ["/dev/sdb"])
            let c = d.client
            #expect(try c.inspectGetDistro(root: "/dev/sdb") == "fedora")
            #expect(try c.inspectGetProductName(root: "/dev/sdb") == "Fedora Linux 38 (Server Edition)")
            #expect(try c.inspectGetMajorVersion(root: "/dev/sdb") == 38)
            #expect(try c.inspectGetMinorVersion(root: "/dev/sdb") == 0)
            #expect(try c.inspectGetPackageFormat(root: "/dev/sdb") == "rpm")
            #expect(try c.inspectGetPackageManagement(root: "/dev/sdb") == "dnf")
            #expect(try c.inspectGetHostname(root: "/dev/sdb") == "fedora.example")
            #expect(try c.inspectGetArch(root: "/dev/sdb") == "unknown")
            // Two "/" lines: the first is kept, moved to the front, as
            // upstream 1.60 does for every library (1.48 and 1.54 listed
            // both, and mounting them failed).
            #expect(try c.inspectGetMountpoints(root: "/dev/sdb")
                    == ["/", "/dev/sdb", "/boot", "/dev/sda1"])
        }
    }

    @Test func twoOperatingSystemsOnOneDiskAndAThirdOnAnother() throws {
        try withStandaloneDaemon(diskSizesMB: [64, 32]) { d throws in
            try Self.threePartitions(d)
            try d.client.mkfs(fstype: "ext4", device: "/dev/sda1")
            try d.client.mkfs(fstype: "ext2", device: "/dev/sda3")
            try d.client.mkfs(fstype: "ext4", device: "/dev/sdb")
            try d.client.mount(mountable: "/dev/sda1", mountpoint: "/")
            try Self.write(d, [("/bin/", ""), ("/etc/fstab", "/dev/sda1 / ext4 defaults 0 1\n"),
                               ("/etc/os-release", "ID=alpine\nVERSION_ID=3.18.4\nPRETTY_NAME=\"Alpine Linux v3.18\"\n"),
                               ("/etc/hostname", "alpine\n")])
            try d.client.umountAll()
            try d.client.mount(mountable: "/dev/sda3", mountpoint: "/")
            try Self.write(d, [("/bin/", ""), ("/etc/hosts", "127.0.0.1 localhost\n"),
                               ("/etc/os-release", "ID=arch\nPRETTY_NAME=\"Arch Linux\"\nBUILD_ID=rolling\n"), ("/etc/hostname", "arch\n")])
            try d.client.umountAll()
            try d.client.mount(mountable: "/dev/sdb", mountpoint: "/")
            try Self.write(d, [("/bin/", ""), ("/etc/fstab", ""), ("/etc/redhat-release", "CentOS release 6.10 (Final)\n")])
            try d.client.umountAll()
            // Roots come in list_filesystems order: whole-disk filesystems
            // first, then partitions.
            #expect(try d.client.inspectOs() == ["/dev/sdb", "/dev/sda1", "/dev/sda3"])
            #expect(try d.client.inspectGetRoots() == ["/dev/sdb", "/dev/sda1", "/dev/sda3"])
            let c = d.client
            #expect(try ["/dev/sda1", "/dev/sda3", "/dev/sdb"].map { try c.inspectGetDistro(root: $0) } == ["alpinelinux", "archlinux", "centos"])
            #expect(try c.inspectGetMajorVersion(root: "/dev/sda3") == 0)
            #expect(try c.inspectGetPackageManagement(root: "/dev/sdb") == "yum")
            #expect(try c.inspectGetMinorVersion(root: "/dev/sdb") == 10)
            #expect(try c.inspectGetMountpoints(root: "/dev/sda3") == ["/", "/dev/sda3"])
            #expect(try c.inspectGetFilesystems(root: "/dev/sdb") == ["/dev/sdb"])
            #expect(try c.inspectGetHostname(root: "/dev/sda1") == "alpine")
            // 1.54's inspect_get_build_id: os-release's BUILD_ID or "unknown".
            #expect(try ["/dev/sda1", "/dev/sda3", "/dev/sdb"].map { try c.inspectGetBuildId(root: $0) } == ["unknown", "rolling", "unknown"])
        }
    }

    @Test func windowsFromHivesMadeByHivexregedit() throws {
        let software = try inspectHive("""
            [\\Microsoft]

            [\\Microsoft\\Windows NT]

            [\\Microsoft\\Windows NT\\CurrentVersion]
            "ProductName"="Windows Server 2019 Standard"
            "CurrentVersion"="6.3"
            "CurrentMajorVersionNumber"=dword:0000000a
            "CurrentMinorVersionNumber"=dword:00000000
            "InstallationType"="Server"
            "CurrentBuildNumber"="17763"

            """)
        try withStandaloneDaemon(diskSizesMB: [64, 32]) { d throws in
            try d.client.partDisk(device: "/dev/sda", parttype: "mbr")
            try d.client.partDisk(device: "/dev/sdb", parttype: "gpt")
            // A GPT partition's blob: "DMIO:ID:" and its GUID, the first
            // three fields little-endian.
            let guid = try d.client.partGetGptGuid(device: "/dev/sdb", partnum: 1)
            let hexDigits = Array(guid.replacingOccurrences(of: "-", with: ""))
            let g = stride(from: 0, to: 32, by: 2).map { String(hexDigits[$0..<$0 + 2]) }
            let gptBlob = "44,4d,49,4f,3a,49,44,3a," + (Array(g[0..<4].reversed()) + Array(g[4..<6].reversed())
                + Array(g[6..<8].reversed()) + Array(g[8..<16])).joined(separator: ",").lowercased()
            let parts = try d.client.partList(device: "/dev/sda")
            let image = try FileHandle(forReadingFrom: URL(fileURLWithPath: d.images[0]))
            try image.seek(toOffset: 0x1b8)
            let signature = image.readData(ofLength: 4)
            try image.close()
            var blob = [UInt8](signature)
            var start = UInt64(parts[0].partStart)
            for _ in 0..<8 { blob.append(UInt8(start & 0xff)); start >>= 8 }
            let hex = blob.map { String(format: "%02x", $0) }.joined(separator: ",")
            let system = try inspectHive("""
                [\\Select]
                "Current"=dword:00000002

                [\\ControlSet002]

                [\\ControlSet002\\Services]

                [\\ControlSet002\\Services\\Tcpip]

                [\\ControlSet002\\Services\\Tcpip\\Parameters]
                "Hostname"="WIN-2019"

                [\\MountedDevices]
                "\\\\DosDevices\\\\C:"=hex:\(hex)
                "\\\\DosDevices\\\\D:"=hex:5c,00,3f,00,3f,00
                "\\\\DosDevices\\\\E:"=hex:\(gptBlob)

                """)
            try d.client.mkfs(fstype: "ntfs", device: "/dev/sda1")
            try d.client.mount(mountable: "/dev/sda1", mountpoint: "/")
            try d.client.mkdirP(path: "/Windows/System32/config")
            try d.client.upload(filename: .bytes([UInt8](software)), remotefilename: "/Windows/System32/config/SOFTWARE")
            try d.client.upload(filename: .bytes([UInt8](system)), remotefilename: "/Windows/System32/config/SYSTEM")
            try d.client.upload(filename: .bytes(inspectPEBinary()), remotefilename: "/Windows/System32/cmd.exe")
            let arch = Self.expectedArch(d, "/Windows/System32/cmd.exe")
            try d.client.umountAll()
            #expect(try d.client.inspectOs() == ["/dev/sda1"])
            let c = d.client
            #expect(try c.inspectGetType(root: "/dev/sda1") == "windows")
            #expect(try c.inspectGetDistro(root: "/dev/sda1") == "windows")
            #expect(try c.inspectGetProductName(root: "/dev/sda1") == "Windows Server 2019 Standard")
            #expect(try c.inspectGetProductVariant(root: "/dev/sda1") == "Server")
            #expect(try c.inspectGetMajorVersion(root: "/dev/sda1") == 10)
            #expect(try c.inspectGetMinorVersion(root: "/dev/sda1") == 0)
            #expect(try c.inspectGetArch(root: "/dev/sda1") == arch)
            #expect(try c.inspectGetHostname(root: "/dev/sda1") == "WIN-2019")
            #expect(try c.inspectGetBuildId(root: "/dev/sda1") == "17763")
            #expect(try c.inspectGetWindowsSystemroot(root: "/dev/sda1") == "/Windows")
            #expect(try c.inspectGetWindowsSoftwareHive(root: "/dev/sda1") == "/Windows/System32/config/SOFTWARE")
            #expect(try c.inspectGetWindowsSystemHive(root: "/dev/sda1") == "/Windows/System32/config/SYSTEM")
            #expect(try c.inspectGetWindowsCurrentControlSet(root: "/dev/sda1") == "ControlSet002")
            #expect(try c.inspectGetDriveMappings(root: "/dev/sda1") == ["C", "/dev/sda1", "E", "/dev/sdb1"])
            #expect(try c.inspectGetMountpoints(root: "/dev/sda1") == ["/", "/dev/sda1"])
            #expect(try c.inspectGetPackageFormat(root: "/dev/sda1") == "unknown")
            #expect(try d.client.mounts() == [])
        }
    }
}
