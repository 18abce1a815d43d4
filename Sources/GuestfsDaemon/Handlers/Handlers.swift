/// The daemon's implementation of every procedure. Each capability lives
/// in its own file under Actions/ as an extension of this class.
public final class Handlers: GuestfsActions {
    public let context: DaemonContext

    public init(context: DaemonContext) {
        self.context = context
    }
}
