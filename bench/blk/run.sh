#!/bin/bash
# bench/blk/run.sh [MIB] — virtio-blk throughput: in-guest sequential read
# and write MiB/s (1 MiB blocks) and 4 KiB random read/write IOPS, all with
# O_DIRECT in the guest, on nimbus and on QEMU -M microvm (virtio-blk-pci,
# cache=writeback, aio=threads) with the same image in the same run, and
# the host running the same tool on the image file (O_DIRECT where the
# filesystem allows it). Prints each result and the ratios.
# Inside the emulated KVM host (no fast /dev/kvm) the absolute numbers are
# those of a TCG-emulated machine: compare ratios only.
set -eu
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO"
MIB=${1:-256}
BUILD=$REPO/build
ninja -C "$BUILD" >/dev/null
scripts/prepare-guest.sh "$BUILD/guest" >/dev/null
mkdir -p "$BUILD/bench-blk"
gcc -static -O2 -o "$BUILD/bench-blk/blkbench" bench/blk/blkbench.c
cat >"$BUILD/bench-blk/guest.sh" <<G
for m in seqwrite seqread; do /bin/blkbench /dev/vda \$m 1048576 $MIB direct; done
for m in randwrite randread; do /bin/blkbench /dev/vda \$m 4096 $MIB direct; done
G
scripts/mk-overlay.sh "$BUILD/bench-blk/guest.sh" "$BUILD/bench-blk/overlay.cpio" "$BUILD/bench-blk/blkbench=/bin/blkbench" >/dev/null
cat "$BUILD/guest/initramfs.cpio.gz" "$BUILD/bench-blk/overlay.cpio" >"$BUILD/bench-blk/initrd.img"
cmd=(bash bench/blk/driver.sh "$BUILD" "$MIB")
if [ "$(scripts/pick-kvm.sh)" = host ]; then
	echo "bench/blk: on the host's /dev/kvm"
	"${cmd[@]}"
else
	echo "bench/blk: inside the emulated KVM host (QEMU TCG + nested SVM); absolute numbers are inflated, compare ratios"
	tests/harness/kvm-host-run.sh --timeout 3000 -- "${cmd[@]}"
fi
