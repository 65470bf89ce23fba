#!/bin/bash
# ACPI reset register: the guest's `reboot` (reboot=a) makes nimbus rebuild the
# VM and boot the kernel again (cloud-hypervisor's behaviour); the guest here
# reboots on every boot, so after the second boot the test stops nimbus.
. "$(dirname "$0")/lib.sh"
need_kvm
printf 'echo "booted-once"; sync; reboot -f\n' >"$WORK/test.sh"
initrd=$(make_initramfs "$WORK/test.sh")
"$NIMBUS" --kernel "$GUEST/vmlinux" --initramfs "$initrd" --memory size=256M \
	--cmdline "console=ttyS0 reboot=a panic=1 quiet" --serial "file=$WORK/serial.log" \
	--log-file "$WORK/nimbus.log" -v </dev/null &
pid=$!
secs=$((180 * TIMEOUT_SCALE))
for _ in $(seq 1 $((secs * 2))); do
	[ "$(grep -c booted-once "$WORK/serial.log" 2>/dev/null)" -ge 2 ] && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.5
done
kill -TERM $pid 2>/dev/null
RC=0
wait $pid || RC=$?
n=$(grep -c booted-once "$WORK/serial.log")
[ "$n" -ge 2 ] || fail "guest booted $n time(s), expected a second boot after the ACPI reset"
grep -q "guest reboot (ACPI reset register)" "$WORK/nimbus.log" || fail "no ACPI reset seen"
grep -q "rebooting the VM (boot 2)" "$WORK/nimbus.log" || fail "nimbus did not rebuild the VM"
expect_rc 0
pass "$n boots"
