#if canImport(Glibc)
import Glibc
#endif
import CSelinux

/// SELinux: the daemon's own security context through libselinux (group
/// "selinux"; the appliance loads no policy, so getcon reads whatever the
/// kernel's active security module answers, AppArmor's "unconfined" on
/// Debian's kernel), and selinux_relabel (group "selinuxrelabel"):
/// setfiles(8) with the guest's file_contexts, which needs no loaded
/// policy.
extension Handlers {
    public func getcon() throws -> String {
        try LazyLibrary.selinux.require(for: "getcon")
        var raw: UnsafeMutablePointer<CChar>? = nil
        guard CSelinux.getcon(&raw) == 0, let raw else { throw DaemonError.system("getcon") }
        defer { freecon(raw) }
        return String(cString: raw)
    }

    public func setcon(context securityContext: String) throws {
        try LazyLibrary.selinux.require(for: "setcon")
        guard CSelinux.setcon(securityContext) == 0 else { throw DaemonError.system("setcon") }
    }

    public func selinuxRelabel(specfile: String, path: String, force: Bool?) throws {
        try relabel(specfile: specfile, paths: [path], force: force, errorPrefix: "")
    }

    /// 1.60's replacement for selinux_relabel: several paths in one run,
    /// its errors prefixed "setfiles: " as upstream's.
    public func setfiles(specfile: String, paths: [String], force: Bool?) throws {
        try relabel(specfile: specfile, paths: paths, force: force, errorPrefix: "setfiles: ")
    }

    private func relabel(specfile: String, paths: [String], force: Bool?, errorPrefix: String) throws {
        guard context.isGroupAvailable("selinuxrelabel") else { throw DaemonError.unavailableFeature("selinuxrelabel") }
        // Nothing to relabel (upstream 1.60 does not even run setfiles).
        guard !paths.isEmpty else { return }
        let root = context.sysroot.root
        // The spec file is a plain string: an absolute one is the guest's,
        // resolved inside it; anything else is glued to the sysroot as
        // upstream does.
        let spec = specfile.hasPrefix("/") ? try context.resolve(specfile) : root + specfile
        var argv = ["setfiles"]
        if force == true { argv.append("-F") }
        // Never relabel the pseudo filesystems' mountpoints.
        for dir in ["/dev", "/proc", "/selinux", "/sys"] {
            argv += ["-e", context.sysroot.hostPath(dir)]
        }
        // -m: do not put every other mountpoint on the exclude list;
        // -C: exit status 1 means "some files could not be relabelled",
        // which is not a failure; -A: less memory on huge trees; -T 0: one
        // thread per vCPU (upstream 1.60 adds these two, and every library
        // gets them here). Older setfiles lack some (probed as upstream
        // does, by the "invalid option" message).
        let hasC = setfilesHasOption("C")
        if setfilesHasOption("m") { argv.append("-m") }
        if hasC { argv.append("-C") }
        if setfilesHasOption("A") { argv.append("-A") }
        if setfilesHasOption("T") { argv += ["-T", "0"] }
        if !root.isEmpty { argv += ["-r", root] }
        argv.append(context.verbose ? "-v" : "-q")
        argv.append(spec)
        argv += try paths.map { try context.resolve($0) }
        let r = try context.runner.run(argv)
        guard r.status == 0 || (r.status == 1 && hasC) else {
            throw DaemonError(message: errorPrefix + r.stderrString.trimmingTrailingNewlines())
        }
    }

    /// setfiles with only `-X` prints its usage, and "invalid option --
    /// 'X'" first when it does not know X. Asked once per daemon (the
    /// appliance's setfiles does not change), as upstream caches it.
    private func setfilesHasOption(_ option: Character) -> Bool {
        if let known = state.setfilesOptions[option] { return known }
        guard let r = try? context.runner.run(["setfiles", "-\(option)"]) else { return false }
        // Not just "'X'": a known option that wants an argument (-T) says
        // "option requires an argument -- 'T'".
        let has = !r.stderrString.contains("invalid option -- '\(option)'")
        state.setfilesOptions[option] = has
        return has
    }
}
