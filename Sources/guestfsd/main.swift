#if canImport(Glibc)
import Glibc
#endif
import GuestfsDaemon
import SystemPackage

/// A start-up failure: said on stderr, then the process exits with `status`.
struct StartError: Error {
    var message: String
    var status: Int32 = 1
}

func serve(_ options: DaemonOptions) throws {
    signal(SIGPIPE, SIG_IGN)
    if getenv("PATH") == nil { setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1) }
    let standalone = options.listen != nil || options.upstreamListen || !options.drives.isEmpty
    var channelSpec = options.channel
    var verbose = options.verbose
    var network = options.network
    if !standalone && !options.noCmdline {
        let cmdline = KernelCommandLine.read()
        if cmdline["guestfs_verbose"] == "1" { verbose = true }
        if cmdline["guestfs_network"] == "1" { network = true }
        if channelSpec == nil, let c = cmdline["guestfs_channel"] { channelSpec = c }
    }

    var loops: [String] = []
    defer { for loop in loops { _ = try? CommandRunner().run(["losetup", "-d", loop]) } }
    for image in options.drives {
        let r = try CommandRunner().run(["losetup", "--find", "--show", "--partscan", image])
        guard r.succeeded else {
            throw StartError(message: "cannot attach \(image): \(r.stderrString.trimmingTrailingNewlines())")
        }
        loops.append(r.stdoutString.trimmingTrailingNewlines())
    }

    let context = DaemonContext(
        sysroot: Sysroot(root: options.sysroot),
        devices: standalone ? DeviceNames(drives: loops) : DeviceNames(),
        runner: CommandRunner(verbose: verbose),
        verbose: verbose,
        inAppliance: !standalone,
        network: network)
    // In the appliance, before anything else: each /dev/sdX must be the
    // disk libguestfs attached in that position (DiskOrder); the library
    // then fails launch with this message on the console.
    if !standalone {
        if let wrong = DiskOrder.checkAppliance() { throw StartError(message: wrong) }
        if verbose { logLine("guestfsd: disk names follow SCSI addresses (\(DiskOrder.sdDiskCount()) sd disks)") }
    }
    if !standalone { _ = mkdir(options.sysroot, 0o755) }
    umask(0o022)

    let ch: Channel
    if let listen = options.listen {
        guard listen.hasPrefix("unix:") else { throw StartError(message: "--listen takes unix:PATH", status: 64) }
        ch = try ChannelOpener.acceptOne(unixPath: String(listen.dropFirst(5)))
    } else if options.upstreamListen, let path = channelSpec {
        ch = try ChannelOpener.acceptOne(unixPath: path)
    } else {
        ch = try ChannelOpener.open(channelSpec)
    }
    let handlers = Handlers(context: context)
    if standalone { handlers.showPartitionsOfAttachedDrives() }
    let session = Session(channel: ch, actions: handlers)
    if verbose { session.log = logLine }
    // In the appliance: poll 1 ms for the next call after each reply
    // (ReplyPolling); GUESTFSD_REPLY_POLL_US overrides (0: off).
    if !standalone {
        session.pollAfterReplies(maxMicros: getenv("GUESTFSD_REPLY_POLL_US").map { Int(atoi($0)) } ?? 1000)
    }
    do {
        try session.run()
    } catch Errno.brokenPipe {
        // The library closed the channel while we were replying.
    }
    if verbose { logLine("guestfsd: exiting after \(session.callsServed) calls; \(ProcessStatus.peakRSSDescription())") }
}

let options: DaemonOptions
do {
    options = try DaemonOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    logLine("guestfsd: error: \(error)\nRun 'guestfsd --help' for the options.")
    exit(64)
}
if options.help {
    var text = DaemonOptions.usage
    text.withUTF8 { _ = write(1, $0.baseAddress, $0.count) }
    exit(0)
}
do {
    try serve(options)
} catch let e as StartError {
    logLine("guestfsd: error: \(e.message)")
    exit(e.status)
} catch {
    logLine("guestfsd: error: \(error)")
    exit(1)
}
