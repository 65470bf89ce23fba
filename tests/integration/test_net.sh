#!/bin/bash
# virtio-net on a tap, in a network namespace made by the test (the host's
# real interfaces are never touched). nimbus runs inside the namespace and
# creates the tap with ip=10.0.0.1/24; the guest configures eth0 as
# 10.0.0.2/24, pings the host end, and moves 1 MiB files of known checksum
# both ways over TCP (busybox nc against python3 servers in the namespace):
# guest -> host on port 5001, host -> guest on port 5002.
. "$(dirname "$0")/lib.sh"
need_kvm
command -v ip >/dev/null || fail "ip (iproute2) missing"
command -v python3 >/dev/null || fail "python3 missing"
NS=nimbus-itest-$$
ip netns add "$NS" || fail "cannot create network namespace $NS"
cleanup() {
	[ -n "${SRV_PID:-}" ] && kill "$SRV_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	save_work
}
trap cleanup EXIT
ip netns exec "$NS" ip link set lo up

head -c 1048576 /dev/urandom >"$WORK/to_guest.bin"
TO_GUEST_MD5=$(md5sum <"$WORK/to_guest.bin" | cut -d' ' -f1)
cat >"$WORK/servers.py" <<'PY'
import socket, sys, threading
work = sys.argv[1]
def recv_server():
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", 5001)); s.listen(1)
    c, _ = s.accept()
    want = 1048576; data = bytearray()
    while len(data) < want:
        b = c.recv(65536)
        if not b: break
        data += b
    open(work + "/from_guest.bin", "wb").write(data)
    c.close()
def send_server():
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", 5002)); s.listen(1)
    c, _ = s.accept()
    c.sendall(open(work + "/to_guest.bin", "rb").read())
    c.shutdown(socket.SHUT_WR); c.close()
t = [threading.Thread(target=f) for f in (recv_server, send_server)]
[x.start() for x in t]; [x.join() for x in t]
PY
ip netns exec "$NS" python3 "$WORK/servers.py" "$WORK" &
SRV_PID=$!

# nimbus inside the namespace (exec keeps the pid for timeout's signals).
printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$NS" "$NIMBUS" >"$WORK/nimbus-in-ns"
chmod +x "$WORK/nimbus-in-ns"
NIMBUS=$WORK/nimbus-in-ns

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
wait "$SRV_PID" 2>/dev/null
SRV_PID=
expect_rc 0
expect_test_ok
expect_serial "mac=52:54:00:12:34:56 mtu=1500"
expect_serial "driver=virtio_net"
expect_serial "PING-OK"
expect_serial "guest_recv_md5=$TO_GUEST_MD5"
sent=$(sed -n 's/.*guest_sent_md5=\([0-9a-f]*\).*/\1/p' "$WORK/serial.log" | head -1)
[ -f "$WORK/from_guest.bin" ] || fail "host received nothing from the guest"
got=$(md5sum <"$WORK/from_guest.bin" | cut -d' ' -f1)
[ -n "$sent" ] && [ "$sent" = "$got" ] || fail "guest->host file differs (guest md5 '$sent', host md5 '$got')"
# Setup errors: one line, non-zero exit, no guest (serial logs of the boot kept).
mkdir -p "$WORK/boot" && cp "$WORK"/*.log "$WORK/boot/"
run_nimbus 60 --kernel "$GUEST/vmlinux" --net fd=99
[ "$RC" != 0 ] || fail "--net fd=99 (not open) was accepted"
grep -q "fd=99: not an open file descriptor" "$WORK/nimbus.log" || fail "no clear error for --net fd=99"
run_nimbus 60 --kernel "$GUEST/vmlinux" --net tap=lo
[ "$RC" != 0 ] || fail "--net tap=lo (not a tap) was accepted"
grep -q "tap=lo: cannot open the tap" "$WORK/nimbus.log" || fail "no clear error for --net tap=lo"
pass "guest pinged the tap, 1 MiB each way over TCP with matching md5"
