#!/bin/bash
# Discard reaches the image: the guest fills a raw disk with data, then
# discards a range (busybox blkdiscard); the image's allocated blocks shrink
# (holes) and the discarded range reads as zeroes on the host. The guest's
# queue limits show the advertised discard and write-zeroes support.
. "$(dirname "$0")/lib.sh"
need_kvm
img=$WORK/disk.img
truncate -s 32M "$img"
boot_script '
echo "discard_gran=$(cat /sys/block/vda/queue/discard_granularity) max=$(cat /sys/block/vda/queue/discard_max_bytes) wz=$(cat /sys/block/vda/queue/write_zeroes_max_bytes)"
dd if=/dev/urandom of=/dev/vda bs=1M count=32 conv=fsync 2>/dev/null
echo FILLED
' --memory size=256M --disk "path=$img"
expect_rc 0
expect_test_ok
expect_serial "FILLED"
blocks_full=$(stat -c %b "$img")
mv "$WORK/serial.log" "$WORK/serial1.log"
boot_script '
blkdiscard -o 0 -l 8388608 /dev/vda && echo "DISCARD_OK"
sync
' --memory size=256M --disk "path=$img"
expect_rc 0
expect_test_ok
expect_serial "DISCARD_OK"
blocks_after=$(stat -c %b "$img")
[ "$blocks_after" -lt "$blocks_full" ] || fail "image blocks did not shrink ($blocks_full -> $blocks_after)"
nz=$(head -c 8388608 "$img" | tr -d '\0' | wc -c)
[ "$nz" = 0 ] || fail "discarded range has $nz non-zero bytes"
grep -q "discard_gran=4096" "$WORK/serial1.log" || fail "discard granularity not 4096"
pass "blkdiscard punched holes: $blocks_full -> $blocks_after blocks of 512 bytes, range reads zero"
