import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

let journalRemote = "/lib/systemd/systemd-journal-remote"

/// Writes a journal file from journal export text (entries separated by
/// blank lines) into `directory`, with systemd-journal-remote: no systemd
/// needs to run.
func writeJournal(_ export: String, into directory: String) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let exportFile = directory + "/../export.txt"
    try export.write(toFile: exportFile, atomically: true, encoding: .utf8)
    try host([journalRemote, "--output=\(directory)/remote.journal", exportFile])
    try FileManager.default.removeItem(atPath: exportFile)
}

/// journal_get as the library builds it from internal_journal_get's
/// stream: (8-byte big-endian length, "FIELD=value") pairs.
func journalFields(_ d: StandaloneDaemon) throws -> [String: String] {
    let sink = DownloadSink()
    try d.client.internalJournalGet(filename: sink)
    var bytes = sink.bytes[...]
    var fields: [String: String] = [:]
    while bytes.count >= 8 {
        let length = bytes.prefix(8).reduce(0) { $0 << 8 | Int($1) }
        bytes = bytes.dropFirst(8)
        let field = String(decoding: bytes.prefix(length), as: UTF8.self)
        bytes = bytes.dropFirst(length)
        let eq = field.firstIndex(of: "=")!
        fields[String(field[..<eq])] = String(field[field.index(after: eq)...])
    }
    #expect(bytes.isEmpty)
    return fields
}

@Suite("journal", .enabled(if: StandaloneDaemon.available && FileManager.default.isExecutableFile(atPath: journalRemote),
                           "needs root, unshare, losetup, systemd-journal-remote"))
struct JournalTests {
    static let export = (1...3).map { i in
        "__REALTIME_TIMESTAMP=\(1_700_000_000_000_000 + i * 1_000_000)\n__MONOTONIC_TIMESTAMP=\(i * 1000)\n"
            + "_BOOT_ID=0123456789abcdef0123456789abcdef\nMESSAGE=message number \(i)\nPRIORITY=\(i + 2)\n"
            + "SYSLOG_IDENTIFIER=test\(i)\n_HOSTNAME=guest\n\n"
    }.joined()

    /// A disk whose /var/log/journal holds three entries.
    static func withJournalDisk(_ body: (StandaloneDaemon) throws -> Void) throws {
        try withMountedFilesystem(sizeMB: 64) { d throws in
            try d.client.mkdirP(path: "/var/log/journal/0123456789abcdef0123456789abcdef")
            let tmp = NSTemporaryDirectory() + "journal-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            defer { try? FileManager.default.removeItem(atPath: tmp) }
            try writeJournal(Self.export, into: tmp + "/j")
            let file = try Array(Data(contentsOf: URL(fileURLWithPath: tmp + "/j/remote.journal")))
            try d.client.upload(filename: .bytes(file),
                                remotefilename: "/var/log/journal/0123456789abcdef0123456789abcdef/system.journal")
            try body(d)
        }
    }

    @Test func readsEntriesOneByOne() throws {
        try Self.withJournalDisk { d in
            try d.client.journalOpen(directory: "/var/log/journal")
            for i in 1...3 {
                #expect(try d.client.journalNext() == true)
                #expect(try d.client.journalGetRealtimeUsec() == Int64(1_700_000_000_000_000 + i * 1_000_000))
                let f = try journalFields(d)
                #expect(f["MESSAGE"] == "message number \(i)")
                #expect(f["PRIORITY"] == "\(i + 2)")
                #expect(f["SYSLOG_IDENTIFIER"] == "test\(i)")
                #expect(f["_HOSTNAME"] == "guest")
            }
            #expect(try d.client.journalNext() == false, "the end")
            try d.client.journalClose()
        }
    }

    @Test func skipAndThresholdAsSdJournal() throws {
        try Self.withJournalDisk { d in
            try d.client.journalOpen(directory: "/var/log/journal")
            #expect(try d.client.journalSkip(skip: 0) == 0)
            #expect(try d.client.journalSkip(skip: 2) == 2)
            #expect(try journalFields(d)["MESSAGE"] == "message number 2")
            #expect(try d.client.journalSkip(skip: 10) == 1, "only one more entry")
            #expect(try journalFields(d)["MESSAGE"] == "message number 3")
            #expect(try d.client.journalSkip(skip: -2) == 2)
            #expect(try journalFields(d)["MESSAGE"] == "message number 1")

            #expect(try d.client.journalGetDataThreshold() == 64 * 1024, "sd-journal's default")
            try d.client.journalSetDataThreshold(threshold: 10)
            #expect(try d.client.journalGetDataThreshold() == 10)
            // The threshold only cuts compressed fields; these small ones
            // are stored plain and come back whole.
            #expect(try journalFields(d)["MESSAGE"] == "message number 1")
            try d.client.journalSetDataThreshold(threshold: 0)
            #expect(try journalFields(d)["MESSAGE"] == "message number 1", "0 means no limit")
            // A second open starts from the beginning again.
            try d.client.journalOpen(directory: "/var/log/journal")
            #expect(try d.client.journalNext() == true)
            #expect(try journalFields(d)["MESSAGE"] == "message number 1")
        }
    }

    @Test func callsBeforeOpenFailAsUpstream() throws {
        try withMountedFilesystem(sizeMB: 32) { d throws in
            #expect(fsErrorMessage { _ = try d.client.journalNext() }
                    == "do_journal_next: you must call 'journal-open' first to initialize the journal handle")
            #expect(fsErrorMessage { try d.client.journalClose() }
                    == "do_journal_close: you must call 'journal-open' first to initialize the journal handle")
            #expect(fsErrorMessage { try d.client.internalJournalGet(filename: DownloadSink()) }
                    == "do_internal_journal_get: you must call 'journal-open' first to initialize the journal handle")
            // An empty directory is an empty journal.
            try d.client.mkdir(path: "/empty")
            try d.client.journalOpen(directory: "/empty")
            #expect(try d.client.journalNext() == false)
            #expect(daemonErrno { _ = try d.client.journalGetRealtimeUsec() } == "EADDRNOTAVAIL")
            try d.client.journalClose()
            #expect(fsErrorMessage { try d.client.journalClose() }
                    == "do_journal_close: you must call 'journal-open' first to initialize the journal handle")
        }
    }
}
