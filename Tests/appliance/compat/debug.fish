# disks: 32M
# The debug subcommands that tools and bug reports use (sh, print, error,
# progress, setenv, env, fds) and debug-upload, compared with the
# reference; the subcommand list itself differs (see README).
debug sh "echo hello; echo to-stderr >&2"
debug sh "echo $root $sd"
-debug sh "echo failing; exit 3"
-debug sh ""
debug print "a b c"
-debug error 12
-debug error x
-debug error 2000000
debug progress 1
-debug progress 0
-debug progress "1 0"
debug setenv "GUESTFSD_TEST value"
debug sh "echo $GUESTFSD_TEST"
-debug setenv one
-debug nosuch-subcommand ""
-debug qtrace /dev/sda
debug spew 2
debug-upload /etc/hostname /tmp/uploaded 0600
debug sh "stat -c %a.%s /tmp/uploaded"
debug ls /tmp/uploaded
-debug ls /no/such/file
