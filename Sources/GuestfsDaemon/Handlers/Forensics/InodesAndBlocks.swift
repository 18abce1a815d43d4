#if canImport(Glibc)
import Glibc
#endif

/// download_inode and download_blocks (optional group "sleuthkit"):
/// sleuthkit's icat and blkls, whose stdout is the download, as upstream
/// runs them. A tool that fails before writing anything is answered with
/// its message (upstream cancels the transfer); a later failure cancels.
extension Handlers {
    public func downloadInode(device: String, inode: Int64, filename: FileOutSink) throws {
        if inode < 0 { throw DaemonError(message: "inode must be >= 0") }
        let node = splitMountable(device).device
        // -r: recover the content of a deleted file where the filesystem
        // still holds it.
        try streamSleuthkit(["icat", "-r", node, String(inode)], device: node, to: filename)
    }

    public func downloadBlocks(device: String, start: Int64, stop: Int64, filename: FileOutSink,
                               unallocated: Bool?) throws {
        if start < 0 { throw DaemonError(message: "starting address must be greater than zero") }
        if stop <= start { throw DaemonError(message: "stopping address must greater than starting address") }
        let node = splitMountable(device).device
        // blkls without -e extracts only the unallocated blocks. Upstream
        // drops -e whenever the optarg is passed, even as false; here
        // false means every block, as documented.
        var argv = ["blkls", node]
        if unallocated != true { argv.append("-e") }
        argv.append("\(start)-\(stop)")
        try streamSleuthkit(argv, device: node, to: filename)
    }

    private func streamSleuthkit(_ argv: [String], device: String, to sink: FileOutSink) throws {
        do {
            try streamTool(argv, to: sink, what: "\(argv[0]): \(fsName(device))")
        } catch let e as DaemonError {
            throw DaemonError(e.errno, canonicalNames(in: e.message))
        }
    }
}
