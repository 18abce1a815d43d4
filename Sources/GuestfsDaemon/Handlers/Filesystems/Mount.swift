#if canImport(Glibc)
import Glibc
#endif

/// Mounting the guest's filesystems under the sysroot, and listing and
/// undoing those mounts.
extension Handlers {
    public func mount(mountable: String, mountpoint: String) throws {
        try mountVfs(options: "", vfstype: "", mountable: mountable, mountpoint: mountpoint)
    }

    public func mountRo(mountable: String, mountpoint: String) throws {
        try mountVfs(options: "ro", vfstype: "", mountable: mountable, mountpoint: mountpoint)
    }

    public func mountOptions(options: String, mountable: String, mountpoint: String) throws {
        try mountVfs(options: options, vfstype: "", mountable: mountable, mountpoint: mountpoint)
    }

    public func mountVfs(options: String, vfstype: String, mountable: String, mountpoint: String) throws {
        let mp = try mountHostPoint(mountpoint)
        guard let st = fileStatus(mp), st.st_mode & S_IFMT == S_IFDIR else {
            throw DaemonError(message: "mount: \(mountpoint): mount point is not a directory")
        }
        let (device, subvolume) = splitMountable(mountable)
        var argv = ["mount"]
        switch (options.isEmpty, subvolume) {
        case (true, nil): break
        case (false, nil): argv += ["-o", options]
        case (true, let sub?): argv += ["-o", "subvol=" + sub]
        case (false, let sub?): argv += ["-o", "subvol=" + sub + "," + options]
        }
        if !vfstype.isEmpty { argv += ["-t", vfstype] }
        argv += [device, mp]
        try fsCommandOCaml(argv)
    }

    public func mountLoop(file: String, mountpoint: String) throws {
        let mp = try mountHostPoint(mountpoint)
        let path = try context.resolve(file)
        try fsCommand(["mount", "-o", "loop", path, mp], errorPrefix: "\(file) on \(mountpoint): ")
    }

    public func umount(pathordevice: String, force: Bool?, lazyunmount: Bool?) throws {
        let target = pathordevice.hasPrefix("/dev/") ? pathordevice : try mountHostPoint(pathordevice)
        var argv = ["umount"]
        if force == true { argv.append("-f") }
        if lazyunmount == true { argv.append("-l") }
        argv.append(target)
        try fsCommand(argv, errorPrefix: "\(fsName(pathordevice)): ")
    }

    /// Unmounts everything under the sysroot, longest mountpoint first.
    public func umountAll() throws {
        let points = mountSysrootEntries().map(\.entry.mountpoint)
        // A stable sort keeps later mounts of one path before earlier ones.
        let ordered = points.reversed().enumerated()
            .sorted { $0.element.count != $1.element.count ? $0.element.count > $1.element.count : $0.offset < $1.offset }
            .map(\.element)
        for point in ordered {
            try fsCommand(["umount", point], errorPrefix: "umount: \(point): ")
        }
    }

    public func mounts() throws -> [String] {
        mountSysrootEntries().map { mountCanonicalSource($0.entry.device) }
    }

    public func mountpoints() throws -> [String] {
        mountSysrootEntries().flatMap { [mountCanonicalSource($0.entry.device), $0.guestPath] }
    }

    public func mkmountpoint(exemptpath: String) throws {
        let path = try mountAbsolutePath(exemptpath, caller: "do_mkmountpoint")
        if Glibc.mkdir(path, 0o777) != 0 { throw DaemonError.system(exemptpath) }
    }

    public func rmmountpoint(exemptpath: String) throws {
        let path = try mountAbsolutePath(exemptpath, caller: "do_rmmountpoint")
        if Glibc.rmdir(path) != 0 { throw DaemonError.system(exemptpath) }
    }

    public func remount(mountpoint: String, rw: Bool?) throws {
        guard let rw else { throw DaemonError(message: "parameter 'rw' must be specified") }
        let options = rw ? "remount,rw" : "remount,ro"
        let mp = try mountHostPoint(mountpoint)
        try fsCommand(["mount", "-o", options, mp], errorPrefix: "\(mountpoint): \(options): ")
    }

    // MARK: Helpers

    /// The host path of a guest mountpoint, resolved inside the sysroot
    /// so a symlink cannot take the mount outside it.
    private func mountHostPoint(_ guestPath: String) throws -> String {
        guard guestPath.hasPrefix("/") else {
            throw DaemonError(message: "\(guestPath): path must start with a / character")
        }
        let host = try context.resolve(guestPath)
        // resolve() of "/" yields "ROOT/"; mount tables show "ROOT".
        var h = host
        while h.count > 1, h.hasSuffix("/") { h.removeLast() }
        return h
    }

    /// Upstream's ABS_PATH check names the C function, not the path.
    private func mountAbsolutePath(_ path: String, caller: String) throws -> String {
        guard path.hasPrefix("/") else {
            throw DaemonError(message: "\(caller): path must start with a / character")
        }
        return try context.resolve(path, followFinal: false)
    }

    /// Mounts at or below the sysroot, in mount order, with the guest
    /// path of each mountpoint.
    func mountSysrootEntries() -> [(entry: MountEntry, guestPath: String)] {
        let root = context.sysroot.root
        var out: [(MountEntry, String)] = []
        for entry in context.mountTable() {
            if !root.isEmpty, entry.mountpoint == root {
                out.append((entry, "/"))
            } else if entry.mountpoint.hasPrefix(root + "/") {
                out.append((entry, String(entry.mountpoint.dropFirst(root.count))))
            }
        }
        return out
    }

    /// /dev/mapper/VG-LV and /dev/dm-N of an LV are shown as /dev/VG/LV.
    private func mountCanonicalSource(_ source: String) -> String {
        guard source.hasPrefix("/dev/mapper/") || source.hasPrefix("/dev/dm-"), context.runner.has("lvm") else {
            return source
        }
        guard let r = try? context.runner.run(["lvm", "lvs", "--noheadings", "--separator", "/",
                                               "-o", "vg_name,lv_name", source]),
              r.succeeded else { return source }
        let name = r.stdoutString.trimming(" \n")
        return name.isEmpty || name.contains("\n") ? source : "/dev/" + name
    }
}
