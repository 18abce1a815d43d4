#if canImport(Glibc)
import Glibc
#endif
#if FUZZING
import CGuestfsShim
#endif

/// libFuzzer's entry point: one input, never a crash unless a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzInput.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

#if FUZZING
/// The executable's entry point (SwiftPM names it after the module): hand
/// over to libFuzzer's driver, which parses the usual -flags and corpus dirs.
@_cdecl("guestfsd_fuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector) { data, size in fuzzTestOneInput(data, size) }
}
#else
/// Without libFuzzer (an ordinary `swift build`): replays inputs, so the
/// corpus and every regression input can be run anywhere:
///   guestfsd-fuzz FILE|DIR...
@main
struct FuzzReplay {
    static func main() {
        var count = 0
        for arg in CommandLine.arguments.dropFirst() {
            for file in files(at: arg) {
                guard let bytes = readFile(file) else {
                    print("guestfsd-fuzz: cannot read \(file)")
                    exit(2)
                }
                bytes.withUnsafeBytes { FuzzInput.run($0) }
                count += 1
            }
        }
        print("guestfsd-fuzz: \(count) inputs replayed, no crash")
    }

    static func files(at path: String) -> [String] {
        var st = stat()
        guard stat(path, &st) == 0 else { return [path] }
        guard st.st_mode & S_IFMT == S_IFDIR, let dir = opendir(path) else { return [path] }
        defer { closedir(dir) }
        var out: [String] = []
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasPrefix(".") { continue }
            out.append(path + "/" + name)
        }
        return out.sorted()
    }

    static func readFile(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return out
    }
}
#endif
