#!/bin/bash
# bench/net/driver.sh BUILD MIB — runs where a KVM is (see run.sh), as root:
# a network namespace, and in it, for each VMM in turn, a fresh tap
# (10.0.0.1/24, the same kind for both), server.py and the VMM booting the
# bench guest (one vCPU, 512M, one queue pair, non-vhost).
set -u
BUILD=$1
MIB=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
W=${TMPDIR:-/tmp}/nimbus-bench-net
rm -rf "$W"
mkdir -p "$W"
K=$BUILD/guest/vmlinux
I=$BUILD/bench-net/initrd.img
NS=nimbus-bench-$$
ip netns add "$NS" || { echo "bench/net: cannot create a network namespace" >&2; exit 1; }
trap 'ip netns del "$NS" 2>/dev/null' EXIT
ip netns exec "$NS" ip link set lo up

# run_one VMM: tap up, server, VMM (the guest powers off at the end)
run_one() {
	local label=$1
	net_tap_up "$NS"
	ip netns exec "$NS" python3 "$HERE/server.py" "$MIB" "$label" >"$W/$label-host.log" 2>&1 &
	local srv=$!
	net_vmm_cmd "$label" "$K" "$I" "$W/$label-serial.log" 512M
	timeout 1500 ip netns exec "$NS" "${VMM_CMD[@]}" </dev/null >"$W/$label-vmm.log" 2>&1
	sleep 1
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	net_tap_down "$NS"
}

run_one nimbus
run_one qemu

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
