# disks: 200M
# Files, directories, content tools and transfers on ext4.
part-disk /dev/sda mbr
mkfs ext4 /dev/sda1
mount /dev/sda1 /
mkdir-p /a/b/c
touch /a/empty
write /a/hello "hello world\nsecond line\nthird line\n"
write-append /a/hello "fourth\n"
cat /a/hello
head-n 2 /a/hello
tail-n 1 /a/hello
wc-l /a/hello
wc-w /a/hello
wc-c /a/hello
grep second /a/hello
grepi HELLO /a/hello
checksum md5 /a/hello
checksum sha256 /a/hello
checksum crc /a/hello
filesize /a/hello
is-file /a/hello
is-dir /a/b
is-symlink /a/hello
exists /nope
ln-s hello /a/link
readlink /a/link
is-symlink /a/link
realpath /a/link
cp /a/hello /a/copy
mv /a/copy /a/moved
ls /a
find /
chmod 0600 /a/moved
lstatns /a/moved
du /a
fill 65 1000 /a/fill
hexdump /a/fill
strings /a/hello
truncate-size /a/fill 10
cat /a/fill
setxattr user.test value 5 /a/hello
getxattrs /a/hello
rm-rf /a/b
rm /a/moved
-rm /a/nope
-mkdir /a
-rmdir /a
-cat /a
glob-expand /a/*
case-sensitive-path /A/HELLO
-case-sensitive-path /nope/x
equal /a/hello /a/link
# tar archives through the host folder, plain and compressed, with a
# numeric owner no name maps to, and through a guest symlink
chown 1234 5678 /a/hello
tar-out /a a.tar
# owner fields of every member: numbers only, never the appliance's names
touch /a/o0
touch /a/o65534
touch /a/o4242
chown 0 42 /a/o0
chown 65534 65534 /a/o65534
chown 4242 1 /a/o4242
tar-out /a owners.tar
! tar -tvf owners.tar | awk '{ print $2, $NF }' | sort
tar-out /a owners-n.tgz compress:gzip numericowner:true
! tar -tzvf owners-n.tgz | awk '{ print $2, $NF }' | sort
rm /a/o0
rm /a/o65534
rm /a/o4242
mkdir /t1
tar-in a.tar /t1
ls /t1
cat /t1/hello
stat /t1/hello
tar-out /a a.tgz compress:gzip
mkdir /t2
ln-s t2 /t2link
tgz-in a.tgz /t2link
ls /t2
tar-out /a a.txz compress:xz
mkdir /t3
tar-in a.txz /t3 compress:xz
cat /t3/hello
-tar-in a.tar /nonexistent
zero-free-space /
umount-all
