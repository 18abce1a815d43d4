#if canImport(Glibc)
import Glibc
#endif
import GuestfsProtocol

/// Daemon housekeeping: liveness, echo, sync, autosync on close, and the
/// optional-group queries.
extension Handlers {
    public func pingDaemon() throws {}

    public func echoDaemon(words: [String]) throws -> String {
        words.joined(separator: " ")
    }

    public func sync() throws {
        Glibc.sync()
    }

    /// Sent by the library on close: sync, then unmount everything under
    /// the sysroot (deepest first) so no written byte is lost.
    public func internalAutosync() throws {
        Glibc.sync()
        try context.unmountAll(under: context.sysroot.hostPath("/"), includingTop: true)
        Glibc.sync()
    }

    public func internalFeatureAvailable(group: String) throws -> Int32 {
        // 0 available, 1 not available, 2 unknown group (as upstream).
        if OptionalGroups.retired.contains(group) { return 0 }
        guard Procedure.optionalGroups.contains(group) else { return 2 }
        return context.isGroupAvailable(group) ? 0 : 1
    }

    public func availableAllGroups() throws -> [String] {
        (Procedure.optionalGroups + OptionalGroups.retired).sorted()
    }
}
