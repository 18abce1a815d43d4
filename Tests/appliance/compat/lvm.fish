# disks: 100M 100M
# LVM: PVs on two disks, a VG over both, LVs, resize, rename, remove.
pvcreate /dev/sda
pvcreate /dev/sdb
vgcreate VG "/dev/sda /dev/sdb"
lvcreate LV1 VG 40
lvcreate LV2 VG 60
lvcreate-free LV3 VG 50
pvs | sort
vgs
lvs
is-lv /dev/VG/LV1
lvm-canonical-lv-name /dev/mapper/VG-LV2
lvresize /dev/VG/LV1 48
lvrename /dev/VG/LV2 /dev/VG/data
lvs
mkfs ext4 /dev/VG/data
mount /dev/VG/data /
write /f "on an LV"
cat /f
umount-all
lvremove /dev/VG/LV3
lvs
vg-activate false VG
vg-activate-all true
vgremove VG
pvremove /dev/sda
pvs | sort
