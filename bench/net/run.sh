#!/bin/bash
# bench/net/run.sh [MIB] — virtio-net TCP throughput, guest->host and
# host->guest, MIB MiB each way (default 64) with busybox nc in the guest
# (dd from /dev/zero into nc; nc into /dev/null) and server.py on the host
# end of a tap in a network namespace. nimbus and QEMU -M microvm
# (virtio-net-pci, tap, vhost=off) in the same run, one after the other,
# each on a fresh tap of the same kind; prints MiB/s and the ratios.
# Inside the emulated KVM host (no fast /dev/kvm) the absolute numbers are
# those of a TCG-emulated machine: compare ratios only.
set -eu
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO"
MIB=${1:-64}
BUILD=$REPO/build
ninja -C "$BUILD" >/dev/null
scripts/prepare-guest.sh "$BUILD/guest" >/dev/null
mkdir -p "$BUILD/bench-net"
cat >"$BUILD/bench-net/guest.sh" <<G
ip link set eth0 up
ip addr add 10.0.0.2/24 dev eth0
ping -c 1 -W 10 10.0.0.1 >/dev/null || echo "guest: no ping reply"
dd if=/dev/zero bs=1048576 count=$MIB 2>/dev/null | nc 10.0.0.1 5001 && echo "guest: sent $MIB MiB"
nc 10.0.0.1 5002 >/dev/null && echo "guest: received"
G
scripts/mk-overlay.sh "$BUILD/bench-net/guest.sh" "$BUILD/bench-net/overlay.cpio" >/dev/null
cat "$BUILD/guest/initramfs.cpio.gz" "$BUILD/bench-net/overlay.cpio" >"$BUILD/bench-net/initrd.img"
cmd=(bash bench/net/driver.sh "$BUILD" "$MIB")
if [ "$(scripts/pick-kvm.sh)" = host ]; then
	echo "bench/net: on the host's /dev/kvm"
	"${cmd[@]}"
else
	echo "bench/net: inside the emulated KVM host (QEMU TCG + nested SVM); absolute numbers are those of an emulated machine, compare ratios"
	tests/harness/kvm-host-run.sh --timeout 3600 -- "${cmd[@]}"
fi
