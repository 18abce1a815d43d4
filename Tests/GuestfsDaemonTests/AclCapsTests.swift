import Foundation
import GuestfsClient
import Testing

/// acl_* and cap_* against a standalone daemon; every outcome is read back
/// on the host with getfacl/getcap, independently of the daemon.
@Suite(.enabled(if: StandaloneDaemon.available)) struct AclCapsTests {
    @Test func aclsAreSetReadAndDeleted() throws {
        try withStandaloneDaemon { d in
            let c = d.client
            try c.touch(path: "/f")
            try c.mkdir(path: "/d")
            #expect(try c.aclGetFile(path: "/f", acltype: "access") == "user::rw-\ngroup::r--\nother::r--\n")
            try c.aclSetFile(path: "/f", acltype: "access",
                             acl: "user::rw-,user:500:rwx,group::r--,group:42:rw-,mask::r--,other::---")
            let onHost = try host(["getfacl", "-n", "-p", "--omit-header", d.sysroot + "/f"])
            #expect(onHost.contains("user:500:rwx\t#effective:r--"), "\(onHost)")
            #expect(onHost.contains("group:42:rw-\t#effective:r--"), "\(onHost)")
            #expect(try c.aclGetFile(path: "/f", acltype: "access")
                    == "user::rw-\nuser:500:rwx\t#effective:r--\ngroup::r--\ngroup:42:rw-\t#effective:r--\nmask::r--\nother::---\n")
            // The mode follows the ACL's owner, mask and other entries.
            var st = stat()
            #expect(stat(d.sysroot + "/f", &st) == 0 && st.st_mode & 0o777 == 0o640)

            // A default ACL on a directory: inherited by new files.
            #expect(try c.aclGetFile(path: "/d", acltype: "default") == "")
            try c.aclSetFile(path: "/d", acltype: "default", acl: "u::rwx,u:1234:r-x,g::r-x,m::r-x,o::---")
            try c.touch(path: "/d/child")
            let child = try host(["getfacl", "-n", "-p", "--omit-header", d.sysroot + "/d/child"])
            #expect(child.contains("user:1234:r-x"), "\(child)")
            try c.aclDeleteDefFile(dir: "/d")
            #expect(try host(["getfacl", "-n", "-p", "--omit-header", "-d", d.sysroot + "/d"]) == "")

            // Errors as upstream gives them.
            #expect(daemonError { _ = try c.aclGetFile(path: "/f", acltype: "bogus") }?.message == "invalid acltype parameter: bogus")
            #expect(daemonError { try c.aclSetFile(path: "/f", acltype: "access", acl: "garbage") }?.message
                        .hasPrefix("could not parse acl string: garbage: acl_from_text: ") == true)
            let incomplete = daemonError { try c.aclSetFile(path: "/f", acltype: "access", acl: "u::rwx,u:500:r--") }
            #expect(incomplete?.errno == "EINVAL" && incomplete?.message == "/f: Invalid argument")
            let missing = daemonError { _ = try c.aclGetFile(path: "/nope", acltype: "access") }
            #expect(missing?.errno == "ENOENT" && missing?.message == "/nope: No such file or directory")
            // A default ACL only exists on directories.
            #expect(daemonError { try c.aclSetFile(path: "/f", acltype: "default", acl: "u::rwx,g::r-x,o::r-x") }?.errno == "EACCES")
        }
    }

    @Test func capabilitiesAreSetAndRead() throws {
        try withStandaloneDaemon { d in
            let c = d.client
            try c.touch(path: "/ping")
            #expect(try c.capGetFile(path: "/ping") == "")
            try c.capSetFile(path: "/ping", cap: "cap_net_raw+ep")
            #expect(try host(["getcap", d.sysroot + "/ping"]) == d.sysroot + "/ping cap_net_raw=ep\n")
            #expect(try c.capGetFile(path: "/ping") == "cap_net_raw=ep")
            try c.capSetFile(path: "/ping", cap: "cap_chown,cap_kill=p cap_setuid+i")
            #expect(try c.capGetFile(path: "/ping") == "cap_setuid=i cap_chown,cap_kill+p")
            // Through a symlink, resolved inside the guest.
            try c.lnS(target: "ping", linkname: "/l")
            #expect(try c.capGetFile(path: "/l") == "cap_setuid=i cap_chown,cap_kill+p")
            #expect(daemonError { try c.capSetFile(path: "/ping", cap: "nonsense") }?.message
                        == "could not parse cap string: nonsense: cap_from_text: Invalid argument")
            // The effective flag is all or nothing in a file's capabilities.
            #expect(daemonError { try c.capSetFile(path: "/ping", cap: "cap_chown=ep cap_kill+p") }?.errno == "EINVAL")
            #expect(daemonError { _ = try c.capGetFile(path: "/nope") }?.errno == "ENOENT")
            #expect(try c.internalFeatureAvailable(group: "acl") == 0 && c.internalFeatureAvailable(group: "linuxcaps") == 0)
            #expect(try c.availableAllGroups().contains("linuxcaps"))
        }
    }
}
