import GuestfsProtocol
import SystemPackage

/// Runs the generated dispatcher on one call's args without a channel, for
/// the micro-benchmarks (guestfsd-bench). Procedures with FileIn/FileOut
/// arguments are not supported here.
public final class DispatchBench {
    let actions: GuestfsActions
    let transfer: Transfer
    let channel: Channel
    public var reply = XDRWriter(capacity: 4096)

    public init(actions: GuestfsActions) throws {
        self.actions = actions
        channel = Channel(descriptor: try FileDescriptor.open("/dev/null", .readWrite))
        let input = InputBuffer(channel: channel, capacity: 4096)
        transfer = Transfer(fileIn: FileInStream(input: input), fileOut: FileOutSink(input: input, channel: channel))
    }

    /// Decodes `args`, runs the handler and encodes its reply body.
    public func dispatch(_ procedure: Procedure, args: UnsafeRawBufferPointer, optargsBitmask: UInt64 = 0) throws {
        precondition(!procedure.hasFileIn && !procedure.hasFileOut)
        reply.reset()
        var r = XDRReader(args)
        try actions.dispatch(procedure, args: &r, optargsBitmask: optargsBitmask, transfer: transfer, reply: &reply)
    }
}
