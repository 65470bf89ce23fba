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
trap 'ip netns del "$NS" 2>/dev/null' EXIT
net_ns_up "$NS"

# run_one VMM: one run (the guest powers off at the end)
run_one() {
	net_vmm_cmd "$1" "$K" "$I" "$W/$1-serial.log" 512M
	net_run "$NS" "$1" "$MIB" "$W/$1-host.log" "$W/$1-vmm.log" 1500
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
