/// Bootloader installers (groups "syslinux", "extlinux", "grub"):
/// SYSLINUX on an unmounted FAT device (through mtools), EXTLINUX on a
/// mounted ext2/3/4 or btrfs directory, and grub-install for i386-pc
/// (grub-pc-bin is in this appliance; Debian's reference appliance lacks
/// /usr/lib/grub/i386-pc, so its grub_install always fails).
extension Handlers {
    public func syslinux(device: String, directory: String?) throws {
        guard context.isGroupAvailable("syslinux") else { throw DaemonError.unavailableFeature("syslinux") }
        var argv = ["syslinux", "--install", "--force"]
        if let directory { argv += ["--directory", directory] }
        argv.append(device)
        let r = try context.runner.run(argv)
        guard r.succeeded else {
            throw DaemonError(message: canonicalNames(in: r.stderrString.trimmingTrailingNewlines()))
        }
    }

    public func extlinux(directory: String) throws {
        guard context.isGroupAvailable("extlinux") else { throw DaemonError.unavailableFeature("extlinux") }
        let r = try context.runner.run(["extlinux", "--install", context.resolve(directory)])
        guard r.succeeded else {
            throw DaemonError(message: "\(directory): \(canonicalNames(in: r.stderrString.trimmingTrailingNewlines()))")
        }
    }

    /// grub-install puts boot/grub under `root` (resolved inside the
    /// guest) and writes boot.img and core.img to `device`.
    public func grubInstall(root: String, device: String) throws {
        guard context.isGroupAvailable("grub") else { throw DaemonError.unavailableFeature("grub") }
        let r = try context.runner.run(["grub-install", "--root-directory=" + context.resolve(root), device])
        guard r.succeeded else {
            throw DaemonError(message: canonicalNames(in: r.stderrString.trimmingTrailingNewlines()))
        }
    }
}
