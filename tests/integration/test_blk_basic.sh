#!/bin/bash
# virtio-blk: the guest makes an ext2 filesystem on a blank raw image, writes
# files whose checksums the test knows, syncs and powers off. A second boot
# finds the files intact, and so does the host reading the image with
# e2fsprogs' debugfs (no mount). The disk's GET_ID string is the guest's
# /sys/block/vda/serial; its size is what the image holds.
. "$(dirname "$0")/lib.sh"
need_kvm
command -v debugfs >/dev/null || fail "debugfs (e2fsprogs) not installed"
img=$WORK/disk.img
truncate -s 64M "$img"
# Deterministic file contents the host can checksum too.
head -c 1048576 /dev/zero | tr '\0' 'a' >"$WORK/a.bin"
seq 1 200000 >"$WORK/b.txt"
sum_a=$(sha256sum <"$WORK/a.bin" | cut -c1-64)
sum_b=$(sha256sum <"$WORK/b.txt" | cut -c1-64)

boot_script '
set -e
echo "size_sectors=$(cat /sys/block/vda/size)"
echo "serial=$(cat /sys/block/vda/serial 2>/dev/null)"
echo "ro=$(cat /sys/block/vda/ro)"
mke2fs -q /dev/vda
mkdir -p /mnt/d
mount -t ext2 /dev/vda /mnt/d
head -c 1048576 /dev/zero | tr "\0" "a" > /mnt/d/a.bin
seq 1 200000 > /mnt/d/b.txt
sync
echo "guest_a=$(sha256sum /mnt/d/a.bin | cut -c1-64)"
echo "guest_b=$(sha256sum /mnt/d/b.txt | cut -c1-64)"
umount /mnt/d
' --memory size=256M --disk "path=$img,id=nimbus-disk-0"
expect_rc 0
expect_test_ok
expect_serial "size_sectors=131072"
expect_serial "serial=nimbus-disk-0"
expect_serial "ro=0"
expect_serial "guest_a=$sum_a"
expect_serial "guest_b=$sum_b"

# The host sees the files (debugfs reads the image directly).
[ "$(debugfs -R 'cat /a.bin' "$img" 2>/dev/null | sha256sum | cut -c1-64)" = "$sum_a" ] || fail "host: a.bin differs"
[ "$(debugfs -R 'cat /b.txt' "$img" 2>/dev/null | sha256sum | cut -c1-64)" = "$sum_b" ] || fail "host: b.txt differs"

# Second boot: the files are intact.
mv "$WORK/serial.log" "$WORK/serial1.log"
boot_script '
set -e
mkdir -p /mnt/d
mount -t ext2 -o ro /dev/vda /mnt/d
echo "again_a=$(sha256sum /mnt/d/a.bin | cut -c1-64)"
echo "again_b=$(sha256sum /mnt/d/b.txt | cut -c1-64)"
umount /mnt/d
' --memory size=256M --disk "path=$img"
expect_rc 0
expect_test_ok
expect_serial "again_a=$sum_a"
expect_serial "again_b=$sum_b"
pass "ext2 made, written and read back by the guest across boots; host debugfs agrees"
