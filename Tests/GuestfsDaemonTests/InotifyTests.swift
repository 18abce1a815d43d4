import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

@Suite("inotify", .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"))
struct InotifyTests {
    static let inCreate: UInt32 = 0x100, inCloseWrite: UInt32 = 0x8, inDelete: UInt32 = 0x200
    static let inAllEvents: Int32 = 0xfff

    @Test func eventsForFilesCreatedInTheGuest() throws {
        try withMountedFilesystem(sizeMB: 32) { d throws in
            try d.client.mkdir(path: "/watched")
            try d.client.inotifyInit(maxevents: 0)
            let wd = try d.client.inotifyAddWatch(path: "/watched", mask: Self.inAllEvents)
            #expect(wd >= 1)
            #expect(try d.client.inotifyRead() == [], "nothing happened yet")

            try d.client.touch(path: "/watched/b-file")
            try d.client.writeFile(path: "/watched/a-file", content: "hello", size: 0)
            try d.client.rm(path: "/watched/b-file")
            let events = try d.client.inotifyRead()
            #expect(events.allSatisfy { $0.inWd == wd })
            let created = events.filter { $0.inMask & Self.inCreate != 0 }.map(\.inName)
            #expect(created == ["b-file", "a-file"])
            #expect(events.contains { $0.inName == "a-file" && $0.inMask & Self.inCloseWrite != 0 })
            #expect(events.contains { $0.inName == "b-file" && $0.inMask & Self.inDelete != 0 })
            #expect(try d.client.inotifyRead() == [], "events are consumed by a read")

            // inotify_files: the names, sorted and unique.
            try d.client.touch(path: "/watched/zz")
            try d.client.touch(path: "/watched/a-file")
            try d.client.mkdir(path: "/watched/mm")
            #expect(try d.client.inotifyFiles() == ["a-file", "mm", "zz"])
            #expect(try d.client.inotifyFiles() == [])

            // After rm_watch the kernel sends IN_IGNORED and then nothing.
            try d.client.inotifyRmWatch(wd: Int32(wd))
            try d.client.touch(path: "/watched/after")
            let after = try d.client.inotifyRead()
            #expect(after.map(\.inMask) == [0x8000], "only IN_IGNORED: \(after)")
            try d.client.inotifyClose()
        }
    }

    @Test func callsBeforeInitAndBadArgumentsFailAsUpstream() throws {
        try withMountedFilesystem(sizeMB: 32) { d throws in
            #expect(fsErrorMessage { _ = try d.client.inotifyRead() }
                    == "do_inotify_read: you must call 'inotify_init' first to initialize inotify")
            #expect(fsErrorMessage { try d.client.inotifyClose() }
                    == "do_inotify_close: you must call 'inotify_init' first to initialize inotify")
            #expect(fsErrorMessage { try d.client.inotifyInit(maxevents: -1) } == "max_events < 0")
            try d.client.inotifyInit(maxevents: 0)
            #expect(daemonError { _ = try d.client.inotifyAddWatch(path: "/missing", mask: Self.inAllEvents) }! == ("ENOENT", "/missing: No such file or directory"))
            #expect(daemonError { try d.client.inotifyRmWatch(wd: 99) }! == ("EINVAL", "99: Invalid argument"))
            // A second init starts afresh: the old watch is gone.
            _ = try d.client.inotifyAddWatch(path: "/", mask: Self.inAllEvents)
            try d.client.inotifyInit(maxevents: 0)
            try d.client.touch(path: "/x")
            #expect(try d.client.inotifyFiles() == [])
            try d.client.inotifyClose()
            #expect(fsErrorMessage { _ = try d.client.inotifyFiles() }
                    == "do_inotify_files: you must call 'inotify_init' first to initialize inotify")
        }
    }

    @Test func manyEventsComeBackCompleteAcrossReads() throws {
        try withMountedFilesystem(sizeMB: 64) { d throws in
            try d.client.mkdir(path: "/d")
            try d.client.inotifyInit(maxevents: 0)
            _ = try d.client.inotifyAddWatch(path: "/d", mask: Int32(Self.inCreate))
            let names = (0..<300).map { String(format: "file-with-a-long-name-%05d", $0) }
            for name in names.reversed() { try d.client.touch(path: "/d/" + name) }
            #expect(try d.client.inotifyFiles() == names)
        }
    }
}
