#!/bin/bash
# WRITE_ZEROES reaches the image: the guest fills a raw disk, then zeroes one
# range with unmap (fallocate PUNCH_HOLE on /dev/vda: the kernel sends
# WRITE_ZEROES with the unmap flag and has no fallback, so success means the
# device did it) and another without (ZERO_RANGE). On the host both ranges
# read as zeroes, the range between them is untouched, and the image lost
# blocks (holes).
. "$(dirname "$0")/lib.sh"
need_kvm
gcc -static -O2 -o "$WORK/blkzero" "$REPO/tests/integration/blkzero.c" || fail "cannot build blkzero.c"
OVERLAY_FILES=("$WORK/blkzero=/bin/blkzero")
img=$WORK/disk.img
truncate -s 32M "$img"
M=1048576
boot_script '
echo "wz_max=$(cat /sys/block/vda/queue/write_zeroes_max_bytes)"
dd if=/dev/urandom of=/dev/vda bs=1M count=32 conv=fsync 2>/dev/null && echo FILLED
' --memory size=256M --disk "path=$img"
expect_rc 0
expect_test_ok
expect_serial FILLED
grep -q "wz_max=[1-9]" "$WORK/serial.log" || fail "the guest sees no write-zeroes support"
blocks_full=$(stat -c %b "$img")
sum_mid=$(dd if="$img" bs=$M skip=8 count=8 2>/dev/null | sha256sum | cut -c1-64)
mv "$WORK/serial.log" "$WORK/serial1.log"
boot_script "
blkzero punch /dev/vda 0 $((8 * M)) && echo PUNCH_OK
blkzero zero /dev/vda $((16 * M)) $((4 * M)) && echo ZERO_OK
sync
" --memory size=256M --disk "path=$img"
expect_rc 0
expect_test_ok
expect_serial PUNCH_OK
expect_serial ZERO_OK
blocks_after=$(stat -c %b "$img")
[ "$blocks_after" -lt "$blocks_full" ] || fail "image blocks did not shrink ($blocks_full -> $blocks_after)"
nz1=$(dd if="$img" bs=$M count=8 2>/dev/null | tr -d '\0' | wc -c)
nz2=$(dd if="$img" bs=$M skip=16 count=4 2>/dev/null | tr -d '\0' | wc -c)
[ "$nz1" = 0 ] || fail "unmapped range has $nz1 non-zero bytes"
[ "$nz2" = 0 ] || fail "zeroed range has $nz2 non-zero bytes"
[ "$(dd if="$img" bs=$M skip=8 count=8 2>/dev/null | sha256sum | cut -c1-64)" = "$sum_mid" ] ||
	fail "the range between the zeroed ones changed"
pass "write-zeroes: unmap and no-unmap ranges read zero, blocks $blocks_full -> $blocks_after"
