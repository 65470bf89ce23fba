#!/bin/bash
# The whole API lifecycle against a live guest, with the event monitor and
# the API document:
#   nimbus --api-socket --event-monitor (inside a network namespace made here)
#   vm.create (JSON with a disk and a net) → vm.boot → counters (the guest
#   read and wrote its disk and pinged the host end of its tap) → pause
#   (serial ticks stop) → resume (they go on) → vm.reboot (the guest really
#   restarts: a boot counter kept on the disk goes 1 → 2) → vm.shutdown →
#   vm.boot (3) → vm.delete → vm.create → vmm.shutdown (nimbus exits 0).
# Wrong-state requests along the way get the document's statuses. Every
# response recorded with curl is then validated against
# ../shared/refs/cloud-hypervisor-openapi.yaml (api_schema_check.py), and the
# event stream must be exactly the lifecycle that happened.
. "$(dirname "$0")/lib.sh"
need_kvm
REMOTE=${NIMBUS_REMOTE_BIN:-$BUILD/nimbus-remote}
[ -x "$REMOTE" ] || fail "nimbus-remote not built"
OPENAPI=${NIMBUS_OPENAPI:-$REPO/../shared/refs/cloud-hypervisor-openapi.yaml}
[ -f "$OPENAPI" ] || OPENAPI=/work/shared/refs/cloud-hypervisor-openapi.yaml
[ -f "$OPENAPI" ] || fail "API document not found (set NIMBUS_OPENAPI)"
PY=""
for p in python3 /usr/bin/python3; do
	"$p" -c 'import yaml, jsonschema' 2>/dev/null && { PY=$p; break; }
done
[ -n "$PY" ] || fail "no python3 with yaml and jsonschema (scripts/install-deps.sh installs python3-yaml python3-jsonschema)"
command -v ip >/dev/null || fail "ip (iproute2) missing"
command -v jq >/dev/null || fail "jq missing (scripts/install-deps.sh installs it)"

NS=nimbus-itest-api-$$
ip netns add "$NS" || fail "cannot create network namespace $NS"
cleanup() {
	[ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -f "$SOCK"
	save_work
}
trap cleanup EXIT
trap 'fail "terminated (time limit) during: ${PHASE:-start}"' TERM
# phase NAME: progress on stdout (the runner keeps it), so a slow or stuck run shows where it was.
phase() { PHASE=$*; echo "[$(date +%T)] $*"; }

SOCK=$WORK/api.sock
EVENTS=$WORK/events.json
REC=$WORK/responses
mkdir -p "$REC"
N=0
R() { "$REMOTE" --api-socket "$SOCK" "$@"; }
# api METHOD ENDPOINT [curl args]: one request, recorded as $REC/$N.* for the schema check.
api() {
	local m=$1 e=$2
	shift 2
	N=$((N + 1))
	echo "$m $e" >"$REC/$N.req"
	curl -s --max-time $((60 * TIMEOUT_SCALE)) -D "$REC/$N.headers" -o "$REC/$N.body" -w '%{http_code}' --unix-socket "$SOCK" -X "$m" "$@" \
		"http://localhost/api/v1/$e" >"$REC/$N.status"
}
body() { cat "$REC/$N.body"; }
expect() { # WANT METHOD ENDPOINT [curl args]
	local want=$1 got
	shift
	api "$@"
	got=$(cat "$REC/$N.status")
	[ "$got" = "$want" ] || fail "$1 $2: HTTP $got, expected $want ($(head -c 300 "$REC/$N.body"))"
}
# jget FILTER: a jq filter over the last body (jq, not python: python's start
# costs seconds in the emulated KVM host).
jget() { jq -r "$1" "$REC/$N.body"; }
ticks() { grep -c '^tick' "$WORK/serial.log" 2>/dev/null || echo 0; }

cat >"$WORK/test.sh" <<'GUEST'
n=$(dd if=/dev/vda bs=512 count=1 2>/dev/null | tr -dc 0-9)
n=$(( ${n:-0} + 1 ))
printf '%s\n' "$n" | dd of=/dev/vda bs=512 count=1 conv=sync 2>/dev/null
sync
echo "boot-count $n"
echo "boot-id $(cat /proc/sys/kernel/random/boot_id)"
ip link set eth0 up && ip addr add 10.0.0.2/24 dev eth0 && ping -c 2 -W 5 10.0.0.1 >/dev/null && echo ping-ok
i=0
while true; do echo "tick $i"; i=$((i+1)); sleep 0.2; done
GUEST
initrd=$(make_initramfs "$WORK/test.sh")
truncate -s 8M "$WORK/disk.img"

ip netns exec "$NS" "$NIMBUS" --api-socket "path=$SOCK" --event-monitor "path=$EVENTS" --log-file "$WORK/nimbus.log" -v \
	</dev/null >"$WORK/stdout.log" 2>"$WORK/stderr.log" &
pid=$!
for _ in $(seq 1 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || fail "no API socket"

# ---- no VM yet ----
phase no VM yet
expect 200 GET vmm.ping
expect 404 GET vm.info
expect 404 PUT vm.boot

cat >"$WORK/vm.json" <<JSON
{"payload": {"kernel": "$GUEST/vmlinux", "initramfs": "$initrd", "cmdline": "$GUEST_CMDLINE"},
 "cpus": {"boot_vcpus": 1, "max_vcpus": 1}, "memory": {"size": 268435456},
 "serial": {"mode": "File", "file": "$WORK/serial.log"}, "console": {"mode": "Off"},
 "disks": [{"path": "$WORK/disk.img"}],
 "net": [{"ip": "10.0.0.1", "mask": "255.255.255.0", "mac": "52:54:00:12:34:56"}]}
JSON
expect 204 PUT vm.create --data-binary "@$WORK/vm.json"
expect 200 GET vm.info
[ "$(jget .state)" = Created ] || fail "info: not Created: $(body)"
expect 405 PUT vm.pause
expect 405 PUT vm.shutdown
expect 200 GET vm.counters

# ---- boot ----
phase boot
expect 204 PUT vm.boot
wait_for "$WORK/serial.log" "tick 3" $pid || fail "guest never ticked"
grep -qw 'boot-count 1' "$WORK/serial.log" || fail "first boot: no boot-count 1"
grep -q '^ping-ok' "$WORK/serial.log" || fail "guest could not ping the tap's host end"
expect 200 GET vm.info
[ "$(jget .state)" = Running ] || fail "info: not Running: $(body)"
[ "$(jget .memory_actual_size)" = 268435456 ] || fail "memory_actual_size: $(body)"
[ "$(jget '.config.net[0].ip + " " + .config.net[0].mac')" = "10.0.0.1 52:54:00:12:34:56" ] ||
	fail "info: net config: $(body)"
[ "$(jget '.config.disks[0].path')" = "$WORK/disk.img" ] || fail "info: disk config: $(body)"
expect 200 GET vm.counters
counters=$(body)
jget '._disk0.read_ops > 0 and ._disk0.read_bytes >= 512 and ._disk0.write_ops > 0 and ._disk0.write_bytes >= 512' |
	grep -qx true || fail "disk counters: $counters"
jget '._net0.tx_frames >= 2 and ._net0.rx_frames >= 2 and ._net0.tx_bytes > 0 and ._net0.rx_bytes > 0' |
	grep -qx true || fail "net counters: $counters"
jget '.vcpu0.exits_io > 0' | grep -qx true || fail "vcpu counters: $counters"
R counters | grep -q '"_disk0"' || fail "nimbus-remote counters"
expect 405 PUT vm.resume
R create "$WORK/vm.json" 2>"$WORK/create2.err" && fail "a second vm.create was accepted"
grep -q "already created" "$WORK/create2.err" || fail "second vm.create: no clear message ($(cat "$WORK/create2.err"))"

# ---- pause / resume ----
phase pause and resume
expect 204 PUT vm.pause
expect 200 GET vm.info
[ "$(jget .state)" = Paused ] || fail "info: not Paused: $(body)"
expect 405 PUT vm.reboot
sleep 1
a=$(ticks)
sleep $((1 * TIMEOUT_SCALE))
b=$(ticks)
[ "$a" = "$b" ] || fail "guest kept running while paused ($a → $b ticks)"
R pause 2>/dev/null && fail "nimbus-remote pause of a paused VM exited 0"
expect 204 PUT vm.resume
sleep $((1 * TIMEOUT_SCALE))
c=$(ticks)
[ "$c" -gt "$b" ] || fail "guest did not run after resume ($b → $c ticks)"

# ---- reboot: the guest restarts from its kernel; the disk's counter says 2 ----
phase reboot
R reboot || fail "nimbus-remote reboot"
wait_for "$WORK/serial.log" "boot-count 2" $pid || fail "no second boot after vm.reboot"
[ "$(sed -n 's/^boot-id //p' "$WORK/serial.log" | sort -u | wc -l)" -ge 2 ] || fail "the kernel did not start again (same boot id)"
wait_for "$WORK/serial.log" "ping-ok" $pid
expect 200 GET vm.info
[ "$(jget .state)" = Running ] || fail "info after reboot: $(body)"

# ---- shutdown, boot again ----
phase shutdown and boot again
R shutdown || fail "nimbus-remote shutdown"
expect 200 GET vm.info
[ "$(jget .state)" = Shutdown ] || fail "info: not Shutdown: $(body)"
kill -0 $pid 2>/dev/null || fail "nimbus exited on vm.shutdown"
expect 405 PUT vm.reboot
expect 405 PUT vm.pause
expect 200 GET vm.counters
expect 204 PUT vm.boot
wait_for "$WORK/serial.log" "boot-count 3" $pid || fail "no third boot after vm.shutdown + vm.boot"

# ---- delete while running, create again, vmm.shutdown ----
phase delete, create, vmm.shutdown
expect 204 PUT vm.delete
expect 404 GET vm.info
expect 404 PUT vm.pause
kill -0 $pid 2>/dev/null || fail "nimbus exited on vm.delete"
expect 204 PUT vm.create --data-binary "@$WORK/vm.json"
expect 204 PUT vmm.shutdown
RC=0
for _ in $(seq 1 $((30 * TIMEOUT_SCALE))); do kill -0 $pid 2>/dev/null || break; sleep 0.5; done
kill -0 $pid 2>/dev/null && fail "nimbus did not exit after vmm.shutdown"
wait $pid || RC=$?
pid=
expect_rc 0
[ -e "$SOCK" ] && fail "API socket left behind"

# ---- the responses against the API document ----
phase schema check
"$PY" "$(dirname "$0")/api_schema_check.py" "$OPENAPI" "$REC" >"$WORK/schema-check.log" 2>&1 ||
	fail "responses do not match the API document: $(grep -v '^ok' "$WORK/schema-check.log" | head -5)"

# ---- the event stream ----
phase event stream
"$PY" - "$EVENTS" >"$WORK/events.txt" <<'PY' || fail "event stream: $(cat "$WORK/events.txt")"
import json, sys
text = open(sys.argv[1]).read()
dec = json.JSONDecoder()
pos, events = 0, []
while True:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos == len(text):
        break
    e, pos = dec.raw_decode(text, pos)
    assert set(e) == {"timestamp", "source", "event", "properties"}, e
    assert set(e["timestamp"]) == {"secs", "nanos"} and 0 <= e["timestamp"]["nanos"] < 10**9, e
    events.append(e)
got = ["%s/%s" % (e["source"], e["event"]) for e in events]
want = ("vmm/starting vm/created vm/booting vm/booted vm/pausing vm/paused vm/resuming vm/resumed "
        "vm/rebooting vm/booting vm/booted vm/rebooted vm/shutdown vm/booting vm/booted vm/shutdown vm/deleted "
        "vm/created vm/deleted vmm/shutdown").split()
t = [e["timestamp"]["secs"] * 10**9 + e["timestamp"]["nanos"] for e in events]
print(" ".join(got))
if got != want:
    print("expected: " + " ".join(want))
    sys.exit(1)
if t != sorted(t):
    print("timestamps go backwards")
    sys.exit(1)
PY
pass "$N responses match the API document; boots 1→2 (reboot)→3 (shutdown+boot); paused $a=$b ticks, resumed to $c; $(wc -w <"$WORK/events.txt") events"
