#if canImport(Glibc)
import Glibc
#endif
import SystemPackage
import GuestfsProtocol

/// Linux software RAID (the mdadm group): creating, describing and
/// stopping arrays with mdadm, and their members from /proc/mdstat.
/// list_md_devices is in Devices.swift. Arrays on the disks at boot are
/// assembled by /init, as upstream's appliance does.
extension Handlers {
    /// The levels upstream lets through to mdadm --level.
    static let mdLevels: Set<String> = [
        "linear", "raid0", "0", "stripe", "raid1", "1", "mirror",
        "raid4", "4", "raid5", "5", "raid6", "6", "raid10", "10",
    ]

    public func mdCreate(name: String, devices: [String], missingbitmap: Int64?, nrdevices: Int32?,
                         spare: Int32?, chunk: Int64?, level: String?) throws {
        var missing = UInt64(bitPattern: missingbitmap ?? 0)
        if let spare, spare < 0 { throw DaemonError(message: "spare must not be negative") }
        if let nrdevices, nrdevices < 2 { throw DaemonError(message: "nrdevices is less than 2") }
        let raidDevices = nrdevices ?? Int32(truncatingIfNeeded: devices.count + missing.nonzeroBitCount)
        let level = level ?? "raid1"
        guard Self.mdLevels.contains(level) else {
            throw DaemonError(message: "unknown level parameter: \(level)")
        }
        if let chunk, chunk & 1023 != 0 {
            throw DaemonError(message: "chunk size must be a multiple of 1024 bytes")
        }
        let given = devices.count + missing.nonzeroBitCount
        guard Int64(given) == Int64(raidDevices) + Int64(spare ?? 0) else {
            throw DaemonError(message: "devices (\(devices.count)) + bits set in missingbitmap "
                + "(\(missing.nonzeroBitCount)) is not equal to nrdevices (\(raidDevices)) + spare (\(spare ?? 0))")
        }

        var argv = ["mdadm", "--create", "--run", name, "--level", level, "--raid-devices", String(raidDevices)]
        if let spare { argv += ["--spare-devices", String(spare)] }
        // The API's chunk is in bytes, mdadm's in KiB.
        if let chunk { argv += ["--chunk", String(chunk / 1024)] }
        // Members in order, "missing" wherever the bitmap's next bit is set.
        var next = devices.makeIterator()
        var pending = devices.count
        while pending > 0 || missing != 0 {
            if missing & 1 == 1 {
                argv.append("missing")
            } else if let device = next.next() {
                argv.append(device)
                pending -= 1
            } else {
                // A clear bit past the last device: upstream reads past its
                // list here; stop instead (the count check above makes this
                // unreachable for consistent arguments).
                break
            }
            missing >>= 1
        }
        try fsCommand(argv, errorPrefix: "mdadm: \(name): ")
    }

    public func mdDetail(md: String) throws -> [String] {
        let r = try fsCommandOCaml(["mdadm", "-D", "--export", md])
        var result: [String] = []
        let text = r.stdoutString.trimming(" \t\n\r")
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard let first = line.first, first != "#" else { continue }
            let key: Substring, value: Substring
            if let eq = line.firstIndex(of: "=") {
                key = line[..<eq]
                value = line[line.index(after: eq)...]
            } else {
                key = line
                value = ""
            }
            let bare = key.hasPrefix("MD_") ? key.dropFirst(3) : key
            result.append(String(bare).lowercased())
            result.append(String(value))
        }
        return result
    }

    public func mdStop(md: String) throws {
        let node = Self.mdResolvedPath(md)
        try fsCommand(["mdadm", "--stop", md])
        if context.inAppliance { Self.mdRemoveStaleNodes(node) }
    }

    /// The path with its symlinks resolved (/dev/md/NAME -> /dev/mdN).
    static func mdResolvedPath(_ path: String) -> String {
        guard let p = Glibc.realpath(path, nil) else { return path }
        defer { free(p) }
        return String(cString: p)
    }

    /// What udev does when an array goes away: its /dev/mdN node and the
    /// /dev/md/NAME links to it are removed. Without udev, mdadm leaves
    /// them, and later calls would still find the device.
    static func mdRemoveStaleNodes(_ node: String) {
        guard node.hasPrefix("/dev/md") else { return }
        let name = String(node.dropFirst(5))
        var st = stat()
        // The kernel deletes the stopped array's disk from a work queue:
        // wait for it (up to 2 s) before taking its node away.
        var waited = 0
        while stat("/sys/block/" + name, &st) == 0 && waited < 200 {
            usleep(10_000)
            waited += 1
        }
        guard stat("/sys/block/" + name, &st) != 0, errno == ENOENT else { return }
        for entry in DeviceNames.directoryEntries("/dev/md") {
            let link = "/dev/md/" + entry
            guard lstat(link, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK else { continue }
            if mdResolvedPath(link) == node { unlink(link) }
        }
        guard lstat(node, &st) == 0, (st.st_mode & S_IFMT) == S_IFBLK else { return }
        unlink(node)
    }

    public func mdStat(md: String) throws -> [GuestfsMdstat] {
        let name = md.hasPrefix("/dev/") ? String(md.dropFirst(5)) : md
        let contents: [UInt8]
        do {
            contents = try SmallFile.bytes("/proc/mdstat")
        } catch let e as Errno {
            throw DaemonError(e.rawValue, "fopen: /proc/mdstat: \(errnoDescription(e.rawValue))")
        }
        let text = String(decoding: contents, as: UTF8.self)
        for line in text.split(separator: "\n") {
            let prefix = name + " : "
            guard line.hasPrefix(prefix) else { continue }
            return try Self.mdStatMembers(line.dropFirst(prefix.count))
        }
        throw DaemonError(message: "\(name): MD device not found")
    }

    /// The members in the part of an mdstat line after "mdN : ", e.g.
    /// "active raid1 sdb1[0] sdc1[1](F)": every word with "[...]" in it.
    static func mdStatMembers(_ line: Substring) throws -> [GuestfsMdstat] {
        var members: [GuestfsMdstat] = []
        for word in line.split(separator: " ") {
            guard let open = word.firstIndex(of: "["), let close = word.firstIndex(of: "]"),
                  open < close else { continue }
            guard open > word.startIndex else {
                throw DaemonError(message: "device entry is too short: \(word)")
            }
            let number = word[word.index(after: open)..<close]
            guard let index = cIntegerPrefix(number) else {
                throw DaemonError(message: "not a device number: \(number)")
            }
            let flags = word[word.index(after: close)...].filter { $0.isASCII && $0.isLetter }
            members.append(GuestfsMdstat(mdstatDevice: "/dev/" + word[..<open], mdstatIndex: index,
                                         mdstatFlags: String(flags)))
        }
        return members
    }

    /// The leading integer of a string as C's sscanf "%i" reads it
    /// (optional sign, 0x hex, 0 octal), nil when there is none.
    static func cIntegerPrefix(_ s: Substring) -> Int32? {
        var chars = Array(s.drop { $0 == " " || $0 == "\t" })
        var negative = false
        if let c = chars.first, c == "-" || c == "+" { negative = c == "-"; chars.removeFirst() }
        var radix = 10
        if chars.count >= 2, chars[0] == "0", chars[1] == "x" || chars[1] == "X",
           chars.count > 2, chars[2].isHexDigit {
            radix = 16; chars.removeFirst(2)
        } else if chars.first == "0" {
            radix = 8
        }
        let digits = chars.prefix { $0.isASCII && Int(String($0), radix: radix) != nil }
        guard !digits.isEmpty, let v = Int64(String(digits), radix: radix) else { return nil }
        return Int32(truncatingIfNeeded: negative ? -v : v)
    }
}
