/// Which optional groups (guestfs_available) this daemon supports, as a
/// check per group: a group is listed once its procedures are implemented,
/// and its check looks for the tools it needs in the appliance. Groups not
/// listed answer "not available".
public enum OptionalGroups {
    /// Groups whose procedures became core (no procedure names them any
    /// more, so they are not in the protocol JSON): upstream, 1.48 and 1.54
    /// alike, still lists them and reports them available.
    public static let retired = ["augeas", "realpath"]

    public static let checks: [String: @Sendable (DaemonContext) -> Bool] = {
        var c: [String: @Sendable (DaemonContext) -> Bool] = [:]
        // Files, transfer, commands (Files.swift, Transfer.swift, Commands.swift):
        c["xz"] = { $0.runner.has("xz") }
        c["linuxmodules"] = { Handlers.linuxModulesAvailable($0) }
        c["linuxxattrs"] = { _ in true }
        c["mknod"] = { _ in true }
        // The kernel's inotify (Inotify.swift):
        c["inotify"] = { _ in true }
        // libacl and libcap are linked in (AclCaps.swift):
        c["acl"] = { _ in true }
        c["linuxcaps"] = { _ in true }
        // libhivex is linked in (Hivex.swift):
        c["hivex"] = { _ in true }
        // libsystemd's sd-journal is linked in (Journal.swift):
        c["journal"] = { _ in true }
        // Forensics (Sleuthkit.swift, Tsk.swift, Yara.swift): sleuthkit's
        // icat and blkls run as tools; libtsk and libyara are linked in.
        c["sleuthkit"] = { $0.runner.has("icat") && $0.runner.has("blkls") }
        c["libtsk"] = { _ in true }
        c["libyara"] = { _ in true }
        // Devices and partitions (Devices.swift, Partitions.swift):
        c["blkdiscard"] = { _ in true }
        c["blkdiscardzeroes"] = { _ in true }
        c["gdisk"] = { $0.runner.has("sgdisk") }
        // Filesystems and mount (Filesystems.swift, Mount.swift, ...):
        c["linuxfsuuid"] = { _ in true }
        // zerofree is done in the daemon with libext2fs (Ext2Zerofree).
        c["zerofree"] = { _ in true }
        c["scrub"] = { $0.runner.has("scrub") }
        c["fstrim"] = { $0.runner.has("fstrim") }
        c["wipefs"] = { $0.runner.has("wipefs") }
        c["xfs"] = { $0.runner.has("mkfs.xfs") }
        c["ntfs3g"] = { $0.runner.has("ntfs-3g.probe") && $0.runner.has("ntfsclone") }
        c["ntfsprogs"] = { $0.runner.has("ntfsresize") }
        // btrfs-progs and the kernel's btrfs (Btrfs.swift), f2fs, squashfs:
        c["btrfs"] = { ctx in ctx.runner.has("btrfs") && ((try? Handlers(context: ctx).filesystemAvailable(filesystem: "btrfs")) ?? false) }
        c["f2fs"] = { $0.runner.has("resize.f2fs") }
        c["squashfs"] = { $0.runner.has("mksquashfs") }
        // LVM (LVM.swift):
        // liblvm2cmd is linked in: LVM works wherever the daemon runs.
        c["lvm2"] = { _ in true }
        // LUKS and BitLocker through cryptsetup (Luks.swift), as upstream:
        c["luks"] = { $0.runner.has("cryptsetup") }
        // md RAID (Md.swift) and Windows dynamic disks (Ldm.swift):
        c["mdadm"] = { $0.runner.has("mdadm") }
        c["ldm"] = { $0.runner.has("ldmtool") }
        // Clevis.swift (1.54): the appliance has no clevis, like Debian 13's.
        c["clevisluks"] = { $0.runner.has("clevis-luks-unlock") }
        // rsync, SELinux and bootloaders (Rsync.swift, Selinux.swift,
        // Bootloaders.swift); libselinux is linked in.
        c["rsync"] = { $0.runner.has("rsync") }
        c["selinux"] = { _ in true }
        c["selinuxrelabel"] = { $0.runner.has("setfiles") }
        c["syslinux"] = { $0.runner.has("syslinux") }
        c["extlinux"] = { $0.runner.has("extlinux") }
        c["grub"] = { $0.runner.has("grub-install") }
        return c
    }()
}

extension DaemonContext {
    /// Whether an optional group (guestfs_available) works here.
    public func isGroupAvailable(_ group: String) -> Bool {
        guard let check = OptionalGroups.checks[group] else { return false }
        return check(self)
    }
}
