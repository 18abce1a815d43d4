#if canImport(Glibc)
import Glibc
#endif
import CParted

/// libparted in process, driven the way the `parted -s` tool drives it
/// (upstream ran that tool): the same library calls in the same order, and
/// the library's exception texts collected as the tool would print them
/// ("Error: ...", "Warning: ..."), for the error reply.
enum Parted {
    /// Runs `edit` on a disk just read or made; on failure the disk is
    /// destroyed and the error passed on, on success the disk is returned
    /// to the caller (partedChange), which destroys it.
    static func editing(_ disk: UnsafeMutablePointer<PedDisk>,
                        _ edit: (UnsafeMutablePointer<PedDisk>) throws -> Void) throws -> UnsafeMutablePointer<PedDisk> {
        do {
            try edit(disk)
        } catch {
            ped_disk_destroy(disk)
            throw error
        }
        return disk
    }

    /// Exception texts collected during the current operation. The daemon
    /// serves one call at a time, and libparted itself is not re-entrant.
    nonisolated(unsafe) static var log: [String] = []
    nonisolated(unsafe) static var handlerInstalled = false

    /// Thrown by an operation body after libparted reported the failure.
    struct Failed: Error {}

    /// The handler `parted -s` installs: print the text, take the only
    /// option when there is one, otherwise leave it unhandled (script mode
    /// answers no question), which makes the operation fail.
    static let handler: @convention(c) (UnsafeMutablePointer<PedException>?) -> PedExceptionOption = { ex in
        guard let ex else { return PED_EXCEPTION_UNHANDLED }
        let type = ped_exception_get_type_string(ex.pointee.type).map { String(cString: $0) } ?? "Error"
        let message = ex.pointee.message.map { String(cString: $0) } ?? ""
        Parted.log.append("\(type): \(message)")
        let options = ex.pointee.options.rawValue
        let first = options & (~options &+ 1)
        if first != 0 && first == options { return PedExceptionOption(rawValue: first) }
        return PED_EXCEPTION_UNHANDLED
    }

    static func installHandler() {
        if !handlerInstalled {
            ped_exception_set_handler(handler)
            handlerInstalled = true
        }
    }

    /// Opens `node` with libparted, runs `body`, and releases the device
    /// (so a later call sees the device's current size). Any failure
    /// becomes "parted: DEVICE: <what parted would have printed>".
    static func withDevice<R>(_ node: String, display: String,
                              _ body: (UnsafeMutablePointer<PedDevice>) throws -> R) throws -> R {
        try LazyLibrary.parted.require(for: "parted")
        installHandler()
        log = []
        guard let dev = freshDevice(node) else {
            throw failure(display: display, node: node)
        }
        defer { ped_device_destroy(dev) }
        do {
            return try body(dev)
        } catch is Failed {
            throw failure(display: display, node: node)
        }
    }

    /// libparted keeps a list of the devices it has opened, and
    /// ped_device_get returns a listed device as it was read then (its
    /// length, sector sizes). Each use here destroys its device before
    /// the call ends, which takes it off the list; should one ever not,
    /// the list is emptied first, so every call reads the disk as it is.
    static func freshDevice(_ node: String) -> UnsafeMutablePointer<PedDevice>? {
        if ped_device_get_next(nil) != nil { ped_device_free_all() }
        return ped_device_get(node)
    }

    static func failure(display: String, node: String) -> DaemonError {
        let text = log.joined(separator: "\n")
        return DaemonError(message: "parted: \(display): \(Parted.rename(text, node: node, display: display))")
    }

    /// The collected texts, with the real node's name replaced by the name
    /// the library knows.
    static var collectedText: String { log.joined(separator: "\n") }

    /// Replaces `node` (and its partitions nodeN / nodepN) by `display`
    /// (and displayN) in a message.
    /// With `keepWidth`, a shorter name followed by a blank is padded so
    /// that tables (sfdisk -l) stay aligned.
    static func rename(_ text: String, node: String, display: String, keepWidth: Bool = false) -> String {
        guard node != display, !node.isEmpty else { return text }
        var out = ""
        var rest = Substring(text)
        while let r = rest.firstRange(of: node) {
            out += rest[rest.startIndex..<r.lowerBound]
            var after = rest[r.upperBound...]
            // /dev/loop1 inside /dev/loop10 is another device.
            if node.last!.isNumber, let next = after.first, next.isNumber {
                out += rest[r.lowerBound..<r.upperBound]
                rest = after
                continue
            }
            var suffix = ""
            if node.last!.isNumber, after.first == "p" {
                let digits = after.dropFirst().prefix { $0.isASCII && $0.isNumber }
                if !digits.isEmpty {
                    suffix = String(digits)
                    after = after.dropFirst(1 + digits.count)
                }
            } else {
                let digits = after.prefix { $0.isASCII && $0.isNumber }
                suffix = String(digits)
                after = after.dropFirst(digits.count)
            }
            out += display + suffix
            if keepWidth, after.first == " " {
                let shortBy = (node.count + (rest[r.upperBound...].count - after.count)) - (display.count + suffix.count)
                if shortBy > 0 { out += String(repeating: " ", count: shortBy) }
            }
            rest = after
        }
        out += rest
        return out
    }

    /// Reads the existing label; fails ("unrecognised disk label") if none.
    static func readDisk(_ dev: UnsafeMutablePointer<PedDevice>) throws -> UnsafeMutablePointer<PedDisk> {
        guard let disk = ped_disk_new(dev) else { throw Failed() }
        return disk
    }

    /// `parted -s -- DEV mklabel TYPE`.
    static func mklabel(_ dev: UnsafeMutablePointer<PedDevice>, type: String) throws -> UnsafeMutablePointer<PedDisk> {
        // An existing label is read only to refuse when it is in use.
        ped_exception_fetch_all()
        let old = ped_disk_new(dev)
        if old == nil { ped_exception_catch() }
        ped_exception_leave_all()
        if let old {
            defer { ped_disk_destroy(old) }
            if ped_device_is_busy(dev) != 0 {
                log.append("Error: Partition(s) on \(String(cString: dev.pointee.path)) are being used.")
                throw Failed()
            }
        }
        guard let diskType = ped_disk_type_get(type) else {
            log.append("Error: Unknown disk label type: \(type)")
            throw Failed()
        }
        guard let disk = ped_disk_new_fresh(dev, diskType) else { throw Failed() }
        guard ped_disk_commit(disk) != 0 else {
            ped_disk_destroy(disk)
            throw Failed()
        }
        return disk
    }

    /// Parses a sector position as parted does for "NUMs": exact (no
    /// fuzz), negative counts from the end, must lie on the device.
    static func sector(_ value: Int64, dev: UnsafeMutablePointer<PedDevice>) throws -> PedSector {
        let length = dev.pointee.length
        var s = value
        if value < 0 { s += length }
        guard s >= 0, s <= length - 1 else {
            log.append("Error: The location \(value)s is outside of the device \(String(cString: dev.pointee.path)).")
            throw Failed()
        }
        return s
    }

    static func partitionTypeNames(_ disk: UnsafeMutablePointer<PedDisk>) -> [String] {
        var names: [String] = []
        if canCreatePrimary(disk) { names.append("primary") }
        if canCreatePrimary(disk), ped_disk_type_check_feature(disk.pointee.type, PED_DISK_TYPE_EXTENDED) != 0,
           ped_disk_extended_partition(disk) == nil {
            names.append("extended")
        }
        if ped_disk_type_check_feature(disk.pointee.type, PED_DISK_TYPE_EXTENDED) != 0,
           ped_disk_extended_partition(disk) != nil {
            names.append("logical")
        }
        return names
    }

    static func canCreatePrimary(_ disk: UnsafeMutablePointer<PedDisk>) -> Bool {
        let max = ped_disk_get_max_primary_partition_count(disk)
        guard max >= 1 else { return false }
        for i in 1...max where ped_disk_get_partition(disk, i) == nil { return true }
        return false
    }

    /// `parted -s -- DEV mkpart WORD STARTs ENDs` on an open disk: WORD is
    /// the partition type on labels with extended partitions, else the
    /// partition name (a quirk upstream keeps).
    static func mkpart(_ disk: UnsafeMutablePointer<PedDisk>, word: String, start startValue: Int64,
                       end endValue: Int64) throws {
        let dev = disk.pointee.dev!
        if ped_disk_is_flag_available(disk, PED_DISK_CYLINDER_ALIGNMENT) != 0 {
            guard ped_disk_set_flag(disk, PED_DISK_CYLINDER_ALIGNMENT, 0) != 0 else { throw Failed() }
        }
        var partType = PED_PARTITION_NORMAL
        var name: String?
        if ped_disk_type_check_feature(disk.pointee.type, PED_DISK_TYPE_EXTENDED) != 0 {
            let allowed = partitionTypeNames(disk)
            if allowed.isEmpty {
                log.append("Warning: Can't create any more partitions.")
                throw Failed()
            }
            guard allowed.contains(word) else {
                log.append("parted: invalid token: \(word)")
                log.append("Error: Expecting a partition type.")
                throw Failed()
            }
            switch word {
            case "logical": partType = PED_PARTITION_LOGICAL
            case "extended": partType = PED_PARTITION_EXTENDED
            default: partType = PED_PARTITION_NORMAL
            }
        } else if ped_disk_type_check_feature(disk.pointee.type, PED_DISK_TYPE_PARTITION_NAME) != 0 {
            name = word
        }
        let start = try sector(startValue, dev: dev)
        let end = try sector(endValue, dev: dev)

        guard let part = ped_partition_new(disk, partType, nil, start, end) else { throw Failed() }
        var added = false
        defer { if !added { ped_partition_destroy(part) } }

        // Sector positions are exact: the ranges are the sectors themselves.
        let rangeStart = ped_geometry_new(dev, start, 1)
        let rangeEnd = ped_geometry_new(dev, end, 1)
        defer {
            if let rangeStart { ped_geometry_destroy(rangeStart) }
            if let rangeEnd { ped_geometry_destroy(rangeEnd) }
        }
        guard let rangeStart, let rangeEnd else { throw Failed() }
        let user = anyConstraint(dev, rangeStart, rangeEnd)
        let aligned = ped_device_get_optimal_aligned_constraint(dev)
        let final = ped_constraint_intersect(user, aligned)
        ped_constraint_destroy(user)
        ped_constraint_destroy(aligned)
        guard let final else { throw Failed() }

        ped_exception_fetch_all()
        var ok = ped_disk_add_partition(disk, part, final) != 0
        ped_constraint_destroy(final)
        if !ok {
            ped_exception_leave_all()
            let any = ped_constraint_any(dev)
            ok = ped_disk_add_partition(disk, part, any) != 0
            ped_constraint_destroy(any)
            guard ok else { throw Failed() }
            added = true
            let geom = part.pointee.geom
            if ped_geometry_test_sector_inside(rangeStart, geom.start) == 0
                || ped_geometry_test_sector_inside(rangeEnd, geom.end) == 0 {
                let text = "You requested a partition from \(unitFormat(dev, start)) to \(unitFormat(dev, end)) "
                    + "(sectors \(start)..\(end)).\nThe closest location we can manage is "
                    + "\(unitFormat(dev, geom.start)) to \(unitFormat(dev, geom.end)) (sectors \(geom.start)..\(geom.end))."
                log.append("Error: " + text)
                ped_disk_remove_partition(disk, part)
                added = false
                throw Failed()
            }
        } else {
            added = true
            ped_exception_leave_all()
        }
        ped_exception_catch()

        do {
            if let name, ped_partition_set_name(part, name) == 0 { throw Failed() }
            guard ped_partition_set_system(part, nil) != 0 else { throw Failed() }
            if ped_partition_is_flag_available(part, PED_PARTITION_LBA) != 0 {
                ped_partition_set_flag(part, PED_PARTITION_LBA, 1)
            }
            guard ped_disk_commit(disk) != 0 else { throw Failed() }
        } catch {
            ped_disk_remove_partition(disk, part)
            added = false
            throw error
        }
    }

    /// A constraint with any alignment within the given start and end
    /// ranges (parted's constraint_from_start_end).
    static func anyConstraint(_ dev: UnsafeMutablePointer<PedDevice>, _ rangeStart: UnsafeMutablePointer<PedGeometry>,
                              _ rangeEnd: UnsafeMutablePointer<PedGeometry>) -> UnsafeMutablePointer<PedConstraint>? {
        guard let any = ped_alignment_new(0, 1) else { return nil }
        defer { ped_alignment_destroy(any) }
        return ped_constraint_new(any, any, rangeStart, rangeEnd, 1, dev.pointee.length)
    }

    static func unitFormat(_ dev: UnsafeMutablePointer<PedDevice>, _ sector: PedSector) -> String {
        guard let p = ped_unit_format(dev, sector) else { return "\(sector)s" }
        defer { free(p) }
        return String(cString: p)
    }

    /// `command_line_get_partition`: the partition numbered `num`.
    static func partition(_ disk: UnsafeMutablePointer<PedDisk>, _ num: Int32) throws -> UnsafeMutablePointer<PedPartition> {
        guard let part = ped_disk_get_partition(disk, num) else {
            log.append("Error: Partition doesn't exist.")
            throw Failed()
        }
        return part
    }

    /// Script mode answers "no" to "Partition X is being used. Are you sure
    /// you want to continue?".
    static func refuseBusy(_ part: UnsafeMutablePointer<PedPartition>) throws {
        if ped_partition_is_busy(part) != 0 {
            let path = ped_partition_get_path(part).map { p -> String in
                defer { free(p) }
                return String(cString: p)
            } ?? "?"
            log.append("Warning: Partition \(path) is being used. Are you sure you want to continue?")
            throw Failed()
        }
    }

    /// The active partitions in parted's print order (an extended
    /// partition is followed by its logical partitions).
    static func activePartitions(_ disk: UnsafeMutablePointer<PedDisk>) -> [UnsafeMutablePointer<PedPartition>] {
        var parts: [UnsafeMutablePointer<PedPartition>] = []
        var p = ped_disk_next_partition(disk, nil)
        while let part = p {
            if ped_partition_is_active(part) != 0, part.pointee.type.rawValue & PED_PARTITION_METADATA.rawValue == 0 {
                parts.append(part)
            }
            p = ped_disk_next_partition(disk, part)
        }
        return parts
    }

    /// The flags column of `parted -m print`: set flags, ", "-separated.
    static func flagsText(_ part: UnsafeMutablePointer<PedPartition>) -> String {
        var names: [String] = []
        var flag = ped_partition_flag_next(PedPartitionFlag(rawValue: 0))
        while flag.rawValue != 0 {
            if ped_partition_is_flag_available(part, flag) != 0, ped_partition_get_flag(part, flag) != 0,
               let n = ped_partition_flag_get_name(flag) {
                names.append(String(cString: n))
            }
            flag = ped_partition_flag_next(flag)
        }
        return names.joined(separator: ", ")
    }
}
