#!/bin/bash
# vmlinux through startup_64 (64-bit boot protocol), initramfs, command line
# reaching the guest, RTC time, debug-port userspace mark, `reboot -f` → exit 0.
. "$(dirname "$0")/lib.sh"
need_kvm
host_now=$(date +%s)
boot_script 'cat /proc/cmdline; echo "guest-date=$(date +%s)"; dmesg | grep -m1 "Linux version"' \
	--boot-entry linux64 --memory size=256M --cmdline "console=ttyS0 reboot=k panic=1 nimbus_marker=4711"
expect_rc 0
expect_test_ok
expect_serial "nimbus_marker=4711"
grep -q "64-bit Linux boot protocol" "$WORK/nimbus.log" || fail "nimbus did not use the 64-bit entry"
grep -q "guest reset (i8042)" "$WORK/nimbus.log" || fail "exit was not through the i8042 reset"
grep -q "Userspace code 0x61" "$WORK/nimbus.log" || fail "no userspace mark on the debug port"
gd=$(sed -n 's/.*guest-date=\([0-9]*\).*/\1/p' "$WORK/serial.log" | head -1)
[ -n "$gd" ] || fail "guest printed no date"
d=$(( gd - host_now )); d=${d#-}
[ "$d" -lt 600 ] || fail "guest clock off by ${d}s (RTC/kvm-clock)"
pass "guest clock within ${d}s"
