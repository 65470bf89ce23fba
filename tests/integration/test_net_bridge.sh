#!/bin/bash
# Two VMs on one bridge, in a network namespace made by the test: tap0 is a
# persistent tap the test creates (VM 1 opens it by name, --net tap=tap0),
# tap1 is opened by a wrapper and handed to VM 2 as --net fd=N (how
# orchestrators pass taps). br0 (10.0.0.1/24) joins both. Each guest pings
# the host end and then the other guest until it answers.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/net_lib.sh"
need_kvm
net_ns_setup nimbus-itest-br-$$
in_ns ip link add br0 type bridge || fail "cannot create a bridge (bridge module?)"
in_ns ip addr add 10.0.0.1/24 dev br0
in_ns ip link set br0 up
for t in tap0 tap1; do
	in_ns ip tuntap add dev $t mode tap || fail "cannot create $t"
	in_ns ip link set $t master br0
	in_ns ip link set $t up
done

make_exec_with_taps

peer_script() { # MY_IP PEER_IP
	cat <<EOS
ip link set eth0 up
ip addr add $1/24 dev eth0
ping -c 2 -W 5 10.0.0.1 && echo HOST-PING-OK
i=0
while [ \$i -lt 90 ]; do
	if ping -c 1 -W 1 $2 >/dev/null 2>&1; then echo PEER-PING-OK; break; fi
	i=\$((i + 1))
done
# stay up a little so the peer can see us too
sleep 10
EOS
}

# VM 2 in the background: tap1 as fd 7 from the wrapper (net_ns_cleanup
# kills it if the test ends first).
mkdir -p "$WORK/vm2"
peer_script 10.0.0.3 10.0.0.2 >"$WORK/vm2/test.sh"
"$REPO/scripts/mk-overlay.sh" "$WORK/vm2/test.sh" "$WORK/vm2/overlay.cpio" >/dev/null || fail "mk-overlay failed"
cat "$GUEST/initramfs.cpio.gz" "$WORK/vm2/overlay.cpio" >"$WORK/vm2/initramfs.img"
timeout -k 5 $((150 * TIMEOUT_SCALE)) ip netns exec "$NS" python3 "$EXEC_WITH_TAPS" 0 tap1 -- \
	"$NIMBUS" --serial "file=$WORK/vm2/serial.log" --log-file "$WORK/vm2/nimbus.log" -v \
	--kernel "$GUEST/vmlinux" --initramfs "$WORK/vm2/initramfs.img" --cmdline "$GUEST_CMDLINE" --memory size=256M \
	--net fd=7,mac=52:54:00:00:00:03 </dev/null >"$WORK/vm2/stdout.log" 2>&1 &
NS_BG_PID=$!

# VM 1 in the foreground: tap by name.
nimbus_in_ns
boot_script "$(peer_script 10.0.0.2 10.0.0.3)" --memory size=256M --net tap=tap0,mac=52:54:00:00:00:02
RC2=0
wait "$NS_BG_PID" || RC2=$?
NS_BG_PID=
expect_rc 0
expect_test_ok
expect_serial "HOST-PING-OK"
expect_serial "PEER-PING-OK"
[ "$RC2" = 0 ] || fail "VM 2 (fd=) exit code $RC2: $(tail -n 5 "$WORK/vm2/nimbus.log" 2>/dev/null)"
grep -q "HOST-PING-OK" "$WORK/vm2/serial.log" || fail "VM 2 could not ping the bridge"
grep -q "PEER-PING-OK" "$WORK/vm2/serial.log" || fail "VM 2 could not ping VM 1"
pass "two VMs (tap=name and fd=) on one bridge ping the host and each other"
