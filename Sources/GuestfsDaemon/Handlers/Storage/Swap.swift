#if canImport(Glibc)
import Glibc
#endif

/// Swap: mkswap, swapon/swapoff by device, file, label or UUID, and swap
/// labels and UUIDs (swaplabel).
extension Handlers {
    static let swapLabelMax = 16

    public func mkswap(device: String, label: String?, uuid: String?) throws {
        var argv = ["mkswap", "-f"]
        if let label {
            try swapCheckLabel(label)
            argv += ["-L", label]
        }
        if let uuid { argv += ["-U", uuid] }
        argv.append(device)
        fsWipeBeforeMkfs(device)
        try fsCommand(argv, errorPrefix: "\(fsName(device)): ")
    }

    /// Deprecated (1.48's table): mkswap with a label.
    public func mkswapL(label: String, device: String) throws {
        try mkswap(device: device, label: label, uuid: nil)
    }

    /// Deprecated (1.48's table): mkswap with a UUID.
    public func mkswapU(uuid: String, device: String) throws {
        try mkswap(device: device, label: nil, uuid: uuid)
    }

    public func mkswapFile(path: String) throws {
        let host = try context.resolve(path)
        try fsCommand(["mkswap", "-f", host], errorPrefix: "\(path): ")
    }

    public func swaponDevice(device: String) throws {
        try swapOnOff("swapon", nil, device, shown: fsName(device))
    }

    public func swapoffDevice(device: String) throws {
        try swapOnOff("swapoff", nil, device, shown: fsName(device))
    }

    public func swaponFile(file: String) throws {
        let host = try context.resolve(file)
        try swapOnOff("swapon", nil, host, shown: host)
    }

    public func swapoffFile(file: String) throws {
        let host = try context.resolve(file)
        try swapOnOff("swapoff", nil, host, shown: host)
    }

    public func swaponLabel(label: String) throws {
        try swapCheckLabel(label)
        try swapOnOff("swapon", "-L", label, shown: label)
    }

    public func swapoffLabel(label: String) throws {
        try swapCheckLabel(label)
        try swapOnOff("swapoff", "-L", label, shown: label)
    }

    public func swaponUuid(uuid: String) throws {
        try swapOnOff("swapon", "-U", uuid, shown: uuid)
    }

    public func swapoffUuid(uuid: String) throws {
        try swapOnOff("swapoff", "-U", uuid, shown: uuid)
    }

    func swapSetUuid(device: String, uuid: String) throws {
        try fsCommand(["swaplabel", "-U", uuid, device])
    }

    func swapSetLabel(device: String, label: String) throws {
        try swapCheckLabel(label)
        try fsCommand(["swaplabel", "-L", label, device])
    }

    private func swapCheckLabel(_ label: String) throws {
        guard label.utf8.count <= Self.swapLabelMax else {
            throw DaemonError(message: "\(label): Linux swap labels are limited to \(Self.swapLabelMax) bytes")
        }
    }

    private func swapOnOff(_ tool: String, _ flag: String?, _ value: String, shown: String) throws {
        try fsCommand([tool] + (flag.map { [$0] } ?? []) + [value], errorPrefix: "\(shown): ")
    }
}
