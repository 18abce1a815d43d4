/// Windows roots: the systemroot directory, then the SOFTWARE and SYSTEM
/// hives (product, version, variant, control set, hostname, drive
/// letters).
struct WindowsInspector {
    let fs: GuestFilesystemReader
    let devices: InspectionDevices

    static let systemrootPaths = ["/windows", "/winnt", "/win32", "/win", "/reactos"]

    /// The systemroot as the filesystem spells it ("/Windows"), or nil.
    func systemroot() -> String? {
        for path in Self.systemrootPaths {
            if let p = fs.caseSensitivePath(path), isSystemroot(p) { return p }
        }
        guard let bootIni = fs.caseSensitivePath("/boot.ini") else { return nil }
        return systemrootFromBootIni(bootIni)
    }

    /// The [operating systems] entries of boot.ini whose path holds a
    /// systemroot on this filesystem (partition numbers are not used).
    func systemrootFromBootIni(_ path: String) -> String? {
        guard let lines = Text.smallFileLines(fs, path),
              let start = lines.firstIndex(where: { $0.hasPrefix("[operating systems]") }) else { return nil }
        for line in lines[(start + 1)...] {
            guard line.hasPrefix("multi(") || line.hasPrefix("scsi(") else { break }
            let pattern = "^(multi|scsi)\\(([0-9]+)\\)disk\\(([0-9]+)\\)rdisk\\(([0-9]+)\\)partition\\(([0-9]+)\\)([^=]+)="
            guard let m = Text.match(pattern, line), let p = m[6] else { continue }
            let root = String(p.map { $0 == "\\" ? "/" : $0 })
            if isSystemroot(root) { return root }
        }
        return nil
    }

    func isSystemroot(_ root: String) -> Bool {
        fs.isDirNoCase(root + "/system32") && fs.isDirNoCase(root + "/system32/config")
            && fs.isFileNoCase(root + "/system32/cmd.exe")
    }

    func windowsRoot(_ data: inout InspectionData) throws {
        guard let root = systemroot() else { throw InspectionError("no Windows systemroot") }
        data.osType = .windows
        data.distro = .windows
        data.windowsSystemroot = root
        let cmd = fs.caseSensitivePath(root + "/system32/cmd.exe") ?? root + "/system32/cmd.exe"
        // Upstream fails the whole inspection when cmd.exe's architecture
        // cannot be told; nil (no file_architecture here) is "unknown".
        data.arch = try fs.architecture(of: cmd)
        try registry(root, &data)
    }

    func registry(_ root: String, _ data: inout InspectionData) throws {
        func hive(_ name: String) -> String? {
            guard let p = fs.caseSensitivePath(root + "/system32/config/" + name), fs.isFile(p) else { return nil }
            return p
        }
        data.windowsSoftwareHive = hive("software")
        data.windowsSystemHive = hive("system")
        guard let software = data.windowsSoftwareHive, let system = data.windowsSystemHive else { return }
        try softwareHive(fs.openHive(software), &data)
        try systemHive(fs.openHive(system), &data)
    }

    /// HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion: ProductName,
    /// CurrentMajor/MinorVersionNumber or else CurrentVersion, and
    /// InstallationType and CurrentBuildNumber (the build ID; CurrentBuild
    /// meant something else in XP). As upstream, a key without any version
    /// value ends the look-up before InstallationType.
    func softwareHive(_ hive: RegistryHive, _ data: inout InspectionData) throws {
        guard let values = try hive.values(at: ["Microsoft", "Windows NT", "CurrentVersion"]) else { return }
        func value(_ name: String) -> RegistryValue? { values.first { $0.name == name } }
        if let v = value("ProductName") { data.productName = try v.string() }
        if let major = value("CurrentMajorVersionNumber"), let minor = value("CurrentMinorVersionNumber") {
            data.version = Version(Int(try major.dword()), Int(try minor.dword()))
        } else if let v = value("CurrentVersion") {
            Text.parseVersion(try v.string(), into: &data)
        } else {
            return
        }
        if let v = value("InstallationType") { data.productVariant = try v.string() }
        if let v = value("CurrentBuildNumber") { data.buildId = try v.string() }
        data.windowsGroupPolicy = try Self.hasGroupPolicy(hive)
    }

    /// Group policy objects (which can forbid installing drivers): a subkey
    /// named like "{GUID}" under HKLM\SOFTWARE\Microsoft\Windows\
    /// CurrentVersion\Group Policy\History, as upstream 1.60 tells.
    static func hasGroupPolicy(_ hive: RegistryHive) throws -> Bool {
        let path = ["Microsoft", "Windows", "CurrentVersion", "Group Policy", "History"]
        guard let children = try hive.childNames(at: path) else { return false }
        return children.contains { name in
            let chars = Array(name.utf8)
            return chars.count > 3 && chars.first == UInt8(ascii: "{") && chars.last == UInt8(ascii: "}")
                && Text.isHexDigit(chars[1])
        }
    }

    func systemHive(_ hive: RegistryHive, _ data: inout InspectionData) throws {
        try driveMappings(hive, &data)
        guard let select = try hive.values(at: ["Select"]),
              let current = select.first(where: { Text.lowercased($0.name) == "current" }) else { return }
        let n = try current.dword()
        var digits = String(n)
        while digits.count < 3 { digits = "0" + digits }
        let controlSet = "ControlSet" + digits
        data.windowsCurrentControlSet = controlSet
        if let params = try hive.values(at: [controlSet, "Services", "Tcpip", "Parameters"]),
           let name = params.first(where: { $0.name == "Hostname" }) {
            data.hostname = try name.string()
        }
    }

    /// HKLM\SYSTEM\MountedDevices: \DosDevices\X: values whose blob names
    /// an MBR partition (disk signature + byte offset) or a GPT partition
    /// ("DMIO:ID:" + partition GUID), in the key's value order.
    func driveMappings(_ hive: RegistryHive, _ data: inout InspectionData) throws {
        guard let values = try hive.values(at: ["MountedDevices"]) else { return }
        var mappings: [(letter: String, device: String)] = []
        for v in values {
            let key = Array(v.name.utf8)
            guard key.count >= 14, Text.lowercased(String(decoding: key[0..<12], as: UTF8.self)) == "\\dosdevices\\",
                  (key[12] >= 65 && key[12] <= 90) || (key[12] >= 97 && key[12] <= 122), key[13] == 58 else { continue }
            guard v.type == RegistryValue.regBinary else { continue }
            let blob = v.data
            var device: String?
            if blob.count >= 24, blob.starts(with: Array("DMIO:ID:".utf8)) {
                device = devices.gptPartition(guid: Self.guid(fromBlob: blob))
            } else if blob.count == 12 {
                var offset: UInt64 = 0
                for (i, b) in blob[4..<12].enumerated() { offset |= UInt64(b) << (8 * UInt64(i)) }
                device = devices.mbrPartition(diskID: Array(blob[0..<4]), offset: offset)
            }
            if let device { mappings.append((String(decoding: key[12..<13], as: UTF8.self), device)) }
        }
        data.driveMappings = mappings
    }

    /// The GUID after "DMIO:ID:": three little-endian fields, then eight
    /// bytes in order; lowercase.
    static func guid(fromBlob blob: [UInt8]) -> String {
        func hex(_ bytes: [UInt8]) -> String {
            bytes.map { b in
                let s = String(b, radix: 16)
                return s.count == 1 ? "0" + s : s
            }.joined()
        }
        let b = Array(blob[8..<24])
        return hex(b[0..<4].reversed()) + "-" + hex(b[4..<6].reversed()) + "-" + hex(b[6..<8].reversed()) + "-"
            + hex(Array(b[8..<10])) + "-" + hex(Array(b[10..<16]))
    }
}
