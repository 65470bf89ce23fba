#!/bin/bash
# ACPI: the guest finds the tables (RSDP → XSDT → FADT/MADT/DSDT/MCFG) with no
# ACPI errors, uses ECAM (MCFG) for PCI, sees 2 of 4 described CPUs enabled
# (--cpus boot=2,max=4), and `poweroff -f` → ACPI S5 → exit 0.
. "$(dirname "$0")/lib.sh"
need_kvm
boot_script 'dmesg | grep -E "ACPI: (RSDP|XSDT|FACP|DSDT|APIC|MCFG)"
dmesg | grep -ciE "ACPI (BIOS )?(Error|Exception)" | sed "s/^/acpi-errors=/"
dmesg | grep -m1 -i "MMCONFIG for domain"
dmesg | grep -m1 "reserved in ACPI motherboard resources"
dmesg | grep -m1 "smpboot: Allowing"
echo "online=$(cat /sys/devices/system/cpu/online)"
sync; poweroff -f' --memory size=256M --cpus boot=2,max=4 --cmdline "console=ttyS0 panic=1"
expect_rc 0
for t in RSDP XSDT FACP DSDT APIC MCFG; do expect_serial "ACPI: $t "; done
expect_serial "acpi-errors=0"
expect_serial "MMCONFIG for domain 0000 \[bus 00-00\] at \[mem 0xe0000000-0xe00fffff\]"
expect_serial "MMCONFIG at \[mem 0xe0000000-0xe00fffff\] reserved in ACPI motherboard resources"
expect_serial "smpboot: Allowing 4 CPUs, 2 hotplug CPUs"
expect_serial "online=0-1"
grep -q "guest powered off (ACPI S5)" "$WORK/nimbus.log" || fail "nimbus did not see the ACPI S5 power-off"
pass
