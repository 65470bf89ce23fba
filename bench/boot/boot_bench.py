#!/usr/bin/env python3
"""bench/boot: process start -> the guest's first userspace write to port 0x80.

nimbus and QEMU (-M microvm,acpi=off: with ACPI, QEMU 10's microvm gave the guest an
empty DSDT and /init never ran) boot the same kernel, initramfs and command line
in the same run, alternately, RUNS times each. The guest's /init writes 0x61 (a userspace code in cloud-hypervisor's ranges)
to port 0x80 as its first action. nimbus logs that write (its debug port, -v,
stderr); QEMU gets an isa-debugcon at 0x80 whose output is its stdout. In both
cases this script timestamps the event when it arrives on the pipe, measured
from just before spawning the VMM, so both carry the same overheads.

While the guest then sleeps, the VMM's own memory is sampled from
/proc/PID/status: guest RAM is a memfd (shared memory) for both VMMs, so
RssAnon + RssFile is the VMM's overhead, apart from guest memory touched.

Prints medians and the nimbus/QEMU ratios. Numbers, not pass/fail.
"""
import os, select, statistics, subprocess, sys, time

def rss_overhead_kib(pid):
    vals = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("RssAnon", "RssFile", "RssShmem", "VmRSS"):
                vals[k] = int(v.split()[0])
    return vals.get("RssAnon", 0) + vals.get("RssFile", 0), vals.get("RssShmem", 0)

def run_one(argv, marker, timeout):
    start = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    buf = b""
    t_user = None
    deadline = start + timeout
    fd = p.stdout.fileno()
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buf += chunk
            if marker(buf):
                t_user = time.monotonic() - start
                break
        elif p.poll() is not None:
            break
    rss = (None, None)
    if t_user is not None:
        time.sleep(1.0)  # guest idles in `sleep`
        if p.poll() is None:
            rss = rss_overhead_kib(p.pid)
    try:
        p.wait(timeout=max(5, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    return t_user, rss, buf

def main():
    nimbus, kernel, initrd, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    timeout = float(os.environ.get("BENCH_TIMEOUT", "120"))
    cmdline = "console=ttyS0 panic=1 io_delay=none quiet"
    nimbus_argv = [nimbus, "--kernel", kernel, "--initramfs", initrd, "--memory", "size=256M",
                   "--cmdline", cmdline + " reboot=k", "--serial", "null", "-v"]
    qemu_argv = ["qemu-system-x86_64", "-M", "microvm,acpi=off", "-accel", "kvm", "-cpu", "host",
                 "-m", "256M", "-object", "memory-backend-memfd,id=ram,size=256M",
                 "-machine", "memory-backend=ram", "-smp", "1",
                 "-kernel", kernel, "-initrd", initrd,
                 "-append", cmdline + " reboot=t",
                 "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
                 "-serial", "null", "-chardev", "stdio,id=dbg",
                 "-device", "isa-debugcon,iobase=0x80,chardev=dbg"]
    peers = {
        "nimbus": (nimbus_argv, lambda b: b"Userspace code 0x61" in b),
        "qemu-microvm": (qemu_argv, lambda b: b"\x61" in b),
    }
    results = {k: {"boot": [], "rss": []} for k in peers}
    for i in range(runs):
        for name, (argv, marker) in peers.items():
            t, (rss, shm), out = run_one(argv, marker, timeout)
            if t is None:
                print(f"{name} run {i + 1}: no userspace mark within {timeout:.0f} s", file=sys.stderr)
                print(out[-2000:].decode(errors="replace"), file=sys.stderr)
                continue
            results[name]["boot"].append(t)
            if rss is not None:
                results[name]["rss"].append(rss)
            print(f"{name:13s} run {i + 1}: userspace at {t * 1000:8.1f} ms, VMM RSS overhead "
                  f"{rss if rss is not None else '?'} KiB (guest RAM touched {shm} KiB)")
    med = {}
    for name in peers:
        b = results[name]["boot"]
        r = results[name]["rss"]
        if not b:
            print(f"{name}: no successful runs")
            return 1
        med[name] = (statistics.median(b), statistics.median(r) if r else float("nan"))
        print(f"{name:13s} median of {len(b)}: boot to userspace {med[name][0] * 1000:.1f} ms, "
              f"RSS overhead {med[name][1]:.0f} KiB")
    nb, nr = med["nimbus"]
    qb, qr = med["qemu-microvm"]
    print(f"ratio boot time nimbus/qemu-microvm: {nb / qb:.3f} (< 1 means nimbus is faster)")
    print(f"ratio RSS overhead nimbus/qemu-microvm: {nr / qr:.3f} (< 1 means nimbus uses less)")
    return 0

if __name__ == "__main__":
    sys.exit(main())
