#!/bin/bash
# Two disks at once, the second with num_queues=2 and queue_size=64: the
# guest (2 vCPUs) has /sys/block/vdb/mq with 2 hardware queues, and I/O from
# both vCPUs lands in the right images.
. "$(dirname "$0")/lib.sh"
need_kvm
truncate -s 16M "$WORK/a.img"
truncate -s 32M "$WORK/b.img"
boot_script '
echo "sizes=$(cat /sys/block/vda/size) $(cat /sys/block/vdb/size)"
echo "mq_a=$(ls /sys/block/vda/mq | wc -l) mq_b=$(ls /sys/block/vdb/mq | wc -l)"
seq 1 100000 | dd of=/dev/vda bs=64k conv=fsync 2>/dev/null
# one writer per vCPU on vdb (taskset when busybox has it)
for c in 0 1; do
	( if command -v taskset >/dev/null; then taskset -p $((c + 1)) $$ >/dev/null; fi
	  seq $((c * 1000000)) $((c * 1000000 + 200000)) | dd of=/dev/vdb bs=64k seek=$((c * 128)) conv=fsync 2>/dev/null ) &
done
wait
sync
grep -h . /sys/block/vdb/mq/*/cpu_list | sed "s/^/cpus: /"
' --memory size=256M --cpus boot=2 --disk "path=$WORK/a.img" --disk "path=$WORK/b.img,num_queues=2,queue_size=64"
expect_rc 0
expect_test_ok
expect_serial "sizes=32768 65536"
expect_serial "mq_a=1 mq_b=2"
want_a=$(seq 1 100000 | sha256sum | cut -c1-64)
n=$(seq 1 100000 | wc -c)
[ "$(head -c "$n" "$WORK/a.img" | sha256sum | cut -c1-64)" = "$want_a" ] || fail "a.img contents differ"
for c in 0 1; do
	want=$(seq $((c * 1000000)) $((c * 1000000 + 200000)) | sha256sum | cut -c1-64)
	n=$(seq $((c * 1000000)) $((c * 1000000 + 200000)) | wc -c)
	got=$(dd if="$WORK/b.img" bs=64k skip=$((c * 128)) 2>/dev/null | head -c "$n" | sha256sum | cut -c1-64)
	[ "$got" = "$want" ] || fail "b.img region $c differs"
done
pass "two disks; vdb has 2 queues; data from both vCPUs in the images"
