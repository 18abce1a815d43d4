# disks: 100M
# POSIX ACLs and file capabilities on ext4, with the error cases.
# The errno of an unparsable ACL string depends on what the ACL parser's
# user lookups hit in upstream's chroot (ENOENT in an empty guest): masked.
# mask: acl_from_text: .*
feature-available acl
feature-available linuxcaps
mkfs ext4 /dev/sda
mount /dev/sda /
touch /f
mkdir /d
acl-get-file /f access
acl-set-file /f access "u::rwx,u:500:r--,g::r-x,m::rwx,o::---"
acl-get-file /f access
acl-set-file /f access "user::rw-,user:500:rwx,group::r--,group:42:rw-,mask::r--,other::r--"
acl-get-file /f access
acl-set-file /f access "u::rwx,u:0:r--,g::r-x,g:0:r--,m::rwx,o::---"
acl-get-file /f access
lstatns /f
-acl-get-file /f bogus
-acl-set-file /f bogus "u::rwx,g::r-x,o::---"
-acl-set-file /f access "garbage"
-acl-set-file /f access "u::rwx,u:500:r--"
-acl-get-file /nope access
-acl-set-file /nope access "u::rwx,g::r-x,o::---"
acl-get-file /d default
acl-set-file /d default "u::rwx,g::r-x,o::r-x"
acl-get-file /d default
touch /d/inherits
acl-get-file /d/inherits access
acl-delete-def-file /d
acl-get-file /d default
-acl-set-file /f default "u::rwx,g::r-x,o::r-x"
-acl-delete-def-file /nope
cap-get-file /f
cap-set-file /f "cap_net_raw+ep"
cap-get-file /f
-cap-set-file /f "cap_chown,cap_kill=eip cap_net_admin+i"
-cap-set-file /f "cap_chown,cap_kill=ep cap_sys_admin+p"
cap-set-file /f "cap_chown,cap_kill=p cap_setuid+i"
cap-get-file /f
ln-s f /l
cap-get-file /l
-cap-set-file /f "nonsense"
-cap-get-file /nope
-cap-set-file /nope "cap_net_raw+ep"
cap-get-file /d
umount-all
