#!/bin/bash
# bench/blk/run.sh [MIB] — virtio-blk throughput: in-guest sequential read
# and write MiB/s (1 MiB blocks) and 4 KiB random read/write IOPS, all with
# O_DIRECT in the guest, on nimbus and on QEMU -M q35 (virtio-blk-pci,
# cache=writeback, aio=threads) with the same image in the same run, and
# the host running the same tool on the image file (O_DIRECT where the
# filesystem allows it). Prints each result and the ratios.
# (QEMU 10's -M microvm gave its guest an empty DSDT here (no PCI, /init never printed), so the PCI peer is -M q35;
# the device model is the same virtio-blk-pci.)
# Inside the emulated KVM host (no fast /dev/kvm) the absolute numbers are
# those of a TCG-emulated machine: compare ratios only.
. "$(dirname "$0")/../lib.sh"
MIB=${1:-256}
bench_prepare blk
gcc -static -O2 -o "$BUILD/bench-blk/blkbench" bench/blk/blkbench.c
cat >"$BUILD/bench-blk/guest.sh" <<G
for m in seqwrite seqread; do /bin/blkbench /dev/vda \$m 1048576 $MIB direct; done
for m in randwrite randread; do /bin/blkbench /dev/vda \$m 4096 $MIB direct; done
G
bench_initrd blk "$BUILD/bench-blk/blkbench=/bin/blkbench"
bench_run blk 3000 bash bench/blk/driver.sh "$BUILD" "$MIB"
