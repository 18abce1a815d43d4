/// The daemon's implementation of every procedure. Each capability lives
/// in a file under Handlers/<Area>/ as an extension of this class.
public final class Handlers: GuestfsActions {
    public let context: DaemonContext
    /// What the handlers keep between calls (SessionState.swift).
    var state = SessionState()

    public init(context: DaemonContext) {
        self.context = context
    }
}
