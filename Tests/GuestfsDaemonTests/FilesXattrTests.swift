import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

@Suite("files: extended attributes", .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"))
struct FilesXattrTests {
    @Test func setGetListRemove() throws {
        try withStandaloneDaemon { d in
            try d.hostWrite("/f", "x")
            try d.hostSymlink("/l", to: "f")
            try d.client.setxattr(xattr: "user.foo", val: "bar", vallen: 3, path: "/f")
            try d.client.setxattr(xattr: "user.abc", val: "x", vallen: 1, path: "/l")  // follows the link
            #expect(try host(["getfattr", "--only-values", "-n", "user.foo", d.hostPath("/f")]) == "bar")
            #expect(try d.client.getxattr(path: "/l", name: "user.foo") == Array("bar".utf8))
            let all = try d.client.getxattrs(path: "/f")
            #expect(all.map(\.attrname) == ["user.abc", "user.foo"])  // sorted
            #expect(all.map(\.attrval) == [Array("x".utf8), Array("bar".utf8)])
            #expect(try d.client.getxattrs(path: "/l") == all)
            #expect(try d.client.lgetxattrs(path: "/l") == [])
            // vallen shorter than the string stores a prefix; longer pads.
            try d.client.setxattr(xattr: "user.short", val: "abcdef", vallen: 2, path: "/f")
            #expect(try d.client.getxattr(path: "/f", name: "user.short") == Array("ab".utf8))
            try d.client.setxattr(xattr: "user.long", val: "ab", vallen: 4, path: "/f")
            #expect(try d.client.getxattr(path: "/f", name: "user.long") == Array("ab".utf8) + [0, 0])
            #expect(daemonMessage { _ = try d.client.getxattr(path: "/f", name: "user.nope") } == "getxattr: No data available")
            #expect(daemonErrno { _ = try d.client.getxattr(path: "/f", name: "user.nope") } == "ENODATA")
            #expect(daemonMessage { try d.client.setxattr(xattr: "user.big", val: "x", vallen: 70000, path: "/f") }
                    == "extended attribute is too large")
            #expect(daemonErrno { try d.client.setxattr(xattr: "user.x", val: "x", vallen: 1, path: "/none") } == "ENOENT")
            try d.client.removexattr(xattr: "user.foo", path: "/l")
            #expect(try d.client.getxattrs(path: "/f").map(\.attrname) == ["user.abc", "user.long", "user.short"])
            #expect(daemonMessage { try d.client.removexattr(xattr: "user.foo", path: "/f") } == "removexattr: No data available")
            #expect(daemonMessage { _ = try d.client.getxattrs(path: "/none") } == "listxattr: /none: No such file or directory")
            #expect(daemonMessage { _ = try d.client.lgetxattrs(path: "/none") } == "listxattr: /none: No such file or directory")
        }
    }

    @Test func linkVariantsActOnTheLinkItself() throws {
        try withStandaloneDaemon { d in
            try d.hostWrite("/f", "x")
            try d.hostSymlink("/l", to: "f")
            // user.* attributes are not allowed on symlinks; trusted.* are.
            try d.client.lsetxattr(xattr: "trusted.t", val: "v", vallen: 1, path: "/l")
            #expect(try d.client.lgetxattr(path: "/l", name: "trusted.t") == Array("v".utf8))
            #expect(try d.client.lgetxattrs(path: "/l").map(\.attrname) == ["trusted.t"])
            #expect(try d.client.getxattrs(path: "/l") == [])
            #expect(daemonErrno { _ = try d.client.getxattr(path: "/l", name: "trusted.t") } == "ENODATA")
            #expect(daemonErrno { try d.client.lsetxattr(xattr: "user.u", val: "v", vallen: 1, path: "/l") } == "EPERM")
            try d.client.lremovexattr(xattr: "trusted.t", path: "/l")
            #expect(try d.client.lgetxattrs(path: "/l") == [])
            #expect(daemonMessage { try d.client.lremovexattr(xattr: "trusted.t", path: "/l") } == "removexattr: No data available")
        }
    }

    @Test func hiddenWofAttributeIsNotListed() throws {
        try withStandaloneDaemon { d in
            try d.hostWrite("/f", "x")
            try host(["setfattr", "-n", "user.WofCompressedData", "-v", "1", d.hostPath("/f")])
            try host(["setfattr", "-n", "user.shown", "-v", "1", d.hostPath("/f")])
            #expect(try d.client.getxattrs(path: "/f").map(\.attrname) == ["user.shown"])
            #expect(try d.client.internalLxattrlist(path: "/", names: ["f"]).map(\.attrname) == ["", "user.shown"])
        }
    }
}
