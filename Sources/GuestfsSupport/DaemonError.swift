#if canImport(Glibc)
import Glibc
#endif
import GuestfsProtocol
import SystemPackage

/// The error a handler throws: an errno (0 when none applies) and a
/// sentence for the user. The session turns it into an error reply whose
/// errno_string the library maps back to errno for its caller.
public struct DaemonError: Error, CustomStringConvertible, Sendable {
    public var errno: Int32
    public var message: String

    public init(_ errno: Int32, _ message: String) {
        self.errno = errno
        self.message = message
    }

    /// An error with no errno (upstream's reply_with_error).
    public init(message: String) {
        self.errno = 0
        self.message = message
    }

    /// "context: strerror(errno)" (upstream's reply_with_perror).
    public static func system(_ context: String, errno e: Int32 = Glibc.errno) -> DaemonError {
        DaemonError(e, "\(context): \(errnoDescription(e))")
    }

    public static func notImplemented(_ procedure: String) -> DaemonError {
        DaemonError(ENOTSUP, "\(procedure): not implemented by this daemon")
    }

    /// An optional group (`guestfs_available`) this appliance lacks, in
    /// upstream's words.
    public static func unavailableFeature(_ group: String) -> DaemonError {
        DaemonError(ENOTSUP, "feature '\(group)' is not available in this\nbuild of libguestfs.  Read 'AVAILABILITY' in the guestfs(3) man page for\nhow to check for the availability of features.")
    }

    /// A tool the handler needs is missing from the appliance.
    public static func toolMissing(_ tool: String, for procedure: String) -> DaemonError {
        DaemonError(ENOTSUP, "\(procedure): the tool '\(tool)' is not available in this appliance")
    }

    public var errnoName: String { errno == 0 ? "" : ErrnoNames.name(of: errno) }

    public var description: String {
        errno == 0 ? message : "\(message) (\(errnoName))"
    }
}

/// strerror as a Swift string.
public func errnoDescription(_ e: Int32) -> String {
    guard let p = strerror(e) else { return "error \(e)" }
    return String(cString: p)
}

extension DaemonError {
    /// Any error a handler may throw, as the reply will carry it.
    public static func from(_ error: any Error) -> DaemonError {
        switch error {
        case let e as DaemonError:
            return e
        case let e as Errno:
            return DaemonError(e.rawValue, errnoDescription(e.rawValue))
        case let e as XDRError:
            return DaemonError(message: "daemon failed to decode procedure arguments: \(e)")
        default:
            return DaemonError(message: "\(error)")
        }
    }
}
