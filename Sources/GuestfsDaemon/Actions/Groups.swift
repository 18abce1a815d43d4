/// Which optional groups (guestfs_available) this daemon supports, as a
/// check per group: a group is listed once its procedures are implemented,
/// and its check looks for the tools it needs in the appliance. Groups not
/// listed answer "not available".
public enum OptionalGroups {
    public static let checks: [String: @Sendable (DaemonContext) -> Bool] = [:]
}
