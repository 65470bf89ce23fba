#!/bin/bash
# Malicious guest: random-access storms on the 16550 and the i8042 (65536 each by default:
# 32 times every register/value pair of the 16550),
# RTC/debug-port storms, wrong values on the ACPI PM ports, every I/O port
# read and written, MMIO floods over the 32-bit hole and the unbacked gap
# (see guest_storm.c; NIMBUS_MAL_STORM=N accesses per storm, default 65536:
# about 0.7M exits in all, most of them the port and MMIO floods). Run with -vv so the debug-level "unclaimed" lines are
# on: the log must stay bounded anyway (rate limiting).
. "$(dirname "$0")/lib.sh"
mal_run storm 200 -vv --cmdline "mal_storm=${NIMBUS_MAL_STORM:-65536}"
mal_expect storm 60
pass "$(mal_summary)"
