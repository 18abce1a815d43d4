/// The rsync calls (optional group "rsync"): rsync(1) between two guest
/// directories, or between a guest directory and a remote rsync server
/// (rsync_in, rsync_out), which needs the appliance's network
/// (guestfs_set_network; /init brings up eth0 with DHCP).
extension Handlers {
    public func rsync(src: String, dest: String, archive: Bool?, deletedest: Bool?) throws {
        try requireRsync()
        try runRsync(source: rsyncGuestPath(src, isSource: true), sourceName: src,
                     destination: rsyncGuestPath(dest, isSource: false), destinationName: dest,
                     archive: archive, deletedest: deletedest)
    }

    public func rsyncIn(remote: String, dest: String, archive: Bool?, deletedest: Bool?) throws {
        try requireRsync()
        try runRsync(source: remote, sourceName: remote,
                     destination: rsyncGuestPath(dest, isSource: false), destinationName: dest,
                     archive: archive, deletedest: deletedest)
    }

    public func rsyncOut(src: String, remote: String, archive: Bool?, deletedest: Bool?) throws {
        try requireRsync()
        try runRsync(source: rsyncGuestPath(src, isSource: true), sourceName: src,
                     destination: remote, destinationName: remote,
                     archive: archive, deletedest: deletedest)
    }

    private func requireRsync() throws {
        guard context.isGroupAvailable("rsync") else { throw DaemonError.unavailableFeature("rsync") }
    }

    /// The host path rsync gets for a guest path. Symlinks on the way are
    /// followed inside the guest (upstream hands rsync the sysroot path and
    /// lets the appliance's root resolve them). A source's last component
    /// is left for rsync to treat as it treats links (skipped, or copied as
    /// a link with archive); a trailing slash keeps its rsync meaning (the
    /// directory's contents, not the directory).
    private func rsyncGuestPath(_ path: String, isSource: Bool) throws -> String {
        let slash = path.count > 1 && path.hasSuffix("/")
        var host = try context.resolve(path, followFinal: !isSource || slash)
        if slash, !host.hasSuffix("/") { host += "/" }
        return host
    }

    private func runRsync(source: String, sourceName: String, destination: String, destinationName: String,
                          archive: Bool?, deletedest: Bool?) throws {
        var argv = ["rsync"]
        if archive == true { argv.append("--archive") }
        if deletedest == true { argv.append("--delete") }
        argv += [source, destination]
        let r = try context.runner.run(argv)
        guard r.succeeded else {
            throw DaemonError(message: "'\(sourceName)' to '\(destinationName)': \(r.stderrString.trimmingTrailingNewlines())")
        }
    }
}
