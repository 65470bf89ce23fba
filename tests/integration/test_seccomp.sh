#!/bin/bash
# seccomp (issue 8): every nimbus thread runs under its own filter, a
# forbidden call from each kind of thread kills nimbus with one clear line,
# and --seccomp false / log turn that off.
#  1. One filtered run (the default): the default guest with a disk,
#     virtio-console and the API. While the guest runs and an API connection
#     is held open, every thread of nimbus shows "Seccomp: 2" in
#     /proc/PID/task/*/status, with the filters each kind stacks (the control
#     thread and the API listener 1; vCPUs, virtio I/O threads and API
#     connections 2: their creator's and their own); the guest's disk,
#     console and rng work, pause/resume/counters answer, SIGTERM → exit 0.
#  2. NIMBUS_SECCOMP_PROBE=<kind> for each kind (vmm, vcpu, virtio,
#     api-listen, api-conn): that thread makes a forbidden call right after
#     its filter is on → nimbus exits 1 and its log says
#     "seccomp: thread T (<kind> filter) made a forbidden system call 135 (personality)".
#  3. --seccomp false with all five probes: nothing is denied, no thread has
#     a filter, the API answers, SIGTERM → exit 0.
#  4. --seccomp log with all five probes: filters on, the probes are allowed
#     (the kernel logs them), the API answers, SIGTERM → exit 0.
. "$(dirname "$0")/lib.sh"
need_kvm
command -v python3 >/dev/null || fail "python3 missing"
command -v curl >/dev/null || fail "curl missing"
SOCK=$WORK/api.sock
KINDS="vmm vcpu virtio api-listen api-conn"
# Steps 2-4 boot a guest that only sleeps, so the VM (and nimbus) stays up
# while the test looks at it. (Not a kernel left at its panic with panic=0:
# that spins with interrupts off, and the emulated KVM host wedged on it once.)
printf 'sleep 100000\n' >"$WORK/sleep.sh"
mv "$(make_initramfs "$WORK/sleep.sh")" "$WORK/sleep-initramfs.img"
HANG=(--initramfs "$WORK/sleep-initramfs.img" --cmdline "$GUEST_CMDLINE")

# threads PID: "comm Seccomp Seccomp_filters" per thread, while an API
# connection that served two requests is held open (so an api-conn thread
# exists).
threads() {
	python3 - "$SOCK" "$1" <<'PY'
import os, socket, sys, time
sock, pid = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX)
s.connect(sock)
# Two requests on one keep-alive connection: the second runs on a thread
# whose filter is already on.
for _ in range(2):
    s.sendall(b"GET /api/v1/vmm.ping HTTP/1.1\r\nHost: localhost\r\n\r\n")
    data = b""
    while b"version" not in data:
        chunk = s.recv(4096)
        if not chunk:
            sys.exit("connection closed")
        data += chunk
time.sleep(0.3)
for t in sorted(os.listdir(f"/proc/{pid}/task"), key=int):
    try:
        comm = open(f"/proc/{pid}/task/{t}/comm").read().strip()
        st = {}
        for line in open(f"/proc/{pid}/task/{t}/status"):
            k, _, v = line.partition(":")
            st[k] = v.strip()
    except OSError:
        continue
    print(comm, st.get("Seccomp", "?"), st.get("Seccomp_filters", "?"))
s.close()
PY
}

start_nimbus() { # LOG ARGS...: nimbus in the background, $pid; waits for the socket
	local log=$1
	shift
	rm -f "$SOCK"
	"$NIMBUS" --api-socket "path=$SOCK" --log-file "$log" -v "$@" </dev/null >"$WORK/stdout.log" 2>>"$WORK/stderr.log" &
	pid=$!
	for _ in $(seq 1 $((100 * TIMEOUT_SCALE))); do [ -S "$SOCK" ] && return 0; kill -0 $pid 2>/dev/null || return 1; sleep 0.1; done
	return 1
}

stop_nimbus() { # → RC
	kill -TERM $pid 2>/dev/null
	RC=0
	wait $pid || RC=$?
}

ping_api() { curl -s --max-time 10 --unix-socket "$SOCK" http://localhost/api/v1/vmm.ping | grep -q '"version"'; }

# ---- 1. everything filtered, the guest working ----
truncate -s 64M "$WORK/disk.img"
cat >"$WORK/test.sh" <<GUEST
echo "rng \$(head -c 4096 /dev/hwrng | wc -c)"
echo console-hello >/dev/hvc0
$GUEST_DISK_ROUNDTRIP
echo guest-ready
while true; do sleep 1; done
GUEST
initrd=$(make_initramfs "$WORK/test.sh")
start_nimbus "$WORK/nimbus.log" --kernel "$GUEST/vmlinux" --initramfs "$initrd" --cmdline "$GUEST_CMDLINE" --serial "file=$WORK/serial.log" \
	--disk "path=$WORK/disk.img" --console "file=$WORK/console.log" || fail "nimbus did not start"
wait_for "$WORK/serial.log" guest-ready $pid 180 || fail "guest did not get ready"
expect_serial "rng 4096"
expect_serial disk-ok
grep -q console-hello "$WORK/console.log" || fail "virtio-console output missing"
curl -s -X PUT --unix-socket "$SOCK" http://localhost/api/v1/vm.pause >/dev/null
curl -s -X PUT --unix-socket "$SOCK" http://localhost/api/v1/vm.resume >/dev/null
curl -s --unix-socket "$SOCK" http://localhost/api/v1/vm.counters | grep -q exits_io || fail "vm.counters"
threads $pid >"$WORK/threads.txt" || fail "cannot list nimbus's threads"
cat "$WORK/threads.txt"
# comm → expected number of stacked filters
for want in "nimbus 1" "vcpu0 2" "virtio-rng0 2" "virtio-console1 2" "virtio-blk2 2" "api-listen 1" "api-conn 2"; do
	set -- $want
	grep -q "^$1 2 $2\$" "$WORK/threads.txt" || fail "thread $1: not 'Seccomp 2' with $2 filter(s): $(grep "^$1 " "$WORK/threads.txt" | head -1)"
done
# Every thread of ours is filtered (kvm-* and iou-* are the kernel's own
# workers for KVM and io_uring, listed in the thread group; they run no user code).
KERNEL_WORKERS='^(kvm-|iou-)'
unfiltered=$(grep -Ev "$KERNEL_WORKERS" "$WORK/threads.txt" | awk '$2 != 2' | tr '\n' ';')
[ -z "$unfiltered" ] || fail "threads without a filter: $unfiltered"
ping_api || fail "API stopped answering"
stop_nimbus
expect_rc 0
grep -q "seccomp: thread" "$WORK/nimbus.log" && fail "a call was denied: $(grep 'seccomp: thread' "$WORK/nimbus.log")"
summary1="$(grep -Evc "$KERNEL_WORKERS" "$WORK/threads.txt") threads filtered"

# ---- 2. a forbidden call from each kind of thread kills nimbus ----
for kind in $KINDS; do
	log=$WORK/probe-$kind.log
	NIMBUS_SECCOMP_PROBE=$kind start_nimbus "$log" --kernel "$GUEST/vmlinux" --serial null "${HANG[@]}"
	# The API threads probe on the first connection.
	for _ in $(seq 1 $((60 * TIMEOUT_SCALE))); do
		kill -0 $pid 2>/dev/null || break
		curl -s --max-time 2 --unix-socket "$SOCK" http://localhost/api/v1/vmm.ping >/dev/null
		sleep 0.5
	done
	if kill -0 $pid 2>/dev/null; then
		stop_nimbus
		fail "probe $kind: nimbus survived a forbidden call"
	fi
	RC=0
	wait $pid || RC=$?
	[ "$RC" = 1 ] || fail "probe $kind: exit code $RC, expected 1"
	grep -qE "seccomp: thread [^ ]+ \($kind filter\) made a forbidden system call 135 \(personality\);" "$log" ||
		fail "probe $kind: no clear seccomp line in the log: $(tail -2 "$log")"
	grep -q "was allowed" "$log" && fail "probe $kind: the call was allowed"
	echo "probe $kind: $(grep -o 'seccomp: thread.*call 135 (personality)' "$log")"
done

# ---- 3. --seccomp false: no filters, the probes' calls are allowed ----
# ---- 4. --seccomp log: filters on, denied calls only logged ----
all=$(echo $KINDS | tr ' ' ',')
for mode in false log; do
	log=$WORK/mode-$mode.log
	NIMBUS_SECCOMP_PROBE=$all start_nimbus "$log" --seccomp $mode --kernel "$GUEST/vmlinux" --serial null "${HANG[@]}" ||
		fail "--seccomp $mode: nimbus did not start"
	ping_api || fail "--seccomp $mode: API does not answer"
	threads $pid >"$WORK/threads-$mode.txt" || fail "--seccomp $mode: cannot list threads"
	for _ in $(seq 1 $((40 * TIMEOUT_SCALE))); do
		[ "$(grep -c 'the forbidden call was allowed' "$log")" -ge 5 ] && break
		sleep 0.5
	done
	for kind in $KINDS; do
		grep -q "($kind): the forbidden call was allowed" "$log" || fail "--seccomp $mode: probe $kind did not run or was denied"
	done
	want=0
	[ $mode = log ] && want=2
	bad=$(grep -Ev "$KERNEL_WORKERS" "$WORK/threads-$mode.txt" | awk -v w=$want '$2 != w' | tr '\n' ';')
	[ -z "$bad" ] || fail "--seccomp $mode: threads not in seccomp mode $want: $bad"
	ping_api || fail "--seccomp $mode: API stopped answering"
	stop_nimbus
	expect_rc 0
	grep -q "seccomp: thread" "$log" && fail "--seccomp $mode: a call was denied"
done

pass "$summary1; each kind's probe killed nimbus (exit 1, named in the log); --seccomp false/log let all 5 probes through"
