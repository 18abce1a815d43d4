import GuestfsInspection

/// Everything the handlers keep from one call to the next, in one place:
/// the "no stale state between calls" rule is about exactly these fields.
/// Each says what drops or refreshes it. Facts about the disks are never
/// kept here (see System/DiskChanges.swift); tool probes are, because the
/// appliance's tools do not change while the daemon runs.
struct SessionState {
    // MARK: Library handles, one per daemon as upstream keeps them

    /// libaugeas: replaced by aug_init (which drops the old one first), dropped by aug_close.
    var augeas: AugeasHandle?
    /// libhivex: replaced by hivex_open (which drops the old one first), dropped by hivex_close.
    var hivex: HivexHandle?
    /// sd-journal: replaced by journal_open (which drops the old one first), dropped by journal_close.
    var journal: JournalHandle?
    /// libyara's compiled rules: dropped by yara_load (then replaced on success) and yara_destroy.
    var yaraRules: YaraRules?
    /// The inotify descriptor and its unread events: replaced by inotify_init, dropped by inotify_close.
    var inotify: InotifyInstance?
    /// liblvm2cmd and lvm_set_filter's filter: made on first use, never dropped; its command context is made again when the disk generation moves (LvmState.freshAt).
    var lvm: LvmState?

    // MARK: Results

    /// The last inspect_os: replaced by the next inspect_os (nil: none yet, the inspect_get_* calls see no roots).
    var inspection: Inspection?

    // MARK: What the appliance's tools can do, asked once

    /// `btrfs device add` knows --force: never (the appliance's btrfs-progs do not change).
    var btrfsDeviceAddForce: Bool?
    /// `btrfs qgroup show` knows --raw: never.
    var btrfsQgroupRaw: Bool?
    /// wipefs knows --force: never.
    var wipefsForce: Bool?
    /// mkfs.fat knows --mbr: never.
    var fatMbr: Bool?
    /// The dm-crypt module chain was loaded for LUKS: never (modules stay loaded).
    var luksModulesLoaded = false
    /// The preload library that chroots tar for tar_in: never (it sits beside guestfsd).
    var tarChrootLibrary: String?
    /// setfiles knows option X (key X): never.
    var setfilesOptions: [Character: Bool] = [:]
}
