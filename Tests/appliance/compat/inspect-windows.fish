# disks: 100M
# Inspection of a Windows tree on NTFS: SOFTWARE and SYSTEM hives made on
# the host with hivexregedit --merge (from a minimal empty hive), a PE32+
# cmd.exe header, an MBR disk signature set by hand for the C: mapping
# (part-disk starts the partition at sector 128: byte offset 0x10000).
! python3 -c "import struct; b=bytearray(8192); b[0:4]=b'regf'; struct.pack_into('<IIQIIIIIII',b,4,1,1,0,1,3,0,1,0x20,0x1000,1); c=0; exec('for i in range(0,0x1fc,4): c^=struct.unpack_from(\"<I\",b,i)[0]'); struct.pack_into('<I',b,0x1fc,c); h=0x1000; b[h:h+4]=b'hbin'; struct.pack_into('<II',b,h+4,0,0x1000); n=h+0x20; struct.pack_into('<i',b,n,-0x60); b[n+4:n+6]=b'nk'; struct.pack_into('<H',b,n+6,0x2c); [struct.pack_into('<I',b,n+o,v) for o,v in ((0x20,0xffffffff),(0x24,0xffffffff),(0x2c,0xffffffff),(0x30,0x80),(0x34,0xffffffff))]; struct.pack_into('<HH',b,n+0x4c,4,0); b[n+0x50:n+0x54]=b'ROOT'; s=h+0x80; struct.pack_into('<i',b,s,-0x30); b[s+4:s+6]=b'sk'; struct.pack_into('<IIII',b,s+8,0x80,0x80,1,20); struct.pack_into('<BBH',b,s+0x18,1,0,0x8000); struct.pack_into('<i',b,h+0xb0,0x1000-0xb0); open('software','wb').write(b); open('system','wb').write(b); p=bytearray(1024); p[0:2]=b'MZ'; struct.pack_into('<I',p,0x3c,0x80); p[0x80:0x84]=b'PE\0\0'; struct.pack_into('<HHIIIHH',p,0x84,0x8664,0,0,0,0,0xf0,0x22); struct.pack_into('<H',p,0x98,0x20b); struct.pack_into('<H',p,0x98+68,3); open('cmd.exe','wb').write(p)"
! printf 'Windows Registry Editor Version 5.00\n\n[\\Microsoft]\n\n[\\Microsoft\\Windows NT]\n\n[\\Microsoft\\Windows NT\\CurrentVersion]\n"ProductName"="Windows Server 2019 Standard"\n"CurrentVersion"="6.3"\n"CurrentMajorVersionNumber"=dword:0000000a\n"CurrentMinorVersionNumber"=dword:00000000\n"InstallationType"="Server"\n' > software.reg && hivexregedit --merge software software.reg
! printf 'Windows Registry Editor Version 5.00\n\n[\\Select]\n"Current"=dword:00000001\n\n[\\ControlSet001]\n\n[\\ControlSet001\\Services]\n\n[\\ControlSet001\\Services\\Tcpip]\n\n[\\ControlSet001\\Services\\Tcpip\\Parameters]\n"Hostname"="WIN-2019"\n\n[\\MountedDevices]\n"\\\\DosDevices\\\\C:"=hex:78,56,34,12,00,00,01,00,00,00,00,00\n"\\\\DosDevices\\\\D:"=hex:5c,00,3f,00,3f,00\n' > system.reg && hivexregedit --merge system system.reg
part-disk /dev/sda mbr
pwrite-device /dev/sda "\x78\x56\x34\x12" 440
mkfs ntfs /dev/sda1
mount /dev/sda1 /
mkdir-p /Windows/System32/config
mkdir-p "/Program Files"
upload software /Windows/System32/config/SOFTWARE
upload system /Windows/System32/config/SYSTEM
upload cmd.exe /Windows/System32/cmd.exe
umount-all
inspect-os
inspect-get-type /dev/sda1
inspect-get-distro /dev/sda1
inspect-get-product-name /dev/sda1
inspect-get-product-variant /dev/sda1
inspect-get-major-version /dev/sda1
inspect-get-minor-version /dev/sda1
inspect-get-hostname /dev/sda1
inspect-get-package-format /dev/sda1
inspect-get-package-management /dev/sda1
inspect-get-windows-systemroot /dev/sda1
inspect-get-windows-software-hive /dev/sda1
inspect-get-windows-system-hive /dev/sda1
inspect-get-windows-current-control-set /dev/sda1
inspect-get-drive-mappings /dev/sda1
inspect-get-mountpoints /dev/sda1
inspect-get-filesystems /dev/sda1
mounts
