# tests/integration/lib.sh — helpers for the integration tests (sourced).
#
# Each test_*.sh is a bash script that sources this file, boots the default
# guest (build/guest, made by scripts/prepare-guest.sh) with a script to run
# inside it, and checks the serial output and nimbus's exit code. A test
# exits 0 on pass, 1 on fail; it never skips: without a usable /dev/kvm it
# fails (the runner puts the whole suite inside the emulated KVM host).

set -u
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${NIMBUS_BUILD:-$REPO/build}
NIMBUS=${NIMBUS_BIN:-$BUILD/nimbus}
GUEST=${NIMBUS_GUEST:-$BUILD/guest}
TEST_NAME=$(basename "$0" .sh)
# Keep guest output off slow shared filesystems (the emulated KVM host's 9p
# share costs a round trip per serial byte): work in a local directory and
# copy it to $BUILD/itest/ when the test ends.
WORK=${NIMBUS_TEST_WORK:-${TMPDIR:-/tmp}/nimbus-itest}/$TEST_NAME
RESULT_DIR=$BUILD/itest/$TEST_NAME
# Only regular files, and no disk or initramfs images: copying those over the
# 9p share is slow, and the share refuses FIFOs and sockets.
save_work() {
	rm -rf "$RESULT_DIR"
	mkdir -p "$RESULT_DIR" &&
		(cd "$WORK" && find . -type f ! -name '*.img' ! -name '*.cpio' -exec cp --parents -t "$RESULT_DIR" {} +) 2>/dev/null
}
trap save_work EXIT
# The test guests' kernel command line. "quiet" because every byte of the
# kernel's log costs two VM exits on the 16550: in the emulated KVM host that
# was 9 s of an 18 s boot. Warnings, oopses and panics still reach the serial
# log, and dmesg in the guest has everything. run_nimbus passes it unless the
# test gives its own --cmdline; tests that start nimbus themselves pass it.
GUEST_CMDLINE="console=ttyS0 reboot=k panic=1 quiet"
# Guests boot much slower inside the emulated KVM host: scale timeouts.
TIMEOUT_SCALE=${NIMBUS_TIMEOUT_SCALE:-1}
rm -rf "$WORK"
mkdir -p "$WORK"

fail() {
	echo "FAIL $TEST_NAME: $*" >&2
	if [ -f "$WORK/serial.log" ]; then
		echo "---- last serial output ($WORK/serial.log) ----" >&2
		tail -n 25 "$WORK/serial.log" >&2
	fi
	if [ -f "$WORK/nimbus.log" ]; then
		echo "---- nimbus log ----" >&2
		tail -n 15 "$WORK/nimbus.log" >&2
	fi
	if [ -f "$WORK/threads-at-timeout.txt" ]; then
		echo "---- nimbus threads when the time ran out ----" >&2
		grep '^==' "$WORK/threads-at-timeout.txt" >&2
	fi
	exit 1
}

pass() {
	echo "PASS $TEST_NAME${1:+: $1}"
	exit 0
}

need_kvm() {
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || fail "no usable /dev/kvm (run through tests/run-integration.sh, which uses the emulated KVM host when needed)"
	[ -x "$NIMBUS" ] || fail "nimbus not built at $NIMBUS"
	[ -f "$GUEST/vmlinux" ] || fail "default guest missing in $GUEST (run scripts/prepare-guest.sh)"
}

# make_initramfs SCRIPT → prints the path of base initramfs + overlay with
# /test.sh and the files listed in the array OVERLAY_FILES (SRC=/GUEST/PATH).
OVERLAY_FILES=()
make_initramfs() {
	local script=$1 out="$WORK/initramfs.img"
	"$REPO/scripts/mk-overlay.sh" "$script" "$WORK/overlay.cpio" ${OVERLAY_FILES[@]+"${OVERLAY_FILES[@]}"} >/dev/null ||
		fail "mk-overlay failed"
	cat "$GUEST/initramfs.cpio.gz" "$WORK/overlay.cpio" >"$out"
	echo "$out"
}

# run_nimbus SECONDS ARGS... : runs nimbus with serial to $WORK/serial.log and
# its log to $WORK/nimbus.log; sets RC to its exit code (124 = timeout).
run_nimbus() {
	local secs=$(( $1 * TIMEOUT_SCALE ))
	shift
	RC=0
	rm -f "$WORK/timed-out"
	local arg kernel=0 cmdline=()
	for arg in "$@"; do
		case $arg in --kernel) kernel=1 ;; --cmdline) kernel=0; break ;; esac
	done
	[ $kernel = 1 ] && cmdline=(--cmdline "$GUEST_CMDLINE")
	"$NIMBUS" --serial "file=$WORK/serial.log" --log-file "$WORK/nimbus.log" -v ${cmdline[@]+"${cmdline[@]}"} "$@" \
		</dev/null >"$WORK/stdout.log" 2>"$WORK/stderr.log" &
	local pid=$!
	# On timeout: record what every nimbus thread was doing, then TERM, KILL.
	(
		timeout "$secs" tail --pid="$pid" -f /dev/null && exit 0 # nimbus ended in time
		kill -0 "$pid" 2>/dev/null || exit 0
		touch "$WORK/timed-out"
		dump_threads "$pid" >"$WORK/threads-at-timeout.txt" 2>&1
		kill -TERM "$pid" 2>/dev/null
		sleep 10
		kill -KILL "$pid" 2>/dev/null
	) </dev/null >/dev/null 2>&1 &
	local watchdog=$!
	wait "$pid" || RC=$?
	wait "$watchdog" 2>/dev/null # ends within a second of nimbus
	[ ! -e "$WORK/timed-out" ] || RC=124
}

# dump_threads PID: name, state, wait channel, current system call and
# kernel stack of each thread (a debugging aid for hangs).
dump_threads() {
	local t
	for t in /proc/"$1"/task/*; do
		echo "== $(cat "$t/comm") tid=${t##*/} state=$(cut -d' ' -f3 "$t/stat") wchan=$(cat "$t/wchan") syscall=$(cat "$t/syscall")"
		cat "$t/stack" 2>/dev/null | head -n 12
	done
}

# boot_script SCRIPT_TEXT [nimbus args...]: boots the default vmlinux with the
# script as /test.sh; default 1 vCPU, 256M.
boot_script() {
	local text=$1
	shift
	printf '%s\n' "$text" >"$WORK/test.sh"
	local initrd
	initrd=$(make_initramfs "$WORK/test.sh")
	run_nimbus 120 --kernel "$GUEST/vmlinux" --initramfs "$initrd" "$@"
}

# boot_and_type OUT PATTERN TEXT [nimbus args...]: boots the default vmlinux
# with $WORK/test.sh as /test.sh (256M, at most 120 s scaled) with nimbus's
# stdin a fifo and its stdout in $WORK/OUT (for --serial tty or --console
# tty); once OUT shows PATTERN (or wait_for gives up), types TEXT and a
# carriage return on that stdin and waits for nimbus; sets RC to its exit
# code (124 = timeout).
boot_and_type() {
	local out=$1 pattern=$2 text=$3 initrd pid
	shift 3
	initrd=$(make_initramfs "$WORK/test.sh")
	mkfifo "$WORK/in"
	timeout -k 5 $((120 * TIMEOUT_SCALE)) "$NIMBUS" --kernel "$GUEST/vmlinux" --initramfs "$initrd" \
		--cmdline "$GUEST_CMDLINE" --memory size=256M "$@" <"$WORK/in" >"$WORK/$out" 2>"$WORK/stderr.log" &
	pid=$!
	exec 3>"$WORK/in"
	wait_for "$WORK/$out" "$pattern" $pid || true
	printf '%s\r' "$text" >&3
	RC=0
	wait $pid || RC=$?
	exec 3>&-
}

# wait_for FILE PATTERN PID [SECS]: wait until FILE contains PATTERN (0), or
# PID exits / SECS (scaled, default 120) pass (1).
wait_for() {
	local file=$1 pattern=$2 pid=$3 secs=$(( ${4:-120} * TIMEOUT_SCALE ))
	for _ in $(seq 1 $((secs * 2))); do
		grep -q -- "$pattern" "$file" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	grep -q -- "$pattern" "$file" 2>/dev/null
}

# Guest shell lines (for a guest with a --disk of at least 2 MiB as
# /dev/vda): write 2 MiB of random data to the disk with O_DIRECT, drop the
# page cache, read it back and print "disk-ok" when it matches. Expand it in
# an unquoted heredoc (the guest's own $ there then need a backslash).
# shellcheck disable=SC2016,SC2034 # the $ are the guest's; the tests use it
GUEST_DISK_ROUNDTRIP='dd if=/dev/urandom of=/tmp/data bs=1M count=2 2>/dev/null
dd if=/tmp/data of=/dev/vda bs=1M oflag=direct 2>/dev/null
sync
echo 3 >/proc/sys/vm/drop_caches
[ "$(head -c 2097152 /dev/vda | md5sum | cut -d" " -f1)" = "$(md5sum </tmp/data | cut -d" " -f1)" ] && echo disk-ok'

expect_rc() {
	[ "$RC" = "$1" ] || fail "nimbus exit code $RC, expected $1"
}

expect_serial() {
	grep -q -- "$1" "$WORK/serial.log" 2>/dev/null || fail "serial output lacks '$1'"
}

expect_test_ok() {
	expect_serial "NIMBUS-TEST-EXIT=0"
}
