# shellcheck shell=bash
# tests/integration/net_lib.sh — helpers for the virtio-net integration tests
# (sourced after lib.sh). Each test makes a network namespace of its own, so
# the host's real interfaces are never touched, and runs nimbus inside it.
# (Not named test_*.sh: the runner would take it for a test.)

# net_ns_setup NAME: checks for ip and python3, creates the network namespace
# NAME ($NS) with lo up, and sets the EXIT trap net_ns_cleanup.
net_ns_setup() {
	command -v ip >/dev/null || fail "ip (iproute2) missing"
	command -v python3 >/dev/null || fail "python3 missing"
	NS=$1
	ip netns add "$NS" || fail "cannot create network namespace $NS"
	trap net_ns_cleanup EXIT
	in_ns ip link set lo up
}

# net_ns_cleanup: kills $NS_BG_PID (a background process of the test, when
# set), deletes the namespace and saves the work directory.
net_ns_cleanup() {
	[ -n "${NS_BG_PID:-}" ] && kill "$NS_BG_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	save_work
}

# in_ns CMD...: runs CMD inside the namespace.
in_ns() { ip netns exec "$NS" "$@"; }

# nimbus_in_ns: from here on $NIMBUS (run_nimbus, boot_script) is a wrapper
# that runs nimbus inside the namespace; it execs, so a timeout's signals
# reach nimbus itself.
nimbus_in_ns() {
	printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$NS" "$NIMBUS" >"$WORK/nimbus-in-ns"
	chmod +x "$WORK/nimbus-in-ns"
	NIMBUS=$WORK/nimbus-in-ns
}

# tcp_servers_start: a random 1 MiB $WORK/to_guest.bin (its md5 in
# $TO_GUEST_MD5) and, in the background in the namespace ($NS_BG_PID), one
# python3 TCP server per direction: port 5001 saves the first 1 MiB it
# receives as $WORK/from_guest.bin, port 5002 sends to_guest.bin.
tcp_servers_start() {
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
	in_ns python3 "$WORK/servers.py" "$WORK" &
	NS_BG_PID=$!
}

# tcp_servers_wait: waits for the servers of tcp_servers_start to end.
tcp_servers_wait() {
	wait "$NS_BG_PID" 2>/dev/null
	NS_BG_PID=
}

# expect_tcp_transfers: both transfers arrived whole. The guest prints
# guest_sent_md5=<md5 of the file it sent to port 5001> and
# guest_recv_md5=<md5 of what it read from port 5002> on the serial console.
expect_tcp_transfers() {
	expect_serial "guest_recv_md5=$TO_GUEST_MD5"
	local sent got
	sent=$(sed -n 's/.*guest_sent_md5=\([0-9a-f]*\).*/\1/p' "$WORK/serial.log" | head -1)
	[ -f "$WORK/from_guest.bin" ] || fail "host received nothing from the guest"
	got=$(md5sum <"$WORK/from_guest.bin" | cut -d' ' -f1)
	[ -n "$sent" ] && [ "$sent" = "$got" ] || fail "guest->host file differs (guest md5 '$sent', host md5 '$got')"
}

# make_exec_with_taps: writes $EXEC_WITH_TAPS, a python3 script run as
# "EXEC_WITH_TAPS MQ NAME... -- CMD...": it opens each tap NAME
# (IFF_TAP|IFF_NO_PI|IFF_VNET_HDR, and IFF_MULTI_QUEUE when MQ is 1) as fds
# 7, 8, ... and execs CMD (how orchestrators hand taps to a VMM).
make_exec_with_taps() {
	EXEC_WITH_TAPS=$WORK/exec-with-taps.py
	cat >"$EXEC_WITH_TAPS" <<'PY'
import fcntl, os, struct, sys
TUNSETIFF = 0x400454ca
flags = 0x0002 | 0x1000 | 0x4000 | (0x0100 if sys.argv[1] == "1" else 0)
sep = sys.argv.index("--")
for i, name in enumerate(sys.argv[2:sep]):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), flags))
    os.dup2(fd, 7 + i)
    os.close(fd)
os.execvp(sys.argv[sep + 1], sys.argv[sep + 1:])
PY
}
