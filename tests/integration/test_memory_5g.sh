#!/bin/bash
# --memory size=5G: RAM above 4 GiB is visible in the guest (e820 split around the hole).
. "$(dirname "$0")/lib.sh"
need_kvm
boot_script 'grep MemTotal /proc/meminfo; dmesg | grep -i "e820: \[mem 0x0000000100000000"' --memory size=5G
expect_rc 0
expect_test_ok
kb=$(sed -n 's/.*MemTotal: *\([0-9]*\) kB.*/\1/p' "$WORK/serial.log" | head -1)
[ -n "$kb" ] || fail "no MemTotal in guest output"
[ "$kb" -gt $((4600 * 1024)) ] || fail "guest MemTotal ${kb} kB, expected > 4.6 GiB"
expect_serial "0x0000000100000000-0x000000017fffffff\] usable"
pass "MemTotal ${kb} kB"
