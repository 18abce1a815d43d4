import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

@Suite("debug", .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"))
struct DebugTests {
    @Test func helpListsTheSubcommandsAndUnknownOnesFail() throws {
        try withStandaloneDaemon { d throws in
            #expect(try d.client.debug(subcmd: "help", extraargs: [])
                    == "Commands supported: help env error fds ls ll print progress qtrace setenv sh spew")
            #expect(try d.client.debug(subcmd: "HELP", extraargs: []).hasPrefix("Commands supported:"), "case-insensitive")
            for unknown in ["segv", "nosuch", ""] {
                #expect(fsErrorMessage { _ = try d.client.debug(subcmd: unknown, extraargs: []) }
                        == "use 'debug help 0' to list the supported commands")
            }
        }
    }

    @Test func shEnvSetenvLsAndFdsLookAtTheAppliance() throws {
        try withStandaloneDaemon { d throws in
            // Output and errors interleaved, $root is the sysroot.
            let out = try d.client.debug(subcmd: "sh", extraargs: ["echo", "out;", "echo err >&2;", "echo $root"])
            #expect(out == "out\nerr\n\(d.sysroot)", "without the final newline, as upstream")
            #expect(fsErrorMessage { _ = try d.client.debug(subcmd: "sh", extraargs: ["echo failing; exit 3"]) } == "failing")
            #expect(fsErrorMessage { _ = try d.client.debug(subcmd: "sh", extraargs: []) } == "sh: expecting a command to run")

            #expect(try d.client.debug(subcmd: "setenv", extraargs: ["GUESTFSD_DEBUG_TEST", "v1 v2"]) == "ok")
            #expect(try d.client.debug(subcmd: "env", extraargs: []).split(separator: "\n").contains("GUESTFSD_DEBUG_TEST=v1 v2"))
            #expect(fsErrorMessage { _ = try d.client.debug(subcmd: "setenv", extraargs: ["A"]) } == "setenv: two arguments expected")

            let dir = NSTemporaryDirectory() + "debug-ls-\(getpid())"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            FileManager.default.createFile(atPath: dir + "/.hidden", contents: Data("12345".utf8))
            #expect(try d.client.debug(subcmd: "ls", extraargs: [dir]) == ".\n..\n.hidden\n")
            let ll = try d.client.debug(subcmd: "ll", extraargs: [dir])
            #expect(ll.split(separator: "\n").contains { $0.hasPrefix("-rw") && $0.contains(" 5 ") && $0.hasSuffix(" .hidden") })
            #expect(fsErrorMessage { _ = try d.client.debug(subcmd: "ls", extraargs: [dir + "/missing"]) }
                    .hasPrefix("ls: ls: cannot access '\(dir)/missing'"))

            let fds = try d.client.debug(subcmd: "fds", extraargs: []).split(separator: "\n")
            #expect(fds.contains { $0.hasPrefix(" 0 ") || $0.hasPrefix(" 1 ") || $0.hasPrefix(" 2 ") })
            #expect(fds.allSatisfy { $0.count > 3 && $0.dropFirst(2).first == " " || $0.firstIndex(of: " ") != nil })
        }
    }

    @Test func errorPrintSpewAndProgress() throws {
        try withStandaloneDaemon { d throws in
            #expect(daemonError { _ = try d.client.debug(subcmd: "error", extraargs: ["5"]) }! == ("EROFS", "aaaaa"))
            #expect(fsErrorMessage { _ = try d.client.debug(subcmd: "error", extraargs: ["2000000"]) }
                    == "debug error: length argument too large")
            #expect(fsErrorMessage { _ = try d.client.debug(subcmd: "error", extraargs: ["x"]) }
                    == "debug error: expecting one arg: length of error message")
            #expect(try d.client.debug(subcmd: "print", extraargs: ["a", "b"]) == "ok")
            #expect(try d.client.debug(subcmd: "spew", extraargs: ["3"]) == "ok")

            // Unlimited rate: every 100 ms of 1 s, the last one at 100%.
            let before = d.client.progressMessages.count
            #expect(try d.client.debug(subcmd: "progress", extraargs: ["1", "100000"]) == "ok")
            let p = d.client.progressMessages.dropFirst(before)
            #expect(p.count == 10)
            #expect(p.last.map { $0.position == $0.total && $0.total == 1_000_000 } == true)
            #expect(fsErrorMessage { _ = try d.client.debug(subcmd: "progress", extraargs: ["0"]) }
                    == "progress: argument is 0, less than 0, or too large")
            #expect(fsErrorMessage { _ = try d.client.debug(subcmd: "progress", extraargs: ["1", "0"]) }
                    == "progress: rate is 0 or too large")
            #expect(fsErrorMessage { _ = try d.client.debug(subcmd: "qtrace", extraargs: ["/dev/sda"]) }
                    == "qtrace <device> <on|off>")
        }
    }

    @Test func debugUploadWritesAnywhereAndInternalExitStopsTheDaemon() throws {
        try withStandaloneDaemon { d throws in
            let target = NSTemporaryDirectory() + "debug-upload-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: target) }
            try d.client.debugUpload(filename: .bytes(Array("uploaded".utf8)), tmpname: target, mode: 0o640)
            #expect(try String(contentsOfFile: target, encoding: .utf8) == "uploaded")
            let mode = try FileManager.default.attributesOfItem(atPath: target)[.posixPermissions] as? Int
            #expect(mode == 0o640)

            #expect(fsErrorMessage { try d.client.internalRhbz914931(filename: .bytes([1]), count: 0) } == "count out of range")
            #expect(fsErrorMessage { try d.client.internalRhbz914931(filename: .bytes([1]), count: 1001) } == "count out of range")
            try d.client.pingDaemon()
            // internal_exit answers, then the daemon exits with status 0.
            try d.client.internalExit()
            let deadline = Date().addingTimeInterval(10)
            while d.process.isRunning && Date() < deadline { usleep(10_000) }
            #expect(!d.process.isRunning)
            #expect(d.process.terminationStatus == 0)
        }
    }
}
