#if canImport(Glibc)
import Glibc
#endif
import GuestfsProtocol
import SystemPackage

/// The daemon's one inotify instance (upstream has one per daemon too):
/// the non-blocking descriptor and the bytes of a partly read event.
final class InotifyInstance {
    let fd: FileDescriptor
    var pending: [UInt8] = []

    init(_ fd: FileDescriptor) { self.fd = fd }

    deinit { try? fd.close() }
}

/// The inotify_* calls (optional group "inotify"): watches on paths
/// inside the guest, events read without blocking.
extension Handlers {
    static let maxQueuedEventsPath = "/proc/sys/fs/inotify/max_queued_events"
    /// Upstream stops collecting events once the reply may pass half of
    /// the 4 MiB message limit (its own estimate per event).
    static let inotifyReplyBudget = 4 * 1024 * 1024 / 2

    /// The open instance, or upstream's error naming its daemon function.
    private func inotifyInstance(_ function: String) throws -> InotifyInstance {
        guard let i = state.inotify else {
            throw DaemonError(message: "\(function): you must call 'inotify_init' first to initialize inotify")
        }
        return i
    }

    public func inotifyInit(maxevents: Int32) throws {
        guard maxevents >= 0 else { throw DaemonError(message: "max_events < 0") }
        // The limit is system-wide: only the appliance's own kernel is
        // tuned, never the host's in standalone mode.
        if maxevents > 0, context.inAppliance {
            do {
                let fd = try FileDescriptor.open(Self.maxQueuedEventsPath, .writeOnly, options: [.closeOnExec])
                try fd.closeAfter { _ = try fd.writeAll(Array("\(maxevents)\n".utf8)) }
            } catch let e as Errno {
                throw DaemonError.system(Self.maxQueuedEventsPath, errno: e.rawValue)
            }
        }
        // A second init replaces the first instance and its watches.
        state.inotify = nil
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw DaemonError.system("inotify_init1") }
        state.inotify = InotifyInstance(FileDescriptor(rawValue: fd))
    }

    public func inotifyClose() throws {
        _ = try inotifyInstance("do_inotify_close")
        state.inotify = nil
    }

    public func inotifyAddWatch(path: String, mask: Int32) throws -> Int64 {
        let instance = try inotifyInstance("do_inotify_add_watch")
        let hostPath = try context.resolve(path)
        let wd = inotify_add_watch(instance.fd.rawValue, hostPath, UInt32(bitPattern: mask))
        guard wd >= 0 else { throw DaemonError.system(path) }
        return Int64(wd)
    }

    public func inotifyRmWatch(wd: Int32) throws {
        let instance = try inotifyInstance("do_inotify_rm_watch")
        guard inotify_rm_watch(instance.fd.rawValue, wd) == 0 else { throw DaemonError.system("\(wd)") }
    }

    public func inotifyRead() throws -> [GuestfsInotifyEvent] {
        try readInotifyEvents(try inotifyInstance("do_inotify_read"))
    }

    /// Every name in the events queued so far, sorted bytewise and unique
    /// (upstream pipes them through `sort -u` in the C locale).
    public func inotifyFiles() throws -> [String] {
        let instance = try inotifyInstance("do_inotify_files")
        var names = Set<String>()
        while true {
            let events = try readInotifyEvents(instance)
            if events.isEmpty { break }
            for e in events where !e.inName.isEmpty { names.insert(e.inName) }
        }
        return names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// Reads what the kernel has queued, until it has nothing more or the
    /// reply budget is spent; an incomplete trailing event waits for the
    /// next call.
    private func readInotifyEvents(_ instance: InotifyInstance) throws -> [GuestfsInotifyEvent] {
        var events: [GuestfsInotifyEvent] = []
        var budget = Self.inotifyReplyBudget
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let header = 16  // struct inotify_event without its name
        while budget > 0 {
            let n: Int
            do {
                n = try chunk.withUnsafeMutableBytes { try instance.fd.read(into: $0, retryOnInterrupt: true) }
            } catch let e as Errno {
                if e == .wouldBlock || e == .resourceTemporarilyUnavailable { break }
                throw DaemonError.system("read", errno: e.rawValue)
            }
            if n == 0 { throw DaemonError(message: "unexpected end of file") }
            instance.pending += chunk[0..<n]
            var at = 0
            let bytes = instance.pending
            func word(_ offset: Int) -> UInt32 {
                bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self) }
            }
            while at + header <= bytes.count {
                let length = Int(word(at + 12))
                guard at + header + length <= bytes.count else { break }
                guard length <= Int(PATH_MAX) else {
                    instance.pending.removeAll()
                    throw DaemonError(message: "event->len = \(length) > PATH_MAX")
                }
                let nameBytes = bytes[(at + header)..<(at + header + length)].prefix { $0 != 0 }
                let event = GuestfsInotifyEvent(
                    inWd: Int64(Int32(bitPattern: word(at))), inMask: word(at + 4),
                    inCookie: word(at + 8), inName: String(decoding: nameBytes, as: UTF8.self))
                events.append(event)
                budget -= 16 + 4 + nameBytes.count + 4
                at += header + length
            }
            instance.pending.removeFirst(at)
        }
        return events
    }
}
