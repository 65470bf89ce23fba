#!/bin/bash
# The REST API over the Unix socket, with ONE guest boot: nimbus started with
# only --api-socket; bad requests first (bad JSON, unknown endpoint, wrong
# method, oversized and truncated bodies, a silent client held open while
# others are served, wrong-state operations); then vm.create from a JSON file
# with nimbus-remote, boot, ping, info (Running), pause (serial output stops),
# resume (it goes on), counters, and the power button → the guest powers off
# and nimbus exits 0.
. "$(dirname "$0")/lib.sh"
need_kvm
REMOTE=${NIMBUS_REMOTE_BIN:-$BUILD/nimbus-remote}
[ -x "$REMOTE" ] || fail "nimbus-remote not built"
SOCK=$WORK/api.sock
R() { "$REMOTE" --api-socket "$SOCK" "$@"; }
# http METHOD ENDPOINT [curl args...] → prints the status code
http() { local m=$1 e=$2; shift 2; curl -s -o "$WORK/body" -w '%{http_code}' --unix-socket "$SOCK" -X "$m" "$@" "http://localhost/api/v1/$e"; }
expect_status() { # WANT METHOD ENDPOINT [curl args]
	local want=$1 got
	shift
	got=$(http "$@")
	[ "$got" = "$want" ] || fail "$1 $2: HTTP $got, expected $want ($(head -c 200 "$WORK/body"))"
}

cat >"$WORK/test.sh" <<'GUEST'
mkdir -p /etc/acpi/PWRF /var/run /var/log
printf '#!/bin/sh\necho power-button-pressed\nsync\npoweroff -f\n' >/etc/acpi/PWRF/00000080
chmod 755 /etc/acpi/PWRF/00000080
acpid -d 2>/tmp/acpid.log &
sleep 1
echo guest-ready
i=0
while true; do echo "tick $i"; i=$((i+1)); sleep 0.2; done
GUEST
initrd=$(make_initramfs "$WORK/test.sh")

"$NIMBUS" --api-socket "path=$SOCK" --log-file "$WORK/nimbus.log" -v </dev/null >"$WORK/stdout.log" 2>"$WORK/stderr.log" &
pid=$!
for _ in $(seq 1 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || fail "no API socket"

# ---- bad input, no VM yet ----
R ping | grep -q '"version"' || fail "ping"
expect_status 404 GET vm.nothing
expect_status 404 GET ../vm.info
expect_status 405 GET vm.create
expect_status 405 PUT vmm.ping
expect_status 404 GET vm.info
expect_status 404 PUT vm.pause
expect_status 404 PUT vm.boot
expect_status 400 PUT vm.create -d '{"payload": {"kernel": '
expect_status 400 PUT vm.create -d '[1,2]'
expect_status 400 PUT vm.create -d '{"payload":{"kernel":"/k"},"unknown_key":1}'
grep -q unknown_key "$WORK/body" || fail "unknown key not named"
expect_status 400 PUT vm.create -d '{"payload":{"kernel":"/k"},"memory":{"size":"1G"}}'
expect_status 400 PUT vm.create -d '{"payload":{"kernel":"/k"},"memory":{"size":268435456,"hugepages":true}}'
head -c 100000 /dev/zero | tr '\0' ' ' >"$WORK/big.json"
expect_status 413 PUT vm.create --data-binary "@$WORK/big.json"
# A silent client and a truncated body, then a request that must still succeed.
python3 - "$SOCK" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
t = socket.socket(socket.AF_UNIX); t.connect(sys.argv[1])
t.sendall(b"PUT /api/v1/vm.create HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{\"payload\":")
t.shutdown(socket.SHUT_WR)
time.sleep(4)
PY
silent=$!
sleep 1
python3 - "$SOCK" <<'PY' || fail "garbage request line not answered with 400"
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(10)
s.sendall(b"\x01\x02 GARBAGE\r\n\r\n")
data = s.recv(100)
sys.exit(0 if data.startswith(b"HTTP/1.1 4") else 1)
PY
# keep-alive: two requests on one connection
curl -s --unix-socket "$SOCK" http://localhost/api/v1/vmm.ping http://localhost/api/v1/vmm.ping -o /dev/null -o /dev/null \
	-w '%{num_connects}\n' >"$WORK/ka"
[ "$(paste -sd' ' "$WORK/ka")" = "1 0" ] || fail "keep-alive: $(cat "$WORK/ka")"
R ping >/dev/null || fail "ping while a silent client is connected"
kill -0 $pid || fail "nimbus died on bad input"

# ---- create and boot ----
cat >"$WORK/vm.json" <<JSON
{"payload": {"kernel": "$GUEST/vmlinux", "initramfs": "$initrd", "cmdline": "$GUEST_CMDLINE"},
 "cpus": {"boot_vcpus": 1, "max_vcpus": 1}, "memory": {"size": 268435456},
 "serial": {"mode": "File", "file": "$WORK/serial.log"}, "console": {"mode": "Off"},
 "rng": {"src": "/dev/urandom"}}
JSON
R create "$WORK/vm.json" || fail "vm.create"
R create "$WORK/vm.json" 2>/dev/null && fail "second vm.create accepted"
R info | grep -q '"state":"Created"' || fail "info: not Created"
expect_status 405 PUT vm.resume
R boot || fail "vm.boot"
R info >"$WORK/info.json" || fail "vm.info"
grep -q '"state":"Running"' "$WORK/info.json" || fail "info: not Running: $(cat "$WORK/info.json")"
grep -q '"memory_actual_size":268435456' "$WORK/info.json" || fail "info: memory_actual_size"
wait_for "$WORK/serial.log" "tick 3" $pid || fail "guest never ticked"

# ---- pause / resume ----
R pause || fail "vm.pause"
R info | grep -q '"state":"Paused"' || fail "info: not Paused"
expect_status 405 PUT vm.pause
sleep 1
a=$(grep -c tick "$WORK/serial.log")
sleep $((1 * TIMEOUT_SCALE))
b=$(grep -c tick "$WORK/serial.log")
[ "$a" = "$b" ] || fail "guest kept running while paused ($a → $b ticks)"
R resume || fail "vm.resume"
sleep $((1 * TIMEOUT_SCALE))
c=$(grep -c tick "$WORK/serial.log")
[ "$c" -gt "$b" ] || fail "guest did not run after resume ($b → $c ticks)"
R counters | grep -q '"vcpu0"' || fail "counters"
expect_status 500 PUT vm.add-disk -d '{"path":"/x"}'
R ping >/dev/null || fail "ping"

# ---- power button: the guest powers off, nimbus exits 0 ----
R power-button || fail "vm.power-button"
RC=0
for _ in $(seq 1 $((120 * TIMEOUT_SCALE))); do kill -0 $pid 2>/dev/null || break; sleep 1; done
kill -0 $pid 2>/dev/null && { kill -9 $pid; fail "nimbus did not exit after the power button"; }
wait $pid || RC=$?
wait $silent 2>/dev/null
expect_rc 0
expect_serial power-button-pressed
[ -e "$SOCK" ] && fail "API socket left behind"
pass "paused $a=$b ticks, resumed to $c"
