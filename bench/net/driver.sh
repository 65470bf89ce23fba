#!/bin/bash
# bench/net/driver.sh BUILD MIB — runs where a KVM is (see run.sh), as root:
# a network namespace, and in it, for each VMM in turn, a fresh tap
# (10.0.0.1/24, the same kind for both), server.py and the VMM booting the
# bench guest (one vCPU, 512M, one queue pair, non-vhost).
set -u
BUILD=$1
MIB=$2
HERE=$(cd "$(dirname "$0")" && pwd)
W=${TMPDIR:-/tmp}/nimbus-bench-net
rm -rf "$W"
mkdir -p "$W"
K=$BUILD/guest/vmlinux
I=$BUILD/bench-net/initrd.img
NS=nimbus-bench-$$
ip netns add "$NS" || { echo "bench/net: cannot create a network namespace" >&2; exit 1; }
trap 'ip netns del "$NS" 2>/dev/null' EXIT
ip netns exec "$NS" ip link set lo up

# run_one LABEL CMD... : tap up, server, VMM (the guest powers off at the end)
run_one() {
	local label=$1
	shift
	ip netns exec "$NS" ip tuntap add dev tapb mode tap vnet_hdr
	ip netns exec "$NS" ip addr add 10.0.0.1/24 dev tapb
	ip netns exec "$NS" ip link set tapb up
	ip netns exec "$NS" python3 "$HERE/server.py" "$MIB" "$label" >"$W/$label-host.log" 2>&1 &
	local srv=$!
	timeout 1500 ip netns exec "$NS" "$@" </dev/null >"$W/$label-vmm.log" 2>&1
	sleep 1
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	ip netns exec "$NS" ip link del tapb
}

run_one nimbus "$BUILD/nimbus" --kernel "$K" --initramfs "$I" --memory size=512M \
	--serial "file=$W/nimbus-serial.log" --net tap=tapb,mac=52:54:00:00:00:02
run_one qemu qemu-system-x86_64 -M q35 -accel kvm -cpu host -m 512M -smp 1 \
	-kernel "$K" -initrd "$I" -append "console=ttyS0 reboot=t panic=1" -nodefaults -no-user-config \
	-display none -no-reboot -serial "file:$W/qemu-serial.log" \
	-netdev tap,id=n0,ifname=tapb,script=no,downscript=no,vhost=off \
	-device virtio-net-pci,netdev=n0,mac=52:54:00:00:00:02

get() { # LABEL DIR
	sed -n "s#^BENCH $1 $2 MiB/s=\([0-9.]*\).*#\1#p" "$W/$1-host.log" | head -1
}
for l in nimbus qemu; do
	grep -h "BENCH\|RESULT" "$W/$l-host.log" | sed "s/^/  /"
	grep -h "^guest:" "$W/$l-serial.log" 2>/dev/null | sed "s/^/  $l /"
done
printf '%-22s %10s %10s %10s\n' "TCP, $MIB MiB" nimbus qemu nim/qemu
for d in g2h h2g; do
	n=$(get nimbus $d)
	q=$(get qemu $d)
	r=$(awk -v a="${n:-0}" -v b="${q:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
	case $d in g2h) name="guest->host MiB/s" ;; *) name="host->guest MiB/s" ;; esac
	printf '%-22s %10s %10s %10s\n' "$name" "${n:--}" "${q:--}" "$r"
done
