#if canImport(Glibc)
import Glibc
#endif
import GuestfsProtocol
import SystemPackage

/// LVM: physical volumes, volume groups and logical volumes, run in
/// process through liblvm2cmd (one handle per daemon, see Lvm2cmd.swift)
/// with the same command lines upstream's daemon gave the `lvm` tool.
extension Handlers {
    // MARK: listing

    public func pvs() throws -> [String] {
        try physicalVolumeNodes().map { context.canonicalDeviceName($0) }.sorted()
    }

    public func vgs() throws -> [String] {
        let out = try lvmReport(["vgs", "-o", "vg_name", "--noheadings"])
        return Self.convertLvmOutput(out)
    }

    public func lvs() throws -> [String] {
        try logicalVolumes()
    }

    public func pvsFull() throws -> [GuestfsLvmPv] {
        try lvmFullReport("pvs", columns: LvmColumns.pv).map { f in
            GuestfsLvmPv(pvName: context.canonicalDeviceName(f.string(0)), pvUuid: try f.uuid(1), pvFmt: f.string(2),
                         pvSize: try f.int(3), devSize: try f.int(4), pvFree: try f.int(5), pvUsed: try f.int(6),
                         pvAttr: f.string(7), pvPeCount: try f.int(8), pvPeAllocCount: try f.int(9),
                         pvTags: f.string(10), peStart: try f.int(11), pvMdaCount: try f.int(12),
                         pvMdaFree: try f.int(13))
        }
    }

    public func vgsFull() throws -> [GuestfsLvmVg] {
        try lvmFullReport("vgs", columns: LvmColumns.vg).map { f in
            GuestfsLvmVg(vgName: f.string(0), vgUuid: try f.uuid(1), vgFmt: f.string(2), vgAttr: f.string(3),
                         vgSize: try f.int(4), vgFree: try f.int(5), vgSysid: f.string(6),
                         vgExtentSize: try f.int(7), vgExtentCount: try f.int(8), vgFreeCount: try f.int(9),
                         maxLv: try f.int(10), maxPv: try f.int(11), pvCount: try f.int(12), lvCount: try f.int(13),
                         snapCount: try f.int(14), vgSeqno: try f.int(15), vgTags: f.string(16),
                         vgMdaCount: try f.int(17), vgMdaFree: try f.int(18))
        }
    }

    public func lvsFull() throws -> [GuestfsLvmLv] {
        try lvmFullReport("lvs", columns: LvmColumns.lv).map { f in
            GuestfsLvmLv(lvName: f.string(0), lvUuid: try f.uuid(1), lvAttr: f.string(2), lvMajor: try f.int(3),
                         lvMinor: try f.int(4), lvKernelMajor: try f.int(5), lvKernelMinor: try f.int(6),
                         lvSize: try f.int(7), segCount: try f.int(8), origin: f.string(9),
                         snapPercent: try f.percent(10), copyPercent: try f.percent(11), movePv: f.string(12),
                         lvTags: f.string(13), mirrorLog: f.string(14), modules: f.string(15))
        }
    }

    // MARK: creating

    public func pvcreate(device: String) throws {
        try lvmChecked(["pvcreate", "--force", device])
    }

    public func vgcreate(volgroup: String, physvols: [String]) throws {
        try lvmChecked(["vgcreate", volgroup] + physvols)
    }

    public func lvcreate(logvol: String, volgroup: String, mbytes: Int32) throws {
        try lvmChecked(["lvcreate", "--yes", "-L", String(mbytes), "-n", logvol, volgroup])
    }

    public func lvcreateFree(logvol: String, volgroup: String, percent: Int32) throws {
        try Self.checkLvmPercent(percent)
        try lvmChecked(["lvcreate", "-l", "\(percent)%FREE", "-n", logvol, volgroup])
    }

    // MARK: resizing

    public func lvresize(device: String, mbytes: Int32) throws {
        let out = try lvm(["lvresize", "--force", "-L", String(mbytes), device])
        if !out.succeeded && !Self.isSameSizeError(out.messages) {
            throw lvmError(out)
        }
    }

    public func lvresizeFree(lv: String, percent: Int32) throws {
        try Self.checkLvmPercent(percent)
        let out = try lvm(["lvresize", "-l", "+\(percent)%FREE", lv])
        if !out.succeeded && !Self.isSameSizeError(out.messages) {
            throw lvmError(out)
        }
    }

    public func pvresize(device: String) throws {
        try lvmChecked(["pvresize", device], prefix: deviceLabel(device) + ": ")
    }

    public func pvresizeSize(device: String, size: Int64) throws {
        try lvmChecked(["pvresize", "--yes", "--setphysicalvolumesize", "\(size)b", device],
                       prefix: deviceLabel(device) + ": ")
    }

    // MARK: removing

    public func lvremove(device: String) throws {
        try lvmChecked(["lvremove", "-f", device])
    }

    public func vgremove(vgname: String) throws {
        try lvmChecked(["vgremove", "-f", vgname])
    }

    public func pvremove(device: String) throws {
        try lvmChecked(["pvremove", "-ff", device])
    }

    /// Removes every LV, VG and PV that LVM sees (only our drives: the
    /// device filter never lets it see anything else).
    public func lvmRemoveAll() throws {
        for lv in try logicalVolumes() {
            // Deactivate first: lvremove -f does not always remove active LVs.
            _ = try? lvm(["lvchange", "-an", lv])
            let out = try lvm(["lvremove", "-f", lv])
            if !out.succeeded { throw lvmError(out, prefix: "lvremove: \(lv): ") }
        }
        for vg in try vgs() {
            _ = try? lvm(["vgchange", "-an", vg])
            let out = try lvm(["vgremove", "-f", vg])
            if !out.succeeded { throw lvmError(out, prefix: "vgremove: \(vg): ") }
        }
        for pv in try physicalVolumeNodes() {
            let out = try lvm(["pvremove", "-f", pv])
            if !out.succeeded { throw lvmError(out, prefix: "pvremove: \(context.canonicalDeviceName(pv)): ") }
        }
    }

    // MARK: activating, renaming, scanning

    public func vgActivate(activate: Bool, volgroups: [String]) throws {
        try lvmChecked(["vgchange", "-a", activate ? "y" : "n"] + volgroups, prefix: "vgchange: ")
    }

    public func vgActivateAll(activate: Bool) throws {
        try vgActivate(activate: activate, volgroups: [])
    }

    public func lvrename(logvol: String, newlogvol: String) throws {
        try lvmChecked(["lvrename", logvol, newlogvol], prefix: "\(logvol) -> \(newlogvol): ")
    }

    public func vgrename(volgroup: String, newvolgroup: String) throws {
        try lvmChecked(["vgrename", volgroup, newvolgroup], prefix: "\(volgroup) -> \(newvolgroup): ")
    }

    public func lvmScan(activate: Bool) throws {
        var words = ["pvscan", "--cache"]
        if activate { words += ["--activate", "ay"] }
        try lvmChecked(words)
        // With event_activation = 0 (our lvm.conf: no udev) `pvscan --cache
        // --activate ay` activates nothing (measured: LVM on a LUKS volume
        // opened after boot stayed inactive, issue 17). Upstream's lvm.conf
        // has event activation; autoactivate the complete VGs here instead.
        if activate, Self.deviceMapperAvailable(context) { try lvmChecked(["vgchange", "--activate", "ay"]) }
    }

    public func vgscan() throws {
        try lvmScan(activate: false)
    }

    // MARK: UUIDs and metadata

    public func pvuuid(device: String) throws -> String {
        try lvmField("pvs", "pv_uuid", device, label: deviceLabel(device))
    }

    public func vguuid(vgname: String) throws -> String {
        try lvmField("vgs", "vg_uuid", vgname, label: vgname)
    }

    public func lvuuid(device: String) throws -> String {
        try lvmField("lvs", "lv_uuid", device, label: deviceLabel(device))
    }

    public func vgpvuuids(vgname: String) throws -> [String] {
        try lvmFields("vgs", "pv_uuid", vgname)
    }

    public func vglvuuids(vgname: String) throws -> [String] {
        try lvmFields("vgs", "lv_uuid", vgname)
    }

    public func pvchangeUuid(device: String) throws {
        try lvmChecked(["pvchange", "-u", device], prefix: deviceLabel(device) + ": ")
    }

    public func pvchangeUuidAll() throws {
        try lvmChecked(["pvchange", "-u", "-a"])
    }

    public func vgchangeUuid(vg: String) throws {
        try lvmChecked(["vgchange", "-u", vg], prefix: "\(vg): ")
    }

    public func vgchangeUuidAll() throws {
        try lvmChecked(["vgchange", "-u"])
    }

    /// The VG's metadata as `vgcfgbackup` writes it.
    public func vgmeta(vgname: String) throws -> [UInt8] {
        let (fd, tmp) = try FileOps.makeTemporary("/tmp/vgmetaXXXXXX")
        try? fd.close()
        defer { unlink(tmp) }
        try lvmChecked(["vgcfgbackup", "-f", tmp, vgname], prefix: "vgcfgbackup: ")

        guard let input = try? FileIO.open(tmp, O_RDONLY, error: tmp) else { throw DaemonError(message: tmp) }
        defer { try? input.close() }
        let max = GuestfsConstants.messageMax - 1000
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try input.readSome(into: $0, error: "read: \(tmp)") }
            if n == 0 { break }
            data += chunk[0..<n]
            if data.count > max { throw DaemonError(message: "metadata is too large for message buffer") }
        }
        return data
    }

    // MARK: LV names

    public func isLv(mountable: String) throws -> Bool {
        if mountable.hasPrefix("btrfsvol:") { return false }
        return try canonicalLogicalVolume(mountable, shownAs: context.canonicalDeviceName(mountable)) != nil
    }

    public func lvmCanonicalLvName(lvname: String) throws -> String {
        // A plain string: /dev/mapper/VG-LV names may not exist, so check here.
        guard lvname.hasPrefix("/dev/") else {
            throw DaemonError(message: "\(lvname): not a device name")
        }
        let node = (try? context.devices.node(for: lvname)) ?? lvname
        guard let lv = try canonicalLogicalVolume(node, shownAs: lvname) else {
            throw DaemonError(EINVAL, "\(lvname): not a logical volume")
        }
        return lv
    }

    // MARK: filter

    /// Only the given devices (whole disks with their partitions) are seen
    /// by LVM from now on.
    public func lvmSetFilter(devices: [String]) throws {
        var patterns: [String] = []
        for device in devices {
            let regex = try Self.filterRegex(device)
            patterns.append("a|^\(regex)$|")
            if context.devices.drives?.contains(device) == true {
                patterns.append("a|^\(regex)p[0-9]|")
            } else if let last = device.last, !last.isNumber {
                patterns.append("a|^\(regex)[0-9]|")
            }
        }
        patterns.append("r|.*|")
        try replaceFilter(patterns)
    }

    public func lvmClearFilter() throws {
        try replaceFilter(nil)
    }
}

// MARK: - helpers

/// The columns upstream asked `lvm pvs/vgs/lvs -o` for, in struct order.
enum LvmColumns {
    static let pv = ["pv_name", "pv_uuid", "pv_fmt", "pv_size", "dev_size", "pv_free", "pv_used", "pv_attr",
                     "pv_pe_count", "pv_pe_alloc_count", "pv_tags", "pe_start", "pv_mda_count", "pv_mda_free"]
    static let vg = ["vg_name", "vg_uuid", "vg_fmt", "vg_attr", "vg_size", "vg_free", "vg_sysid", "vg_extent_size",
                     "vg_extent_count", "vg_free_count", "max_lv", "max_pv", "pv_count", "lv_count", "snap_count",
                     "vg_seqno", "vg_tags", "vg_mda_count", "vg_mda_free"]
    static let lv = ["lv_name", "lv_uuid", "lv_attr", "lv_major", "lv_minor", "lv_kernel_major", "lv_kernel_minor",
                     "lv_size", "seg_count", "origin", "snap_percent", "copy_percent", "move_pv", "lv_tags",
                     "mirror_log", "modules"]
}

/// One row of a `--separator '\r'` report, parsed as upstream's generated
/// tokenizer did (sscanf %i for numbers, %f for percentages, UUID dashes
/// dropped).
struct LvmReportRow {
    let fields: [String]
    let command: String

    var failure: DaemonError { DaemonError(message: "failed to parse output of '\(command)' command") }

    func string(_ i: Int) -> String { fields[i] }

    func uuid(_ i: Int) throws -> String {
        let digits = fields[i].filter { $0 != "-" }
        guard digits.utf8.count >= 32 else { throw failure }
        return String(decoding: digits.utf8.prefix(32), as: UTF8.self)
    }

    func int(_ i: Int) throws -> Int64 {
        try fields[i].withCString { p in
            var end: UnsafeMutablePointer<CChar>? = nil
            errno = 0
            let v = strtoll(p, &end, 0)
            guard let end, end != UnsafeMutablePointer(mutating: p) else { throw failure }
            // strtoll skips only leading blanks and signs: no digits is a failure.
            let consumed = String(cString: p).prefix(end - UnsafeMutablePointer(mutating: p))
            guard consumed.contains(where: { $0.isNumber }) else { throw failure }
            return Int64(v)
        }
    }

    func percent(_ i: Int) throws -> Float {
        if fields[i].isEmpty { return -1 }
        return try fields[i].withCString { p in
            var end: UnsafeMutablePointer<CChar>? = nil
            let v = strtof(p, &end)
            guard let end, end != UnsafeMutablePointer(mutating: p) else { throw failure }
            return v
        }
    }
}

/// Per-daemon LVM state: the library handle and the filter set by
/// lvm_set_filter (nil: the default, every device of ours).
final class LvmState {
    let library: Lvm2Library
    var userFilter: [String]?
    let activation: Bool
    /// The disk generation (DaemonContext.diskGeneration) the handle's
    /// context is known to match, or nil when an LVM command that may
    /// have written something ran since it was made.
    ///
    /// liblvm2cmd keeps, from one command to the next, its device cache
    /// (the device list, each device's size and block sizes) and its
    /// filters' verdicts; label and metadata caches are dropped after each
    /// command but rebuilt from that device cache. A PV made after a
    /// repartition would get the partition's old size. So the handle is
    /// made again before any LVM command unless the last one was a
    /// read-only report and no call since may have written a device:
    /// runs of reports (lvs, pvs_full, ...) keep the context and its speed.
    /// Measured on the host: a report on a kept context 2 ms, on a context
    /// made again 8 ms (lvm2_exit + lvm2_init + the command); lvs through
    /// the daemon 3.7 ms a call against 12 ms with a new context each time.
    var freshAt: UInt64?

    init(library: Lvm2Library, activation: Bool, generation: UInt64) {
        self.library = library
        self.activation = activation
        self.freshAt = generation
    }

    /// LVM commands that only read (reports and metadata backups to a
    /// file): after them the context still matches the disks.
    static let readOnlyCommands: Set<String> = ["pvs", "vgs", "lvs", "pvdisplay", "vgdisplay", "lvdisplay",
                                                "fullreport", "vgcfgbackup"]
}

extension Handlers {
    /// The session's LVM, made on first use.
    func lvmState() throws -> LvmState {
        if let known = state.lvm { return known }
        let activation = Self.deviceMapperAvailable(context)
        let library = try Lvm2Library(configuration: lvmConfiguration(userFilter: nil, activation: activation),
                                      verbose: context.verbose)
        let made = LvmState(library: library, activation: activation, generation: context.diskGeneration)
        state.lvm = made
        return made
    }

    /// Whether the kernel has device-mapper (opening its control node loads
    /// dm-mod where modules can be loaded). Without it (a host kernel with
    /// no dm) LVM runs with activation off: metadata only.
    static func deviceMapperAvailable(_ context: DaemonContext) -> Bool {
        func probe() -> Bool {
            guard let fd = try? FileIO.open("/dev/mapper/control", O_RDWR, error: "/dev/mapper/control") else { return false }
            try? fd.close()
            return true
        }
        if probe() { return true }
        if context.inAppliance, context.runner.has("modprobe") {
            _ = try? context.runner.run(["modprobe", "dm_mod"])
            return probe()
        }
        return false
    }

    /// Our lvm.conf. Standalone on a host, the global filter admits only the
    /// attached drives and their partitions, whatever lvm_set_filter says.
    func lvmConfiguration(userFilter: [String]?, activation: Bool) -> String {
        func list(_ patterns: [String]) -> String {
            "[ " + patterns.map { "\"\($0)\"" }.joined(separator: ", ") + " ]"
        }
        var devices: [String] = [
            "obtain_device_list_from_udev = 0",
            "external_device_info_source = \"none\"",
            "use_devicesfile = 0",
            "write_cache_state = 0",
            "hints = \"none\"",
        ]
        if let drives = context.devices.drives {
            var global: [String] = []
            for drive in drives {
                let regex = (try? Self.filterRegex(drive)) ?? "/dev/nonexistent"
                global.append("a|^\(regex)$|")
                global.append("a|^\(regex)\(drive.last?.isNumber == true ? "p" : "")[0-9]+$|")
            }
            global.append("r|.*|")
            devices.append("global_filter = " + list(global))
            devices.append("filter = " + list(userFilter ?? ["a|.*|"]))
        } else if let filter = userFilter {
            devices.append("filter = " + list(filter))
            devices.append("global_filter = " + list(filter))
        }
        // Synchronous I/O: each command's io_destroy of its aio context
        // waits for an RCU grace period (about 30 ms, most of a report).
        var global = ["event_activation = 0", "use_lvmpolld = 0", "use_aio = 0"]
        if !activation { global.append("activation = 0") }
        return """
            # Written by guestfsd for its in-process LVM (liblvm2cmd).
            devices {
                \(devices.joined(separator: "\n    "))
            }
            activation {
                udev_sync = 0
                udev_rules = 0
                verify_udev_operations = 0
                monitoring = 0
            }
            global {
                \(global.joined(separator: "\n    "))
            }

            """
    }

    /// A device path as a literal in LVM's regex dialect, inside "..." of
    /// lvm.conf: '.' and '+' become classes, anything unusual is refused.
    static func filterRegex(_ device: String) throws -> String {
        var out = ""
        for c in device {
            switch c {
            case "a"..."z", "A"..."Z", "0"..."9", "/", "_", "-", ":", "@", "=", ",":
                out.append(c)
            case ".", "+":
                out += "[\(c)]"
            default:
                throw DaemonError(EINVAL, "\(device): device name cannot be used in an LVM filter")
            }
        }
        return out
    }

    /// Upstream: deactivate all VGs, rewrite the filter, rescan, reactivate.
    func replaceFilter(_ patterns: [String]?) throws {
        let state = try lvmState()
        let off = try lvm(["vgchange", "-an"])
        if !off.succeeded { throw lvmError(off, prefix: "vgchange -an: ") }
        state.userFilter = patterns
        try state.library.writeConfiguration(lvmConfiguration(userFilter: patterns, activation: state.activation))
        try state.library.reopen()
        state.freshAt = context.diskGeneration
        let scan = try lvm(["vgscan", "--cache"])
        if !scan.succeeded { throw lvmError(scan, prefix: "vgscan: ") }
        let on = try lvm(["vgchange", "-ay"])
        if !on.succeeded { throw lvmError(on, prefix: "vgchange -ay: ") }
    }

    /// Runs one LVM command in process (or the `lvm` tool for a command
    /// line too long for liblvm2cmd).
    func lvm(_ words: [String]) throws -> LvmOutput {
        let state = try lvmState()
        let readOnly = words.first.map { LvmState.readOnlyCommands.contains($0) } ?? false
        if !readOnly {
            // Before (a failure below leaves it stale) and after the command.
            state.freshAt = nil
            context.devicesMayHaveChanged()
        }
        defer { if !readOnly { context.devicesMayHaveChanged() } }
        if words.count <= Lvm2Library.maxWords {
            if state.freshAt != context.diskGeneration {
                state.freshAt = nil
                try state.library.reopen()
            }
            let out = try state.library.run(words)
            if readOnly { state.freshAt = context.diskGeneration }
            return out
        }
        // The tool reads the same private lvm.conf.
        let environment = CommandRunner.defaultEnvironment().filter { !$0.hasPrefix("LVM_SYSTEM_DIR=") && !$0.hasPrefix("LC_ALL=") }
            + ["LVM_SYSTEM_DIR=" + state.library.systemDirectory, "LC_ALL=C", "LVM_SUPPRESS_FD_WARNINGS=1"]
        let result = try context.runner.run(["lvm"] + words, environment: environment)
        let rows = result.stdoutString.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return LvmOutput(succeeded: result.succeeded, rows: rows, messages: result.stderrString)
    }

    /// The error upstream replied with: lvm's stderr, with our drives' real
    /// nodes named as the library knows them.
    func lvmError(_ out: LvmOutput, prefix: String = "") -> DaemonError {
        // Metadata-only mode (no device-mapper on a host) warns on every
        // command; upstream never runs that way, so the line is dropped.
        var text = Substring(out.messages.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.contains("WARNING: Activation disabled. No device-mapper interaction") }
            .joined(separator: "\n"))
        while text.last == "\n" { text = text.dropLast() }
        return DaemonError(message: prefix + canonicalizeDeviceNames(in: String(text)))
    }

    @discardableResult
    func lvmChecked(_ words: [String], prefix: String = "") throws -> LvmOutput {
        let out = try lvm(words)
        guard out.succeeded else { throw lvmError(out, prefix: prefix) }
        return out
    }

    /// The report rows of a command that must succeed.
    func lvmReport(_ words: [String]) throws -> [String] {
        try lvmChecked(words).rows
    }

    /// Replaces every /dev/... word naming one of our drives' nodes.
    func canonicalizeDeviceNames(in text: String) -> String {
        guard context.devices.drives != nil, text.contains("/dev/") else { return text }
        var result = ""
        var rest = Substring(text)
        while let start = Self.firstLvmDevPath(in: rest) {
            result += rest[rest.startIndex..<start]
            let tail = rest[start...]
            let word = tail.prefix { $0.isLetter || $0.isNumber || "/_.-+".contains($0) }
            result += context.canonicalDeviceName(String(word))
            rest = tail.dropFirst(word.count)
        }
        return result + rest
    }

    static func firstLvmDevPath(in s: Substring) -> Substring.Index? {
        var i = s.startIndex
        while i < s.endIndex {
            if s[i] == "/", s[i...].hasPrefix("/dev/") { return i }
            i = s.index(after: i)
        }
        return nil
    }

    /// The name a device argument is shown as in messages.
    func deviceLabel(_ node: String) -> String { context.canonicalDeviceName(node) }

    static func checkLvmPercent(_ percent: Int32) throws {
        guard percent >= 0 && percent <= 100 else {
            throw DaemonError(message: "percentage must be [0..100] (was \(percent))")
        }
    }

    /// lvresize fails when the size does not change; upstream ignores that.
    static func isSameSizeError(_ messages: String) -> Bool {
        messages.contains("New size (") && messages.contains("extents) matches existing size (")
    }

    /// Trimmed, non-empty report lines, without "unknown device", sorted.
    static func convertLvmOutput(_ rows: [String], prefix: String = "") -> [String] {
        rows.flatMap { $0.split(separator: "\n") }
            .map { Self.lvmTrim($0) }
            .filter { !$0.isEmpty && $0 != "unknown device" }
            .map { prefix + $0 }
            .sorted()
    }

    static func lvmTrim<S: StringProtocol>(_ s: S) -> String {
        var sub = Substring(s)
        while let c = sub.first, c.isWhitespace { sub = sub.dropFirst() }
        while let c = sub.last, c.isWhitespace { sub = sub.dropLast() }
        return String(sub)
    }

    /// PV names as LVM reports them (real nodes), sorted.
    func physicalVolumeNodes() throws -> [String] {
        Self.convertLvmOutput(try lvmReport(["pvs", "-o", "pv_name", "--noheadings"]))
    }

    /// /dev/VG/LV of every public LV that can be activated (thin pools,
    /// hidden and activation-skipped LVs are left out, as upstream does).
    func logicalVolumes() throws -> [String] {
        let rows = try lvmReport(["lvs", "-o", "vg_name,lv_name", "-S",
                                  "lv_role=public && lv_skip_activation!=yes", "--noheadings",
                                  "--separator", "/"])
        return Self.convertLvmOutput(rows, prefix: "/dev/")
    }

    func lvmFullReport(_ command: String, columns: [String]) throws -> [LvmReportRow] {
        let rows = try lvmReport([command, "-o", columns.joined(separator: ","), "--unbuffered", "--noheadings",
                                  "--nosuffix", "--separator", "\r", "--units", "b"])
        var result: [LvmReportRow] = []
        for row in rows.flatMap({ $0.split(separator: "\n", omittingEmptySubsequences: false) }) {
            // Leading blanks go (the report aligns); an empty line is skipped.
            let line = row.drop { $0 == " " || $0 == "\t" || $0 == "\u{0B}" || $0 == "\u{0C}" }
            if line.isEmpty { continue }
            let fields = line.split(separator: "\r", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == columns.count else {
                throw DaemonError(message: "failed to parse output of '\(command)' command")
            }
            result.append(LvmReportRow(fields: fields, command: command))
        }
        return result
    }

    /// `lvm CMD --unbuffered --noheadings -o FIELD NAME`, trimmed.
    func lvmField(_ command: String, _ field: String, _ name: String, label: String) throws -> String {
        let rows = try lvmChecked([command, "--unbuffered", "--noheadings", "-o", field, name],
                                  prefix: "\(label): ").rows
        return Self.lvmTrim(rows.joined(separator: "\n"))
    }

    func lvmFields(_ command: String, _ field: String, _ name: String) throws -> [String] {
        let rows = try lvmChecked([command, "--unbuffered", "--noheadings", "-o", field, name],
                                  prefix: "\(name): ").rows
        return rows.flatMap { $0.split(separator: "\n", omittingEmptySubsequences: false) }.map { Self.lvmTrim($0) }
    }

    /// The /dev/VG/LV whose device number is `node`'s, or nil when `node`
    /// is not an LV (upstream compares st_rdev after following links).
    func canonicalLogicalVolume(_ node: String, shownAs label: String) throws -> String? {
        guard let rdev = deviceNumber(node) else { throw DaemonError.system("stat: \(label)") }
        for lv in try logicalVolumes() {
            guard let lvRdev = deviceNumber(lv) else { throw DaemonError.system("stat: \(lv)") }
            if rdev == lvRdev { return lv }
        }
        return nil
    }
}

/// st_rdev of a path, following links (nil with errno set on failure).
private func deviceNumber(_ path: String) -> dev_t? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return st.st_rdev
}
