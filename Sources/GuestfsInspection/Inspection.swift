/// The result of the last inspect_os and the inspect_get_* answers drawn
/// from it, with upstream's "unknown" defaults and error messages.
public struct Inspection: Sendable {
    public var filesystems: [InspectedFilesystem]

    public init(filesystems: [InspectedFilesystem] = []) {
        self.filesystems = filesystems
    }

    /// The root filesystems, in list_filesystems order.
    public var roots: [String] {
        filesystems.compactMap { f in
            if case .root = f.role { return f.mountable }
            return nil
        }
    }

    /// The data of a root (`display` names it in the error).
    public func root(_ mountable: String, display: String? = nil) throws -> InspectionData {
        if filesystems.isEmpty { throw InspectionError("no inspection data: call guestfs_inspect_os first") }
        for f in filesystems where f.mountable == mountable {
            if case .root(let d) = f.role { return d }
        }
        throw InspectionError("\(display ?? mountable): root device not found: only call this function with a root device previously returned by guestfs_inspect_os")
    }

    /// (mountpoint, mountable) from fstab, those whose mountpoint is a
    /// path; just "/" when there is no fstab (Windows).
    public func mountpoints(_ root: String, display: String? = nil) throws -> [(String, String)] {
        let d = try self.root(root, display: display)
        if d.fstab.isEmpty { return [("/", root)] }
        return d.fstab.filter { $0.mountpoint.hasPrefix("/") }.map { ($0.mountpoint, $0.mountable) }
    }

    public func filesystems(_ root: String, display: String? = nil) throws -> [String] {
        let d = try self.root(root, display: display)
        if d.fstab.isEmpty { return [root] }
        return d.fstab.map(\.mountable)
    }
}

extension InspectionData {
    public var typeName: String { osType?.rawValue ?? "unknown" }
    public var distroName: String { distro?.rawValue ?? "unknown" }
    public var packageFormatName: String { packageFormat?.rawValue ?? "unknown" }
    public var packageManagementName: String { packageManagement?.rawValue ?? "unknown" }
}
