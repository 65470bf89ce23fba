#!/bin/bash
# bench/net/run.sh [MIB [ROUNDS [H2G_MIB]]] — virtio-net TCP throughput: MIB MiB
# guest->host (default 64) and H2G_MIB MiB host->guest (default 8 x MIB: that
# direction is ~15x faster and needs the longer run) with busybox nc in the guest
# (dd from /dev/zero into nc; nc into /dev/null) and server.py on the host
# end of a tap in a network namespace. nimbus and QEMU -M q35
# (virtio-net-pci, tap, vhost=off; QEMU 10's -M microvm gave its guest an empty DSDT here (no PCI, /init never printed), so the PCI peer is -M q35) in the same run, one after the other,
# each on a fresh tap of the same kind, ROUNDS times (default 3) alternating;
# prints every run, the medians of MiB/s and of MiB per CPU second of the VMM
# process, and their ratios.
# Inside the emulated KVM host (no fast /dev/kvm) the absolute numbers are
# those of a TCG-emulated machine: compare ratios only.
. "$(dirname "$0")/../lib.sh"
MIB=${1:-64}
ROUNDS=${2:-3}
H2G_MIB=${3:-$((MIB * 8))}
bench_prepare net
cat >"$BUILD/bench-net/guest.sh" <<G
ip link set eth0 up
ip addr add 10.0.0.2/24 dev eth0
ping -c 1 -W 10 10.0.0.1 >/dev/null || echo "guest: no ping reply"
dd if=/dev/zero bs=1048576 count=$MIB 2>/dev/null | nc 10.0.0.1 5001 && echo "guest: sent $MIB MiB"
nc 10.0.0.1 5002 >/dev/null && echo "guest: received"
G
bench_initrd net
bench_run net 7200 bash bench/net/driver.sh "$BUILD" "$MIB" "$ROUNDS" "$H2G_MIB"
