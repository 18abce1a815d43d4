import Testing
@testable import GuestfsDaemon

@Suite struct DaemonOptionsTests {
    @Test func defaultsWithNoArguments() throws {
        let o = try DaemonOptions.parse([])
        #expect(o == DaemonOptions())
        #expect(o.sysroot == "/sysroot" && o.channel == nil && o.drives.isEmpty && !o.verbose)
    }

    @Test func longOptionsWithSpaceOrEquals() throws {
        let o = try DaemonOptions.parse(["--listen", "unix:/tmp/s", "--sysroot=/x", "--drive", "a.img",
                                         "--drive=b.img", "--verbose", "--no-cmdline", "--channel=fd:3"])
        #expect(o.listen == "unix:/tmp/s")
        #expect(o.sysroot == "/x")
        #expect(o.drives == ["a.img", "b.img"])
        #expect(o.verbose && o.noCmdline)
        #expect(o.channel == "fd:3")
    }

    @Test func upstreamShortFlags() throws {
        // upstream's guestfsd is started as `guestfsd -r -l -c PATH` in its host mode
        let o = try DaemonOptions.parse(["-r", "-l", "-c", "/tmp/sock"])
        #expect(o.upstreamHostMode && o.upstreamListen && o.channel == "/tmp/sock")
        let clustered = try DaemonOptions.parse(["-vrc/dev/vport0p1"])
        #expect(clustered.verbose && clustered.upstreamHostMode && clustered.channel == "/dev/vport0p1")
        #expect(try DaemonOptions.parse(["-h"]).help)
        #expect(try DaemonOptions.parse(["--help"]).help)
        // A value may itself start with a dash.
        #expect(try DaemonOptions.parse(["--sysroot", "-odd"]).sysroot == "-odd")
    }

    @Test func mistakesAreUsageErrors() {
        func message(_ args: [String]) -> String? {
            do {
                _ = try DaemonOptions.parse(args)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(message(["--bogus"]) == "unknown option '--bogus'")
        #expect(message(["-x"]) == "unknown option '-x'")
        #expect(message(["-vx"]) == "unknown option '-x'")
        #expect(message(["--listen"]) == "missing value for '--listen'")
        #expect(message(["-c"]) == "missing value for '-c'")
        #expect(message(["--verbose=yes"]) == "'--verbose' takes no value")
        #expect(message(["extra"]) == "unexpected argument 'extra'")
        #expect(message(["--", "extra"]) == "unexpected argument 'extra'")
        #expect(message(["--"]) == nil)
    }
}
