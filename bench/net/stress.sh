#!/bin/bash
# bench/net/stress.sh VMM [RUNS] [MIB] — run bench/net's guest RUNS times (default 5) under one VMM
# (nimbus or qemu), where a KVM is (the host's, or inside tests/harness/kvm-host-run.sh), and say
# for each run whether the guest finished or died (triple fault, hang). Needs build/bench-net/initrd.img
# (bench/net/run.sh makes it). Env: NMEM (guest memory, default 512M), NTO (seconds per run, default
# 400), NBIN (nimbus binary), NK/NI (kernel/initrd), NCMD (guest command line), NEXTRA (more nimbus
# options). See docs/harness.md, "Open problem".
set -u
VMM=$1 N=${2:-5} MIB=${3:-64} # MIB: what the guest's script sends (bench/net/run.sh MIB built it)
REPO=$(cd "$(dirname "$0")/../.." && pwd)
B=$REPO/build
K=${NK:-$B/guest/vmlinux} I=${NI:-$B/bench-net/initrd.img}
NS=nl-$$
ip netns add $NS; ip netns exec $NS ip link set lo up
for i in $(seq $N); do
	ip netns exec $NS ip tuntap add dev tapb mode tap vnet_hdr
	ip netns exec $NS ip addr add 10.0.0.1/24 dev tapb
	ip netns exec $NS ip link set tapb up
	ip netns exec $NS python3 "$REPO/bench/net/server.py" $MIB $VMM > /tmp/srv.log 2>&1 &
	srv=$!
	rm -f /tmp/vmm.log; s=$(date +%s)
	if [ $VMM = nimbus ]; then
		timeout ${NTO:-400} ip netns exec $NS ${NBIN:-$B/nimbus} --kernel $K --initramfs $I --memory size=${NMEM:-512M} --serial file=/tmp/ser.log --net tap=tapb,mac=52:54:00:00:00:02 ${NCMD:+--cmdline "$NCMD"} ${NEXTRA:-} --log-file /tmp/vmm.log </dev/null; rc=$?
	else
		timeout 400 ip netns exec $NS qemu-system-x86_64 -M q35 -accel kvm -cpu host -m 512M -smp 1 -kernel $K -initrd $I -append "console=ttyS0 reboot=t panic=1" -nodefaults -no-user-config -display none -no-reboot -serial file:/tmp/ser.log -netdev tap,id=n0,ifname=tapb,script=no,downscript=no,vhost=off -device virtio-net-pci,netdev=n0,mac=52:54:00:00:00:02 </dev/null >/tmp/vmm.log 2>&1; rc=$?
	fi
	sleep 1; kill $srv 2>/dev/null; wait $srv 2>/dev/null
	mkdir -p "$B/stress"; cp /tmp/ser.log "$B/stress/serial-$VMM-$i.log" 2>/dev/null; cp /tmp/vmm.log "$B/stress/vmm-$VMM-$i.log" 2>/dev/null
	echo "run $i: rc=$rc $(( $(date +%s) - s ))s $(grep -a -c 'guest: received' /tmp/ser.log) received; $(grep -a -o 'triple fault\|Oops\|panic[^ ]*\|BUG:[^\r]*' /tmp/ser.log /tmp/vmm.log | head -3 | tr '\n' ' ') $(grep BENCH /tmp/srv.log | tr '\n' ' ')"
	ip netns exec $NS ip link del tapb
done
ip netns del $NS
