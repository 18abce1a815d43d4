#if canImport(Glibc)
import Glibc
#endif
import GuestfsProtocol

/// XFS: xfs_info (parsed into the xfsinfo struct), xfs_growfs, xfs_admin,
/// xfs_repair.
extension Handlers {
    static let xfsLabelMax = 12

    public func xfsInfo(pathordevice: String) throws -> GuestfsXfsinfo {
        let target = pathordevice.hasPrefix("/dev/") ? pathordevice : try context.resolve(pathordevice)
        let out = try fsCommand(["xfs_info", target]).stdoutString
        return try Self.xfsParseInfo(out.split(separator: "\n").map(String.init))
    }

    /// 1.60's xfs_info2: every "field=number" of xfs_info's output, keyed
    /// "section.field", plus each section's leading word ("meta-data" ->
    /// the device, "log" -> "internal log"), in xfs_info's order.
    public func xfsInfo2(pathordevice: String) throws -> [String] {
        let target = pathordevice.hasPrefix("/dev/") ? pathordevice : try context.resolve(pathordevice)
        // The device xfs_info names is shown by the library's name.
        let out = canonicalNames(in: try fsCommandOCaml(["xfs_info", target]).stdoutString)
        return Self.xfsInfoFields(out).flatMap { [$0.key, $0.value] }
    }

    /// xfs_info's text as upstream 1.60 reads it. A section starts at a line
    /// beginning with a lower-case letter and runs over the indented lines
    /// after it; its name is what comes before the first '='.
    static func xfsInfoFields(_ out: String) -> [(key: String, value: String)] {
        var sections: [[UInt8]] = []
        for line in Array(out.utf8).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            let startsSection = line.first.map { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") } ?? false
            if startsSection || sections.isEmpty {
                sections.append(Array(line))
            } else {
                sections[sections.count - 1] += [UInt8(ascii: "\n")] + line
            }
        }
        func isSpace(_ c: UInt8) -> Bool { c == 32 || (c >= 9 && c <= 13) }
        func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
        func isNameChar(_ c: UInt8) -> Bool {
            isDigit(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_")
                || (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "z"))
        }
        func text(_ b: ArraySlice<UInt8>) -> String { String(decoding: b, as: UTF8.self) }
        var fields: [(key: String, value: String)] = []
        for section in sections {
            guard let eq = section.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = text(section[..<eq]).trimming(" \t\n")
            let rest = section[(eq + 1)...]
            var i = rest.startIndex
            // The section's leading word: "version N", "WORD log", or a word.
            if let first = rest.first, !isSpace(first) {
                let word = rest.prefix { !isSpace($0) }
                var lead = word
                let after = rest[word.endIndex...]
                if text(word) == "version", let sp = after.first, isSpace(sp),
                   let d = after.dropFirst().first, isDigit(d) {
                    lead = rest[..<after.dropFirst().prefix(while: isDigit).endIndex]
                } else if let sp = after.first, isSpace(sp), after.dropFirst().starts(with: "log".utf8) {
                    lead = rest[..<(after.startIndex + 4)]
                }
                fields.append((name, text(lead)))
                i = lead.endIndex
            }
            // Then each name=DIGITS, with a " blks" or " extents" unit.
            while i < rest.endIndex {
                guard isNameChar(rest[i]) else { i += 1; continue }
                let word = rest[i...].prefix(while: isNameChar)
                let afterWord = word.endIndex
                guard afterWord < rest.endIndex, rest[afterWord] == UInt8(ascii: "="),
                      afterWord + 1 < rest.endIndex, isDigit(rest[afterWord + 1]) else {
                    i = afterWord
                    continue
                }
                var end = rest[(afterWord + 1)...].prefix(while: isDigit).endIndex
                if end < rest.endIndex, isSpace(rest[end]) {
                    for unit in ["blks", "extents"] where rest[(end + 1)...].starts(with: unit.utf8) {
                        end += 1 + unit.utf8.count
                        break
                    }
                }
                fields.append(("\(name).\(text(word))", text(rest[(afterWord + 1)..<end])))
                i = end + 1
            }
        }
        return fields
    }

    /// Fields xfs_info did not print stay all-ones (upstream's -1).
    static func xfsParseInfo(_ lines: [String]) throws -> GuestfsXfsinfo {
        var info = GuestfsXfsinfo(
            xfsInodesize: .max, xfsAgcount: .max, xfsAgsize: .max, xfsSectsize: .max, xfsAttr: .max,
            xfsBlocksize: .max, xfsDatablocks: .max, xfsImaxpct: .max, xfsSunit: .max, xfsSwidth: .max,
            xfsDirversion: .max, xfsDirblocksize: .max, xfsCimode: .max, xfsLogblocksize: .max,
            xfsLogblocks: .max, xfsLogversion: .max, xfsLogsectsize: .max, xfsLogsunit: .max, xfsLazycount: .max,
            xfsRtextsize: .max, xfsRtblocks: .max, xfsRtextents: .max)
        var section = ""
        /// The word after `key` up to a space, comma or '='.
        func word(_ line: String, after key: String) -> String? {
            guard let r = line.range(ofText: key) else { return nil }
            return String(line[r.upperBound...].prefix { $0 != " " && $0 != "," && $0 != "=" })
        }
        func u32(_ s: String) throws -> UInt32 {
            guard let n = UInt32(s.prefix { $0.isNumber }), s.first?.isNumber == true else {
                throw DaemonError(message: "cannot parse numeric field from xfs_info: \(s)")
            }
            return n
        }
        func u64(_ s: String) throws -> UInt64 {
            guard let n = UInt64(s.prefix { $0.isNumber }), s.first?.isNumber == true else {
                throw DaemonError(message: "cannot parse numeric field from xfs_info: \(s)")
            }
            return n
        }
        for line in lines {
            if let c = line.first, c.isASCII, c.isLetter {
                section = String(line.prefix { $0 != " " && $0 != "," && $0 != "=" })
            }
            if let w = word(line, after: "meta-data=") { info.xfsMntpoint = w }
            if let w = word(line, after: "isize=") { info.xfsInodesize = try u32(w) }
            if let w = word(line, after: "agcount=") { info.xfsAgcount = try u32(w) }
            if let w = word(line, after: "agsize=") { info.xfsAgsize = try u32(w) }
            if let w = word(line, after: "sectsz=") {
                if section == "meta-data" { info.xfsSectsize = try u32(w) }
                else if section == "log" { info.xfsLogsectsize = try u32(w) }
            }
            if let w = word(line, after: "attr=") { info.xfsAttr = try u32(w) }
            if let w = word(line, after: "bsize=") {
                if section == "data" { info.xfsBlocksize = try u32(w) }
                else if section == "naming" { info.xfsDirblocksize = try u32(w) }
                else if section == "log" { info.xfsLogblocksize = try u32(w) }
            }
            if let w = word(line, after: "blocks=") {
                if section == "data" { info.xfsDatablocks = try u64(w) }
                else if section == "log" { info.xfsLogblocks = try u32(w) }
                else if section == "realtime" { info.xfsRtblocks = try u64(w) }
            }
            if let w = word(line, after: "imaxpct=") { info.xfsImaxpct = try u32(w) }
            if let w = word(line, after: "sunit=") {
                if section == "data" { info.xfsSunit = try u32(w) }
                else if section == "log" { info.xfsLogsunit = try u32(w) }
            }
            if let w = word(line, after: "swidth=") { info.xfsSwidth = try u32(w) }
            if let w = word(line, after: "naming   =version ") { info.xfsDirversion = try u32(w) }
            if let w = word(line, after: "ascii-ci=") { info.xfsCimode = try u32(w) }
            if let w = word(line, after: "log      =") { info.xfsLogname = w }
            if let w = word(line, after: "version=") { info.xfsLogversion = try u32(w) }
            if let w = word(line, after: "lazy-count=") { info.xfsLazycount = try u32(w) }
            if let w = word(line, after: "realtime =") { info.xfsRtname = w }
            if let w = word(line, after: "rtextents=") { info.xfsRtextents = try u64(w) }
        }
        return info
    }

    public func xfsGrowfs(path: String, datasec: Bool?, logsec: Bool?, rtsec: Bool?, datasize: Int64?,
                          logsize: Int64?, rtsize: Int64?, rtextsize: Int64?, maxpct: Int32?) throws {
        let host = try context.resolve(path)
        var argv = ["xfs_growfs"]
        if datasec == true { argv.append("-d") }
        if logsec == true { argv.append("-l") }
        if rtsec == true { argv.append("-r") }
        func nonNegative<T: BinaryInteger>(_ v: T, _ name: String) throws -> String {
            guard v >= 0 else { throw DaemonError(message: "\(name) must be >= 0") }
            return String(v)
        }
        if let datasize { argv += ["-D", try nonNegative(datasize, "datasize")] }
        if let logsize { argv += ["-L", try nonNegative(logsize, "logsize")] }
        if let rtsize { argv += ["-R", try nonNegative(rtsize, "rtsize")] }
        if let rtextsize { argv += ["-e", try nonNegative(rtextsize, "rtextsize")] }
        if let maxpct { argv += ["-m", try nonNegative(maxpct, "maxpct")] }
        argv.append(host)
        try fsCommand(argv, errorPrefix: "\(path): ")
    }

    public func xfsAdmin(device: String, extunwritten: Bool?, imgfile: Bool?, v2log: Bool?, projid32bit: Bool?,
                         lazycounter: Bool?, label: String?, uuid: String?) throws {
        var argv = ["xfs_admin"]
        if extunwritten == true { argv.append("-e") }
        if imgfile == true { argv.append("-f") }
        if v2log == true { argv.append("-j") }
        if projid32bit == true { argv.append("-p") }
        if let lazycounter { argv += ["-c", lazycounter ? "1" : "0"] }
        if let label {
            guard label.utf8.count <= Self.xfsLabelMax else {
                throw DaemonError(message: "\(label): xfs labels are limited to \(Self.xfsLabelMax) bytes")
            }
            argv += ["-L", label]
        }
        if let uuid { argv += ["-U", uuid] }
        argv.append(device)
        try fsCommand(argv, errorPrefix: "\(fsName(device)): ", foldStdout: true)
    }

    public func xfsRepair(device: String, forcelogzero: Bool?, nomodify: Bool?, noprefetch: Bool?,
                          forcegeometry: Bool?, maxmem: Int64?, ihashsize: Int64?, bhashsize: Int64?,
                          agstride: Int64?, logdev: String?, rtdev: String?) throws -> Int32 {
        var argv = ["xfs_repair"]
        if forcelogzero == true { argv.append("-L") }
        if nomodify == true { argv.append("-n") }
        if noprefetch == true { argv.append("-P") }
        if forcegeometry == true { argv += ["-o", "force_geometry"] }
        func nonNegative(_ v: Int64, _ name: String) throws -> String {
            guard v >= 0 else { throw DaemonError(EINVAL, "\(name) must be >= 0") }
            return String(v)
        }
        if let maxmem { argv += ["-m", try nonNegative(maxmem, "maxmem")] }
        if let ihashsize { argv += ["-o", "ihash=" + (try nonNegative(ihashsize, "ihashsize"))] }
        if let bhashsize { argv += ["-o", "bhash=" + (try nonNegative(bhashsize, "bhashsize"))] }
        if let agstride { argv += ["-o", "ag_stride=" + (try nonNegative(agstride, "agstride"))] }
        if let logdev { argv += ["-l", logdev] }
        if let rtdev { argv += ["-r", rtdev] }
        if device.hasPrefix("/dev/") {
            argv.append(device)
        } else {
            argv += ["-f", try context.resolve(device)]
        }
        let r = try context.runner.run(argv)
        // Upstream returns the exit status; only a tool that could not run
        // or died from a signal is an error.
        if r.status >= 128 {
            throw DaemonError(message: "\(fsName(device)): \(canonicalNames(in: r.stderrString.trimmingTrailingNewlines()))")
        }
        let err = r.stderrString
        // -m too small: xfs_repair says how much it needs (upstream 1.60,
        // RHEL-165677), which the caller can act on.
        if let needed = Self.xfsRepairMemoryNeeded(err) {
            throw DaemonError(EINVAL, "maxmem parameter (-m option) was too small: raise it from "
                                + "\(maxmem.map(String.init) ?? "(not set)") to at least \(needed)")
        }
        // RHEL 7's on-disk AGFL layout, which that kernel fixed up itself,
        // is flagged by newer xfs_repair: not a problem (RHEL-178287).
        if r.status == 1, Self.xfsRepairOnlyOldAGFL(err) { return 0 }
        return r.status
    }

    /// "Required memory for repair is greater that/than the maximum
    /// specified ... at least N." -> N.
    static func xfsRepairMemoryNeeded(_ err: String) -> String? {
        let text = Array(err.utf8)
        let start = Array("Required memory for repair is greater tha".utf8)
        guard let s = text.firstRange(of: start), text[s.upperBound...].dropFirst().starts(with: " the maximum specified".utf8),
              let atLeast = text[s.upperBound...].firstRange(of: Array("at least ".utf8)) else { return nil }
        let digits = text[atLeast.upperBound...].prefix { $0 >= 48 && $0 <= 57 }
        guard !digits.isEmpty, digits.endIndex < text.endIndex, text[digits.endIndex] == UInt8(ascii: ".") else { return nil }
        return String(decoding: digits, as: UTF8.self)
    }

    /// "bad agbno N in agfl, agno M" somewhere in xfs_repair's messages.
    static func xfsRepairOnlyOldAGFL(_ err: String) -> Bool {
        var rest = Substring(err)
        while let r = rest.firstRange(of: "bad agbno ") {
            let after = rest[r.upperBound...]
            let n = after.prefix { $0.isASCII && $0.isNumber }
            if !n.isEmpty, after[n.endIndex...].hasPrefix(" in agfl, agno "),
               let d = after[n.endIndex...].dropFirst(" in agfl, agno ".count).first, d.isASCII, d.isNumber {
                return true
            }
            rest = after
        }
        return false
    }

    /// XFS cannot shrink: its minimum size is its current size.
    func xfsMinimumSize(path: String) throws -> Int64 {
        let info = try xfsInfo(pathordevice: path)
        let bs = Int64(info.xfsBlocksize), blocks = Int64(info.xfsDatablocks)
        guard bs > 0, Int64.max / bs >= blocks else { throw DaemonError(message: "filesystem size too big: overflow") }
        return bs * blocks
    }
}
