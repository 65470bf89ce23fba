#!/bin/bash
# Malicious guest: random-access storms on the 16550 and the i8042 (262144 each by default),
# RTC/debug-port storms, wrong values on the ACPI PM ports, every I/O port
# read and written, MMIO floods over the 32-bit hole and the unbacked gap
# (see guest_storm.c; NIMBUS_MAL_STORM=N accesses per storm, default 262144:
# about 1.3M exits in all). Run with -vv so the debug-level "unclaimed" lines are
# on: the log must stay bounded anyway (rate limiting).
. "$(dirname "$0")/lib.sh"
mal_run storm 600 -vv --cmdline "mal_storm=${NIMBUS_MAL_STORM:-262144}"
mal_expect storm 60
pass "$(mal_summary)"
