#!/bin/bash
# virtio-net multiqueue: num_queues=4 (two queue pairs) on a multi-queue tap
# nimbus creates in a network namespace made by the test. The guest (2 vCPUs,
# so Linux enables both pairs with VQ_PAIRS_SET) must show rx-0, rx-1, tx-0
# and tx-1, ping the host end from each CPU (XPS maps CPU i to tx queue i)
# and move 1 MiB files of known checksum both ways over TCP, one direction
# pinned to each CPU. At exit nimbus logs each pair's counters: both tx
# queues must have carried frames. Then fd=[..]: two queue fds of one
# multi-queue tap opened by a wrapper are taken (2 pairs); fds of taps made
# without IFF_MULTI_QUEUE are refused with one clear line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/net_lib.sh"
need_kvm
net_ns_setup nimbus-itest-mq-$$
tcp_servers_start
NIMBUS_REAL=$NIMBUS
nimbus_in_ns

boot_script '
ip link set eth0 up
ip addr add 10.0.0.2/24 dev eth0
echo "cpus=$(nproc) queues=$(ls /sys/class/net/eth0/queues | tr "\n" " ")"
taskset 1 ping -c 3 -W 5 10.0.0.1 && echo PING0-OK
taskset 2 ping -c 3 -W 5 10.0.0.1 && echo PING1-OK
dd if=/dev/urandom of=/tmp/g.bin bs=1024 count=1024 2>/dev/null
echo "guest_sent_md5=$(md5sum < /tmp/g.bin | cut -d" " -f1)"
taskset 1 nc 10.0.0.1 5001 < /tmp/g.bin && echo SEND-DONE
taskset 2 nc 10.0.0.1 5002 > /tmp/h.bin; echo "guest_recv_bytes=$(wc -c < /tmp/h.bin)"
echo "guest_recv_md5=$(md5sum < /tmp/h.bin | cut -d" " -f1)"
' --cpus boot=2 --memory size=256M --net ip=10.0.0.1,mask=255.255.255.0,mac=52:54:00:12:34:57,num_queues=4
tcp_servers_wait
expect_rc 0
expect_test_ok
expect_serial "cpus=2 queues=rx-0 rx-1 tx-0 tx-1 "
expect_serial "PING0-OK"
expect_serial "PING1-OK"
expect_tcp_transfers
grep -q "net0: tap .*2 queue pair(s)" "$WORK/nimbus.log" || fail "nimbus did not make 2 queue pairs"
grep -q "virtio-net: 2 queue pair(s) active" "$WORK/nimbus.log" || fail "the guest did not enable 2 queue pairs"
for p in 0 1; do
	line=$(grep "virtio-net 52:54:00:12:34:57 pair $p:" "$WORK/nimbus.log" | tail -1)
	[ -n "$line" ] || fail "no counters for pair $p in the nimbus log"
	tx=$(sed -n 's/.*tx \([0-9]*\) frames.*/\1/p' <<<"$line")
	[ "${tx:-0}" -gt 0 ] || fail "tx queue of pair $p carried no frames ($line)"
	echo "pair $p: $line"
done

make_exec_with_taps
mkdir -p "$WORK/boot" && cp "$WORK"/*.log "$WORK/boot/"
# run_with_taps MQ NAME...: nimbus (own binary) in the namespace with those taps as fd=[7,8]
run_with_taps() {
	RC=0
	timeout -k 5 $((30 * TIMEOUT_SCALE)) ip netns exec "$NS" python3 "$EXEC_WITH_TAPS" "$@" -- \
		"$NIMBUS_REAL" --serial "file=$WORK/serial.log" --log-file "$WORK/nimbus.log" -v \
		--kernel "$GUEST/vmlinux" --net "fd=[7,8]" </dev/null >"$WORK/stdout.log" 2>"$WORK/stderr.log" || RC=$?
}
run_with_taps 1 tapmq tapmq
grep -q "net0: tap tapmq, .*2 queue pair(s)" "$WORK/nimbus.log" || fail "fd=[7,8] (one multi-queue tap) not taken as 2 pairs"
run_with_taps 0 tapsa tapsb
[ "$RC" != 0 ] || fail "fd=[7,8] of single-queue taps was accepted"
grep -q "fd=7: several queue pairs need a tap opened with IFF_MULTI_QUEUE" "$WORK/nimbus.log" ||
	fail "no clear error for single-queue taps in fd=[..]"
pass "2 queue pairs: both tx queues used, ping from each CPU, 1 MiB each way over TCP with matching md5"
