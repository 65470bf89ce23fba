#!/usr/bin/env python3
"""virtq-write-check.py DUMP — check a write log made by virtq-write-log.patch.

Every rx data write ('D') and num_buffers write ('N') of virtio-net must lie in
a writable buffer of a chain popped ('p') and not yet pushed ('U' in the rx used
ring), and every rx push must be for a chain in flight. Prints each violation
and a count. Experiment tooling: see docs/harness.md, "Open problem".
"""
import sys

recs = []
for line in open(sys.argv[1]):
    if not line.strip() or line[0] in "#S":
        continue
    t, kind, gpa, length, aux = line.split()
    recs.append((int(t), kind, int(gpa, 16), int(length), int(aux)))

# The rx used ring is the page of the 'U' that follows an 'N'.
rx_used_pages = {recs[i + 1][2] & ~0xFFF for i in range(len(recs) - 1)
                 if recs[i][1] == "N" and recs[i + 1][1] == "U"}
in_flight = {}  # head -> (gpa, len) of its writable buffer, rx chains only
bad = 0
for i, (t, kind, gpa, length, aux) in enumerate(recs):
    if kind == "p" and i + 1 < len(recs) and recs[i + 1][1] == "D" and recs[i + 1][4] == aux:
        if aux in in_flight:
            bad += 1
            print(f"{t}: rx head {aux} popped again while in flight")
        in_flight[aux] = (gpa, length)
    elif kind in "DN":
        inside = [b for h, b in in_flight.items() if (kind == "N" or h == aux)
                  and b[0] <= gpa and gpa + length <= b[0] + b[1]]
        if not inside:
            bad += 1
            print(f"{t}: {kind} write at 0x{gpa:x}+{length} outside every rx buffer in flight")
    elif kind == "U" and (gpa & ~0xFFF) in rx_used_pages:
        if in_flight.pop(aux, None) is None:
            bad += 1
            print(f"{t}: rx push of head {aux}, not in flight")
print(f"{len(recs)} records, rx used ring page(s) {[hex(p) for p in rx_used_pages]}, {bad} violation(s)")
sys.exit(1 if bad else 0)
