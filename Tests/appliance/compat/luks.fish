# disks: 64M 64M 64M
# args: --keys-from-stdin
# needs: cryptsetup
# setup: printf 'host-made' >k && cryptsetup luksFormat -q --type luks1 --pbkdf-force-iterations 1000 --key-file k disk3.img && rm k
# LUKS through cryptsetup: keys come from stdin (--keys-from-stdin), one
# line after each command that takes keys. Format (LUKS2, cryptsetup's
# default), open, mkfs, write, close, reopen read-only and read back; key
# slots added and killed; wrong keys, names in use and non-LUKS devices
# are errors that change nothing; cryptsetup-open with readonly and
# crypttype; /dev/sdc is a LUKS1 volume made on the host.
luks-format /dev/sda 0
first key
vfs-type /dev/sda
luks-uuid /dev/sda
list-filesystems
luks-open /dev/sda clear
first key
list-dm-devices
mkfs ext4 /dev/mapper/clear
mount /dev/mapper/clear /
write /hello "hello from inside LUKS"
umount-all
list-filesystems
vfs-type /dev/mapper/clear
-luks-open /dev/sda clear
first key
luks-close /dev/mapper/clear
-luks-close /dev/mapper/clear
-luks-close /dev/sda
list-dm-devices
luks-open-ro /dev/sda ro
first key
mount-ro /dev/mapper/ro /
cat /hello
-write /hello "no"
umount-all
luks-close /dev/mapper/ro
-luks-open /dev/sda bad
not the key
list-dm-devices
luks-add-key /dev/sda 3
first key
third key
-luks-add-key /dev/sda 5
wrong key
fifth key
-luks-add-key /dev/sda 3
first key
again
luks-kill-slot /dev/sda 0
third key
-luks-kill-slot /dev/sda 6
third key
cryptsetup-open /dev/sda c3 readonly:true crypttype:luks
third key
mount-ro /dev/mapper/c3 /
cat /hello
umount-all
cryptsetup-close /dev/mapper/c3
-cryptsetup-close /dev/sda
-luks-uuid /dev/sdb
-luks-open /dev/sdb x
any
-cryptsetup-open /dev/sdb x
any
-cryptsetup-open /dev/sda x crypttype:bitlk
third key
-cryptsetup-open /dev/sdc luks1 crypttype:luks2
host-made
cryptsetup-open /dev/sdc luks1
host-made
vfs-type /dev/sdc
luks-uuid /dev/sdc
list-dm-devices
cryptsetup-close /dev/mapper/luks1
luks-format-cipher /dev/sdb 1 aes-cbc-essiv:sha256
cipher key
cryptsetup-open /dev/sdb cbc crypttype:luks
cipher key
mkfs vfat /dev/mapper/cbc
list-filesystems
cryptsetup-close /dev/mapper/cbc
list-dm-devices
