#if canImport(Glibc)
import Glibc
#endif

/// The scrub_* calls (optional group "scrub"): Debian's scrub(1) with its
/// default pattern, as upstream runs it.
extension Handlers {
    public func scrubDevice(device: String) throws {
        try runScrub(["scrub", device], display: fsName(device))
    }

    /// scrub -r overwrites the file, then removes it. Upstream resolves
    /// the path with realpath inside the guest first, and a failure there
    /// reads "malloc: <strerror>" (its message, kept for compatibility).
    public func scrubFile(file: String) throws {
        let hostPath = try context.resolve(file)
        guard fileStatus(hostPath, follow: true) != nil else { throw DaemonError.system("malloc") }
        try runScrub(["scrub", "-r", hostPath], display: file)
    }

    /// scrub -X makes the directory, fills the filesystem with files,
    /// scrubs and removes them.
    public func scrubFreespace(dir: String) throws {
        // Symlinks on the way are followed inside the guest; the last
        // component is scrub's to create.
        try runScrub(["scrub", "-X", context.resolve(dir, followFinal: false)], display: dir)
    }

    private func runScrub(_ argv: [String], display: String) throws {
        let r = try context.runner.run(argv)
        guard r.succeeded else {
            throw DaemonError(message: "\(display): \(canonicalNames(in: r.stderrString.trimmingTrailingNewlines()))")
        }
    }
}
