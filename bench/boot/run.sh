#!/bin/bash
# bench/boot/run.sh [RUNS] — boot-time and memory-overhead benchmark of nimbus
# against QEMU microvm with acpi=off, its lightest form (same kernel, initramfs, command line, same run).
# Runs on the host's KVM or inside the emulated KVM host (scripts/pick-kvm.sh
# decides and says which); prints medians and ratios.
set -eu
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO"
RUNS=${1:-5}
BUILD=$REPO/build
scripts/install-deps.sh
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
ninja -C "$BUILD" >/dev/null
scripts/prepare-guest.sh "$BUILD/guest" >/dev/null
printf 'sleep 3\n' >"$BUILD/bench-boot.sh"
scripts/mk-overlay.sh "$BUILD/bench-boot.sh" "$BUILD/bench-boot.cpio" >/dev/null
cat "$BUILD/guest/initramfs.cpio.gz" "$BUILD/bench-boot.cpio" >"$BUILD/bench-boot.img"
where=$(scripts/pick-kvm.sh)
cmd=(python3 -u bench/boot/boot_bench.py "$BUILD/nimbus" "$BUILD/guest/vmlinux" "$BUILD/bench-boot.img" "$RUNS")
if [ "$where" = host ]; then
	echo "bench/boot: on the host's /dev/kvm"
	"${cmd[@]}"
else
	echo "bench/boot: inside the emulated KVM host (QEMU TCG + nested SVM); absolute times are inflated, compare ratios"
	tests/harness/kvm-host-run.sh --timeout 3000 -- env BENCH_TIMEOUT=300 "${cmd[@]}"
fi
