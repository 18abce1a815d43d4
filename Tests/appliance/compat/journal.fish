# disks: 100M
# needs: /lib/systemd/systemd-journal-remote
# setup: for i in 1 2 3; do printf '__REALTIME_TIMESTAMP=170000000%d000000\n__MONOTONIC_TIMESTAMP=%d000\n_BOOT_ID=0123456789abcdef0123456789abcdef\nMESSAGE=message number %d\nPRIORITY=%d\nSYSLOG_IDENTIFIER=test%d\n_HOSTNAME=guest\n\n' $i $i $i $i $i; done > export.txt && mkdir j && /lib/systemd/systemd-journal-remote --output="$PWD/j/remote.journal" export.txt 2>/dev/null
# A journal file written on the host by systemd-journal-remote (three
# entries), uploaded into the guest's /var/log/journal and read back with
# libsystemd: next, get, skip both ways, realtime, the data threshold,
# and the errors before journal-open.
feature-available journal
available journal
-journal-next
-journal-get
-journal-close
mkfs ext4 /dev/sda
mount /dev/sda /
mkdir-p /var/log/journal/0123456789abcdef0123456789abcdef
upload j/remote.journal /var/log/journal/0123456789abcdef0123456789abcdef/system.journal
journal-open /var/log/journal
journal-get-data-threshold
journal-next
journal-get-realtime-usec
journal-get
journal-next
journal-get
journal-next
journal-get-realtime-usec
journal-next
journal-skip -2
journal-get
journal-skip 5
journal-skip 0
journal-set-data-threshold 10
journal-get-data-threshold
journal-get
journal-open /var/log/journal
journal-next
journal-get
journal-close
-journal-close
mkdir /empty
journal-open /empty
journal-next
-journal-get-realtime-usec
journal-close
