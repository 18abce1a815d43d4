#!/usr/bin/env bash
# virt-rescue --scratch reaches a shell prompt on the serial console, runs
# a command and exits.
source "$(dirname "$0")/lib.sh"
command -v expect >/dev/null || skip "expect is not installed (scripts/setup installs it)"

n=$((RANDOM % 1000 + 1000))
cat >"$TMP/rescue.exp" <<EXP
set timeout 300
log_user 1
spawn env LIBGUESTFS_PATH=$OURS virt-rescue --scratch
expect {
    "><rescue> " {}
    timeout { puts "\nNO-PROMPT"; exit 2 }
    eof { puts "\nEOF-BEFORE-PROMPT"; exit 3 }
}
send "echo hello-\\\$((1 + $n))\r"
expect {
    "hello-[expr {$n + 1}]" {}
    timeout { puts "\nNO-ECHO"; exit 4 }
}
expect "><rescue> "
send "exit\r"
expect {
    eof {}
    timeout { puts "\nNO-EXIT"; exit 5 }
}
catch wait result
exit [lindex \$result 3]
EXP
if ! expect -f "$TMP/rescue.exp" >"$TMP/out" 2>&1; then
    show_out; fail "virt-rescue session failed ($(grep -oE 'NO-[A-Z]+|EOF-BEFORE-PROMPT' "$TMP/out" | tail -n1))"
fi
pass "virt-rescue: prompt reached, 'echo hello-\$((1 + $n))' printed hello-$((n + 1)), clean exit"
