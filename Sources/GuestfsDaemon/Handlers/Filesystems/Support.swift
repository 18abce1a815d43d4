#if canImport(Glibc)
import Glibc
#endif
import CBlkid
import SystemPackage
import GuestfsProtocol
/// Shared by the filesystem and mount handlers: running tools the way
/// upstream's `command` did, showing device nodes by their canonical
/// names in messages, and probing devices with libblkid in process.
extension Handlers {
    /// Runs a tool; on a non-zero exit throws `prefix` + its stderr (as
    /// upstream's C `command` + `reply_with_error ("...: %s", err)`).
    @discardableResult
    func fsCommand(_ argv: [String], errorPrefix: String = "", foldStdout: Bool = false,
                   errno e: Int32 = 0,
                   onStdout: CommandRunner.ProgressParser? = nil,
                   onStderr: CommandRunner.ProgressParser? = nil) throws -> CommandResult {
        let r = try context.runner.run(argv, onStdout: onStdout, onStderr: onStderr)
        guard r.succeeded else {
            var err = r.stderrString
            if foldStdout { err = r.stdoutString + err }
            throw DaemonError(e, errorPrefix + canonicalNames(in: err.trimmingTrailingNewlines()))
        }
        return r
    }

    /// As upstream's OCaml `command`: "PROG exited with status N: STDERR".
    @discardableResult
    func fsCommandOCaml(_ argv: [String]) throws -> CommandResult {
        let r = try context.runner.run(argv)
        guard r.succeeded else {
            throw DaemonError(message: "\(argv[0]) exited with status \(r.status): "
                                + canonicalNames(in: r.stderrString.trimmingTrailingNewlines()))
        }
        return r
    }

    /// The name the library knows a device node by.
    func fsName(_ node: String) -> String { context.canonicalDeviceName(node) }

    /// Replaces the standalone loop device nodes in a tool's message with
    /// the /dev/sdX names the library knows.
    func canonicalNames(in text: String) -> String {
        guard let drives = context.devices.drives, !drives.isEmpty else { return text }
        var bytes = Array(text.utf8)
        // Longest nodes first, so /dev/loop10 is not taken for /dev/loop1.
        for (index, base) in drives.enumerated().sorted(by: { $0.element.count > $1.element.count }) {
            let canonical = "/dev/sd" + DeviceNames.letters(forIndex: index)
            bytes = replaceNode(in: bytes, node: Array(base.utf8), canonical: Array(canonical.utf8))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func replaceNode(in bytes: [UInt8], node: [UInt8], canonical: [UInt8]) -> [UInt8] {
        guard bytes.count >= node.count else { return bytes }
        func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if i + node.count <= bytes.count, bytes[i..<(i + node.count)].elementsEqual(node) {
                var j = i + node.count
                // A partition of a node ending in a digit is NODEpN.
                if isDigit(node.last!), j + 1 < bytes.count, bytes[j] == 112, isDigit(bytes[j + 1]) {
                    j += 1
                    var digits: [UInt8] = []
                    while j < bytes.count, isDigit(bytes[j]) { digits.append(bytes[j]); j += 1 }
                    out += canonical + digits
                    i = j
                    continue
                }
                if j < bytes.count, isDigit(bytes[j]) && isDigit(node.last!) {
                    out.append(bytes[i]); i += 1
                    continue
                }
                out += canonical
                i = j
                continue
            }
            out.append(bytes[i])
            i += 1
        }
        return out
    }

    /// Splits a translated Mountable into its device and btrfs subvolume.
    func splitMountable(_ mountable: String) -> (device: String, subvolume: String?) {
        guard mountable.hasPrefix("btrfsvol:") else { return (mountable, nil) }
        guard let (device, volume) = context.splitBtrfsvol(mountable) else {
            return (String(mountable.dropFirst("btrfsvol:".count)), nil)
        }
        return (device, volume)
    }

    func isExtFilesystem(_ fstype: String) -> Bool {
        fstype == "ext2" || fstype == "ext3" || fstype == "ext4"
    }

    /// Whether `device` is mounted somewhere under the sysroot (upstream's
    /// is_device_mounted: compares device numbers).
    func isDeviceMounted(_ device: String) throws -> Bool {
        guard let st1 = fileStatus(device) else { throw DaemonError.system("stat: \(fsName(device))") }
        let root = context.sysroot.hostPath("/")
        for entry in context.mountTable() {
            guard entry.mountpoint == root || entry.mountpoint.hasPrefix(root == "/" ? "/" : root + "/") else { continue }
            if let st2 = fileStatus(entry.device), st2.st_mode & S_IFMT == S_IFBLK, st1.st_rdev == st2.st_rdev {
                return true
            }
        }
        return false
    }
}

/// libblkid probing in process (what `blkid -c /dev/null ...` printed).
enum FsProbe {
    struct Chains: OptionSet {
        let rawValue: Int
        static let superblocks = Chains(rawValue: 1)
        static let partitions = Chains(rawValue: 2)
        static let topology = Chains(rawValue: 4)
    }

    enum Outcome {
        case found([(String, String)])
        case nothing
        case ambivalent
    }

    /// Probes `device` and returns the NAME=value pairs in libblkid's order.
    /// A new probe each time and no blkid.tab cache (what `-c /dev/null`
    /// asked of the tool): nothing libblkid learns outlives the question.
    static func probe(_ device: String, chains: Chains) throws -> Outcome {
        guard let pr = blkid_new_probe_from_filename(device) else {
            throw DaemonError.system("blkid: \(device)")
        }
        defer { blkid_free_probe(pr) }
        if chains.contains(.superblocks) {
            blkid_probe_enable_superblocks(pr, 1)
            let flags = BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID | BLKID_SUBLKS_TYPE | BLKID_SUBLKS_SECTYPE
                | BLKID_SUBLKS_USAGE | BLKID_SUBLKS_VERSION
            blkid_probe_set_superblocks_flags(pr, Int32(flags))
        } else {
            blkid_probe_enable_superblocks(pr, 0)
        }
        if chains.contains(.partitions) {
            blkid_probe_enable_partitions(pr, 1)
            blkid_probe_set_partitions_flags(pr, Int32(BLKID_PARTS_ENTRY_DETAILS))
        } else {
            blkid_probe_enable_partitions(pr, 0)
        }
        blkid_probe_enable_topology(pr, chains.contains(.topology) ? 1 : 0)
        let rc = blkid_do_safeprobe(pr)
        if rc == -2 { return .ambivalent }
        if rc < 0 { throw DaemonError(message: "\(device): probing failed") }
        var values: [(String, String)] = []
        let n = blkid_probe_numof_values(pr)
        if n > 0 {
            for i in 0..<n {
                var name: UnsafePointer<CChar>? = nil
                var data: UnsafePointer<CChar>? = nil
                var len = 0
                guard blkid_probe_get_value(pr, i, &name, &data, &len) == 0, let name, let data else { continue }
                // len counts the terminating NUL.
                let raw = UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self)
                let count = len > 0 && raw[len - 1] == 0 ? len - 1 : len
                let value = String(decoding: UnsafeBufferPointer(start: raw, count: count), as: UTF8.self)
                values.append((String(cString: name), value))
            }
        }
        return values.isEmpty ? .nothing : .found(values)
    }

    /// One tag (TYPE, LABEL, UUID) of the filesystem on `device`, or nil
    /// when there is none (blkid -o value -s TAG exiting with 2).
    static func tag(_ device: String, _ tag: String) -> String? {
        guard case .found(let values)? = try? probe(device, chains: [.superblocks]) else { return nil }
        return values.first { $0.0 == tag }?.1
    }
}

