/// clevisluks (libguestfs 1.54): unlock a LUKS device bound with Clevis,
/// usually to a Tang server over the network. Like upstream, the group is
/// present only when the appliance has `clevis-luks-unlock`; Debian 13's
/// reference appliance has not (its supermin package list omits clevis),
/// and neither has ours.
extension Handlers {
    public func clevisLuksUnlock(device: String, mapname: String) throws {
        // Upstream's dispatcher answers this before looking at the args.
        guard context.isGroupAvailable("clevisluks") else { throw DaemonError.unavailableFeature("clevisluks") }
        let r = try context.runner.run(["clevis", "luks", "unlock", "-d", device, "-n", mapname])
        guard r.succeeded else {
            throw DaemonError(message: "\(context.canonicalDeviceName(device)): \(mapname): \(r.stderrString)")
        }
    }
}
