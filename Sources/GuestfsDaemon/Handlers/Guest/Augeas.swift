#if canImport(Glibc)
import Glibc
#endif
import CAugeas
import GuestfsProtocol

/// The aug_* calls: libaugeas in process, one handle per daemon as
/// upstream keeps it. Errors read as upstream prints them: the call and its
/// arguments, then Augeas's own message, minor message and details.
///
/// Augeas opens files by path (root + path), so upstream's, rooted at
/// /sysroot, follows an absolute symlink in the guest (/etc/hosts ->
/// /etc/shadow) to the appliance's own file, reading and saving. Here the
/// calls that touch files (aug_load, aug_save, and the load of aug_init)
/// run on a thread of their own chrooted to the guest's root
/// (ConfinedThread), with Augeas rooted at the guest path: every path and
/// symlink resolves inside the guest. The tree calls (get, set, match, ...)
/// touch no file and run where they are called. /augeas/root is set to
/// what upstream shows (the appliance path of the root).
final class AugeasHandle {
    let aug: OpaquePointer
    private let files: ConfinedThread
    private let guestRoot: String

    init(_ aug: OpaquePointer, files: ConfinedThread, guestRoot: String) {
        self.aug = aug
        self.files = files
        self.guestRoot = guestRoot
    }
    deinit {
        aug_close(aug)
        files.stop()
    }

    /// body run with the guest's root as the root directory
    func confined<T>(_ body: () throws -> T) throws -> T { try files.confined(in: guestRoot, body) }

    /// "CALL: ARGS: message: minor: details", from the handle's last error.
    func error(_ what: String) -> DaemonError {
        if aug_error(aug) == Int32(AUG_ENOMEM.rawValue) {
            return DaemonError(message: "\(what): augeas out of memory")
        }
        var text = "\(what): " + Self.string(aug_error_message(aug))
        if let minor = aug_error_minor_message(aug) { text += ": " + String(cString: minor) }
        if let details = aug_error_details(aug) { text += ": " + String(cString: details) }
        return DaemonError(message: text)
    }

    static func string(_ p: UnsafePointer<CChar>?) -> String { p.map { String(cString: $0) } ?? "(null)" }
}

extension Handlers {
    /// The open handle, or upstream's error naming the daemon function.
    private func augeas(_ procedure: String) throws -> AugeasHandle {
        guard let h = state.augeas else {
            throw DaemonError(message: "do_\(procedure): you must call 'aug-init' first to initialize Augeas")
        }
        return h
    }

    public func augInit(root: String, flags: Int32) throws {
        // A new init always drops the old handle first, as upstream.
        state.augeas = nil
        // Augeas's root is a guest path, seen from inside the guest; a root
        // whose symlinks cannot be resolved (a loop) is passed as written,
        // as upstream does: Augeas then finds no files under it.
        let hostRoot = (try? context.resolve(root)) ?? context.sysroot.hostPath(root)
        let augRoot = context.sysroot.guestPath(ofHost: hostRoot) ?? root
        // Loaded here: the thread below chroots into the guest.
        try LazyLibrary.augeas.require(for: "aug_init")
        let files = try ConfinedThread()
        // AUG_NO_ERR_CLOSE keeps the handle on an error so its details can
        // be reported; upstream passes the caller's flags with it. The
        // handle is made here (lens modules load from the appliance) and
        // the files load confined (AUG_NO_LOAD, then aug_load).
        // The standard lens folders are given relative (with AUG_NO_STDINC):
        // the thread's working directory is the appliance's root, also
        // while it is chrooted in the guest, so a lens module loaded on
        // demand (AUG_NO_MODL_AUTOLOAD) comes from the appliance.
        let userFlags = UInt32(bitPattern: flags)
        let all = userFlags | AUG_NO_ERR_CLOSE.rawValue | AUG_NO_LOAD.rawValue | AUG_NO_STDINC.rawValue
        let loadPath: String? = userFlags & AUG_NO_STDINC.rawValue != 0
            ? nil : "usr/share/augeas/lenses:usr/share/augeas/lenses/dist"
        guard let aug = try files.perform({ aug_init(augRoot, loadPath, all) }) else {
            files.stop()
            throw DaemonError(message: "augeas initialization failed")
        }
        let h = AugeasHandle(aug, files: files, guestRoot: context.sysroot.hostPath("/"))
        if aug_error(aug) != Int32(AUG_NOERROR.rawValue) {
            throw h.error("aug_init: \(root) (flags \(flags))")
        }
        let shown = context.sysroot.hostPath(root)
        _ = aug_set(aug, "/augeas/root", shown.hasSuffix("/") ? shown : shown + "/")
        if UInt32(bitPattern: flags) & AUG_NO_LOAD.rawValue == 0 {
            let r = try h.confined { aug_load(aug) }
            if r == -1 || aug_error(aug) != Int32(AUG_NOERROR.rawValue) {
                throw h.error("aug_init: \(root) (flags \(flags))")
            }
        }
        state.augeas = h
    }

    public func augClose() throws {
        _ = try augeas("aug_close")
        state.augeas = nil
    }

    public func augDefvar(name: String, expr: String?) throws -> Int32 {
        let h = try augeas("aug_defvar")
        let r = aug_defvar(h.aug, name, expr)
        if r == -1 { throw h.error("aug_defvar: \(name): \(expr ?? "(null)")") }
        return r
    }

    public func augDefnode(name: String, expr: String, val: String) throws -> GuestfsIntBool {
        let h = try augeas("aug_defnode")
        var created: Int32 = 0
        let r = aug_defnode(h.aug, name, expr, val, &created)
        if r == -1 { throw h.error("aug_defnode: \(name): \(expr): \(val)") }
        return GuestfsIntBool(i: r, b: created)
    }

    public func augGet(augpath: String) throws -> String {
        let h = try augeas("aug_get")
        var value: UnsafePointer<CChar>?
        let r = aug_get(h.aug, augpath, &value)
        if r == 0 { throw DaemonError(message: "no matching node") }
        if r != 1 { throw h.error("aug_get: \(augpath)") }
        // A node without a value (a cleared one, /augeas itself).
        guard let value else { throw DaemonError(message: "Augeas returned NULL match") }
        return String(cString: value)
    }

    public func augSet(augpath: String, val: String) throws {
        let h = try augeas("aug_set")
        if aug_set(h.aug, augpath, val) == -1 { throw h.error("aug_set: \(augpath): \(val)") }
    }

    public func augClear(augpath: String) throws {
        let h = try augeas("aug_clear")
        if aug_set(h.aug, augpath, nil) == -1 { throw h.error("aug_clear: \(augpath)") }
    }

    public func augSetm(base: String, sub: String?, val: String) throws -> Int32 {
        let h = try augeas("aug_setm")
        let r = aug_setm(h.aug, base, sub, val)
        if r == -1 { throw h.error("aug_setm: \(base): \(sub ?? "(null)"): \(val)") }
        return r
    }

    public func augInsert(augpath: String, label: String, before: Bool) throws {
        let h = try augeas("aug_insert")
        if aug_insert(h.aug, augpath, label, before ? 1 : 0) == -1 {
            throw h.error("aug_insert: \(augpath): \(label) [before=\(before ? 1 : 0)]")
        }
    }

    public func augRm(augpath: String) throws -> Int32 {
        let h = try augeas("aug_rm")
        let r = aug_rm(h.aug, augpath)
        if r == -1 { throw h.error("aug_rm: \(augpath)") }
        return r
    }

    public func augMv(src: String, dest: String) throws {
        let h = try augeas("aug_mv")
        if aug_mv(h.aug, src, dest) == -1 { throw h.error("aug_mv: \(src): \(dest)") }
    }

    public func augMatch(augpath: String) throws -> [String] {
        try augMatch(try augeas("aug_match"), augpath)
    }

    private func augMatch(_ h: AugeasHandle, _ augpath: String) throws -> [String] {
        var matches: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let r = aug_match(h.aug, augpath, &matches)
        if r == -1 { throw h.error("aug_match: \(augpath)") }
        guard let matches else { return [] }
        defer {
            for i in 0..<Int(r) { free(matches[i]) }
            free(matches)
        }
        return (0..<Int(r)).map { matches[$0].map { String(cString: $0) } ?? "" }
    }

    /// aug_match on the children of a path, sorted (byte order, as strcmp).
    public func augLs(augpath: String) throws -> [String] {
        let h = try augeas("aug_ls")
        // A path may be a variable (aug_defvar), so only these endings
        // are refused: they would make "PATH/*" meaningless.
        if augpath.utf8.count > 1, let last = augpath.utf8.last,
           last == UInt8(ascii: "/") || last == UInt8(ascii: "]") || last == UInt8(ascii: "*") {
            throw DaemonError(message: "don't use aug-ls with a path that ends with / ] *")
        }
        let children = try augMatch(h, augpath == "/" ? "/*" : augpath + "/*")
        return children.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    public func augLabel(augpath: String) throws -> String {
        let h = try augeas("aug_label")
        var label: UnsafePointer<CChar>?
        let r = aug_label(h.aug, augpath, &label)
        if r == -1 { throw h.error("aug_label: \(augpath)") }
        if r == 0 { throw DaemonError(message: "no matching nodes found") }
        guard let label else { throw DaemonError(message: "internal error: expected label != NULL (r = \(r))") }
        return String(cString: label)
    }

    public func augSave() throws {
        let h = try augeas("aug_save")
        if try h.confined({ aug_save(h.aug) }) == -1 { throw h.error("aug_save") }
    }

    public func augLoad() throws {
        let h = try augeas("aug_load")
        if try h.confined({ aug_load(h.aug) }) == -1 { throw h.error("aug_load") }
    }

    public func augTransform(lens: String, file: String, remove: Bool?) throws {
        let h = try augeas("aug_transform")
        let exclude = remove ?? false
        if aug_transform(h.aug, lens, file, exclude ? 1 : 0) == -1 {
            throw h.error("aug_transform: \(lens): \(file): \(exclude ? "excl" : "incl")")
        }
    }
}
