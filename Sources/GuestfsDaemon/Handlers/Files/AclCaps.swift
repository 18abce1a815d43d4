#if canImport(Glibc)
import Glibc
#endif
import CAcl
import CCap

/// POSIX ACLs (optional group "acl") and file capabilities (group
/// "linuxcaps"), through libacl and libcap in process. Paths are resolved
/// inside the sysroot first, so the libraries see a host path with no
/// symlink left to follow.
extension Handlers {
    public func aclGetFile(path: String, acltype: String) throws -> String {
        let type = try Self.aclType(acltype)
        let host = try context.resolve(path)
        guard let acl = acl_get_file(host, type) else { throw DaemonError.system(path) }
        defer { acl_free(UnsafeMutableRawPointer(acl)) }
        // One entry per line, numeric ids, the effective rights shown where
        // the mask takes some away.
        guard let text = acl_to_any_text(acl, nil, CChar(UInt8(ascii: "\n")),
                                         Int32(TEXT_SOME_EFFECTIVE | TEXT_NUMERIC_IDS)) else {
            throw DaemonError.system("acl_to_any_text")
        }
        defer { acl_free(UnsafeMutableRawPointer(text)) }
        let entries = String(decoding: UnsafeRawBufferPointer(start: text, count: strlen(text)), as: UTF8.self)
        // Every entry ends with a newline, as upstream returns it.
        return entries.isEmpty ? "" : entries + "\n"
    }

    public func aclSetFile(path: String, acltype: String, acl aclText: String) throws {
        let type = try Self.aclType(acltype)
        guard let acl = acl_from_text(aclText) else {
            throw DaemonError.system("could not parse acl string: \(aclText): acl_from_text")
        }
        defer { acl_free(UnsafeMutableRawPointer(acl)) }
        // No acl_valid here: the kernel refuses an incomplete ACL (EINVAL
        // on the path), as upstream reports it.
        let host = try context.resolve(path)
        guard acl_set_file(host, type, acl) == 0 else { throw DaemonError.system(path) }
    }

    public func aclDeleteDefFile(dir: String) throws {
        let host = try context.resolve(dir)
        guard acl_delete_def_file(host) == 0 else { throw DaemonError.system(dir) }
    }

    public func capGetFile(path: String) throws -> String {
        let host = try context.resolve(path)
        guard let caps = cap_get_file(host) else {
            // No capabilities set: an empty answer, as getcap prints nothing.
            if errno == ENODATA { return "" }
            throw DaemonError.system(path)
        }
        defer { cap_free(UnsafeMutableRawPointer(caps)) }
        guard let text = cap_to_text(caps, nil) else { throw DaemonError.system("cap_to_text") }
        defer { cap_free(UnsafeMutableRawPointer(text)) }
        return String(decoding: UnsafeRawBufferPointer(start: text, count: strlen(text)), as: UTF8.self)
    }

    public func capSetFile(path: String, cap capText: String) throws {
        guard let caps = cap_from_text(capText) else {
            throw DaemonError.system("could not parse cap string: \(capText): cap_from_text")
        }
        defer { cap_free(UnsafeMutableRawPointer(caps)) }
        let host = try context.resolve(path)
        guard cap_set_file(host, caps) == 0 else { throw DaemonError.system(path) }
    }

    static func aclType(_ name: String) throws -> acl_type_t {
        switch name {
        case "access": return acl_type_t(ACL_TYPE_ACCESS)
        case "default": return acl_type_t(ACL_TYPE_DEFAULT)
        default: throw DaemonError(message: "invalid acltype parameter: \(name)")
        }
    }
}
