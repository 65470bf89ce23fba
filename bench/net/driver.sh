#!/bin/bash
# bench/net/driver.sh BUILD MIB [ROUNDS [H2G_MIB]] — runs where a KVM is (see run.sh),
# as root: a network namespace, and in it ROUNDS times (default 3) each VMM in
# turn (nimbus, then QEMU, alternating so drifts of the machine hit both),
# each run on a fresh tap (10.0.0.1/24, the same kind for both) with
# server.py and the VMM booting the bench guest (one vCPU, 512M, one queue
# pair, non-vhost). Prints every run, then the medians and their ratios:
# MiB/s, and MiB per CPU second of the VMM process (guest time included).
set -u
BUILD=$1
MIB=$2
ROUNDS=${3:-3}
export BENCH_H2G_MIB=${4:-$MIB} # server.py's host->guest amount
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
W=$BUILD/bench-net/runs # kept after the run (inside the emulated KVM host /tmp is not)
rm -rf "$W"
mkdir -p "$W"
K=$BUILD/guest/vmlinux
I=$BUILD/bench-net/initrd.img
NS=nimbus-bench-$$
trap 'ip netns del "$NS" 2>/dev/null' EXIT
net_ns_up "$NS"

# run_one VMM ROUND: one run (the guest powers off at the end); its BENCH
# lines are appended to $W/VMM-host.log. A run without a result says so
# with its exit status and the tails of its logs.
run_one() {
	local rc=0
	net_vmm_cmd "$1" "$K" "$I" "$W/$1-serial-$2.log" 512M
	echo "== round $2: ${VMM_CMD[*]}" >>"$W/$1-vmm.log"
	net_run "$NS" "$1" "$MIB" "$W/$1-host-$2.log" "$W/$1-vmm.log" 1500 || rc=$?
	cat "$W/$1-host-$2.log" >>"$W/$1-host.log"
	if [ "$(grep -c "MiB/s=" "$W/$1-host-$2.log")" != 2 ]; then
		echo "bench/net: $1 round $2 gave no full result (exit status $rc); logs in $W:"
		tail -n 5 "$W/$1-host-$2.log" "$W/$1-vmm.log" "$W/$1-serial-$2.log" 2>&1 | sed 's/^/    /'
	fi
}

for r in $(seq 1 "$ROUNDS"); do
	run_one nimbus "$r"
	run_one qemu "$r"
done

# median LABEL DIR FIELD: the median over the rounds of FIELD (MiB/s or
# MiB/cpu-s) in LABEL's "BENCH LABEL DIR" lines; empty when none had it.
median() {
	sed -n "s#^BENCH $1 $2 .*$3=\([0-9.]*\).*#\1#p" "$W/$1-host.log" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
for l in nimbus qemu; do
	grep -h "BENCH\|RESULT" "$W/$l-host.log" | sed "s/^/  /"
	cat "$W/$l"-serial-*.log 2>/dev/null | grep -h "^guest:" | sort | uniq -c | sed "s/^/  $l /"
done
echo "TCP, median of the runs with a result ($ROUNDS per VMM): $MIB MiB guest->host, $BENCH_H2G_MIB MiB host->guest"
printf '%-28s %10s %10s %10s\n' "" nimbus qemu nim/qemu
for d in g2h h2g; do
	for f in MiB/s MiB/cpu-s; do
		n=$(median nimbus $d $f)
		q=$(median qemu $d $f)
		r=$(awk -v a="${n:-0}" -v b="${q:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
		case $d in g2h) name="guest->host $f" ;; *) name="host->guest $f" ;; esac
		printf '%-28s %10s %10s %10s\n' "$name" "${n:--}" "${q:--}" "$r"
	done
done
