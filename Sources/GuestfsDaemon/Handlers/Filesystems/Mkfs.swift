#if canImport(Glibc)
import Glibc
#endif
import CBlkid
import SystemPackage
import GuestfsProtocol

// MARK: - mkfs, wipefs

extension Handlers {
    public func mkfs(fstype: String, device: String, blocksize: Int32?, features: String?, inode: Int32?,
                     sectorsize: Int32?, label: String?) throws {
        let extfs = isExtFilesystem(fstype)
        let fat = fstype == "fat" || fstype == "vfat" || fstype == "msdos"
        var argv = [extfs ? "mke2fs" : "mkfs", "-t", fstype]
        if extfs { argv.append("-F") }
        if fstype == "ntfs" { argv += ["-Q", "-F"] }
        if fstype == "reiserfs" || fstype == "jfs" || fstype == "xfs" { argv.append("-f") }
        if fstype == "gfs" || fstype == "gfs2" { argv += ["-p", "lock_nolock", "-j", "1", "-O"] }
        if fat {
            argv.append("-I")
            if fsFatHasMbrOption() { argv.append("--mbr=n") }
        }
        if let blocksize {
            guard blocksize > 0, blocksize & (blocksize - 1) == 0 else {
                throw DaemonError(message: "block size must be > 0 and a power of 2")
            }
            if fstype == "vfat" || fstype == "msdos" {
                let ss = try fsSectorSize(device)
                let perCluster = blocksize / ss
                guard perCluster >= 1, perCluster <= 128 else {
                    throw DaemonError(message: "unsupported cluster size for \(fstype) filesystem (requested cluster size = \(blocksize), sector size = \(ss), trying sectors per cluster = \(perCluster))")
                }
                argv += ["-s", String(perCluster)]
            } else if fstype == "ntfs" {
                argv += ["-c", String(blocksize)]
            } else if fstype == "btrfs" {
                throw DaemonError(message: "blocksize cannot be set on btrfs filesystems, use 'mkfs-btrfs'")
            } else if fstype == "xfs" {
                argv += ["-b", "size=\(blocksize)"]
            } else {
                argv += ["-b", String(blocksize)]
            }
        }
        if let features { argv += ["-O", features] }
        if let inode {
            guard extfs else { throw DaemonError(message: "inode size (-I) can only be set on ext2/3/4 filesystems") }
            guard inode > 0 else { throw DaemonError(message: "inode size must be larger than zero") }
            argv += ["-I", String(inode)]
        }
        if let sectorsize {
            guard fstype == "ufs" else { throw DaemonError(message: "sector size (-S) can only be set on ufs filesystems") }
            guard sectorsize > 0 else { throw DaemonError(message: "sector size must be larger than zero") }
            argv += ["-S", String(sectorsize)]
        }
        if let label {
            if extfs {
                guard label.utf8.count <= 16 else {
                    throw DaemonError(message: "\(label): ext2/3/4 labels are limited to 16 bytes")
                }
                argv += ["-L", label]
            } else if fat {
                argv += ["-n", label]
            } else if fstype == "ntfs" || fstype == "btrfs" {
                argv += ["-L", label]
            } else if fstype == "xfs" {
                guard label.utf8.count <= 12 else {
                    throw DaemonError(message: "\(label): xfs labels are limited to 12 bytes")
                }
                argv += ["-L", label]
            } else if fstype == "f2fs" {
                argv += ["-l", label]
            } else {
                throw DaemonError(message: "don't know how to set the label for '\(fstype)' filesystems")
            }
        }
        argv.append(device)
        fsWipeBeforeMkfs(device)
        try fsCommand(argv, errorPrefix: "\(fstype): \(fsName(device)): ")
    }

    public func mkfsB(fstype: String, blocksize: Int32, device: String) throws {
        try mkfs(fstype: fstype, device: device, blocksize: blocksize, features: nil, inode: nil,
                 sectorsize: nil, label: nil)
    }

    public func wipefs(device: String) throws {
        var argv = ["wipefs", "-a"]
        if try fsWipefsHasForce() { argv.append("--force") }
        try fsCommand(argv + [device])
    }

    /// Wipes old signatures before a mkfs, ignoring failures (RHBZ#889888).
    func fsWipeBeforeMkfs(_ device: String) {
        guard let force = try? fsWipefsHasForce() else { return }
        _ = try? context.runner.run(["wipefs", "-a"] + (force ? ["--force"] : []) + [device])
    }

    private func fsWipefsHasForce() throws -> Bool {
        if let known = state.wipefsForce { return known }
        let r = try context.runner.run(["wipefs", "--help"])
        guard r.succeeded else { throw DaemonError(message: r.stderrString.trimmingTrailingNewlines()) }
        let force = r.stdoutString.contains("--force")
        state.wipefsForce = force
        return force
    }

    /// mkfs.fat >= 4.2 would write a bogus MBR unless told --mbr=n.
    private func fsFatHasMbrOption() -> Bool {
        if let known = state.fatMbr { return known }
        var has = false
        if let r = try? context.runner.run(["mkfs.fat"]), r.status == 1, r.stderrString.contains("--mbr[=") {
            has = true
        }
        state.fatMbr = has
        return has
    }

    /// The logical sector size of a block device (blockdev --getss).
    func fsSectorSize(_ device: String) throws -> Int32 {
        let out = try fsCommand(["blockdev", "--getss", device], errorPrefix: "blockdev: ").stdoutString
        guard let n = Int32(out.trimming( " \n")) else {
            throw DaemonError(message: "blockdev --getss: cannot parse output: \(out)")
        }
        return n
    }
}

