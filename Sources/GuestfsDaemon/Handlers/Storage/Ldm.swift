#if canImport(Glibc)
import Glibc
#endif

/// Windows dynamic disks (the ldm group), through Debian's ldmtool: its
/// answers are JSON, read with GuestfsSupport's JSONValue. The volumes'
/// device-mapper devices are /dev/mapper/ldm_vol_* (and the partitions'
/// ldm_part_*); /init makes them at boot with `ldmtool create all`, as
/// upstream's appliance does.
extension Handlers {
    public func listLdmVolumes() throws -> [String] { ldmMapperDevices(prefix: "ldm_vol_") }

    public func listLdmPartitions() throws -> [String] { ldmMapperDevices(prefix: "ldm_part_") }

    /// /dev/mapper entries with this prefix, sorted; none when there is
    /// no /dev/mapper at all.
    func ldmMapperDevices(prefix: String) -> [String] {
        DeviceNames.directoryEntries("/dev/mapper")
            .filter { $0.hasPrefix(prefix) }
            .map { "/dev/mapper/" + $0 }
            .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    public func ldmtoolCreateAll() throws {
        try fsCommand(["ldmtool", "create", "all"])
    }

    public func ldmtoolRemoveAll() throws {
        try fsCommand(["ldmtool", "remove", "all"])
    }

    public func ldmtoolScan() throws -> [String] {
        try ldmtoolScanDevices(devices: [])
    }

    public func ldmtoolScanDevices(devices: [String]) throws -> [String] {
        let json = try ldmtoolJSON(["scan"] + devices)
        guard let list = json.stringList else {
            throw DaemonError(message: "output of 'ldmtool scan' was not a JSON array of strings")
        }
        return list
    }

    public func ldmtoolDiskgroupName(diskgroup: String) throws -> String {
        try ldmtoolString(["show", "diskgroup", diskgroup], key: "name", command: "ldmtool show diskgroup")
    }

    public func ldmtoolDiskgroupVolumes(diskgroup: String) throws -> [String] {
        try ldmtoolStringList(["show", "diskgroup", diskgroup], key: "volumes", command: "ldmtool show diskgroup")
    }

    public func ldmtoolDiskgroupDisks(diskgroup: String) throws -> [String] {
        try ldmtoolStringList(["show", "diskgroup", diskgroup], key: "disks", command: "ldmtool show diskgroup")
    }

    public func ldmtoolVolumeType(diskgroup: String, volume: String) throws -> String {
        try ldmtoolString(["show", "volume", diskgroup, volume], key: "type", command: "ldmtool show volume")
    }

    public func ldmtoolVolumeHint(diskgroup: String, volume: String) throws -> String {
        // A volume without a drive letter has "hint": null.
        try ldmtoolString(["show", "volume", diskgroup, volume], key: "hint", command: "ldmtool show volume",
                          nullIsEmpty: true)
    }

    public func ldmtoolVolumePartitions(diskgroup: String, volume: String) throws -> [String] {
        try ldmtoolStringList(["show", "volume", diskgroup, volume], key: "partitions",
                              command: "ldmtool show volume")
    }

    // MARK: ldmtool's JSON

    /// Runs ldmtool with these arguments and parses what it printed.
    func ldmtoolJSON(_ arguments: [String]) throws -> JSONValue {
        let r = try fsCommand(["ldmtool"] + arguments)
        do {
            return try JSONValue.parse(r.stdout)
        } catch let e as JSONValue.ParseError {
            throw DaemonError(message: "parse error: \(e.message)")
        }
    }

    func ldmtoolString(_ arguments: [String], key: String, command: String, nullIsEmpty: Bool = false) throws -> String {
        let json = try ldmtoolJSON(arguments)
        switch json.member(key) {
        case .string(let s)?: return s
        case .null? where nullIsEmpty: return ""
        default:
            throw DaemonError(message: "output of '\(command)' was not a JSON object containing a key '\(key)' of type string")
        }
    }

    func ldmtoolStringList(_ arguments: [String], key: String, command: String) throws -> [String] {
        let json = try ldmtoolJSON(arguments)
        guard let list = json.member(key)?.stringList else {
            throw DaemonError(message: "output of '\(command)' was not a JSON object containing a key '\(key)' of type array of strings")
        }
        return list
    }
}
