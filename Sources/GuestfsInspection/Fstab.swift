/// /etc/fstab read the way upstream's Augeas lens and check_fstab see it,
/// with guest device names turned into the appliance's.
struct FstabReader {
    let fs: GuestFilesystemReader
    let devices: InspectionDevices

    /// One parsed fstab line (the fields Augeas's Fstab lens names).
    struct Line: Equatable {
        var spec: String
        var file: String
        var vfstypes: [String]
        var options: [(name: String, value: String?)]

        static func == (a: Line, b: Line) -> Bool {
            a.spec == b.spec && a.file == b.file && a.vfstypes == b.vfstypes
                && a.options.map(\.name) == b.options.map(\.name) && a.options.map(\.value) == b.options.map(\.value)
        }
    }

    /// Lines with at least spec, file and type; comments and blank lines
    /// skipped. (Augeas fails the whole file on a malformed line, which
    /// makes upstream's inspection fail; such lines are skipped here.)
    static func parse(_ bytes: [UInt8]) -> [Line] {
        Text.lines(bytes).compactMap { raw in
            var line = Substring(raw)
            if let hash = line.firstIndex(of: "#") {
                // A comment starts a line, or follows whitespace.
                let before = line[..<hash]
                if before.allSatisfy({ $0 == " " || $0 == "\t" }) { return nil }
                if let last = before.last, last == " " || last == "\t" { line = before }
            }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count >= 3 else { return nil }
            let options: [(name: String, value: String?)] = fields.count >= 4
                ? fields[3].split(separator: ",", omittingEmptySubsequences: false).map { opt in
                    if let eq = opt.firstIndex(of: "=") {
                        return (String(opt[..<eq]), String(opt[opt.index(after: eq)...]))
                    }
                    return (String(opt), nil)
                }
                : []
            return Line(spec: fields[0], file: fields[1],
                        vfstypes: fields[2].split(separator: ",").map(String.init), options: options)
        }
    }

    func entries(root: String, osType: OSType, mdadmConf: Bool) -> [FstabEntry] {
        guard let bytes = Text.augeasFile(fs, "/etc/fstab") else { return [] }
        let md = mdadmConf ? mdMap() : [:]
        let crypttab = Self.crypttab(Text.augeasFile(fs, "/etc/crypttab") ?? [])
        // In the file's order, as upstream 1.60 lists them (its Augeas
        // binding, ocaml-augeas 0.7, keeps the order of the matches; the
        // older binding under 1.48 and 1.54 reversed them: README,
        // "Where ours differs from an older reference").
        let entries = Self.parse(bytes).compactMap {
            entry($0, root: root, osType: osType, md: md, crypttab: crypttab)
        }
        return Self.withOneRoot(entries)
    }

    /// Several "/" lines (upstream 1.60, RHEL-90168): the first is kept,
    /// moved to the front; mounting them all would fail.
    static func withOneRoot(_ entries: [FstabEntry]) -> [FstabEntry] {
        let roots = entries.filter { $0.mountpoint == "/" }
        guard roots.count > 1 else { return entries }
        return [roots[0]] + entries.filter { $0.mountpoint != "/" }
    }

    /// /etc/crypttab as target -> device (the Augeas lens's first two
    /// fields; the first line for a target wins).
    static func crypttab(_ bytes: [UInt8]) -> [String: String] {
        var map: [String: String] = [:]
        for line in Text.lines(bytes) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, !fields[0].hasPrefix("#") else { continue }
            let target = String(fields[0])
            if map[target] == nil { map[target] = String(fields[1]) }
        }
        return map
    }

    func entry(_ line: Line, root: String, osType: OSType, md: [String: String],
               crypttab: [String: String] = [:]) -> FstabEntry? {
        let spec = line.spec
        let isBSD = osType == .freebsd || osType == .netbsd || osType == .openbsd
        // Floppies, CD-ROMs and FreeBSD's install media.
        func digitAt7() -> Bool {
            let u = Array(spec.utf8)
            return u.count >= 8 && u[7] >= 48 && u[7] <= 57
        }
        if (spec.hasPrefix("/dev/fd") && digitAt7()) || (spec.hasPrefix("/dev/cd") && digitAt7())
            || spec == "/dev/floppy" || spec == "/dev/cdrom" || spec.hasPrefix("/dev/iso9660/") {
            return nil
        }
        let mp = Text.canonicalPath(line.file)
        for pseudo in ["/dev", "/media", "/proc", "/selinux", "/sys"] where mp == pseudo || mp.hasPrefix(pseudo + "/") {
            if pseudo == "/media" && mp == "/media" { continue }
            return nil
        }
        var mountable: String
        if spec.hasPrefix("UUID=") {
            guard let dev = devices.findFilesystem(tag: "UUID", value: Text.shellUnquote(String(spec.dropFirst(5)))) else {
                return nil
            }
            mountable = dev
        } else if spec.hasPrefix("LABEL=") {
            guard let dev = devices.findFilesystem(tag: "LABEL", value: Text.shellUnquote(String(spec.dropFirst(6)))) else {
                return nil
            }
            mountable = dev
        } else if spec == "/dev/root" || (isBSD && mp == "/") {
            mountable = root
        } else if spec.hasPrefix("/dev/") {
            mountable = resolve(spec, md: md, osType: osType, crypttab: crypttab)
        } else if Text.match("^[0-9a-f]{16}\\.[a-z]", spec) != nil {
            // An OpenBSD disklabel UID: assume the first disk.
            let part = Array(spec)[17]
            mountable = resolve("/dev/sd0\(part)", md: md, osType: osType)
        } else {
            // tmpfs, proc, PARTUUID=, PARTLABEL=, ... are not resolved.
            return nil
        }
        // Augeas cannot get a single vfstype when there are several.
        guard line.vfstypes.count == 1 else { return nil }
        if line.vfstypes[0] == "btrfs", mountable.hasPrefix("/dev/") {
            // The options come last first too: the last subvol= wins.
            if let sub = line.options.last(where: { $0.name == "subvol" && $0.value != nil })?.value {
                mountable = "btrfsvol:\(mountable)/\(sub)"
            }
        }
        return FstabEntry(mountable, mp)
    }

    /// Guest block device names to the appliance's: /dev/xvdb1 ->
    /// /dev/sdb1 (when there is a second disk), /dev/mapper/VG-LV ->
    /// /dev/VG/LV, md arrays through mdadm.conf, the BSD and Hurd schemes.
    /// Anything else is kept as written.
    func resolve(_ spec: String, md: [String: String], osType: OSType, crypttab: [String: String] = [:]) -> String {
        if spec.hasPrefix("/dev/mapper") {
            // A LUKS mapping named in crypttab (SUSE's /dev/mapper/cr_root):
            // its open mapping, found by the LUKS UUID (upstream 1.60).
            let name = String(spec[spec.index(after: spec.lastIndex(of: "/")!)...])
            if let device = crypttab[name] {
                guard device.hasPrefix("UUID=") else { return spec }
                return devices.cryptDevice(luksUUID: String(device.dropFirst(5))) ?? spec
            }
            switch devices.canonicalLV(spec) {
            case .lv(let lv): return lv
            case .notLV, .missing: return spec
            }
        }
        if let m = Text.match("^/dev/(h|s|v|xv)d([a-z]+)([0-9]*)$", spec) {
            return resolveDisk(letters: String(m[2]!), partition: String(m[3] ?? ""), default: spec)
        }
        if Text.match("^/dev/(cciss/c[0-9]+d[0-9]+)(?:p([0-9]+))?$", spec) != nil {
            return spec
        }
        if Text.match("^/dev/md[0-9]+$", spec) != nil {
            return md[spec] ?? spec
        }
        if let m = Text.match("^/dev/disk/by-id/.*-part([0-9]+)$", spec), let part = Text.int(m[1]) {
            let disks = devices.listDevices()
            guard disks.count == 1 else { return spec }
            // Upstream's is_partition is only a look at the name.
            return part != 0 ? "/dev/sda\(part)" : spec
        }
        // Ubuntu 22+ (upstream 1.60): a filesystem UUID, and an LV by its
        // VG and LV UUIDs.
        if spec.hasPrefix("/dev/disk/by-uuid/") {
            return devices.findFilesystem(tag: "UUID", value: String(spec.dropFirst("/dev/disk/by-uuid/".count))) ?? spec
        }
        if let m = Text.match("^/dev/disk/by-id/dm-uuid-LVM-([0-9a-zA-Z]{32})([0-9a-zA-Z]{32})$", spec) {
            return devices.logicalVolume(vgUUID: String(m[1]!), lvUUID: String(m[2]!)) ?? spec
        }
        if let m = Text.match("^/dev/(ada{0,1}|vtbd)([0-9]+)p([0-9]+)$", spec),
           let disk = Text.int(m[2]), let part = Text.int(m[3]) {
            guard disk >= 0, disk <= 26, part >= 0, part <= 128 else { return spec }
            return "/dev/sd\(Self.letter(disk))\(part)"
        }
        if let m = Text.match("^/dev/(ada{0,1}|vtbd)([0-9]+)s([0-9]+)([a-z])$", spec),
           let disk = Text.int(m[2]), let slice = Text.int(m[3]) {
            var part = Int(m[4]!.utf8.first!) - 97
            if part > 2 { part -= 1 }  // 'c' is the whole slice
            guard disk >= 0, disk <= 26, slice > 0, slice <= 1, part >= 0, part < 25 else { return spec }
            return "/dev/sd\(Self.letter(disk))\(part + 5)"
        }
        if osType == .netbsd, let m = Text.match("^/dev/(l|s)d([0-9])([a-z])$", spec), let disk = Text.int(m[2]) {
            var part = Int(m[3]!.utf8.first!) - 97
            if part > 3 { part -= 2 }  // 'c' the label, 'd' the disk
            guard part >= 0, part < 24 else { return spec }
            return "/dev/sd\(Self.letter(disk))\(part + 5)"
        }
        if osType == .openbsd, let m = Text.match("^/dev/(s|w)d([0-9])([a-z])$", spec), let disk = Text.int(m[2]) {
            var part = Int(m[3]!.utf8.first!) - 97
            if part > 2 { part -= 1 }  // 'c' is the disk
            guard part >= 0, part < 15 else { return spec }
            return "/dev/sd\(Self.letter(disk))\(part + 5)"
        }
        if let m = Text.match("^/dev/(h)d([0-9]+)s([0-9]+)$", spec), let disk = Text.int(m[2]) {
            return resolveDisk(letters: Self.letter(disk), partition: String(m[3]!), default: spec)
        }
        return spec
    }

    static func letter(_ n: Int) -> String {
        String(UnicodeScalar(UInt8(truncatingIfNeeded: 97 + n)))
    }

    /// The n-th appliance disk (by the guest's letters) plus the partition
    /// number.
    func resolveDisk(letters: String, partition: String, default spec: String) -> String {
        var index = 0
        for c in letters.utf8 { index = index * 26 + Int(c) - 96 }
        index -= 1
        let disks = devices.listDevices()
        guard index >= 0, index < disks.count else { return spec }
        // Upstream's is_partition only looks at the name: a partition
        // number that is not 0, whether or not the partition exists.
        guard let n = Int(partition), n != 0 else { return spec }
        return disks[index] + partition
    }

    /// md arrays named in mdadm.conf mapped to the appliance's by UUID.
    func mdMap() -> [String: String] {
        let byUUID = devices.mdDevicesByUUID()
        if byUUID.isEmpty { return [:] }
        var map: [String: String] = [:]
        for file in ["/etc/mdadm.conf", "/etc/mdadm/mdadm.conf"] {
            guard let bytes = Text.augeasFile(fs, file) else { continue }
            let lines = Text.lines(bytes)
            for line in lines {
                let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard words.count >= 2, Text.lowercased(String(words[0])) == "array" else { continue }
                let dev = String(words[1])
                guard let uuidWord = words.dropFirst(2).first(where: { Text.lowercased(String($0)).hasPrefix("uuid=") }),
                      let uuid = Self.mdUUID(String(uuidWord.dropFirst(5))), let app = byUUID[uuid] else { continue }
                map[dev] = app
            }
        }
        return map
    }

    /// mdadm's UUID forms (":", ".", " ", "-" separators) to 32 hex digits.
    static func mdUUID(_ s: String) -> String? {
        var out = ""
        for c in s {
            if c.isHexDigit { out.append(c) } else if ![":", ".", " ", "-"].contains(c) { return nil }
        }
        return out.count == 32 ? Text.lowercased(out) : nil
    }
}
