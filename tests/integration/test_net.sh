#!/bin/bash
# virtio-net on a tap, in a network namespace made by the test (the host's
# real interfaces are never touched). nimbus runs inside the namespace and
# creates the tap with ip=10.0.0.1/24; the guest configures eth0 as
# 10.0.0.2/24, pings the host end, and moves 1 MiB files of known checksum
# both ways over TCP (busybox nc against python3 servers in the namespace):
# guest -> host on port 5001, host -> guest on port 5002.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/net_lib.sh"
need_kvm
net_ns_setup nimbus-itest-$$
tcp_servers_start
nimbus_in_ns

boot_script '
ip link set eth0 up
ip addr add 10.0.0.2/24 dev eth0
echo "mac=$(cat /sys/class/net/eth0/address) mtu=$(cat /sys/class/net/eth0/mtu)"
echo "driver=$(basename $(readlink /sys/class/net/eth0/device/driver))"
ping -c 3 -W 5 10.0.0.1 && echo PING-OK
dd if=/dev/urandom of=/tmp/g.bin bs=1024 count=1024 2>/dev/null
echo "guest_sent_md5=$(md5sum < /tmp/g.bin | cut -d" " -f1)"
nc 10.0.0.1 5001 < /tmp/g.bin && echo SEND-DONE
nc 10.0.0.1 5002 > /tmp/h.bin; echo "guest_recv_bytes=$(wc -c < /tmp/h.bin)"
echo "guest_recv_md5=$(md5sum < /tmp/h.bin | cut -d" " -f1)"
for s in rx_packets tx_packets rx_bytes tx_bytes rx_dropped tx_dropped; do echo "eth0 $s $(cat /sys/class/net/eth0/statistics/$s)"; done
' --memory size=256M --net ip=10.0.0.1,mask=255.255.255.0,mac=52:54:00:12:34:56
tcp_servers_wait
expect_rc 0
expect_test_ok
expect_serial "mac=52:54:00:12:34:56 mtu=1500"
expect_serial "driver=virtio_net"
expect_serial "PING-OK"
expect_tcp_transfers
# Setup errors: one line, non-zero exit, no guest (serial logs of the boot kept).
mkdir -p "$WORK/boot" && cp "$WORK"/*.log "$WORK/boot/"
run_nimbus 60 --kernel "$GUEST/vmlinux" --net fd=99
[ "$RC" != 0 ] || fail "--net fd=99 (not open) was accepted"
grep -q "fd=99: not an open file descriptor" "$WORK/nimbus.log" || fail "no clear error for --net fd=99"
run_nimbus 60 --kernel "$GUEST/vmlinux" --net tap=lo
[ "$RC" != 0 ] || fail "--net tap=lo (not a tap) was accepted"
grep -q "tap=lo: cannot open the tap" "$WORK/nimbus.log" || fail "no clear error for --net tap=lo"
pass "guest pinged the tap, 1 MiB each way over TCP with matching md5"
