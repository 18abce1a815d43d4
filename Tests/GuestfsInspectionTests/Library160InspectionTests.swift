import Foundation
import Testing
@testable import GuestfsInspection

/// What libguestfs 1.60's inspection added since 1.54, for every library:
/// crypttab names, Ubuntu 22's /dev/disk names, one root per fstab, btrfs
/// snapshots of a root, Windows group policy.
@Suite("1.60 inspection rules on directory trees")
struct Library160InspectionTests {
    let trees = Trees()

    static let debian: [String: String] = [
        "/etc/os-release": "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
        "/etc/debian_version": "12.4\n", "/bin/ls": "ELF",
    ]

    @Test func crypttabNamesResolveThroughTheLuksUUID() throws {
        var devices = FakeDevices()
        devices.crypt = ["5289379a-a707-41b5-994c-c383f7ed54cc": "/dev/dm-1"]
        devices.lvs = ["/dev/mapper/vg-home": .lv("/dev/vg/home")]
        var files = Self.debian
        files["/etc/fstab"] = """
            /dev/mapper/cr_root / btrfs defaults 0 0
            /dev/mapper/cr_data /data ext4 defaults 0 0
            /dev/mapper/cr_path /path ext4 defaults 0 0
            /dev/mapper/vg-home /home ext4 defaults 0 0
            """
        files["/etc/crypttab"] = """
            # target device keyfile options
            cr_root  UUID=5289379a-a707-41b5-994c-c383f7ed54cc  none  x-initrd.attach
            cr_data  UUID=00000000-0000-0000-0000-000000000000  none
            cr_path  /dev/sda3  none
            """
        let (i, _) = try inspectTrees(trees, [("/dev/sda1", "ext4", files)], devices: devices)
        let mps = try i.mountpoints("/dev/sda1")
        #expect(mps.first { $0.0 == "/" }?.1 == "/dev/dm-1")
        // Named in crypttab but not open, or not by UUID: as written.
        #expect(mps.first { $0.0 == "/data" }?.1 == "/dev/mapper/cr_data")
        #expect(mps.first { $0.0 == "/path" }?.1 == "/dev/mapper/cr_path")
        // Not in crypttab: an LV, as before.
        #expect(mps.first { $0.0 == "/home" }?.1 == "/dev/vg/home")
    }

    @Test func ubuntuDiskByUUIDAndDmUUIDLVM() throws {
        var devices = FakeDevices()
        devices.byTag = ["UUID=0f0e0d0c-1111-2222-3333-444455556666": "/dev/sda2"]
        let vg = "Kq1mX0oAtTzPUpX7gA9bSVgA2i1Fj7rN", lv = "o7Q1sbhBrLg5cBs0xR4k5QvW8aTz6Yd3"
        devices.lvsByUUID = ["\(vg)/\(lv)": "/dev/ubuntu-vg/ubuntu-lv"]
        var files = Self.debian
        files["/etc/fstab"] = """
            /dev/disk/by-id/dm-uuid-LVM-\(vg)\(lv) / ext4 defaults 0 1
            /dev/disk/by-uuid/0f0e0d0c-1111-2222-3333-444455556666 /boot ext4 defaults 0 1
            /dev/disk/by-uuid/ffffffff-0000-0000-0000-000000000000 /gone ext4 defaults 0 1
            /dev/disk/by-id/dm-uuid-LVM-\(lv)\(vg) /swapped ext4 defaults 0 1
            """
        let (i, _) = try inspectTrees(trees, [("/dev/sda1", "ext4", files)], devices: devices)
        let mps = Dictionary(try i.mountpoints("/dev/sda1").map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
        #expect(mps["/"] == "/dev/ubuntu-vg/ubuntu-lv")
        #expect(mps["/boot"] == "/dev/sda2")
        #expect(mps["/gone"] == "/dev/disk/by-uuid/ffffffff-0000-0000-0000-000000000000")
        #expect(mps["/swapped"] == "/dev/disk/by-id/dm-uuid-LVM-\(lv)\(vg)")
    }

    @Test func duplicateRootLinesLeaveOneRootFirst() throws {
        var devices = FakeDevices()
        devices.byTag = ["LABEL=System": "/dev/sda1", "LABEL=Boot": "/dev/sda2", "LABEL=Other": "/dev/sda3"]
        var files = Self.debian
        files["/etc/fstab"] = "LABEL=System / xfs defaults 0 0\nLABEL=Boot /boot ext2 defaults 0 0\nLABEL=Other / xfs defaults 0 0\n"
        let (i, _) = try inspectTrees(trees, [("/dev/sda1", "xfs", files)], devices: devices)
        // Lines in the file's order: the first root line wins, moved to
        // the front.
        #expect(try i.mountpoints("/dev/sda1").map { [$0.0, $0.1] } == [["/", "/dev/sda1"], ["/boot", "/dev/sda2"]])
        files["/etc/fstab"] = "LABEL=Boot /boot ext2 defaults 0 0\nLABEL=Other / xfs defaults 0 0\nLABEL=System / xfs defaults 0 0\n"
        let (k, _) = try inspectTrees(Trees(), [("/dev/sda1", "xfs", files)], devices: devices)
        #expect(try k.mountpoints("/dev/sda1").map { [$0.0, $0.1] } == [["/", "/dev/sda3"], ["/boot", "/dev/sda2"]])
        // One root line: the order is untouched.
        files["/etc/fstab"] = "LABEL=Boot /boot ext2 defaults 0 0\nLABEL=System / xfs defaults 0 0\n"
        let (j, _) = try inspectTrees(Trees(), [("/dev/sda1", "xfs", files)], devices: devices)
        #expect(try j.mountpoints("/dev/sda1").map { [$0.0, $0.1] } == [["/boot", "/dev/sda2"], ["/", "/dev/sda1"]])
    }

    @Test func btrfsSnapshotsOfARootAreNotRoots() throws {
        let suse = [
            "/etc/os-release": "NAME=\"SLES\"\nVERSION_ID=\"15.5\"\nID=\"sles\"\nPRETTY_NAME=\"SUSE Linux Enterprise Server 15 SP5\"\n",
            "/etc/fstab": "", "/bin/ls": "ELF",
        ]
        var older = suse
        older["/etc/os-release"] = "NAME=\"SLES\"\nVERSION_ID=\"15.4\"\nID=\"sles\"\nPRETTY_NAME=\"SUSE Linux Enterprise Server 15 SP4\"\n"
        let (i, _) = try inspectTrees(trees, [
            ("/dev/sda2", "btrfs", suse),
            ("btrfsvol:/dev/sda2/@/.snapshots/1/snapshot", "btrfs", suse),
            ("btrfsvol:/dev/sda2/@/.snapshots/2/snapshot", "btrfs", older),
            ("btrfsvol:/dev/sdb1/@", "btrfs", suse),
        ])
        // The same system on the same device: a snapshot. Another version,
        // or another device: still a root of its own.
        #expect(i.roots == ["/dev/sda2", "btrfsvol:/dev/sda2/@/.snapshots/2/snapshot", "btrfsvol:/dev/sdb1/@"])
    }

    @Test func windowsGroupPolicyFromTheSoftwareHive() throws {
        func inspect(_ history: [String]?) throws -> Bool? {
            var keys: [[String]: [RegistryValue]] = [
                ["Microsoft", "Windows NT", "CurrentVersion"]: [.sz("ProductName", "Windows 10 Pro"), .sz("CurrentVersion", "6.3")],
            ]
            for child in history ?? [] {
                keys[["Microsoft", "Windows", "CurrentVersion", "Group Policy", "History", child]] = [.dword("Version", 1)]
            }
            if history == [] { keys[["Microsoft", "Windows", "CurrentVersion", "Group Policy", "History"]] = [] }
            let (i, _) = try inspectTrees(Trees(), [("/dev/sda1", "ntfs", OtherSystemsInspectionTests.windowsFiles)],
                architectures: ["/WINDOWS/System32/cmd.exe": "x86_64"],
                hives: ["/WINDOWS/System32/config/SOFTWARE": FakeHive(keys: keys),
                        "/WINDOWS/System32/config/SYSTEM": OtherSystemsInspectionTests.systemHive])
            return try i.root("/dev/sda1").windowsGroupPolicy
        }
        #expect(try inspect(["{31B2F340-016D-11D2-945F-00C04FB984F9}"]) == true)
        #expect(try inspect(["{a}", "other"]) == false, "'{' then a hex digit, at least four characters")
        #expect(try inspect(["{abc}"]) == true)
        #expect(try inspect(["Extensions", "{zzz}"]) == false)
        #expect(try inspect([]) == false)
        #expect(try inspect(nil) == false)
    }

    @Test func noGroupPolicyAnswerWithoutTheCurrentVersionKey() throws {
        let (i, _) = try inspectTrees(trees, [("/dev/sda1", "ntfs", OtherSystemsInspectionTests.windowsFiles)],
            architectures: ["/WINDOWS/System32/cmd.exe": "x86_64"],
            hives: ["/WINDOWS/System32/config/SOFTWARE": FakeHive(keys: [
                        ["Microsoft", "Windows", "CurrentVersion", "Group Policy", "History", "{1234}"]: []]),
                    "/WINDOWS/System32/config/SYSTEM": OtherSystemsInspectionTests.systemHive])
        #expect(try i.root("/dev/sda1").windowsGroupPolicy == nil)
    }
}
