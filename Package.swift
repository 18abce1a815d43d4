// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "guestfsd",
    products: [
        .executable(name: "guestfsd", targets: ["guestfsd"]),
        .executable(name: "guestfs-codegen", targets: ["guestfs-codegen"]),
        .library(name: "GuestfsProtocol", targets: ["GuestfsProtocol"]),
        .library(name: "GuestfsClient", targets: ["GuestfsClient"]),
    ],
    dependencies: [
        // FileDescriptor / Errno wrappers: no raw Int32 descriptors in handlers.
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
    ],
    targets: [
        .target(name: "GuestfsProtocol"),
        // The daemon's support layer (the role upstream's daemon.h plays):
        // its error type, tool results, text helpers, the small-file reader
        // and the I/O layer. It depends on no part of GuestfsDaemon.
        .target(
            name: "GuestfsSupport",
            dependencies: ["GuestfsProtocol", .product(name: "SystemPackage", package: "swift-system")],
            exclude: ["README.md"]),
        // Pure parsers of file formats (ELF, PE, cpio, compression magics):
        // no I/O, tested without root.
        .target(name: "GuestfsFileFormats"),
        .target(name: "CGuestfsShim"),
        // Libraries loaded on first use (dlopen) instead of at every start:
        // trampolines for the functions the daemon calls in them, generated
        // by scripts/gen-lazy-stubs. Their module maps below link nothing.
        .target(name: "CGuestfsLazy"),
        .systemLibrary(name: "CBlkid", path: "Sources/CBlkid", pkgConfig: "blkid",
                       providers: [.apt(["libblkid-dev"])]),
        .systemLibrary(name: "CParted", path: "Sources/CParted",
                       providers: [.apt(["libparted-dev"])]),
        .systemLibrary(name: "CExt2fs", path: "Sources/CExt2fs", pkgConfig: "ext2fs",
                       providers: [.apt(["libext2fs-dev"])]),
        .systemLibrary(name: "CLvm2cmd", path: "Sources/CLvm2cmd",
                       providers: [.apt(["liblvm2-dev"])]),
        .systemLibrary(name: "CAcl", path: "Sources/CAcl", pkgConfig: "libacl",
                       providers: [.apt(["libacl1-dev"])]),
        .systemLibrary(name: "CCap", path: "Sources/CCap", pkgConfig: "libcap",
                       providers: [.apt(["libcap-dev"])]),
        // librpm in process for internal_list_rpm_applications (upstream
        // links it too), in a forked child chrooted into the guest.
        .systemLibrary(name: "CRpm", path: "Sources/CRpm",
                       providers: [.apt(["librpm-dev"])]),
        // libsystemd's sd-journal in process for the journal calls.
        .systemLibrary(name: "CSystemd", path: "Sources/CSystemd",
                       providers: [.apt(["libsystemd-dev"])]),
        // libtsk (sleuthkit, C++ with a C API) in process for
        // filesystem_walk and find_inode, as upstream.
        .systemLibrary(name: "CTsk", path: "Sources/CTsk",
                       providers: [.apt(["libtsk-dev"])]),
        // libyara in process for yara_load and yara_scan, as upstream.
        .systemLibrary(name: "CYara", path: "Sources/CYara",
                       providers: [.apt(["libyara-dev"])]),
        .systemLibrary(name: "CHivex", path: "Sources/CHivex",
                       providers: [.apt(["libhivex-dev"])]),
        .systemLibrary(name: "CAugeas", path: "Sources/CAugeas",
                       providers: [.apt(["libaugeas-dev"])]),
        // libselinux for getcon/setcon (upstream links it too).
        .systemLibrary(name: "CSelinux", path: "Sources/CSelinux",
                       providers: [.apt(["libselinux1-dev"])]),
        // OS inspection: pure logic over a guest-filesystem reader, tested
        // on directory trees (the daemon supplies the reader).
        .target(name: "GuestfsInspection"),
        .target(
            name: "GuestfsDaemon",
            dependencies: [
                "GuestfsSupport", "GuestfsProtocol", "GuestfsFileFormats", "CGuestfsShim", "CBlkid", "CParted", "CExt2fs", "CLvm2cmd", "CAcl", "CCap",
                "CRpm", "CHivex", "CAugeas", "CSystemd", "CTsk", "CYara", "GuestfsInspection",
                "CSelinux", "CGuestfsLazy",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            // Each folder's README.md says its layer and what it may import.
            exclude: ["Server/README.md", "System/README.md", "Generated/README.md", "Handlers/README.md",
                      "Handlers/Files/README.md", "Handlers/Storage/README.md", "Handlers/Filesystems/README.md",
                      "Handlers/Guest/README.md", "Handlers/Forensics/README.md", "Handlers/Daemon/README.md"],
            // augeas.h includes <libxml/tree.h>: the include path its
            // pkg-config file would give (CAugeas has no pkgConfig, which
            // would also link -laugeas; see CGuestfsLazy).
            swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/include/libxml2"])]),
        // Flags parsed by hand (DaemonOptions): no Foundation in the daemon.
        .executableTarget(
            name: "guestfsd",
            dependencies: [
                "GuestfsDaemon",
                .product(name: "SystemPackage", package: "swift-system"),
            ]),
        .target(
            name: "GuestfsClient",
            dependencies: ["GuestfsProtocol"]),
        .executableTarget(name: "guestfs-codegen"),
        // Generated ENOTSUP answers for the test doubles' handlers (protocol
        // tests, fuzzer): the daemon's own Handlers have no defaults.
        .target(name: "GuestfsTestDoubles", dependencies: ["GuestfsDaemon", "GuestfsProtocol"],
                exclude: ["README.md"]),
        // Counts heap allocations for the micro-benchmarks; linked into the
        // benchmark binary only.
        .target(name: "CAllocCounter"),
        .executableTarget(
            name: "guestfsd-bench",
            dependencies: ["GuestfsClient", "GuestfsProtocol", "GuestfsDaemon", "CAllocCounter"]),
        // libFuzzer target over frames, headers, args decoding and the chunk
        // stream (scripts/fuzz builds it with -sanitize=fuzzer -DFUZZING; an
        // ordinary build replays corpus and regression inputs).
        .executableTarget(
            name: "guestfsd-fuzz",
            dependencies: ["GuestfsDaemon", "GuestfsProtocol", "GuestfsTestDoubles", "CGuestfsShim",
                           .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        .testTarget(name: "GuestfsProtocolTests", dependencies: ["GuestfsProtocol"]),
        .testTarget(name: "GuestfsFileFormatsTests", dependencies: ["GuestfsFileFormats"]),
        .testTarget(name: "GuestfsInspectionTests", dependencies: ["GuestfsInspection"]),
        .testTarget(
            name: "GuestfsDaemonTests",
            dependencies: ["GuestfsDaemon", "GuestfsClient", "GuestfsProtocol", "GuestfsFileFormats",
                           "GuestfsTestDoubles"]),
    ],
    swiftLanguageModes: [.v6]
)
