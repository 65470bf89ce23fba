#!/bin/bash
# --cpus boot=8: the guest sees 4 CPUs online (MP table, APIC IDs, CPUID topology).
# emulated-host-cpus: 8
. "$(dirname "$0")/lib.sh"
need_kvm
boot_script 'echo "online=$(cat /sys/devices/system/cpu/online) nproc=$(nproc)"' --cpus boot=8 --memory size=256M
expect_rc 0
expect_test_ok
expect_serial "online=0-7 nproc=8"
pass
