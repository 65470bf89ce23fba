#!/bin/bash
# readonly=on: the guest sees a read-only disk (/sys/block/vda/ro = 1, writes
# fail) whose contents it can read; the image is unchanged. Two read-only
# users of one image are allowed (shared lock): the same image twice.
. "$(dirname "$0")/lib.sh"
need_kvm
img=$WORK/ro.img
head -c 4194304 /dev/urandom >"$img"
sum=$(sha256sum <"$img" | cut -c1-64)
boot_script '
echo "ro=$(cat /sys/block/vda/ro) ro_b=$(cat /sys/block/vdb/ro)"
echo "sum=$(dd if=/dev/vda bs=64k 2>/dev/null | sha256sum | cut -c1-64)"
echo "sum_b=$(dd if=/dev/vdb bs=64k 2>/dev/null | sha256sum | cut -c1-64)"
if dd if=/dev/zero of=/dev/vda bs=4k count=1 oflag=direct 2>/dev/null; then echo "write=ok"; else echo "write=refused"; fi
blockdev --setrw /dev/vda 2>/dev/null
if dd if=/dev/zero of=/dev/vda bs=4k count=1 oflag=direct 2>/dev/null; then echo "write2=ok"; else echo "write2=refused"; fi
' --memory size=256M --disk "path=$img,readonly=on" --disk "path=$img,readonly=on"
expect_rc 0
expect_test_ok
expect_serial "ro=1 ro_b=1"
expect_serial "sum=$sum"
expect_serial "sum_b=$sum"
expect_serial "write=refused"
expect_serial "write2=refused"
[ "$(sha256sum <"$img" | cut -c1-64)" = "$sum" ] || fail "read-only image changed"
pass "read-only in the guest, contents readable, image unchanged, shared by two disks"
