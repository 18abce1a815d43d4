import Foundation
import GuestfsFileFormats
import Testing

/// The streaming cpio reader: archives made by GNU cpio in each format,
/// fed whole and a byte at a time.
struct CpioScannerTests {
    /// Runs GNU cpio -o over `files` (name -> content, or a symlink when
    /// the content starts with "->") in `format`.
    static func cpio(_ files: [(String, String)], format: String) throws -> [UInt8] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cpio-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, content) in files {
            let url = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            if content.hasPrefix("->") {
                try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: String(content.dropFirst(2)))
            } else {
                try Data(content.utf8).write(to: url)
            }
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "cd \"$0\" && printf '%s\\n' \"$@\" | cpio --quiet -o -H \"$FMT\"", dir.path] + files.map(\.0)
        p.environment = ["FMT": format, "PATH": "/usr/bin:/bin"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return [UInt8](data)
    }

    static func scan(_ bytes: [UInt8], chunk: Int) -> CpioScanner {
        var s = CpioScanner(wanted: FileArchitecture.initrdBinaries)
        var i = 0
        while i < bytes.count {
            s.feed(Array(bytes[i..<min(i + chunk, bytes.count)]))
            i += chunk
        }
        s.finish()
        return s
    }

    @Test(arguments: ["newc", "crc", "odc", "bin"])
    func findsWantedRegularFiles(format: String) throws {
        let long = String(repeating: "x", count: 5000)
        let archive = try Self.cpio([("etc/motd", "hi\n"), ("bin/ls", "LS" + long), ("bin/sh", "->dash"),
                                     ("bin/rm", "RM"), ("bin/other", "no")], format: format)
        for chunk in [1, 7, 512, 1 << 20] {
            let s = Self.scan(archive, chunk: chunk)
            #expect(s.state == .finished, "\(format) \(chunk)")
            #expect(s.found["bin/ls"].map { String(decoding: $0, as: UTF8.self) } == "LS" + long, "\(format) \(chunk)")
            #expect(s.found["bin/rm"].map { String(decoding: $0, as: UTF8.self) } == "RM")
            #expect(s.found["bin/sh"] == nil)        // a symlink is no binary
            #expect(s.found["bin/other"] == nil)
        }
    }

    @Test func keepsOnlyTheFirstBytes() throws {
        let archive = try Self.cpio([("bin/ls", String(repeating: "y", count: 10000))], format: "newc")
        var s = CpioScanner(wanted: ["bin/ls"], keepBytes: 100)
        s.feed(archive)
        #expect(s.state == .finished)
        #expect(s.found["bin/ls"].map { String(decoding: $0, as: UTF8.self) } == String(repeating: "y", count: 100))
    }

    @Test func firstArchiveOnlyAndDotSlashNames() throws {
        // an initrd of two archives: the second's bin/ls is not looked at
        let first = try Self.cpio([("./bin/rm", "first")], format: "newc")
        let second = try Self.cpio([("bin/ls", "second")], format: "newc")
        let s = Self.scan(first + second, chunk: 3)
        #expect(s.state == .finished)
        #expect(s.found == ["bin/rm": Array("first".utf8)])
    }

    @Test func truncatedAndGarbage() throws {
        // (GNU cpio pads archives to 512 bytes: a member large enough that
        // half the archive ends inside it)
        let archive = try Self.cpio([("bin/ls", String(repeating: "z", count: 3000))], format: "newc")
        #expect(Self.scan(Array(archive.prefix(archive.count / 2)), chunk: 10).state == .malformed)
        #expect(Self.scan(Array("not a cpio archive".utf8), chunk: 4).state == .malformed)
        var bad = archive; bad[20] = 0x5A  // a non-hex digit in the mode
        #expect(Self.scan(bad, chunk: 1000).state == .malformed)
        #expect(Self.scan([], chunk: 1).state == .malformed)
    }
}
