import GuestfsProtocol

/// Which calls may change what is on the disks, for the daemon-wide disk
/// generation (DaemonContext.diskGeneration).
///
/// Every call changes it (before and after the handler runs) unless it is
/// listed here as one that only reads: an unknown or new procedure counts
/// as a change, so that forgetting to list one costs speed, never data.
/// Calls that write through a mounted filesystem (write, upload to a file,
/// mkdir) are not listed either: they write the device under the mount.
///
/// The caches that check the generation, and when each is refreshed:
/// - liblvm2cmd's command context (device list and sizes, block sizes,
///   filter results, label and metadata caches): made again before an LVM
///   command unless the previous LVM command was a read-only report and
///   the generation has not moved since (Lvm2cmd.swift, LVM.swift).
/// Caches that need no check, because nothing outlives one call:
/// - libparted: each use gets the PedDevice (geometry read then) and
///   destroys it before the call ends, which takes it off libparted's
///   device list (Parted.swift).
/// - libblkid: a new probe per question, no blkid.tab cache file
///   (FsProbe in Filesystems.swift).
/// - the daemon's device names, partition lists and mount table: read
///   from /sys/block, /sys/class/block and /proc/self/mountinfo on each
///   use (DeviceNames.swift, Mounts.swift); the attached drives of
///   standalone mode are fixed for the daemon's life.
/// - the handlers' SessionState keeps only handles, settings (the LVM
///   filter) and what tools can do (wipefs --force, mkfs.fat --mbr, tar's
///   preload), never facts about the disks.
public enum DiskChanges {
    /// Calls that read the disks (or nothing) and write no block device.
    static let readOnly: Set<Procedure> = [
        // daemon
        .pingDaemon, .echoDaemon, .getUmask, .availableAllGroups, .internalFeatureAvailable, .getcon,
        .filesystemAvailable,
        // devices and partition tables
        .listDevices, .listPartitions, .listDmDevices, .listMdDevices, .listDiskLabels, .list9p,
        .isWholeDevice, .partToDev, .partToPartnum,
        .blockdevGetro, .blockdevGetss, .blockdevGetbsz, .blockdevGetsz, .blockdevGetsize64,
        .partList, .partGetParttype, .partGetBootable, .partGetMbrId, .partGetMbrPartType, .partGetName,
        .partGetGptType, .partGetGptGuid, .partGetGptAttributes, .partGetDiskGuid,
        .sfdiskL, .sfdiskKernelGeometry, .sfdiskDiskGeometry,
        // LVM reports
        .pvs, .vgs, .lvs, .pvsFull, .vgsFull, .lvsFull, .pvuuid, .vguuid, .lvuuid, .vgpvuuids, .vglvuuids,
        .vgmeta, .isLv, .lvmCanonicalLvName,
        // md and ldm reports (Md.swift, Ldm.swift)
        .mdDetail, .mdStat, .listLdmVolumes, .listLdmPartitions, .ldmtoolScan, .ldmtoolScanDevices,
        .ldmtoolDiskgroupName, .ldmtoolDiskgroupVolumes, .ldmtoolDiskgroupDisks, .ldmtoolVolumeType,
        .ldmtoolVolumeHint, .ldmtoolVolumePartitions,
        // probing
        .vfsType, .vfsLabel, .vfsUuid, .blkid, .findfsUuid, .findfsLabel, .listFilesystems,
        .tune2fsL, .getE2label, .getE2uuid, .getE2attrs, .getE2generation, .xfsInfo, .vfsMinimumSize,
        .isoinfoDevice, .isoinfo, .btrfsFilesystemShow,
        .checksumDevice, .isZeroDevice,
        // reading files and directories
        .ll, .llz, .ls0, .find0, .readdir, .exists, .isFile, .isDir, .isChardev, .isBlockdev, .isFifo,
        .isSymlink, .isSocket, .isZero, .statns, .lstatns, .internalLstatnslist, .internalLxattrlist,
        .internalReadlinklist, .statvfs, .file, .fileArchitecture, .filesize, .checksum, .checksumsOut,
        .download, .downloadOffset, .strings, .stringsE, .hexdump, .wcL, .wcW, .wcC, .head, .headN,
        .tail, .tailN, .grep, .egrep, .fgrep, .grepi, .egrepi, .fgrepi, .zgrep, .zgrepi, .realpath,
        .readlink, .caseSensitivePath, .getxattrs, .lgetxattrs, .getxattr, .lgetxattr, .getcon,
        .mounts, .mountpoints, .df, .dfH, .du,
        // forensics (sleuthkit, libtsk, libyara)
        .downloadInode, .downloadBlocks, .internalFilesystemWalk, .internalFindInode,
        .yaraLoad, .yaraDestroy, .internalYaraScan,
    ]

    /// Whether `procedure` may write a block device.
    public static func mayWriteDevices(_ procedure: Procedure) -> Bool {
        !readOnly.contains(procedure)
    }
}
