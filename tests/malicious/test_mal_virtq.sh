#!/bin/bash
# Malicious guest: virtqueue and transport attacks on virtio-rng (see
# guest_virtq.c): descriptor loops, out-of-range/overflowing/huge buffers and
# indirect tables, bad ring addresses and sizes, early/late notifications, a
# common-config storm. Every attack must give DEVICE_NEEDS_RESET (or be
# refused) and the device must work again after a reset.
. "$(dirname "$0")/lib.sh"
mal_run virtq 200 -v
mal_expect virtq 40
pass "$(mal_summary)"
