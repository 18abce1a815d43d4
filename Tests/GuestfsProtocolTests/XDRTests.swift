import GuestfsProtocol
import Testing

private func encode(_ body: (inout XDRWriter) -> Void) -> [UInt8] {
    var w = XDRWriter()
    body(&w)
    return w.bytes
}

private func decode<T>(_ bytes: [UInt8], _ body: (inout XDRReader) throws -> T) throws -> T {
    try bytes.withUnsafeBytes { raw in
        var r = XDRReader(raw)
        let v = try body(&r)
        #expect(r.isAtEnd, "decoder left \(r.remaining) bytes")
        return v
    }
}

@Suite struct XDRRoundTrips {
    @Test func integersAreBigEndianAndRoundTrip() throws {
        let bytes = encode { w in
            w.write(UInt32(0x0102_0304)); w.write(Int32(-2)); w.write(UInt64(0x0102_0304_0506_0708)); w.write(Int64(-3))
        }
        #expect(Array(bytes[0..<4]) == [1, 2, 3, 4])
        #expect(Array(bytes[4..<8]) == [0xff, 0xff, 0xff, 0xfe])
        #expect(Array(bytes[8..<16]) == [1, 2, 3, 4, 5, 6, 7, 8])
        let (a, b, c, d) = try decode(bytes) { r in (try r.readUInt32(), try r.readInt32(), try r.readUInt64(), try r.readInt64()) }
        #expect(a == 0x0102_0304 && b == -2 && c == 0x0102_0304_0506_0708 && d == -3)
    }

    @Test func boolFloatChar() throws {
        let bytes = encode { w in w.write(true); w.write(false); w.write(Float(1.5)); w.writeChar(UInt8(ascii: "d")) }
        #expect(bytes.count == 16)
        let v = try decode(bytes) { r in (try r.readBool(), try r.readBool(), try r.readFloat(), try r.readChar()) }
        #expect(v.0 == true && v.1 == false && v.2 == 1.5 && v.3 == UInt8(ascii: "d"))
    }

    @Test(arguments: ["", "a", "ab", "abc", "abcd", "héllo wörld", String(repeating: "x", count: 1000)])
    func stringsArePaddedToFourBytes(_ s: String) throws {
        let bytes = encode { w in w.write(s) }
        let n = s.utf8.count
        #expect(bytes.count == 4 + (n + 3) / 4 * 4)
        #expect(bytes[(4 + n)...].allSatisfy { $0 == 0 })
        #expect(try decode(bytes) { try $0.readString() } == s)
    }

    @Test func opaqueFixedOptAndLists() throws {
        let bytes = encode { w in
            w.writeOpaque([0, 1, 2, 255, 0])
            w.writeFixed("0123456789abcdef0123456789ABCDEF", count: 32)
            w.writeOptString(nil)
            w.writeOptString("yes")
            w.write(["one", "", "three"] as [String])
        }
        try decode(bytes) { (r: inout XDRReader) throws -> Void in
            #expect(try r.readOpaque() == [0, 1, 2, 255, 0])
            #expect(try r.readFixedString(count: 32) == "0123456789abcdef0123456789ABCDEF")
            #expect(try r.readOptString() == nil)
            #expect(try r.readOptString() == "yes")
            #expect(try r.readStringList() == ["one", "", "three"])
        }
    }
}

@Suite struct XDRRejectsMalformedInput {
    @Test func truncatedValuesThrowInsteadOfTrapping() {
        for n in 0..<4 {
            #expect(throws: XDRError.self) { try decode(Array(repeating: 0, count: n)) { try $0.readUInt32() } }
        }
        #expect(throws: XDRError.self) { try decode([0, 0, 0, 5, 65, 66]) { try $0.readString() } }
        #expect(throws: XDRError.self) { try decode([0, 0, 0, 1, 65]) { try $0.readString() } }  // missing padding
        #expect(throws: XDRError.self) { try decode([255, 255, 255, 255]) { try $0.readOpaque() } }
    }

    @Test func boolOtherThanZeroOrOneIsRejected() {
        #expect(throws: XDRError.invalidBool(2)) { try decode([0, 0, 0, 2]) { try $0.readBool() } }
    }

    @Test func stringOverItsMaximumIsRejected() {
        let bytes = encode { w in w.write(String(repeating: "e", count: 33)) }
        #expect(throws: XDRError.tooLong(length: 33, maximum: 32)) { try decode(bytes) { try $0.readString(maximum: 32) } }
    }

    @Test func hugeListCountIsRejectedBeforeAllocating() {
        #expect(throws: XDRError.countTooLarge(0x7fff_ffff)) { try decode([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]) { try $0.readStringList() } }
    }

    @Test func stringsWithNULOrBadUTF8AreRejected() {
        #expect(throws: XDRError.embeddedNUL) { try decode([0, 0, 0, 3, 65, 0, 66, 0]) { try $0.readString() } }
        #expect(throws: XDRError.invalidUTF8) { try decode([0, 0, 0, 2, 0xc3, 0x28, 0, 0]) { try $0.readString() } }
    }

    @Test func randomBytesNeverTrapAnyArgsDecoder() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let bytes = (0..<Int.random(in: 0..<64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            for p in Procedure.allCases {
                _ = try? bytes.withUnsafeBytes { raw -> Void in
                    var r = XDRReader(raw)
                    _ = try decodeArguments(of: p, from: &r, optargsBitmask: .max)
                }
            }
        }
    }
}

@Suite struct MessageCodecs {
    @Test func headerIsFortyBytesAndRoundTrips() throws {
        let h = MessageHeader(procedure: 92, direction: .reply, serial: 7, progressHint: 9, optargsBitmask: 3, status: .error)
        var w = XDRWriter()
        h.encode(xdr: &w)
        #expect(w.count == MessageHeader.size)
        #expect(try decode(w.bytes) { try MessageHeader(xdr: &$0) } == h)
    }

    @Test func errorMessageIsCutToTheProtocolLimitOnACharacterBoundary() throws {
        let long = String(repeating: "é", count: GuestfsConstants.errorLength)  // 2 bytes each
        var w = XDRWriter()
        MessageError(errnoName: "ENOENT", message: long).encode(xdr: &w)
        let e = try decode(w.bytes) { try MessageError(xdr: &$0) }
        #expect(e.errnoName == "ENOENT")
        #expect(e.message.utf8.count == GuestfsConstants.errorLength)
        #expect(e.message.allSatisfy { $0 == "é" })
    }

    @Test func chunkEncoding() throws {
        var w = XDRWriter()
        [UInt8](repeating: 7, count: 5).withUnsafeBytes { encodeChunk(cancel: false, data: $0, into: &w) }
        #expect(w.bytes == [0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 5, 7, 7, 7, 7, 7, 0, 0, 0])
    }

    @Test func errnoNamesMapBothWays() {
        #expect(ErrnoNames.name(of: 2) == "ENOENT")
        #expect(ErrnoNames.name(of: 95) == "ENOTSUP")
        #expect(ErrnoNames.code(of: "EEXIST") == 17)
        #expect(ErrnoNames.name(of: 0) == "")
    }

    @Test func procedureTableMatchesTheSpec() {
        // The union of libguestfs 1.48's 492 procedures, 1.54's 496 and 1.60's 503.
        #expect(Procedure.allCases.count == 504)
        #expect(Procedure.readdir.onlyInLibrary == "1.48" && Procedure.internalReaddir.onlyInLibrary == "1.54, 1.60")
        #expect(Procedure.commandOut.onlyInLibrary == "1.60" && Procedure.xfsInfo2.rawValue == 522)
        #expect(Procedure.mkswapL.rawValue == 131 && Procedure.findfsPartlabel.rawValue == 515)
        #expect(Procedure.cryptsetupOpen.optargCount == 3 && CryptsetupOpenArgs.optargsInEveryLibrary == 2)
        #expect(Procedure.tarIn.optargCount == 5 && TarInArgs.optargsInEveryLibrary == 4)
        #expect(Procedure.e2fsck.optargCount == 3 && E2fsckArgs.optargsInEveryLibrary == 2)
        #expect(GuestfsConstants.maxProcedureNumber == 522)
        #expect(Procedure.pingDaemon.rawValue == 92)
        #expect(Procedure.internalAutosync.rawValue == 282)
        #expect(Procedure.upload.hasFileIn && Procedure.download.hasFileOut)
        #expect(Procedure.isFile.optargCount == 1)
        #expect(Procedure.zerofree.optionalGroup == "zerofree")
        #expect(Procedure(rawValue: 0) == nil)
    }
}
