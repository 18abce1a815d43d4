#!/usr/bin/env bash
# tier: full
# Our appliance with Debian 13's libguestfs 1.54, in a Debian 13 root that
# the test makes itself (scripts/debian-root trixie: mmdebstrap, cached under
# /var/cache/guestfsd-tests/, a few minutes the first time): its
# libguestfs-test-tool, every compat script against 1.54's own reference
# appliance (recorded outputs in Tests/appliance/compat/reference/1.54.1,
# live where no record matches), guestmount listings and python3-guestfs
# readdir (libguestfs-inside.sh does the work inside the root).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SUITE=trixie LIBRARY=1.54 INSIDE_ENV=()
source "$ROOT/Tests/appliance/libguestfs-root.sh"
