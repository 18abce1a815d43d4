import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

/// LUKS without device-mapper (the host kernel has none): formatting, key
/// slots and UUIDs checked with the host's cryptsetup on the image; opening
/// and closing are tested in the appliance (Tests/appliance/compat/luks.fish).
@Suite("luks", .enabled(if: StandaloneDaemon.available && FileManager.default.isExecutableFile(atPath: "/usr/sbin/cryptsetup"),
                        "needs root, unshare, losetup, cryptsetup"))
struct LuksTests {
    /// Does `key` open some key slot of the LUKS image (host cryptsetup)?
    static func hostKeyWorks(_ image: String, _ key: String) throws -> Bool {
        try hostKeyWorks(image, Array(key.utf8))
    }

    /// The same for a key of any bytes.
    static func hostKeyWorks(_ image: String, _ key: [UInt8]) throws -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/sbin/cryptsetup")
        p.arguments = ["open", "--test-passphrase", "--key-file=-", image]
        let inPipe = Pipe()
        p.standardInput = inPipe
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        inPipe.fileHandleForWriting.write(Data(key))
        try inPipe.fileHandleForWriting.close()
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    /// The numbers of the key slots in use (luksDump, LUKS2 layout).
    static func hostKeySlots(_ image: String) throws -> [Int] {
        let dump = try host(["cryptsetup", "luksDump", image])
        guard let start = dump.range(of: "Keyslots:\n") else { return [] }
        let rest = dump[start.upperBound...]
        let end = rest.range(of: "Tokens:")?.lowerBound ?? rest.endIndex
        return rest[..<end].split(separator: "\n").compactMap { raw -> Int? in
            let line = raw.drop { $0 == " " }
            guard let first = line.first, first.isNumber, line.hasSuffix(": luks2") else { return nil }
            return Int(line.prefix { $0.isNumber })
        }
    }

    @Test func formatAddAndKillKeySlots() throws {
        try withStandaloneDaemon(diskSizesMB: [24, 8]) { d throws in
            let c = d.client
            try c.luksFormat(device: "/dev/sda", key: "first key", keyslot: 1)
            #expect(try c.vfsType(mountable: "/dev/sda") == "crypto_LUKS")
            #expect(try !c.listFilesystems().contains("/dev/sda"))
            let uuid = try c.luksUuid(device: "/dev/sda")
            #expect(uuid == (try host(["cryptsetup", "luksUUID", d.images[0]])).trimmingCharacters(in: .whitespacesAndNewlines))
            #expect(uuid.count == 36)
            #expect(try Self.hostKeySlots(d.images[0]) == [1])
            #expect(try Self.hostKeyWorks(d.images[0], "first key"))

            // A wrong key changes nothing. cryptsetup 2.6 says nothing about
            // it (1.48's and 1.54's reference answer an empty message);
            // upstream 1.60's wording, with the meaning of exit status 2.
            #expect(daemonError { try c.luksAddKey(device: "/dev/sda", key: "wrong", newkey: "x", keyslot: 4) }?.message
                    == "cryptsetup exited with status 2: No key available with this passphrase.")
            #expect(daemonError { try c.luksAddKey(device: "/dev/sda", key: "first key", newkey: "x", keyslot: 1) }?.message
                    == "cryptsetup exited with status 1: Key slot 1 is full, please select another one.")
            #expect(daemonError { try c.luksKillSlot(device: "/dev/sda", key: "first key", keyslot: 6) }?.message
                    == "cryptsetup exited with status 1: Keyslot 6 is not active.")
            #expect(try Self.hostKeySlots(d.images[0]) == [1])

            try c.luksAddKey(device: "/dev/sda", key: "first key", newkey: "second key", keyslot: 4)
            #expect(try Self.hostKeySlots(d.images[0]) == [1, 4])
            #expect(try Self.hostKeyWorks(d.images[0], "second key"))
            try c.luksKillSlot(device: "/dev/sda", key: "second key", keyslot: 1)
            #expect(try Self.hostKeySlots(d.images[0]) == [4])
            #expect(try c.luksUuid(device: "/dev/sda") == uuid)

            // Not LUKS: cryptsetup's message with the library's device name.
            #expect(daemonError { _ = try c.luksUuid(device: "/dev/sdb") }?.message
                    == "", "cryptsetup luksUUID says nothing, as in the reference")
            #expect(daemonError { try c.cryptsetupOpen(device: "/dev/sdb", key: "k", mapname: "x") }?.message
                    == ": unknown encrypted device type")
            #expect(daemonError { try c.cryptsetupClose(device: "/dev/sda") }?.message
                    == "/dev/sda: you must call this on the /dev/mapper device created by cryptsetup-open")
            #expect(try c.internalFeatureAvailable(group: "luks") == 0)
        }
    }
}
