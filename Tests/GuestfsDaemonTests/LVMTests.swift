import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

/// LVM through liblvm2cmd, standalone on loop devices. Every test ends with
/// lvm_remove_all so nothing is left on the (global) loop devices.
@Suite("LVM", .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"), .serialized)
struct LVMTests {
    /// A VG name no host volume group will have.
    static func uniqueVG() -> String { "gfsdvg" + String(UUID().uuidString.prefix(6)).lowercased() }

    /// The loop node behind each attached image.
    static func loops(_ d: StandaloneDaemon) throws -> [String] {
        try d.images.map { image in
            let out = try host(["losetup", "-j", image])
            return String(out.split(separator: ":").first ?? "")
        }
    }

    /// Host lvm restricted to the daemon's loops (and metadata only, as
    /// the daemon runs when the kernel has no device-mapper).
    static func hostLvm(_ d: StandaloneDaemon, _ args: [String]) throws -> String {
        let filter = try loops(d).flatMap { ["\"a|^\($0)$|\"", "\"a|^\($0)p[0-9]+$|\""] } + ["\"r|.*|\""]
        var config = "devices { filter = [ \(filter.joined(separator: ", ")) ] use_devicesfile = 0 hints = \"none\" }"
        if !deviceMapper { config += " global { activation = 0 }" }
        return try host(["LVM_SUPPRESS_FD_WARNINGS=1", "lvm"] + args + ["--config", config])
    }

    static let deviceMapper: Bool = {
        let fd = open("/dev/mapper/control", O_RDWR)
        if fd >= 0 { close(fd); return true }
        return false
    }()

    /// The rows of `lvm pvs/vgs/lvs --reportformat json`, values as strings.
    static func hostReport(_ d: StandaloneDaemon, _ command: String, _ columns: [String]) throws -> [[String: String]] {
        let json = try hostLvm(d, [command, "--reportformat", "json", "--units", "b", "--nosuffix",
                                   "-o", columns.joined(separator: ",")])
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let report = (object?["report"] as? [[String: Any]])?.first
        let key = String(command.dropLast())
        return (report?[key] as? [[String: String]]) ?? []
    }

    /// Without device-mapper LVM makes no /dev/VG/LV nodes, but Device
    /// arguments must exist: stand-ins (symlinks to distinct char devices)
    /// let the LV-taking calls reach LVM, which only reads the VG/LV name.
    static func withLVNodes<R>(_ vg: String, _ lvs: [String], _ body: () throws -> R) throws -> R {
        if deviceMapper { return try body() }
        let targets = ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"]
        try FileManager.default.createDirectory(atPath: "/dev/\(vg)", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: "/dev/\(vg)") }
        for (i, lv) in lvs.enumerated() {
            try FileManager.default.createSymbolicLink(atPath: "/dev/\(vg)/\(lv)", withDestinationPath: targets[i])
        }
        return try body()
    }

    static func message(_ body: () throws -> Void) -> String? { daemonMessage(body) }

    /// PVs on both drives, a VG over both, two LVs.
    static func makeVolumes(_ d: StandaloneDaemon, vg: String) throws {
        try d.client.pvcreate(device: "/dev/sda")
        try d.client.pvcreate(device: "/dev/sdb")
        try d.client.vgcreate(volgroup: vg, physvols: ["/dev/sda", "/dev/sdb"])
        try d.client.lvcreate(logvol: "LV1", volgroup: vg, mbytes: 8)
        try d.client.lvcreateFree(logvol: "LV2", volgroup: vg, percent: 50)
    }

    @Test func createListAndRemoveAllOnTwoDrives() throws {
        try withStandaloneDaemon(diskSizesMB: [64, 64]) { d in
            defer { try? d.client.lvmRemoveAll() }
            #expect(try d.client.pvs() == [])
            let vg = Self.uniqueVG()
            try Self.makeVolumes(d, vg: vg)
            #expect(try d.client.pvs() == ["/dev/sda", "/dev/sdb"])
            #expect(try d.client.vgs() == [vg])
            #expect(try d.client.lvs() == ["/dev/\(vg)/LV1", "/dev/\(vg)/LV2"])
            // The host's lvm reads the same metadata on the loop devices.
            let hostLVs = try Self.hostLvm(d, ["lvs", "--noheadings", "-o", "lv_name,vg_name"])
            #expect(hostLVs.contains("LV1") && hostLVs.contains("LV2") && hostLVs.contains(vg))

            // Errors are lvm's own messages, no errno, as upstream.
            #expect(Self.message { try d.client.vgcreate(volgroup: vg, physvols: ["/dev/sda"]) }
                    == "  A volume group called \(vg) already exists.")
            #expect(daemonErrno { try d.client.vgcreate(volgroup: vg, physvols: ["/dev/sda"]) } == "")
            #expect(Self.message { try d.client.lvcreate(logvol: "LV1", volgroup: vg, mbytes: 8) }
                    == "  Logical Volume \"LV1\" already exists in volume group \"\(vg)\"")
            #expect(Self.message { try d.client.lvcreate(logvol: "X", volgroup: "nosuchvg", mbytes: 8) }
                    == "  Volume group \"nosuchvg\" not found\n  Cannot process volume group nosuchvg")
            #expect(Self.message { try d.client.lvcreateFree(logvol: "X", volgroup: vg, percent: 101) }
                    == "percentage must be [0..100] (was 101)")
            #expect(Self.message { try d.client.vgcreate(volgroup: "bad name", physvols: ["/dev/sda"]) }?
                        .contains("New volume group name \"bad name\" is invalid.") == true)

            try d.client.lvmRemoveAll()
            #expect(try d.client.lvs() == [])
            #expect(try d.client.vgs() == [])
            #expect(try d.client.pvs() == [])
            #expect(try Self.hostLvm(d, ["pvs", "--noheadings"]).trimmingCharacters(in: .whitespacesAndNewlines) == "")
        }
    }

    @Test func fullStructsMatchHostLvmFieldByField() throws {
        try withStandaloneDaemon(diskSizesMB: [64, 64]) { d in
            defer { try? d.client.lvmRemoveAll() }
            let vg = Self.uniqueVG()
            try Self.makeVolumes(d, vg: vg)
            let loops = try Self.loops(d)

            func int(_ s: String?) -> Int64 { Int64(s ?? "") ?? Int64.min }
            func uuid(_ s: String?) -> String { (s ?? "").replacingOccurrences(of: "-", with: "") }
            func percent(_ s: String?) -> Float { (s ?? "").isEmpty ? -1 : Float(s!) ?? .nan }

            let pvs = try d.client.pvsFull()
            let hostPVs = try Self.hostReport(d, "pvs", [
                "pv_name", "pv_uuid", "pv_fmt", "pv_size", "dev_size", "pv_free", "pv_used", "pv_attr", "pv_pe_count",
                "pv_pe_alloc_count", "pv_tags", "pe_start", "pv_mda_count", "pv_mda_free"])
            #expect(pvs.count == 2 && hostPVs.count == 2)
            for h in hostPVs {
                let name = h["pv_name"] == loops[0] ? "/dev/sda" : h["pv_name"] == loops[1] ? "/dev/sdb" : "?"
                guard let p = pvs.first(where: { $0.pvName == name }) else {
                    Issue.record("no pvs_full entry for \(name)")
                    continue
                }
                #expect(p.pvUuid == uuid(h["pv_uuid"]) && p.pvUuid.count == 32)
                #expect(p.pvFmt == h["pv_fmt"])
                #expect(p.pvSize == int(h["pv_size"]))
                #expect(p.devSize == int(h["dev_size"]) && p.devSize == 64 * 1024 * 1024)
                #expect(p.pvFree == int(h["pv_free"]))
                #expect(p.pvUsed == int(h["pv_used"]))
                #expect(p.pvAttr == h["pv_attr"])
                #expect(p.pvPeCount == int(h["pv_pe_count"]))
                #expect(p.pvPeAllocCount == int(h["pv_pe_alloc_count"]))
                #expect(p.pvTags == h["pv_tags"])
                #expect(p.peStart == int(h["pe_start"]))
                #expect(p.pvMdaCount == int(h["pv_mda_count"]))
                #expect(p.pvMdaFree == int(h["pv_mda_free"]))
            }

            let vgs = try d.client.vgsFull()
            let hostVGs = try Self.hostReport(d, "vgs", [
                "vg_name", "vg_uuid", "vg_fmt", "vg_attr", "vg_size", "vg_free", "vg_sysid", "vg_extent_size",
                "vg_extent_count", "vg_free_count", "max_lv", "max_pv", "pv_count", "lv_count", "snap_count",
                "vg_seqno", "vg_tags", "vg_mda_count", "vg_mda_free"])
            #expect(vgs.count == 1 && hostVGs.count == 1)
            if let v = vgs.first, let h = hostVGs.first {
                #expect(v.vgName == vg && v.vgName == h["vg_name"])
                #expect(v.vgUuid == uuid(h["vg_uuid"]) && v.vgUuid.count == 32)
                #expect(v.vgFmt == h["vg_fmt"])
                #expect(v.vgAttr == h["vg_attr"])
                #expect(v.vgSize == int(h["vg_size"]))
                #expect(v.vgFree == int(h["vg_free"]))
                #expect(v.vgSysid == h["vg_sysid"])
                #expect(v.vgExtentSize == int(h["vg_extent_size"]))
                #expect(v.vgExtentCount == int(h["vg_extent_count"]))
                #expect(v.vgFreeCount == int(h["vg_free_count"]))
                #expect(v.maxLv == int(h["max_lv"]))
                #expect(v.maxPv == int(h["max_pv"]))
                #expect(v.pvCount == int(h["pv_count"]) && v.pvCount == 2)
                #expect(v.lvCount == int(h["lv_count"]) && v.lvCount == 2)
                #expect(v.snapCount == int(h["snap_count"]))
                #expect(v.vgSeqno == int(h["vg_seqno"]))
                #expect(v.vgTags == h["vg_tags"])
                #expect(v.vgMdaCount == int(h["vg_mda_count"]))
                #expect(v.vgMdaFree == int(h["vg_mda_free"]))
            }

            let lvs = try d.client.lvsFull()
            let hostLVs = try Self.hostReport(d, "lvs", [
                "lv_name", "lv_uuid", "lv_attr", "lv_major", "lv_minor", "lv_kernel_major", "lv_kernel_minor",
                "lv_size", "seg_count", "origin", "snap_percent", "copy_percent", "move_pv", "lv_tags",
                "mirror_log", "modules"])
            #expect(lvs.map(\.lvName).sorted() == ["LV1", "LV2"] && hostLVs.count == 2)
            for h in hostLVs {
                guard let l = lvs.first(where: { $0.lvName == h["lv_name"] }) else {
                    Issue.record("no lvs_full entry for \(h["lv_name"] ?? "?")")
                    continue
                }
                #expect(l.lvUuid == uuid(h["lv_uuid"]) && l.lvUuid.count == 32)
                #expect(l.lvAttr == h["lv_attr"])
                #expect(l.lvMajor == int(h["lv_major"]))
                #expect(l.lvMinor == int(h["lv_minor"]))
                #expect(l.lvKernelMajor == int(h["lv_kernel_major"]))
                #expect(l.lvKernelMinor == int(h["lv_kernel_minor"]))
                #expect(l.lvSize == int(h["lv_size"]))
                #expect(l.segCount == int(h["seg_count"]))
                #expect(l.origin == h["origin"])
                #expect(l.snapPercent == percent(h["snap_percent"]) && l.snapPercent == -1)
                #expect(l.copyPercent == percent(h["copy_percent"]))
                #expect(l.movePv == h["move_pv"])
                #expect(l.lvTags == h["lv_tags"])
                #expect(l.mirrorLog == h["mirror_log"])
                #expect(l.modules == (h["modules"] ?? h["lv_modules"]))
            }
            let lv1Size = lvs.first(where: { $0.lvName == "LV1" })?.lvSize
            #expect(lv1Size == Optional(Int64(8 << 20)))

            // The UUID calls give lvm's dashed form of the same UUIDs.
            let pvuuid = try d.client.pvuuid(device: "/dev/sda")
            #expect(pvuuid.count == 38 && pvuuid.replacingOccurrences(of: "-", with: "")
                    == pvs.first(where: { $0.pvName == "/dev/sda" })?.pvUuid)
            let vguuid = try d.client.vguuid(vgname: vg)
            #expect(vguuid.replacingOccurrences(of: "-", with: "") == vgs.first?.vgUuid)
            #expect(Set(try d.client.vgpvuuids(vgname: vg).map { $0.replacingOccurrences(of: "-", with: "") })
                    == Set(pvs.map(\.pvUuid)))
            #expect(Set(try d.client.vglvuuids(vgname: vg).map { $0.replacingOccurrences(of: "-", with: "") })
                    == Set(lvs.map(\.lvUuid)))
            #expect(Self.message { _ = try d.client.vguuid(vgname: "nosuch") }
                    == "nosuch:   Volume group \"nosuch\" not found\n  Cannot process volume group nosuch")
            let lvuuid = try Self.withLVNodes(vg, ["LV1"]) { try d.client.lvuuid(device: "/dev/\(vg)/LV1") }
            #expect(lvuuid.replacingOccurrences(of: "-", with: "") == lvs.first(where: { $0.lvName == "LV1" })?.lvUuid)

            // vgmeta is vgcfgbackup's text of the VG.
            let meta = String(decoding: try d.client.vgmeta(vgname: vg), as: UTF8.self)
            #expect(meta.contains("\(vg) {") && meta.contains("id = \"\(vguuid)\"") && meta.contains("LV1 {"))
            #expect(Self.message { _ = try d.client.vgmeta(vgname: "nosuch") }?.hasPrefix("vgcfgbackup: ") == true)
        }
    }

    @Test func resizeRenameAndRemove() throws {
        try withStandaloneDaemon(diskSizesMB: [64, 64]) { d in
            defer { try? d.client.lvmRemoveAll() }
            let vg = Self.uniqueVG()
            try Self.makeVolumes(d, vg: vg)
            func size(_ lv: String) throws -> Int64? { try d.client.lvsFull().first { $0.lvName == lv }?.lvSize }

            try Self.withLVNodes(vg, ["LV1", "LV2"]) { () throws -> Void in
                try d.client.lvresize(device: "/dev/\(vg)/LV1", mbytes: 12)
                #expect(try size("LV1") == 12 * 1024 * 1024)
                // Same size again: lvm refuses, upstream ignores it.
                try d.client.lvresize(device: "/dev/\(vg)/LV1", mbytes: 12)
                let free = try d.client.vgsFull().first!.vgFree
                try d.client.lvresizeFree(lv: "/dev/\(vg)/LV1", percent: 100)
                #expect(try size("LV1") == 12 * 1024 * 1024 + free)
                #expect(try d.client.vgsFull().first!.vgFree == 0)
                #expect(Self.message { try d.client.lvresizeFree(lv: "/dev/\(vg)/LV1", percent: 0) }
                        == "  --extents may not be zero.\n  Run `lvresize --help' for more information.")
                #expect(Self.message { try d.client.lvresizeFree(lv: "/dev/\(vg)/LV1", percent: 200) }
                        == "percentage must be [0..100] (was 200)")

                // is_lv and the canonical name compare device numbers.
                #expect(try d.client.isLv(mountable: "/dev/\(vg)/LV1"))
                #expect(try d.client.isLv(mountable: "/dev/sda") == false)
                #expect(try d.client.lvmCanonicalLvName(lvname: "/dev/\(vg)/LV2") == "/dev/\(vg)/LV2")
                #expect(Self.message { _ = try d.client.lvmCanonicalLvName(lvname: "/dev/sda") }
                        == "/dev/sda: not a logical volume")
                #expect(daemonErrno { _ = try d.client.lvmCanonicalLvName(lvname: "/dev/sda") } == "EINVAL")
                #expect(Self.message { _ = try d.client.lvmCanonicalLvName(lvname: "foo") } == "foo: not a device name")
                #expect(daemonErrno { _ = try d.client.lvmCanonicalLvName(lvname: "/dev/nosuch") } == "ENOENT")

                try d.client.lvremove(device: "/dev/\(vg)/LV2")
                #expect(try d.client.lvs() == ["/dev/\(vg)/LV1"])
            }

            try d.client.lvrename(logvol: "/dev/\(vg)/LV1", newlogvol: "/dev/\(vg)/LV3")
            #expect(try d.client.lvs() == ["/dev/\(vg)/LV3"])
            #expect(Self.message { try d.client.lvrename(logvol: "/dev/\(vg)/nosuch", newlogvol: "/dev/\(vg)/LV4") }?
                        .hasPrefix("/dev/\(vg)/nosuch -> /dev/\(vg)/LV4:   ") == true)
            let vg2 = vg + "x"
            try d.client.vgrename(volgroup: vg, newvolgroup: vg2)
            #expect(try d.client.vgs() == [vg2])
            #expect(try d.client.lvs() == ["/dev/\(vg2)/LV3"])
            #expect(try Self.hostLvm(d, ["vgs", "--noheadings", "-o", "vg_name"]).contains(vg2))

            // UUID changes: new UUIDs, same volumes.
            let pvBefore = try d.client.pvuuid(device: "/dev/sdb")
            try d.client.pvchangeUuid(device: "/dev/sdb")
            let pvAfter = try d.client.pvuuid(device: "/dev/sdb")
            #expect(pvAfter != pvBefore && pvAfter.count == 38)
            let vgBefore = try d.client.vguuid(vgname: vg2)
            try d.client.vgchangeUuid(vg: vg2)
            #expect(try d.client.vguuid(vgname: vg2) != vgBefore)
            #expect(Self.message { try d.client.vgchangeUuid(vg: "nosuch") }?.hasPrefix("nosuch:   ") == true)
            let allBefore = Set(try d.client.pvsFull().map(\.pvUuid))
            try d.client.pvchangeUuidAll()
            #expect(Set(try d.client.pvsFull().map(\.pvUuid)).isDisjoint(with: allBefore))
            let vgAllBefore = try d.client.vguuid(vgname: vg2)
            try d.client.vgchangeUuidAll()
            #expect(try d.client.vguuid(vgname: vg2) != vgAllBefore)

            // Activation calls, scans.
            try d.client.vgActivate(activate: false, volgroups: [vg2])
            try d.client.vgActivateAll(activate: true)
            try d.client.vgscan()
            // Too many words for liblvm2cmd's splitter: the lvm tool runs, with our config.
            let many = [vg2] + (0..<70).map { "nosuch\($0)" }
            let manyMessage = Self.message { try d.client.vgActivate(activate: true, volgroups: many) } ?? ""
            #expect(manyMessage.hasPrefix("vgchange:   Volume group \"nosuch") && manyMessage.contains("Volume group \"nosuch69\" not found"))
            #expect(!manyMessage.contains("\(vg2)\" not found"))
            try d.client.lvmScan(activate: false)
            #expect(try d.client.lvs() == ["/dev/\(vg2)/LV3"])

            // pvremove -ff prompts; with no answer (stdin is /dev/null) lvm says no.
            #expect(Self.message { try d.client.pvremove(device: "/dev/sdb") } == """
                  WARNING: PV /dev/sdb is used by VG \(vg2).
                Really WIPE LABELS from physical volume "/dev/sdb" of volume group "\(vg2)" [y/n]? [n]
                  /dev/sdb: physical volume label not removed.
                """)
            // lvm_scan marked the PVs online in the host's /run/lvm: unmark them.
            for uuid in try d.client.pvsFull().map(\.pvUuid) {
                try? FileManager.default.removeItem(atPath: "/run/lvm/pvs_online/" + uuid)
            }
            try? FileManager.default.removeItem(atPath: "/run/lvm/vgs_online/" + vg2)

            try d.client.vgremove(vgname: vg2)
            #expect(try d.client.vgs() == [])
            #expect(try d.client.lvs() == [])
            #expect(Self.message { try d.client.vgremove(vgname: "nosuch") }
                    == "  Volume group \"nosuch\" not found\n  Cannot process volume group nosuch")
            try d.client.pvremove(device: "/dev/sdb")
            #expect(try d.client.pvs() == ["/dev/sda"])
        }
    }

    @Test func pvresizeChangesTheUsableSize() throws {
        try withStandaloneDaemon(diskSizesMB: [64]) { d in
            defer { try? d.client.lvmRemoveAll() }
            try d.client.pvcreate(device: "/dev/sda")
            func hostSize() throws -> Int64? {
                Int64(try Self.hostReport(d, "pvs", ["pv_size"]).first?["pv_size"] ?? "")
            }
            try d.client.pvresizeSize(device: "/dev/sda", size: 32 * 1024 * 1024)
            let small = try d.client.pvsFull().first?.pvSize ?? 0
            let hostSmall = try hostSize()
            #expect(small > 0 && small <= 32 * 1024 * 1024 && small == hostSmall)
            try d.client.pvresize(device: "/dev/sda")
            let full = try d.client.pvsFull().first?.pvSize ?? 0
            let hostFull = try hostSize()
            #expect(full > 60 * 1024 * 1024 && full <= 64 * 1024 * 1024 && full == hostFull)
            #expect(Self.message { try d.client.pvresizeSize(device: "/dev/sda", size: 1000) } == """
                /dev/sda:   Size is not a multiple of 512. Try using 512 or 1024.
                  Invalid argument for --setphysicalvolumesize: 1000b
                  Error during parsing of command line.
                """)
            try d.client.pvremove(device: "/dev/sda")
            #expect(try d.client.pvs() == [])
            #expect(Self.message { try d.client.pvresize(device: "/dev/sda") }
                    == "/dev/sda:   Failed to find physical volume \"/dev/sda\".")
        }
    }

    @Test func filterHidesOtherDrives() throws {
        try withStandaloneDaemon(diskSizesMB: [64, 64]) { d in
            defer {
                try? d.client.lvmClearFilter()
                try? d.client.lvmRemoveAll()
            }
            try d.client.pvcreate(device: "/dev/sda")
            try d.client.pvcreate(device: "/dev/sdb")
            try d.client.lvmSetFilter(devices: ["/dev/sdb"])
            #expect(try d.client.pvs() == ["/dev/sdb"])
            #expect(try d.client.pvsFull().map(\.pvName) == ["/dev/sdb"])
            // A device outside the filter cannot be used.
            #expect(Self.message { try d.client.vgcreate(volgroup: "vgx", physvols: ["/dev/sda"]) } != nil)
            try d.client.lvmSetFilter(devices: ["/dev/sda", "/dev/sdb"])
            #expect(try d.client.pvs() == ["/dev/sda", "/dev/sdb"])
            try d.client.lvmClearFilter()
            #expect(try d.client.pvs() == ["/dev/sda", "/dev/sdb"])
            try d.client.lvmRemoveAll()
            #expect(try d.client.pvs() == [])
        }
    }

    @Test func inProcessLvsIsFasterThanSpawningLvm() throws {
        try withStandaloneDaemon(diskSizesMB: [64, 64]) { d in
            defer { try? d.client.lvmRemoveAll() }
            let vg = Self.uniqueVG()
            try Self.makeVolumes(d, vg: vg)
            _ = try d.client.lvs()
            let n = 50
            var start = Date()
            for _ in 0..<n { #expect(try d.client.lvs().count == 2) }
            let inProcess = Date().timeIntervalSince(start)
            start = Date()
            for _ in 0..<n { _ = try Self.hostLvm(d, ["lvs", "-o", "vg_name,lv_name", "--noheadings"]) }
            let spawned = Date().timeIntervalSince(start)
            print(String(format: "lvs x%d: in-process (liblvm2cmd, through the daemon) %.3f s = %.1f ms/call; "
                         + "`lvm lvs` processes %.3f s = %.1f ms/call; speed-up %.2fx",
                         n, inProcess, inProcess * 1000 / Double(n), spawned, spawned * 1000 / Double(n),
                         spawned / inProcess))
            #expect(inProcess < spawned)
        }
    }
}
