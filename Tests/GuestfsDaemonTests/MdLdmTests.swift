import Foundation
import GuestfsClient
import GuestfsProtocol
@testable import GuestfsDaemon
import Testing

/// md_stat's reading of /proc/mdstat lines and the JSON reader the ldm
/// handlers use (pure), and the ldmtool procedures on a disk group made by
/// Tests/guests/make-ldm-disks (standalone: ldmtool reads loop devices;
/// mapping volumes needs device-mapper, so that is in ldm.fish).
@Suite("md and ldm")
struct MdLdmTests {
    @Test func mdstatLineMembersWithIndexesAndFlags() throws {
        let members = try Handlers.mdStatMembers("active raid1 sdb1[1] sdc1[2](S) sda1[0](F)\n")
        #expect(members == [
            GuestfsMdstat(mdstatDevice: "/dev/sdb1", mdstatIndex: 1, mdstatFlags: ""),
            GuestfsMdstat(mdstatDevice: "/dev/sdc1", mdstatIndex: 2, mdstatFlags: "S"),
            GuestfsMdstat(mdstatDevice: "/dev/sda1", mdstatIndex: 0, mdstatFlags: "F"),
        ])
        #expect(try Handlers.mdStatMembers("inactive sdd[3](S)(W)") ==
                [GuestfsMdstat(mdstatDevice: "/dev/sdd", mdstatIndex: 3, mdstatFlags: "SW")])
        // Words without "[...]" (state, level) are skipped.
        #expect(try Handlers.mdStatMembers("active raid5 ][ x]y[").isEmpty)
    }

    @Test func mdstatBadEntriesAreErrorsAsUpstream() {
        #expect(throws: DaemonError.self) { try Handlers.mdStatMembers("active [0]") }
        #expect(throws: DaemonError.self) { try Handlers.mdStatMembers("active sda[x]") }
    }

    @Test func mdstatIndexIsReadAsScanfPercentI() {
        #expect(Handlers.cIntegerPrefix("12") == 12)
        #expect(Handlers.cIntegerPrefix("0x1f") == 31)
        #expect(Handlers.cIntegerPrefix("010") == 8)
        #expect(Handlers.cIntegerPrefix("08") == 0)
        #expect(Handlers.cIntegerPrefix("-3") == -3)
        #expect(Handlers.cIntegerPrefix("x") == nil)
        #expect(Handlers.cIntegerPrefix("") == nil)
    }

    @Test func jsonReaderReadsLdmtoolOutput() throws {
        let text = """
        {
          "name" : "Volume1",
          "size" : 16384,
          "chunk-size" : 0,
          "hint" : "E:",
          "x" : [true, false, null, -1.5e3, "a\\"b\\\\c\\u00e9\\ud83d\\ude00\\n"],
          "partitions" : [
            "Disk1-01"
          ]
        }

        """
        let v = try JSONValue.parse(Array(text.utf8))
        #expect(v.member("name") == .string("Volume1"))
        #expect(v.member("size") == .number("16384"))
        #expect(v.member("partitions")?.stringList == ["Disk1-01"])
        #expect(v.member("x") == .array([.bool(true), .bool(false), .null, .number("-1.5e3"),
                                          .string("a\"b\\c\u{e9}\u{1F600}\n")]))
        #expect(v.member("x")?.stringList == nil)
        #expect(v.member("missing") == nil)
        #expect(try JSONValue.parse(Array("[]".utf8)).stringList == [])
    }

    @Test func jsonReaderRejectsMalformedText() {
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "\"abc", "[1] x", "tru", "\"\\x\"", "\"\\ud800\"",
                    "\"a\u{01}\"", "01x", String(repeating: "[", count: 600)] {
            #expect(throws: JSONValue.ParseError.self, "\(bad.prefix(20))") { try JSONValue.parse(Array(bad.utf8)) }
        }
    }

    static let ldmtoolAvailable = FileManager.default.isExecutableFile(atPath: "/usr/bin/ldmtool")
    static let group = "9c2b6a6e-5b5e-4d7a-9c1e-2f4d1d6a7b01"

    @Test(.enabled(if: StandaloneDaemon.available && ldmtoolAvailable, "needs root, losetup and ldmtool"))
    func ldmtoolShowsTheGeneratedDiskGroup() throws {
        let dir = NSTemporaryDirectory() + "ldm-test-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let images = [dir + "/d1.img", dir + "/d2.img"]
        _ = try host(["python3", root + "/Tests/guests/make-ldm-disks", images[0], images[1], "32"])
        let d = try StandaloneDaemon(existingImages: images)
        defer { d.stop() }
        let c = d.client
        #expect(try c.ldmtoolScanDevices(devices: ["/dev/sda", "/dev/sdb"]) == [Self.group])
        #expect(try c.ldmtoolScanDevices(devices: ["/dev/sdb"]) == [Self.group])
        #expect(try c.ldmtoolDiskgroupName(diskgroup: Self.group) == "LdmTest-Dg0")
        #expect(try c.ldmtoolDiskgroupVolumes(diskgroup: Self.group) == ["Volume1", "Volume2", "Volume3"])
        #expect(try c.ldmtoolDiskgroupDisks(diskgroup: Self.group) == ["Disk1", "Disk2"])
        #expect(try c.ldmtoolVolumeType(diskgroup: Self.group, volume: "Volume1") == "simple")
        #expect(try c.ldmtoolVolumeType(diskgroup: Self.group, volume: "Volume2") == "spanned")
        #expect(try c.ldmtoolVolumeType(diskgroup: Self.group, volume: "Volume3") == "striped")
        #expect(try c.ldmtoolVolumeHint(diskgroup: Self.group, volume: "Volume3") == "G:")
        #expect(try c.ldmtoolVolumePartitions(diskgroup: Self.group, volume: "Volume2") == ["Disk1-02", "Disk2-01"])
        // A volume without a drive letter has no "hint" key: upstream's error.
        do {
            _ = try c.ldmtoolVolumeHint(diskgroup: Self.group, volume: "Volume2")
            Issue.record("ldmtool_volume_hint of a volume without a hint succeeded")
        } catch GuestfsClientError.daemon(_, let message) {
            #expect(message == "output of 'ldmtool show volume' was not a JSON object containing a key 'hint' of type string")
        }
        do {
            _ = try c.ldmtoolDiskgroupName(diskgroup: "not-a-guid")
            Issue.record("an unknown disk group was accepted")
        } catch GuestfsClientError.daemon(_, let message) {
            #expect(message == "No such disk group: not-a-guid")
        }
    }
}
