# library: 1.60
# disks: 400M 300M 64M
# needs: /usr/bin/dash /usr/bin/seq /usr/bin/head /usr/bin/yes /lib64/ld-linux-x86-64.so.2 hivexregedit python3
# The procedures libguestfs 1.60 added (command-out, sh-out, btrfs-scrub-full,
# ntfs-chmod, xfs-info2, inspect-get-windows-group-policy; setfiles is in
# selinux-1.60.fish) and its two new optargs (tar-in keepdirlink, e2fsck
# forceno). Run only under 1.60's guestfish.
! mkdir -p t/lib/modules && echo module > t/lib/modules/m.ko && tar -C t -cf lib.tar lib
! printf 'Windows Registry Editor Version 5.00\n\n[\\Microsoft]\n\n[\\Microsoft\\Windows NT]\n\n[\\Microsoft\\Windows NT\\CurrentVersion]\n"ProductName"="Windows Server 2019 Standard"\n"CurrentVersion"="6.3"\n\n[\\Microsoft\\Windows]\n\n[\\Microsoft\\Windows\\CurrentVersion]\n\n[\\Microsoft\\Windows\\CurrentVersion\\Group Policy]\n\n[\\Microsoft\\Windows\\CurrentVersion\\Group Policy\\History]\n\n[\\Microsoft\\Windows\\CurrentVersion\\Group Policy\\History\\{31B2F340-016D-11D2-945F-00C04FB984F9}]\n"Version"=dword:00000001\n' > software.reg
! python3 -c "import struct; b=bytearray(8192); b[0:4]=b'regf'; struct.pack_into('<IIQIIIIIII',b,4,1,1,0,1,3,0,1,0x20,0x1000,1); c=0; exec('for i in range(0,0x1fc,4): c^=struct.unpack_from(\"<I\",b,i)[0]'); struct.pack_into('<I',b,0x1fc,c); h=0x1000; b[h:h+4]=b'hbin'; struct.pack_into('<II',b,h+4,0,0x1000); n=h+0x20; struct.pack_into('<i',b,n,-0x60); b[n+4:n+6]=b'nk'; struct.pack_into('<H',b,n+6,0x2c); [struct.pack_into('<I',b,n+o,v) for o,v in ((0x20,0xffffffff),(0x24,0xffffffff),(0x2c,0xffffffff),(0x30,0x80),(0x34,0xffffffff))]; struct.pack_into('<HH',b,n+0x4c,4,0); b[n+0x50:n+0x54]=b'ROOT'; s=h+0x80; struct.pack_into('<i',b,s,-0x30); b[s+4:s+6]=b'sk'; struct.pack_into('<IIII',b,s+8,0x80,0x80,1,20); struct.pack_into('<BBH',b,s+0x18,1,0,0x8000); struct.pack_into('<i',b,h+0xb0,0x1000-0xb0); open('software','wb').write(b); open('system','wb').write(b); p=bytearray(1024); p[0:2]=b'MZ'; struct.pack_into('<I',p,0x3c,0x80); p[0x80:0x84]=b'PE\0\0'; struct.pack_into('<HHIIIHH',p,0x84,0x8664,0,0,0,0,0xf0,0x22); struct.pack_into('<H',p,0x98,0x20b); struct.pack_into('<H',p,0x98+68,3); open('cmd.exe','wb').write(p)"
! hivexregedit --merge software software.reg
part-disk /dev/sda mbr
mkfs ext4 /dev/sda1
mount /dev/sda1 /
# A guest with a shell: the host's dash, yes, head, seq and their libc.
mkdir-p /usr/bin
mkdir-p /usr/lib/x86_64-linux-gnu
mkdir /lib64
ln-s usr/bin /bin
upload /usr/bin/dash /usr/bin/dash
upload /usr/bin/yes /usr/bin/yes
upload /usr/bin/head /usr/bin/head
upload /usr/bin/seq /usr/bin/seq
upload /lib/x86_64-linux-gnu/libc.so.6 /usr/lib/x86_64-linux-gnu/libc.so.6
upload /lib64/ld-linux-x86-64.so.2 /lib64/ld-linux-x86-64.so.2
chmod 0755 /usr/bin/dash
chmod 0755 /usr/bin/yes
chmod 0755 /usr/bin/head
chmod 0755 /usr/bin/seq
chmod 0755 /lib64/ld-linux-x86-64.so.2
ln-s dash /usr/bin/sh
# command-out and sh-out: more than a message can hold, streamed.
command-out "/usr/bin/seq 1 5" seq.out
! cat seq.out
sh-out "yes 0123456789abcdef | head -c 5000000" big.out
! wc -c < big.out && md5sum < big.out
sh-out "printf 'ab\\000cd'" nul.out
! od -c nul.out
-sh-out "echo partial; echo it broke >&2; exit 3" failed.out
! if [ -s failed.out ]; then echo data received; else echo no data; fi
# tar-in keepdirlink: a merged-/usr guest keeps its /lib symlink.
mkdir-p /keep/usr/lib
ln-s usr/lib /keep/lib
tar-in lib.tar /keep keepdirlink:true
is-symlink /keep/lib
cat /keep/usr/lib/modules/m.ko
mkdir-p /plain/usr/lib
ln-s usr/lib /plain/lib
tar-in lib.tar /plain
is-symlink /plain/lib
is-dir /plain/lib
umount-all
# e2fsck forceno on a clean filesystem, and the one-option rule.
e2fsck /dev/sda1 forceno:true
-e2fsck /dev/sda1 forceall:true forceno:true
# btrfs-scrub-full, then btrfs_fsck's other replacement answers.
mkfs btrfs /dev/sdb
mount /dev/sdb /
write /data "some data"
sync
btrfs-scrub-full /
btrfs-scrub-full / readonly:true
-btrfs-scrub-full /nowhere
umount-all
# xfs-info2 (values differ between xfsprogs versions: the stable keys).
mkfs xfs /dev/sda1 blocksize:4096
xfs-info2 /dev/sda1 | grep -E '^(meta-data|data\.bsize|naming|log|realtime): '
# ntfs-chmod on the unmounted volume, read back through ntfs-3g.
mkfs ntfs /dev/sdc
mount /dev/sdc /
mkdir /dir
write /dir/f "hi"
write /g "hi"
umount-all
ntfs-chmod /dev/sdc 0640 /g
ntfs-chmod /dev/sdc 0700 /dir recursive:true
mount-vfs permissions ntfs-3g /dev/sdc /
stat /g | grep -E '^(mode|size):'
stat /dir/f | grep -E '^mode:'
umount-all
# inspect-get-windows-group-policy: a GPO in the software hive.
mkfs ntfs /dev/sdc
mount /dev/sdc /
mkdir-p /Windows/System32/config
upload software /Windows/System32/config/SOFTWARE
upload system /Windows/System32/config/SYSTEM
upload cmd.exe /Windows/System32/cmd.exe
umount-all
inspect-os
inspect-get-windows-group-policy /dev/sdc
-inspect-get-windows-group-policy /dev/sda1
