#if canImport(Glibc)
import Glibc
#endif

/// Monotonic time in nanoseconds; injectable so tests can drive the
/// progress rate rule without sleeping.
public protocol DaemonClock: AnyObject {
    func nanoseconds() -> UInt64
}

/// The coarse monotonic clock: read from the vDSO without touching the
/// clock hardware (which a TCG guest emulates slowly), and precise to a
/// few milliseconds, which is all the 2 s / 1/3 s progress rule needs.
public final class MonotonicClock: DaemonClock {
    public init() {}
    public func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

/// Decides when a progress message goes out: none in the first 2 s of a
/// call, then at most one each 1/3 s, and always the one at 100% once any
/// was sent (so the library's bar finishes).
final class ProgressReporter {
    static let initialDelay: UInt64 = 2_000_000_000
    static let period: UInt64 = 333_333_333

    let clock: DaemonClock
    private(set) var procedure: UInt32 = 0
    private(set) var serial: UInt32 = 0
    private var last: UInt64 = 0
    private(set) var sentCount = 0
    private var lastPosition: UInt64 = 0
    private var lastTotal: UInt64 = 0
    var send: ((UInt32, UInt32, UInt64, UInt64) throws -> Void)?

    init(clock: DaemonClock) { self.clock = clock }

    func begin(procedure: UInt32, serial: UInt32) {
        self.procedure = procedure
        self.serial = serial
        last = clock.nanoseconds()
        sentCount = 0
    }

    func report(position: UInt64, total: UInt64) throws {
        let now = clock.nanoseconds()
        let due: Bool
        if sentCount > 0 && position == total {
            // Never repeat the final message.
            due = !(lastPosition == total && lastTotal == total)
        } else {
            let elapsed = now &- last
            due = elapsed >= (sentCount == 0 ? Self.initialDelay : Self.period)
        }
        guard due else { return }
        try sendNow(position: position, total: total, at: now)
    }

    /// Sends a progress message whatever the rate rule says (upstream's
    /// notify_progress_no_ratelimit, used by `debug progress N RATE`).
    func sendNow(position: UInt64, total: UInt64, at now: UInt64? = nil) throws {
        last = now ?? clock.nanoseconds()
        sentCount += 1
        lastPosition = position
        lastTotal = total
        try send?(procedure, serial, position, total)
    }
}
