#!/bin/bash
# SIGTERM while the guest runs: nimbus stops its vCPUs, tears down, exits 0.
. "$(dirname "$0")/lib.sh"
need_kvm
printf 'echo guest-sleeping; sleep 600\n' >"$WORK/test.sh"
initrd=$(make_initramfs "$WORK/test.sh")
"$NIMBUS" --kernel "$GUEST/vmlinux" --initramfs "$initrd" --cmdline "$GUEST_CMDLINE" --memory size=256M --cpus boot=2 \
	--serial "file=$WORK/serial.log" --log-file "$WORK/nimbus.log" -v </dev/null &
pid=$!
wait_for "$WORK/serial.log" guest-sleeping $pid || { kill -9 $pid; fail "guest never started"; }
kill -TERM $pid
RC=0
for _ in $(seq 1 40); do kill -0 $pid 2>/dev/null || break; sleep 0.25; done
if kill -0 $pid 2>/dev/null; then kill -9 $pid; fail "nimbus still running 10 s after SIGTERM"; fi
wait $pid || RC=$?
expect_rc 0
grep -q "VM stopped: received Terminated" "$WORK/nimbus.log" || fail "no clean-stop log line"
pass
