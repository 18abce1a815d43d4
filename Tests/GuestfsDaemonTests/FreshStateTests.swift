import Foundation
import GuestfsClient
@testable import GuestfsDaemon
import GuestfsProtocol
import Testing

/// The daemon-wide disk generation that in-process caches check: calls that
/// may write a device move it (before and after, failed or not), reads do
/// not, and procedures nobody classified count as writes.
@Suite("disk generation") struct DiskGenerationTests {
    @Test func writesMoveItReadsDoNot() throws {
        let h = try SessionHarness()
        defer { _ = h.closeAndWaitForExit() }
        let context = h.actions.context
        let start = context.diskGeneration
        try h.client.pingDaemon()
        _ = try h.client.echoDaemon(words: ["a"])
        #expect(context.diskGeneration == start)
        try h.client.upload(filename: .bytes([1, 2, 3]), remotefilename: "/file")
        #expect(context.diskGeneration == start + 2)
        #expect(daemonErrno {
            try h.client.upload(filename: .bytes([UInt8](repeating: 0, count: 100_000)), remotefilename: "/fail-after-first-chunk")
        } == "ENOSPC")
        #expect(context.diskGeneration == start + 4)
        try h.client.download(remotefilename: "/bytes/10", filename: DownloadSink())
        #expect(context.diskGeneration == start + 4)
    }

    @Test func classification() {
        for p in [Procedure.pvs, .lvsFull, .partList, .blockdevGetsize64, .vfsType, .listPartitions] {
            #expect(!DiskChanges.mayWriteDevices(p), "\(p)")
        }
        for p in [Procedure.pvcreate, .partAdd, .partInit, .mkfs, .zeroDevice, .blockdevRereadpt, .blockdevSetro,
                  .copyDeviceToDevice, .dd, .upload, .resize2fs, .lvresize, .sfdisk, .partSetGptType, .debug, .sh] {
            #expect(DiskChanges.mayWriteDevices(p), "\(p)")
        }
    }
}

/// No stale state between calls (issue 12): a sequence of storage calls on
/// the same disks gives the same answers in one daemon session as with a
/// fresh daemon started for each call, and after every step no PV claims
/// more than its device holds.
///
/// Each sequence runs twice on new images of the same sizes: once in one
/// session, once with a daemon started again on the images for each call
/// (and one more for the observations after it). After each step both runs
/// record what the disks look like (partitions and their sizes, the
/// partition table, filesystem types, pvs_full/vgs_full/lvs_full without
/// UUIDs) and the two transcripts must be equal. Standalone LVM runs with
/// activation off (the host kernel has no device-mapper): metadata only;
/// Tests/appliance/70-fresh-state.sh runs sequences with real activation.
@Suite("fresh state: one session vs a daemon per call", .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"),
       .serialized)
struct FreshStateTests {
    // MARK: hand-written sequences

    /// The issue's guestfish session: LVM made, removed, the disk
    /// repartitioned smaller, LVM made again.
    @Test func repartitionSmallerThenLVM() throws {
        let vg = SequenceNames()
        var s: [StorageCall] = [
            .partDisk("/dev/sda", "mbr"), .pvcreate("/dev/sda1"), .vgcreate(vg.a, ["/dev/sda1"]),
            .lvcreate(vg.l1, vg.a, 200), .lvmRemoveAll,
            .partInit("/dev/sda", "mbr"),
            .partAdd("/dev/sda", "p", 64, 204799), .partAdd("/dev/sda", "p", 204800, 409599),
            .partAdd("/dev/sda", "p", 409600, -64),
        ]
        s += [.pvcreate("/dev/sda1"), .pvcreate("/dev/sda2"), .pvcreate("/dev/sda3"),
              .vgcreate(vg.a, ["/dev/sda1", "/dev/sda2"]), .vgcreate(vg.b, ["/dev/sda3"]),
              .lvcreate(vg.l1, vg.b, 50), .lvcreate(vg.l2, vg.a, 50), .lvcreate(vg.l3, vg.a, 100),
              .lvmRemoveAll]
        try compareRuns(s, names: vg, diskSizesMB: [1024])
    }

    /// Partitions grown and shrunk under PVs (part_resize then pvresize),
    /// MBR to GPT and back, bigger and smaller.
    @Test func resizeUnderPVsAndChangeLabels() throws {
        let vg = SequenceNames()
        let s: [StorageCall] = [
            .partInit("/dev/sda", "mbr"), .partAdd("/dev/sda", "p", 2048, 43007),
            .pvcreate("/dev/sda1"), .vgcreate(vg.a, ["/dev/sda1"]), .lvcreate(vg.l1, vg.a, 8),
            .partResize("/dev/sda", 1, 184319), .pvresize("/dev/sda1"), .lvresize(vg.a, vg.l1, 60),
            .lvresize(vg.a, vg.l1, 12), .pvresizeSize("/dev/sda1", 40 << 20), .pvresize("/dev/sda1"),
            .lvremove(vg.a, vg.l1), .vgremove(vg.a), .pvremove("/dev/sda1"),
            .partInit("/dev/sda", "gpt"), .partAdd("/dev/sda", "p", 2048, 40959),
            .partAdd("/dev/sda", "p", 40960, -34),
            .pvcreate("/dev/sda2"), .pvcreate("/dev/sdb"), .vgcreate(vg.b, ["/dev/sda2", "/dev/sdb"]),
            .lvcreate(vg.l2, vg.b, 150), .lvmRemoveAll,
            .partDisk("/dev/sda", "mbr"), .pvcreate("/dev/sda1"), .vgcreate(vg.a, ["/dev/sda1"]),
            .lvcreate(vg.l1, vg.a, 100), .lvmRemoveAll,
        ]
        try compareRuns(s, names: vg, diskSizesMB: [256, 64])
    }

    /// Filesystems and zeroing between LVM uses of the same partitions.
    @Test func mkfsAndZeroBetweenLVM() throws {
        let vg = SequenceNames()
        let s: [StorageCall] = [
            .partInit("/dev/sda", "gpt"), .partAdd("/dev/sda", "p", 2048, 133119),
            .partAdd("/dev/sda", "p", 133120, -34),
            .mkfs("ext2", "/dev/sda1"), .pvcreate("/dev/sda1"), .mkfs("vfat", "/dev/sda2"),
            .vgcreate(vg.a, ["/dev/sda1"]), .lvcreate(vg.l1, vg.a, 20), .zeroDevice("/dev/sda1"),
            .pvcreate("/dev/sda1"), .pvcreate("/dev/sda2"), .wipefs("/dev/sda2"), .pvcreate("/dev/sda2"),
            .vgcreate(vg.b, ["/dev/sda1", "/dev/sda2"]), .lvcreate(vg.l2, vg.b, 100),
            .partDel("/dev/sda", 2), .partAdd("/dev/sda", "p", 133120, 200000), .pvresize("/dev/sda2"),
            .lvmRemoveAll, .mkfs("ext4", "/dev/sda2"),
        ]
        try compareRuns(s, names: vg, diskSizesMB: [200])
    }

    // MARK: generated sequences

    /// Seeded random sequences over two disks; the seed is printed (and in
    /// the failure) so a failing sequence can be run again with
    /// FRESH_STATE_SEED=N. FRESH_STATE_SEQUENCES=N runs more of them.
    @Test func generatedSequences() throws {
        let environment = ProcessInfo.processInfo.environment
        let count = Int(environment["FRESH_STATE_SEQUENCES"] ?? "") ?? 2
        let firstSeed = UInt64(environment["FRESH_STATE_SEED"] ?? "") ?? UInt64(Date().timeIntervalSince1970)
        for i in 0..<UInt64(count) {
            let seed = firstSeed &+ i
            let names = SequenceNames()
            var generator = SequenceGenerator(seed: seed, names: names)
            let calls = generator.sequence(length: 18)
            print("fresh state: generated sequence, seed \(seed): " + calls.map(\.text).joined(separator: " : "))
            try compareRuns(calls, names: names, diskSizesMB: [160, 64], seed: seed)
        }
    }

    // MARK: running and comparing

    /// Runs `calls` in one session and with a daemon per call; records an
    /// issue at the first difference and for every PV larger than its device.
    func compareRuns(_ calls: [StorageCall], names: SequenceNames, diskSizesMB: [Int], seed: UInt64? = nil) throws {
        let label = seed.map { "seed \($0)" } ?? "hand-written"
        try names.withLVNodes {
            let session = try run(calls, diskSizesMB: diskSizesMB, freshDaemons: false, label: label)
            let fresh = try run(calls, diskSizesMB: diskSizesMB, freshDaemons: true, label: label)
            for (i, (a, b)) in zip(session, fresh).enumerated() where a != b {
                Issue.record("""
                    \(label): step \(i + 1) (\(calls[i].text)) differs
                    one session:
                    \(a)
                    a daemon per call:
                    \(b)
                    """)
                break
            }
            #expect(session.count == fresh.count)
        }
    }

    /// The transcript of one run: per step, the answer and the disks' state.
    func run(_ calls: [StorageCall], diskSizesMB: [Int], freshDaemons: Bool, label: String) throws -> [String] {
        let dir = NSTemporaryDirectory() + "guestfsd-fresh-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var images: [String] = []
        for (i, size) in diskSizesMB.enumerated() {
            let path = dir + "/disk\(i).img"
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try h.truncate(atOffset: UInt64(size) << 20)
            try h.close()
            images.append(path)
        }
        var session: StandaloneDaemon? = freshDaemons ? nil : try StandaloneDaemon(existingImages: images)
        defer { session?.stop() }
        func withDaemon<R>(_ body: (GuestfsClient) throws -> R) throws -> R {
            if let session { return try body(session.client) }
            let d = try StandaloneDaemon(existingImages: images)
            defer { d.stop() }
            return try body(d.client)
        }
        var transcript: [String] = []
        var written: Set<String> = []
        for (i, call) in calls.enumerated() {
            let answer = try withDaemon { client in Self.answer { try call.run(client) } }
            let state = try withDaemon { try DiskObservation.observe($0, writtenBefore: written) }
            written.formUnion(state.physicalVolumes)
            for problem in state.problems {
                Issue.record("\(label), \(freshDaemons ? "a daemon per call" : "one session"), after step \(i + 1) (\(call.text)): \(problem)")
            }
            transcript.append("\(call.text) -> \(answer)\n\(state.text)")
        }
        // Leave no LVM metadata on loop devices for later tests.
        try withDaemon { _ = try? $0.lvmRemoveAll() }
        session?.stop()
        session = nil
        return transcript
    }

    /// "ok", a result, or "error ERRNO: message" with UUIDs masked.
    static func answer(_ body: () throws -> String) -> String {
        do {
            return try body()
        } catch GuestfsClientError.daemon(let errno, let message) {
            return "error \(errno): " + maskUUIDs(message)
        } catch {
            return "failed: \(error)"
        }
    }

    static let uuidPattern = try! NSRegularExpression(pattern: "[A-Za-z0-9]{6}(-[A-Za-z0-9]{4}){5}-[A-Za-z0-9]{6}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

    static func maskUUIDs(_ s: String) -> String {
        uuidPattern.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: "UUID")
    }
}

/// VG and LV names unique to one test (the loop devices are the host's),
/// the same in both runs of a sequence.
struct SequenceNames {
    let prefix = "gfsdfs" + String(UUID().uuidString.prefix(6)).lowercased()
    var a: String { prefix + "a" }
    var b: String { prefix + "b" }
    var vgs: [String] { [a, b] }
    let l1 = "l1", l2 = "l2", l3 = "l3"
    var lvs: [String] { [l1, l2, l3] }

    /// Without device-mapper there are no /dev/VG/LV nodes, but Device
    /// arguments must exist: stand-ins let LV-taking calls reach LVM,
    /// which reads only the VG/LV name (as LVMTests does).
    func withLVNodes<R>(_ body: () throws -> R) throws -> R {
        if LVMTests.deviceMapper { return try body() }
        let targets = ["/dev/null", "/dev/zero", "/dev/full"]
        for vg in vgs {
            try FileManager.default.createDirectory(atPath: "/dev/\(vg)", withIntermediateDirectories: true)
            for (i, lv) in lvs.enumerated() {
                try FileManager.default.createSymbolicLink(atPath: "/dev/\(vg)/\(lv)", withDestinationPath: targets[i])
            }
        }
        defer { for vg in vgs { try? FileManager.default.removeItem(atPath: "/dev/\(vg)") } }
        return try body()
    }
}

/// One call of a sequence: how it reads, and how it is made.
struct StorageCall {
    let text: String
    let run: (GuestfsClient) throws -> String

    static func ok(_ text: String, _ body: @escaping (GuestfsClient) throws -> Void) -> StorageCall {
        StorageCall(text: text) { try body($0); return "ok" }
    }

    static func partInit(_ d: String, _ t: String) -> StorageCall { .ok("part-init \(d) \(t)") { try $0.partInit(device: d, parttype: t) } }
    static func partDisk(_ d: String, _ t: String) -> StorageCall { .ok("part-disk \(d) \(t)") { try $0.partDisk(device: d, parttype: t) } }
    static func partAdd(_ d: String, _ p: String, _ s: Int64, _ e: Int64) -> StorageCall {
        .ok("part-add \(d) \(p) \(s) \(e)") { try $0.partAdd(device: d, prlogex: p, startsect: s, endsect: e) }
    }
    static func partDel(_ d: String, _ n: Int32) -> StorageCall { .ok("part-del \(d) \(n)") { try $0.partDel(device: d, partnum: n) } }
    static func partResize(_ d: String, _ n: Int32, _ e: Int64) -> StorageCall {
        .ok("part-resize \(d) \(n) \(e)") { try $0.partResize(device: d, partnum: n, endsect: e) }
    }
    static func pvcreate(_ d: String) -> StorageCall { .ok("pvcreate \(d)") { try $0.pvcreate(device: d) } }
    static func pvremove(_ d: String) -> StorageCall { .ok("pvremove \(d)") { try $0.pvremove(device: d) } }
    static func pvresize(_ d: String) -> StorageCall { .ok("pvresize \(d)") { try $0.pvresize(device: d) } }
    static func pvresizeSize(_ d: String, _ size: Int64) -> StorageCall {
        .ok("pvresize-size \(d) \(size)") { try $0.pvresizeSize(device: d, size: size) }
    }
    static func vgcreate(_ vg: String, _ pvs: [String]) -> StorageCall {
        .ok("vgcreate \(vg) \"\(pvs.joined(separator: " "))\"") { try $0.vgcreate(volgroup: vg, physvols: pvs) }
    }
    static func vgremove(_ vg: String) -> StorageCall { .ok("vgremove \(vg)") { try $0.vgremove(vgname: vg) } }
    static func lvcreate(_ lv: String, _ vg: String, _ mb: Int32) -> StorageCall {
        .ok("lvcreate \(lv) \(vg) \(mb)") { try $0.lvcreate(logvol: lv, volgroup: vg, mbytes: mb) }
    }
    static func lvresize(_ vg: String, _ lv: String, _ mb: Int32) -> StorageCall {
        .ok("lvresize /dev/\(vg)/\(lv) \(mb)") { try $0.lvresize(device: "/dev/\(vg)/\(lv)", mbytes: mb) }
    }
    static func lvremove(_ vg: String, _ lv: String) -> StorageCall {
        .ok("lvremove /dev/\(vg)/\(lv)") { try $0.lvremove(device: "/dev/\(vg)/\(lv)") }
    }
    static var lvmRemoveAll: StorageCall { .ok("lvm-remove-all") { try $0.lvmRemoveAll() } }
    static func mkfs(_ type: String, _ d: String) -> StorageCall { .ok("mkfs \(type) \(d)") { try $0.mkfs(fstype: type, device: d) } }
    static func zeroDevice(_ d: String) -> StorageCall { .ok("zero-device \(d)") { try $0.zeroDevice(device: d) } }
    static func wipefs(_ d: String) -> StorageCall { .ok("wipefs \(d)") { try $0.wipefs(device: d) } }
}

/// What the disks look like after a step, as text, and the invariant
/// violations found: LVM's idea of a device's size (dev_size) is not what
/// the device holds now, or a PV that LVM wrote in this step (a new UUID,
/// or a size not seen before) claims more than its device holds. A PV
/// written earlier may claim more after a partition shrank under it: that
/// is what the caller did, the same in both runs, not LVM's doing.
struct DiskObservation {
    var text = ""
    var problems: [String] = []
    /// "UUID size" of each PV seen.
    var physicalVolumes: Set<String> = []

    static func observe(_ c: GuestfsClient, writtenBefore: Set<String>) throws -> DiskObservation {
        var o = DiskObservation()
        var lines: [String] = []
        var sizes: [String: Int64] = [:]
        for disk in try c.listDevices() {
            let table = FreshStateTests.answer {
                try c.partList(device: disk).map { "\($0.partNum):\($0.partStart)-\($0.partEnd)" }.joined(separator: " ")
            }
            lines.append("\(disk): \(try c.blockdevGetsize64(device: disk)) [\(table)] \(try c.vfsType(mountable: disk))")
        }
        for part in try c.listPartitions() {
            let size = try c.blockdevGetsize64(device: part)
            sizes[part] = size
            lines.append("\(part): \(size) \(try c.vfsType(mountable: part))")
        }
        for disk in try c.listDevices() where sizes[disk] == nil {
            sizes[disk] = try c.blockdevGetsize64(device: disk)
        }
        for pv in try c.pvsFull() {
            lines.append("pv \(pv.pvName) \(pv.pvFmt) size \(pv.pvSize) dev \(pv.devSize) free \(pv.pvFree) used \(pv.pvUsed) "
                         + "\(pv.pvAttr) pe \(pv.pvPeCount)/\(pv.pvPeAllocCount) start \(pv.peStart) mda \(pv.pvMdaCount)/\(pv.pvMdaFree)")
            guard let device = sizes[pv.pvName] else {
                o.problems.append("PV \(pv.pvName) is on no device we know")
                continue
            }
            let written = "\(pv.pvUuid) \(pv.pvSize)"
            o.physicalVolumes.insert(written)
            if pv.pvSize > device && !writtenBefore.contains(written) {
                o.problems.append("PV \(pv.pvName) claims \(pv.pvSize) bytes, its device holds \(device)")
            }
            if pv.devSize != device {
                o.problems.append("LVM says \(pv.pvName) holds \(pv.devSize) bytes, it holds \(device)")
            }
        }
        for vg in try c.vgsFull() {
            lines.append("vg \(vg.vgName) \(vg.vgAttr) size \(vg.vgSize) free \(vg.vgFree) extents \(vg.vgExtentSize)x\(vg.vgExtentCount) "
                         + "free \(vg.vgFreeCount) pvs \(vg.pvCount) lvs \(vg.lvCount) seqno \(vg.vgSeqno) mda \(vg.vgMdaCount)/\(vg.vgMdaFree)")
        }
        for lv in try c.lvsFull() {
            lines.append("lv \(lv.lvName) \(lv.lvAttr) size \(lv.lvSize) segments \(lv.segCount)")
        }
        lines.append("lvs: " + (try c.lvs()).joined(separator: " "))
        // Sorted: LVM reports devices in device-number order, and the
        // kernel numbers a loop device's partitions in the order they were
        // (re)made, which a daemon started again does not repeat.
        o.text = lines.sorted().joined(separator: "\n")
        return o
    }
}

/// Seeded random storage sequences over /dev/sda (partitioned) and
/// /dev/sdb (partitioned or a whole-disk PV). Calls may fail (a PV on a
/// missing partition, an LV in no VG): the failures must match too.
struct SequenceGenerator {
    var state: UInt64
    let names: SequenceNames
    /// VGs and LVs the sequence has asked for so far: later calls mostly
    /// name them, so that LVs get made, resized and removed.
    var madeVGs: [String] = []
    var madeLVs: [(vg: String, lv: String)] = []

    init(seed: UInt64, names: SequenceNames) {
        state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        self.names = names
    }

    /// xorshift64*: the same seed gives the same sequence on any machine.
    mutating func next(_ n: Int) -> Int {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return Int((state &* 0x2545_F491_4F6C_DD1D) >> 33) % n
    }

    mutating func pick<T>(_ items: [T]) -> T { items[next(items.count)] }

    mutating func device() -> String {
        pick(["/dev/sda1", "/dev/sda2", "/dev/sda3", "/dev/sdb1", "/dev/sdb", "/dev/sda1", "/dev/sda2"])
    }

    /// Filesystems, zeroing and wiping go on partitions only: a whole disk
    /// written that way keeps the kernel's partitions of its old table in
    /// one session (as upstream's do, until blockdev_rereadpt) but not in
    /// a daemon started again, which shows the table on the disk.
    mutating func partition() -> String {
        pick(["/dev/sda1", "/dev/sda2", "/dev/sda3", "/dev/sdb1"])
    }

    /// A new table on one disk with one to three partitions, in sectors.
    mutating func repartition() -> [StorageCall] {
        let disk = pick(["/dev/sda", "/dev/sda", "/dev/sdb"])
        let sectors: Int64 = disk == "/dev/sda" ? 160 << 11 : 64 << 11
        let label = pick(["mbr", "gpt"])
        var calls: [StorageCall] = [.partInit(disk, label)]
        var start: Int64 = 2048
        let last = sectors - (label == "gpt" ? 34 : 1)
        for _ in 0..<(1 + next(3)) {
            let end = min(start + Int64(8 + next(72)) * 2048 - 1, last)
            guard end > start + 2048 else { break }
            calls.append(.partAdd(disk, "p", start, end))
            start = end + 1
        }
        return calls
    }

    mutating func sequence(length: Int) -> [StorageCall] {
        var calls = repartition()
        while calls.count < length {
            switch next(16) {
            case 0, 1: calls += repartition()
            case 2: calls.append(.partDisk(pick(["/dev/sda", "/dev/sdb"]), pick(["mbr", "gpt"])))
            case 3: calls.append(.partDel(pick(["/dev/sda", "/dev/sdb"]), Int32(1 + next(3))))
            case 4: calls.append(.partResize("/dev/sda", Int32(1 + next(3)), Int64(16 + next(140)) * 2048 - 1))
            case 5, 6: calls.append(.pvcreate(device()))
            case 7: calls.append(pick([.pvremove(device()), .pvresize(device()),
                                       .pvresizeSize(device(), Int64(8 + next(40)) << 20)]))
            case 8, 9:
                let first = device()
                let vg = pick(names.vgs)
                madeVGs.append(vg)
                calls.append(.vgcreate(vg, next(2) == 0 ? [first] : [first, device()]))
            case 10, 11:
                let vg = madeVGs.isEmpty || next(5) == 0 ? pick(names.vgs) : pick(madeVGs)
                let lv = pick(names.lvs)
                madeLVs.append((vg, lv))
                calls.append(.lvcreate(lv, vg, Int32(4 + next(60))))
            case 12:
                let (vg, lv) = madeLVs.isEmpty || next(5) == 0 ? (pick(names.vgs), pick(names.lvs)) : pick(madeLVs)
                calls.append(.lvresize(vg, lv, Int32(4 + next(80))))
            case 13:
                let (vg, lv) = madeLVs.isEmpty || next(5) == 0 ? (pick(names.vgs), pick(names.lvs)) : pick(madeLVs)
                calls.append(pick([.lvremove(vg, lv), .vgremove(madeVGs.isEmpty ? pick(names.vgs) : pick(madeVGs)),
                                   .lvmRemoveAll]))
            case 14: calls.append(.mkfs(pick(["ext2", "vfat"]), partition()))
            default: calls.append(pick([.zeroDevice(partition()), .wipefs(partition())]))
            }
        }
        return calls
    }
}
