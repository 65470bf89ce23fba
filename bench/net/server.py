#!/usr/bin/env python3
"""bench/net/server.py MIB LABEL [COMM] — the host end of one throughput run.

Listens on 5001 (the guest sends MIB MiB: timed from accept to the guest's
EOF) and 5002 (sends the guest BENCH_H2G_MIB MiB, default MIB, then waits
for the guest to close:
timed from accept to that close, so the data has really arrived). Prints
"BENCH LABEL g2h MiB/s=X" and "BENCH LABEL h2g MiB/s=Y". Gives up after
BENCH_TIMEOUT seconds (default 900).

With COMM (a process name as /proc/PID/comm gives it, e.g. "nimbus"), each
line also gives the CPU seconds (user + system, all threads, the guest's
own time included) that processes of that name spent during the transfer,
and MiB moved per such CPU second: what the VMM's polling costs. The guest
moves one direction after the other, so the two windows do not overlap.
"""
import os, socket, sys, threading, time

mib, label = int(sys.argv[1]), sys.argv[2]
comm = sys.argv[3] if len(sys.argv) > 3 else None
total = mib << 20
h2g_mib = int(os.environ.get("BENCH_H2G_MIB", mib))
res = {}
TICK = os.sysconf("SC_CLK_TCK")

def cpu_seconds():
    """user + system seconds of every process whose comm is `comm`."""
    if comm is None:
        return None
    ticks = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        if name == comm:
            fields = stat[stat.rindex(")") + 2:].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / TICK

def listener(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(1)
    return s

def g2h(s):
    c, _ = s.accept()
    t0, c0 = time.monotonic(), cpu_seconds()
    n = 0
    while True:
        b = c.recv(1 << 20)
        if not b:
            break
        n += len(b)
    res["g2h"] = (n, time.monotonic() - t0, c0, cpu_seconds())
    c.close()

def h2g(s):
    c, _ = s.accept()
    t0, c0 = time.monotonic(), cpu_seconds()
    buf = b"\0" * (1 << 20)
    for _ in range(h2g_mib):
        c.sendall(buf)
    c.shutdown(socket.SHUT_WR)
    while c.recv(4096):
        pass
    res["h2g"] = (h2g_mib << 20, time.monotonic() - t0, c0, cpu_seconds())
    c.close()

socks = {5001: listener(5001), 5002: listener(5002)}
ts = [threading.Thread(target=g2h, args=(socks[5001],), daemon=True),
      threading.Thread(target=h2g, args=(socks[5002],), daemon=True)]
for t in ts:
    t.start()
deadline = time.monotonic() + float(os.environ.get("BENCH_TIMEOUT", "900"))
for t in ts:
    t.join(max(0, deadline - time.monotonic()))
for k in ("g2h", "h2g"):
    if k in res:
        n, dt, c0, c1 = res[k]
        want = total if k == "g2h" else h2g_mib << 20
        ok = "" if n == want else f" (only {n} of {want} bytes)"
        cpu = ""
        if c0 is not None and c1 > c0:
            cpu = f" cpu={c1 - c0:.2f} MiB/cpu-s={n / (c1 - c0) / (1 << 20):.3f}"
        print(f"BENCH {label} {k} MiB/s={n / dt / (1 << 20):.3f} bytes={n} secs={dt:.2f}{cpu}{ok}", flush=True)
    else:
        print(f"BENCH {label} {k} no result", flush=True)
