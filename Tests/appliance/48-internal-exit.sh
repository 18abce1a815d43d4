#!/usr/bin/env bash
# internal_exit (the library's test of a daemon that goes away): the call
# is answered, the daemon exits and the appliance powers off; the next call
# fails instead of hanging, and closing the handle returns.
source "$(dirname "$0")/lib.sh"

if ! LIBGUESTFS_PATH=$OURS timeout 300 "$PY" - >"$TMP/out" 2>&1 <<'EOF_PY'
import guestfs
g = guestfs.GuestFS(python_return_dict=True)
g.add_drive_scratch(64 << 20)
g.launch()
print("echo:", g.echo_daemon(["before", "exit"]))
g.internal_exit()
print("internal_exit answered")
try:
    g.echo_daemon(["after"])
    print("UNEXPECTED: a call after internal_exit succeeded")
except RuntimeError as e:
    print("after exit: error")
g.close()
print("closed")
EOF_PY
then
    show_out; fail "python exited with status $? (or timed out)"
fi
grep -qx "echo: before exit" "$TMP/out" || { show_out; fail "no answer before internal_exit"; }
grep -qx "internal_exit answered" "$TMP/out" || { show_out; fail "internal_exit was not answered"; }
grep -qx "after exit: error" "$TMP/out" || { show_out; fail "a call after internal_exit did not fail"; }
grep -qx closed "$TMP/out" || { show_out; fail "close did not return"; }
pass "internal_exit answered, the next call failed, close returned"
