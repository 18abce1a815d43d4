#if canImport(Glibc)
import Glibc
#endif
import CGuestfsShim
import GuestfsProtocol

/// Linux extended attributes (optional group "linuxxattrs").
extension Handlers {
    public func getxattrs(path: String) throws -> [GuestfsXattr] {
        try allXattrs(path, follow: true)
    }

    public func lgetxattrs(path: String) throws -> [GuestfsXattr] {
        try allXattrs(path, follow: false)
    }

    public func getxattr(path: String, name: String) throws -> [UInt8] {
        try oneXattr(path, name: name, follow: true)
    }

    public func lgetxattr(path: String, name: String) throws -> [UInt8] {
        try oneXattr(path, name: name, follow: false)
    }

    public func setxattr(xattr: String, val: String, vallen: Int32, path: String) throws {
        try storeXattr(xattr, val: val, vallen: vallen, path: path, follow: true)
    }

    public func lsetxattr(xattr: String, val: String, vallen: Int32, path: String) throws {
        try storeXattr(xattr, val: val, vallen: vallen, path: path, follow: false)
    }

    public func removexattr(xattr: String, path: String) throws {
        let host = try context.resolve(path, followFinal: true)
        if guestfs_shim_removexattr(host, xattr, 1) != 0 { throw DaemonError.system("removexattr") }
    }

    public func lremovexattr(xattr: String, path: String) throws {
        let host = try context.resolve(path, followFinal: false)
        if guestfs_shim_removexattr(host, xattr, 0) != 0 { throw DaemonError.system("removexattr") }
    }

    /// For the library's lxattrlist: per name, one entry named "" whose
    /// value is the count of attributes as a NUL-terminated decimal (left
    /// empty when the file cannot be listed), then the attributes sorted
    /// by name.
    public func internalLxattrlist(path: String, names: [String]) throws -> [GuestfsXattr] {
        var result: [GuestfsXattr] = []
        for name in names {
            let marker = result.count
            result.append(GuestfsXattr(attrname: "", attrval: []))
            let guest = (path.hasSuffix("/") ? path : path + "/") + name
            guard let host = try? context.resolve(guest, followFinal: false),
                  let attrNames = Self.listXattrNames(host, follow: false) else { continue }
            var entries: [GuestfsXattr] = []
            for attr in attrNames {
                guard let value = Self.readXattr(host, attr, follow: false) else {
                    throw DaemonError.system("getxattr: \(attr)")
                }
                entries.append(GuestfsXattr(attrname: attr, attrval: value))
            }
            entries.sort { Array($0.attrname.utf8).lexicographicallyPrecedes(Array($1.attrname.utf8)) }
            result[marker].attrval = Array(String(entries.count).utf8) + [0]
            result += entries
        }
        return result
    }

    /// Copies every attribute of src to dest (copy_attributes).
    func copyXattrs(src: String, srcHost: String, dest: String, destHost: String) throws {
        guard let names = Self.listXattrNames(srcHost, follow: true) else { throw DaemonError.system("listxattr: \(src)") }
        for name in names {
            guard let value = Self.readXattr(srcHost, name, follow: true) else {
                throw DaemonError.system("getxattr: \(src), \(name)")
            }
            let r = value.withUnsafeBytes { guestfs_shim_setxattr(destHost, name, $0.baseAddress, $0.count, 1) }
            if r != 0 { throw DaemonError.system("setxattr: \(dest), \(name)") }
        }
    }

    // MARK: Helpers

    private func allXattrs(_ path: String, follow: Bool) throws -> [GuestfsXattr] {
        let host = try context.resolve(path, followFinal: follow)
        guard let names = Self.listXattrNames(host, follow: follow) else { throw DaemonError.system("listxattr: \(path)") }
        var result: [GuestfsXattr] = []
        for name in names {
            let size = guestfs_shim_getxattr(host, name, nil, 0, follow ? 1 : 0)
            if size < 0 { throw DaemonError.system("getxattr: \(name)") }
            if size > Int(guestfs_shim_xattr_size_max()) {
                throw DaemonError(message: "\(name): extended attribute is too large")
            }
            guard let value = Self.readXattr(host, name, follow: follow) else { throw DaemonError.system("getxattr") }
            result.append(GuestfsXattr(attrname: name, attrval: value))
        }
        result.sort { Array($0.attrname.utf8).lexicographicallyPrecedes(Array($1.attrname.utf8)) }
        return result
    }

    private func oneXattr(_ path: String, name: String, follow: Bool) throws -> [UInt8] {
        let host = try context.resolve(path, followFinal: follow)
        let size = guestfs_shim_getxattr(host, name, nil, 0, follow ? 1 : 0)
        if size < 0 { throw DaemonError.system("getxattr") }
        if size > Int(guestfs_shim_xattr_size_max()) { throw DaemonError(message: "extended attribute is too large") }
        var buffer = [UInt8](repeating: 0, count: size)
        let n = buffer.withUnsafeMutableBytes { guestfs_shim_getxattr(host, name, $0.baseAddress, size, follow ? 1 : 0) }
        if n < 0 { throw DaemonError.system("getxattr") }
        if n != size { throw DaemonError(message: "getxattr: unexpected size (\(size)/\(n))") }
        return buffer
    }

    private func storeXattr(_ xattr: String, val: String, vallen: Int32, path: String, follow: Bool) throws {
        if vallen > guestfs_shim_xattr_size_max() { throw DaemonError(message: "extended attribute is too large") }
        let host = try context.resolve(path, followFinal: follow)
        // vallen may exceed the string (upstream then reads past its NUL):
        // the bytes after the string are zeros here.
        var value = Array(val.utf8)
        if vallen > 0, Int(vallen) > value.count { value += [UInt8](repeating: 0, count: Int(vallen) - value.count) }
        // A negative vallen is a huge size_t upstream: the kernel rejects it.
        let size = vallen < 0 ? Int(bitPattern: UInt(bitPattern: Int(vallen))) : Int(vallen)
        let r = value.withUnsafeBytes { raw in
            guestfs_shim_setxattr(host, xattr, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1), size, follow ? 1 : 0)
        }
        if r != 0 { throw DaemonError.system("setxattr") }
    }

    /// The attribute names of a file, without the hidden
    /// user.WofCompressedData; nil with errno set on failure.
    static func listXattrNames(_ host: String, follow: Bool) -> [String]? {
        while true {
            let size = guestfs_shim_listxattr(host, nil, 0, follow ? 1 : 0)
            if size < 0 { return nil }
            var buffer = [CChar](repeating: 0, count: size)
            let n = buffer.withUnsafeMutableBufferPointer { guestfs_shim_listxattr(host, $0.baseAddress, size, follow ? 1 : 0) }
            if n < 0 {
                if errno == ERANGE { continue }  // grew in between
                return nil
            }
            return buffer[0..<n].split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
                .filter { $0 != "user.WofCompressedData" }
        }
    }

    /// One attribute's value; nil with errno set on failure.
    static func readXattr(_ host: String, _ name: String, follow: Bool) -> [UInt8]? {
        while true {
            let size = guestfs_shim_getxattr(host, name, nil, 0, follow ? 1 : 0)
            if size < 0 { return nil }
            var buffer = [UInt8](repeating: 0, count: size)
            let n = buffer.withUnsafeMutableBytes { guestfs_shim_getxattr(host, name, $0.baseAddress, size, follow ? 1 : 0) }
            if n < 0 {
                if errno == ERANGE { continue }
                return nil
            }
            return Array(buffer[0..<n])
        }
    }
}
