#if canImport(Glibc)
import Glibc
#endif
import CHivex
import GuestfsProtocol
import SystemPackage

/// The open hive: libhivex's handle and the host path it was read from
/// (resolved inside the guest once, at open), where a commit without a
/// file name writes it back.
final class HivexHandle {
    let hive: OpaquePointer
    let hostPath: String

    init(_ hive: OpaquePointer, hostPath: String) {
        self.hive = hive
        self.hostPath = hostPath
    }

    deinit { hivex_close(hive) }
}

/// The hivex_* calls (optional group "hivex"): libhivex in process, one
/// hive open per daemon as upstream. Node and value handles are offsets
/// into the hive; libhivex checks each one and answers EINVAL for a bad
/// one, which is reported as upstream does ("failed: Invalid argument").
/// The handles of a 0-terminated array libhivex returned; the array is
/// freed.
func takeHivexHandles(_ list: UnsafeMutablePointer<Int>) -> [Int] {
    defer { free(list) }
    var handles: [Int] = []
    var i = 0
    while list[i] != 0 {
        handles.append(list[i])
        i += 1
    }
    return handles
}

extension Handlers {

    /// The open hive, or upstream's error naming its daemon function.
    private func hive(_ function: String) throws -> HivexHandle {
        guard let h = state.hivex else {
            throw DaemonError(message: "\(function): you must call 'hivex-open' first to initialize the hivex handle")
        }
        return h
    }

    /// libhivex's errno as upstream reports it: "failed: strerror".
    private static func hivexFailed(_ e: Int32 = errno) -> DaemonError {
        DaemonError.system("failed", errno: e)
    }

    /// Takes a malloc'd C string libhivex returned, or throws its errno.
    private static func takeString(_ p: UnsafeMutablePointer<CChar>?) throws -> String {
        guard let p else { throw hivexFailed() }
        defer { free(p) }
        return String(cString: p)
    }

    /// A 0-terminated array of handles libhivex returned (and frees it).
    private static func takeHandles(_ p: UnsafeMutablePointer<Int>?) throws -> [Int64] {
        guard let p else { throw hivexFailed() }
        return takeHivexHandles(p).map(Int64.init)
    }

    /// A lookup by name: 0 with errno left 0 when there is no such entry,
    /// 0 with errno set when libhivex failed (told apart as upstream).
    private static func lookup(_ call: () -> Int) throws -> Int64 {
        errno = 0
        let r = call()
        if r == 0 && errno != 0 { throw hivexFailed() }
        return Int64(r)
    }

    /// Handles travel as int64; libhivex takes size_t and rejects any
    /// offset outside the hive.
    private static func offset(_ handle: Int64) -> Int { Int(truncatingIfNeeded: handle) }

    public func hivexOpen(filename: String, verbose: Bool?, debug: Bool?, write: Bool?, unsafe: Bool?) throws {
        state.hivex = nil
        let host: String
        do {
            host = try context.resolve(filename)
        } catch let e as DaemonError {
            throw DaemonError(e.errno, "hivex failed to open \(filename): \(errnoDescription(e.errno))")
        }
        var flags: Int32 = 0
        if verbose == true { flags |= HIVEX_OPEN_VERBOSE }
        if debug == true { flags |= HIVEX_OPEN_DEBUG }
        if write == true { flags |= HIVEX_OPEN_WRITE }
        if unsafe == true { flags |= HIVEX_OPEN_UNSAFE }
        try LazyLibrary.hivex.require(for: "hivex_open")
        guard let hive = hivex_open(host, flags) else {
            throw DaemonError.system("hivex failed to open \(filename)")
        }
        state.hivex = HivexHandle(hive, hostPath: host)
    }

    public func hivexClose() throws {
        _ = try hive("do_hivex_close")
        state.hivex = nil
    }

    public func hivexRoot() throws -> Int64 {
        let h = try hive("do_hivex_root")
        let r = hivex_root(h.hive)
        if r == 0 { throw Self.hivexFailed() }
        return Int64(r)
    }

    public func hivexNodeName(nodeh: Int64) throws -> String {
        let h = try hive("do_hivex_node_name")
        return try Self.takeString(hivex_node_name(h.hive, Self.offset(nodeh)))
    }

    public func hivexNodeChildren(nodeh: Int64) throws -> [GuestfsHivexNode] {
        let h = try hive("do_hivex_node_children")
        return try Self.takeHandles(hivex_node_children(h.hive, Self.offset(nodeh))).map { GuestfsHivexNode(hivexNodeH: $0) }
    }

    /// 0 when there is no such child (errno stays 0), as upstream.
    public func hivexNodeGetChild(nodeh: Int64, name: String) throws -> Int64 {
        let h = try hive("do_hivex_node_get_child")
        return try Self.lookup { hivex_node_get_child(h.hive, Self.offset(nodeh), name) }
    }

    public func hivexNodeParent(nodeh: Int64) throws -> Int64 {
        let h = try hive("do_hivex_node_parent")
        let r = hivex_node_parent(h.hive, Self.offset(nodeh))
        if r == 0 { throw Self.hivexFailed() }
        return Int64(r)
    }

    public func hivexNodeValues(nodeh: Int64) throws -> [GuestfsHivexValue] {
        let h = try hive("do_hivex_node_values")
        return try Self.takeHandles(hivex_node_values(h.hive, Self.offset(nodeh))).map { GuestfsHivexValue(hivexValueH: $0) }
    }

    public func hivexNodeGetValue(nodeh: Int64, key: String) throws -> Int64 {
        let h = try hive("do_hivex_node_get_value")
        return try Self.lookup { hivex_node_get_value(h.hive, Self.offset(nodeh), key) }
    }

    public func hivexValueKey(valueh: Int64) throws -> String {
        let h = try hive("do_hivex_value_key")
        return try Self.takeString(hivex_value_key(h.hive, Self.offset(valueh)))
    }

    public func hivexValueType(valueh: Int64) throws -> Int64 {
        let h = try hive("do_hivex_value_type")
        var t = hive_type(0)
        if hivex_value_type(h.hive, Self.offset(valueh), &t, nil) == -1 { throw Self.hivexFailed() }
        return Int64(t.rawValue)
    }

    public func hivexValueValue(valueh: Int64) throws -> [UInt8] {
        let h = try hive("do_hivex_value_value")
        var size = 0
        guard let p = hivex_value_value(h.hive, Self.offset(valueh), nil, &size) else { throw Self.hivexFailed() }
        defer { free(p) }
        return Array(UnsafeRawBufferPointer(start: p, count: size))
    }

    public func hivexValueString(valueh: Int64) throws -> String {
        let h = try hive("do_hivex_value_string")
        return try Self.takeString(hivex_value_string(h.hive, Self.offset(valueh)))
    }

    /// Deprecated alias: upstream runs hivex_value_string's code, whose
    /// name its errors carry.
    public func hivexValueUtf8(valueh: Int64) throws -> String {
        try hivexValueString(valueh: valueh)
    }

    public func hivexNodeAddChild(parent: Int64, name: String) throws -> Int64 {
        let h = try hive("do_hivex_node_add_child")
        let r = hivex_node_add_child(h.hive, Self.offset(parent), name)
        if r == 0 { throw Self.hivexFailed() }
        return Int64(r)
    }

    public func hivexNodeDeleteChild(nodeh: Int64) throws {
        let h = try hive("do_hivex_node_delete_child")
        if hivex_node_delete_child(h.hive, Self.offset(nodeh)) == -1 { throw Self.hivexFailed() }
    }

    public func hivexNodeSetValue(nodeh: Int64, key: String, t: Int64, val: [UInt8]) throws {
        let h = try hive("do_hivex_node_set_value")
        var keyBytes = Array(key.utf8CString)
        var data = val.map { CChar(bitPattern: $0) }
        if data.isEmpty { data = [0] }  // a valid pointer for an empty value
        let r = keyBytes.withUnsafeMutableBufferPointer { k in
            data.withUnsafeMutableBufferPointer { v in
                // The type travels as int64; the hive stores 32 bits of it.
                var value = hive_set_value(key: k.baseAddress, t: hive_type(UInt32(truncatingIfNeeded: t)),
                                           len: val.count, value: v.baseAddress)
                return hivex_node_set_value(h.hive, Self.offset(nodeh), &value, 0)
            }
        }
        if r == -1 { throw Self.hivexFailed() }
    }

    /// Writes the hive back, to where it was opened from or to `filename`
    /// in the guest. Unlike libhivex's own commit (which truncates the
    /// target and rewrites it in place), the hive goes to a temporary file
    /// in the target's directory, is synced, and replaces the target by
    /// rename: a crash or a full disk mid-commit leaves the old hive whole.
    public func hivexCommit(filename: String?) throws {
        let h = try hive("do_hivex_commit")
        if let filename {
            // No "OptPathname" kind: the path checks are the handler's.
            guard filename.hasPrefix("/") else {
                throw DaemonError(message: "do_hivex_commit: path must start with a / character")
            }
            if context.requireMountedRoot, !context.isRootMounted() {
                throw DaemonError(message: "do_hivex_commit: you must call 'mount' first to mount the root filesystem")
            }
            do {
                try Self.commitAtomically(h, to: try context.resolve(filename))
            } catch let e as DaemonError {
                throw DaemonError(e.errno, "\(filename): commit failed: \(errnoDescription(e.errno))")
            }
        } else {
            do {
                try Self.commitAtomically(h, to: h.hostPath)
            } catch let e as DaemonError {
                throw DaemonError(e.errno, "commit failed: \(errnoDescription(e.errno))")
            }
        }
    }

    /// Temporary file beside `target`, hivex_commit into it, fsync, the
    /// target's mode and owner (or 0666 less the umask for a new file, as
    /// libhivex creates it), rename, fsync of the directory. Throws a
    /// DaemonError carrying the errno of the step that failed; the
    /// temporary file never outlives a failure.
    static func commitAtomically(_ h: HivexHandle, to target: String) throws {
        let slash = target.utf8.lastIndex(of: UInt8(ascii: "/")).map { target.utf8.distance(from: target.utf8.startIndex, to: $0) } ?? 0
        let directory = slash == 0 ? "/" : String(target.utf8.prefix(slash))!
        let base = String(target.utf8.dropFirst(slash + 1))!
        var template = Array("\(directory == "/" ? "" : directory)/.\(base).XXXXXX".utf8CString)
        let raw = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard raw >= 0 else { throw DaemonError(errno, "mkstemp") }
        let temp = cString(template)
        let file = FileDescriptor(rawValue: raw)
        var renamed = false
        defer { if !renamed { unlink(temp) } }
        try file.closeAfter {
            // libhivex opens the name itself (O_TRUNC) and writes the hive.
            if hivex_commit(h.hive, temp, 0) == -1 { throw DaemonError(errno, "hivex_commit") }
            var old = stat()
            if stat(target, &old) == 0 {
                if fchmod(raw, old.st_mode & 0o7777) != 0 || fchown(raw, old.st_uid, old.st_gid) != 0 {
                    throw DaemonError(errno, "fchmod")
                }
            } else {
                let mask = Glibc.umask(0o022)
                Glibc.umask(mask)
                if fchmod(raw, 0o666 & ~mask) != 0 { throw DaemonError(errno, "fchmod") }
            }
            if fsync(raw) != 0 { throw DaemonError(errno, "fsync") }
        }
        if Glibc.rename(temp, target) != 0 { throw DaemonError(errno, "rename") }
        renamed = true
        // The rename itself reaches the disk with the directory.
        if let dir = try? FileDescriptor.open(FilePath(directory), .readOnly, options: [.directory, .closeOnExec]) {
            _ = try? dir.closeAfter { _ = fsync(dir.rawValue) }
        }
    }
}
