#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// 9p filesystems that qemu shares with the appliance (virtio-9p), as
/// libguestfs up to 1.46 did; 1.48's daemon dropped them and answers an
/// error (see the README's known differences).
extension Handlers {
    static let virtio9pBus = "/sys/bus/virtio/drivers/9pnet_virtio"

    /// The mount tags of the virtio-9p devices, sorted; none (not an error)
    /// when the driver is not loaded.
    public func list9p() throws -> [String] {
        loadVirtio9p()
        guard let dir = opendir(Self.virtio9pBus) else {
            if errno == ENOENT { return [] }
            throw DaemonError.system("opendir: \(Self.virtio9pBus)")
        }
        defer { closedir(dir) }
        var tags: [String] = []
        while let entry = Glibc.readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.hasPrefix("virtio"),
                  let tag = try? SmallFile.bytes("\(Self.virtio9pBus)/\(name)/mount_tag") else { continue }
            // sysfs pads the tag with NULs on some kernels.
            tags.append(String(decoding: tag.prefix { $0 != 0 }, as: UTF8.self))
        }
        return tags.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    public func mount9p(mounttag: String, mountpoint: String, options: String?) throws {
        let hostPath = try context.resolve(mountpoint)
        guard let st = fileStatus(hostPath, follow: true) else { throw DaemonError.system(mountpoint) }
        guard st.st_mode & S_IFMT == S_IFDIR else {
            throw DaemonError.system("\(mountpoint): mount point is not a directory", errno: ENOTDIR)
        }
        var opts = "trans=virtio"
        if let options, !options.isEmpty { opts += "," + options }
        loadVirtio9p()
        let r = try context.runner.run(["mount", "-o", opts, "-t", "9p", mounttag, hostPath])
        guard r.succeeded else {
            throw DaemonError(message: "\(mounttag) on \(mountpoint): \(r.stderrString.trimmingTrailingNewlines())")
        }
    }

    /// The transport is not an automatic dependency of the 9p module.
    private func loadVirtio9p() {
        guard context.inAppliance, context.runner.has("modprobe") else { return }
        _ = try? context.runner.run(["modprobe", "9pnet_virtio"])
    }
}
