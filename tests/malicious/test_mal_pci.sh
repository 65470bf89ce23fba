#!/bin/bash
# Malicious guest: PCI configuration space of every slot, BARs overlapping RAM,
# ECAM, the APICs and another device's BAR, and MSI-X table/PBA abuse with
# garbage messages (see guest_pci.c). nimbus must keep running, refuse the
# overlaps, and both virtio devices must answer afterwards.
. "$(dirname "$0")/lib.sh"
mal_run pci 200 -v --console null
mal_expect pci 40
pass "$(mal_summary)"
