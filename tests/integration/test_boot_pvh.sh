#!/bin/bash
# vmlinux through the PVH entry point (Xen ELF note, hvm_start_info).
. "$(dirname "$0")/lib.sh"
need_kvm
boot_script 'cat /proc/cmdline; grep -c processor /proc/cpuinfo' --boot-entry pvh --memory size=256M \
	--cmdline "console=ttyS0 reboot=k panic=1 pvh_marker=1"
expect_rc 0
expect_test_ok
expect_serial "pvh_marker=1"
grep -q "(PVH)" "$WORK/nimbus.log" || fail "nimbus did not use the PVH entry"
pass
