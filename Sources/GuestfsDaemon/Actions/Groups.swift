/// Which optional groups (guestfs_available) this daemon supports, as a
/// check per group: a group is listed once its procedures are implemented,
/// and its check looks for the tools it needs in the appliance. Groups not
/// listed answer "not available".
public enum OptionalGroups {
    public static let checks: [String: @Sendable (DaemonContext) -> Bool] = {
        var c: [String: @Sendable (DaemonContext) -> Bool] = [:]
        // Files, transfer, commands (Files.swift, Transfer.swift, Commands.swift):




        // Devices and partitions (Devices.swift, Partitions.swift):



        // Filesystems and mount (Filesystems.swift, Mount.swift, ...):





        // LVM (LVM.swift):
        // liblvm2cmd is linked in: LVM works wherever the daemon runs.

        c["lvm2"] = { _ in true }
        return c
    }()
}
