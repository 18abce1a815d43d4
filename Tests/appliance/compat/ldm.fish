# disks: 64M 64M
# setup: python3 "$ROOT/Tests/guests/make-ldm-disks" disk1.img disk2.img 64
# Windows dynamic disks: a disk group over two disks (made by
# Tests/guests/make-ldm-disks) with a simple, a spanned and a striped
# volume, mapped at boot; ldmtool's views of it; filesystems made, written
# and read on the volumes; the mappings removed and made again. No
# list-filesystems: upstream's fails on these disks (sfdisk is asked for
# the MBR type of the kernel's LDM partition 2, which the MBR lacks).
run
available "ldm"
list-partitions
list-ldm-volumes
list-ldm-partitions
list-dm-devices
ldmtool-scan
ldmtool-scan-devices "/dev/sda /dev/sdb"
ldmtool-scan-devices /dev/sdb
ldmtool-diskgroup-name 9c2b6a6e-5b5e-4d7a-9c1e-2f4d1d6a7b01
ldmtool-diskgroup-volumes 9c2b6a6e-5b5e-4d7a-9c1e-2f4d1d6a7b01
ldmtool-diskgroup-disks 9c2b6a6e-5b5e-4d7a-9c1e-2f4d1d6a7b01
ldmtool-volume-type 9c2b6a6e-5b5e-4d7a-9c1e-2f4d1d6a7b01 Volume1
ldmtool-volume-type 9c2b6a6e-5b5e-4d7a-9c1e-2f4d1d6a7b01 Volume2
ldmtool-volume-type 9c2b6a6e-5b5e-4d7a-9c1e-2f4d1d6a7b01 Volume3
ldmtool-volume-hint 9c2b6a6e-5b5e-4d7a-9c1e-2f4d1d6a7b01 Volume1
-ldmtool-volume-hint 9c2b6a6e-5b5e-4d7a-9c1e-2f4d1d6a7b01 Volume2
ldmtool-volume-hint 9c2b6a6e-5b5e-4d7a-9c1e-2f4d1d6a7b01 Volume3
ldmtool-volume-partitions 9c2b6a6e-5b5e-4d7a-9c1e-2f4d1d6a7b01 Volume1
ldmtool-volume-partitions 9c2b6a6e-5b5e-4d7a-9c1e-2f4d1d6a7b01 Volume2
ldmtool-volume-partitions 9c2b6a6e-5b5e-4d7a-9c1e-2f4d1d6a7b01 Volume3
-ldmtool-volume-type 9c2b6a6e-5b5e-4d7a-9c1e-2f4d1d6a7b01 Volume9
-ldmtool-diskgroup-name 9c2b6a6e-5b5e-4d7a-9c1e-2f4d1d6a7b99
-ldmtool-diskgroup-disks not-a-guid
blockdev-getsize64 /dev/mapper/ldm_vol_LdmTest-Dg0_Volume1
blockdev-getsize64 /dev/mapper/ldm_vol_LdmTest-Dg0_Volume2
blockdev-getsize64 /dev/mapper/ldm_vol_LdmTest-Dg0_Volume3
mkfs ntfs /dev/mapper/ldm_vol_LdmTest-Dg0_Volume1
mkfs ext4 /dev/mapper/ldm_vol_LdmTest-Dg0_Volume2
mkfs vfat /dev/mapper/ldm_vol_LdmTest-Dg0_Volume3
mount /dev/mapper/ldm_vol_LdmTest-Dg0_Volume1 /
write /simple "on a simple volume"
mkdir /spanned
mount /dev/mapper/ldm_vol_LdmTest-Dg0_Volume2 /spanned
fill-pattern "spanned!" 10000000 /spanned/big
write /spanned/small "on a spanned volume"
mkdir /striped
mount /dev/mapper/ldm_vol_LdmTest-Dg0_Volume3 /striped
write /striped/f "on a striped volume"
checksum md5 /spanned/big
cat /spanned/small
cat /striped/f
vfs-type /dev/mapper/ldm_vol_LdmTest-Dg0_Volume1
vfs-type /dev/mapper/ldm_vol_LdmTest-Dg0_Volume2
vfs-type /dev/mapper/ldm_vol_LdmTest-Dg0_Volume3
umount-all
ldmtool-remove-all
list-ldm-volumes
list-ldm-partitions
list-dm-devices
ldmtool-create-all
list-ldm-volumes
mount-ro /dev/mapper/ldm_vol_LdmTest-Dg0_Volume2 /
checksum md5 /big
cat /small
umount-all
mount-ro /dev/mapper/ldm_vol_LdmTest-Dg0_Volume1 /
cat /simple
