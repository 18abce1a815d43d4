#if canImport(Glibc)
import Glibc
#endif
import CSystemd
import GuestfsProtocol

/// The open journal: libsystemd's sd_journal over a directory of the guest.
final class JournalHandle {
    let journal: OpaquePointer

    init(_ journal: OpaquePointer) { self.journal = journal }

    deinit { sd_journal_close(journal) }
}

/// The journal_* calls (optional group "journal"): libsystemd's
/// sd-journal in process, one journal open per daemon as upstream, read
/// from the guest's journal directory (e.g. /var/log/journal).
extension Handlers {
    /// The open journal, or upstream's error naming its daemon function.
    private func journal(_ function: String) throws -> OpaquePointer {
        guard let h = state.journal else {
            throw DaemonError(message: "\(function): you must call 'journal-open' first to initialize the journal handle")
        }
        return h.journal
    }

    public func journalOpen(directory: String) throws {
        state.journal = nil
        let hostPath = try context.resolve(directory)
        try LazyLibrary.systemd.require(for: "journal_open")
        var j: OpaquePointer?
        let r = sd_journal_open_directory(&j, hostPath, 0)
        guard r >= 0, let j else {
            throw DaemonError.system("sd_journal_open_directory: \(directory)", errno: -r)
        }
        state.journal = JournalHandle(j)
    }

    public func journalClose() throws {
        _ = try journal("do_journal_close")
        state.journal = nil
    }

    public func journalNext() throws -> Bool {
        let r = sd_journal_next(try journal("do_journal_next"))
        guard r >= 0 else { throw DaemonError.system("sd_journal_next", errno: -r) }
        return r != 0
    }

    /// Moves SKIP entries forward (or back when negative); answers how
    /// many it moved.
    public func journalSkip(skip: Int64) throws -> Int64 {
        let j = try journal("do_journal_skip")
        if skip == 0 { return 0 }
        let r = skip > 0 ? sd_journal_next_skip(j, UInt64(skip)) : sd_journal_previous_skip(j, skip.magnitude)
        guard r >= 0 else { throw DaemonError.system("failed to skip \(skip) journal entries", errno: -r) }
        return Int64(r)
    }

    /// The fields of the current entry, streamed as (8-byte big-endian
    /// length, "FIELD=value" bytes) pairs that the library decodes into
    /// journal_get's list. Once the data has started, a failure can only
    /// cancel the stream.
    public func internalJournalGet(filename: FileOutSink) throws {
        let j = try journal("do_internal_journal_get")
        try filename.start()
        sd_journal_restart_data(j)
        var data: UnsafeRawPointer?
        var length = 0
        while true {
            let r = sd_journal_enumerate_data(j, &data, &length)
            if r < 0 { throw DaemonError.system("sd_journal_enumerate_data", errno: -r) }
            if r == 0 { break }
            var header = [UInt8](repeating: 0, count: 8)
            for i in 0..<8 { header[i] = UInt8(truncatingIfNeeded: UInt64(length) >> (56 - 8 * UInt64(i))) }
            try filename.write(header)
            try filename.write(UnsafeRawBufferPointer(start: data, count: length))
        }
    }

    public func journalGetDataThreshold() throws -> Int64 {
        var threshold = 0
        let r = sd_journal_get_data_threshold(try journal("do_journal_get_data_threshold"), &threshold)
        guard r >= 0 else { throw DaemonError.system("sd_journal_get_data_threshold", errno: -r) }
        return Int64(threshold)
    }

    public func journalSetDataThreshold(threshold: Int64) throws {
        let j = try journal("do_journal_set_data_threshold")
        // size_t as upstream passes it: a negative value wraps around.
        let r = sd_journal_set_data_threshold(j, Int(truncatingIfNeeded: threshold))
        guard r >= 0 else { throw DaemonError.system("sd_journal_set_data_threshold", errno: -r) }
    }

    public func journalGetRealtimeUsec() throws -> Int64 {
        var usec: UInt64 = 0
        let r = sd_journal_get_realtime_usec(try journal("do_journal_get_realtime_usec"), &usec)
        guard r >= 0 else { throw DaemonError.system("sd_journal_get_realtime_usec", errno: -r) }
        return Int64(bitPattern: usec)
    }
}
