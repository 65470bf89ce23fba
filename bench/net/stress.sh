#!/bin/bash
# bench/net/stress.sh VMM [RUNS] [MIB] — run bench/net's guest RUNS times (default 5) under one VMM
# (nimbus or qemu), where a KVM is (the host's, or inside tests/harness/kvm-host-run.sh), and say
# for each run whether the guest finished or died (triple fault, hang). Needs build/bench-net/initrd.img
# (bench/net/run.sh makes it). Env: NMEM (guest memory, default 512M), NTO (seconds per run, default
# 400), NBIN (nimbus binary), NK/NI (kernel/initrd), NCMD (nimbus guest command line), NEXTRA (more
# options for the VMM, either one). Logs of the last runs: build/stress/. See docs/harness.md, "Open problem".
set -u
VMM=$1 N=${2:-5} MIB=${3:-64} # MIB: what the guest's script sends (bench/net/run.sh MIB built it)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
BUILD=$(cd "$HERE/../.." && pwd)/build
K=${NK:-$BUILD/guest/vmlinux} I=${NI:-$BUILD/bench-net/initrd.img}
W=${TMPDIR:-/tmp}/nimbus-stress-$$
NS=nimbus-stress-$$
mkdir -p "$W" "$BUILD/stress"
trap 'ip netns del "$NS" 2>/dev/null; rm -rf "$W"' EXIT
net_ns_up "$NS"
for i in $(seq "$N"); do
	rm -f "$W/ser.log" "$W/vmm.log"
	net_vmm_cmd "$VMM" "$K" "$I" "$W/ser.log" "${NMEM:-512M}"
	# shellcheck disable=SC2206 # NEXTRA is a list of options
	VMM_CMD+=(${NEXTRA:-})
	if [ "$VMM" = nimbus ]; then
		[ -z "${NCMD:-}" ] || VMM_CMD+=(--cmdline "$NCMD")
		VMM_CMD+=(--log-file "$W/vmm.log")
	fi
	s=$(date +%s)
	net_run "$NS" "$VMM" "$MIB" "$W/srv.log" "$W/vmm.log" "${NTO:-400}"
	rc=$?
	cp "$W/ser.log" "$BUILD/stress/serial-$VMM-$i.log" 2>/dev/null
	cp "$W/vmm.log" "$BUILD/stress/vmm-$VMM-$i.log" 2>/dev/null
	echo "run $i: rc=$rc $(($(date +%s) - s))s $(grep -a -c 'guest: received' "$W/ser.log") received;" \
		"$(grep -a -h -o 'triple fault\|Oops\|Kernel panic[^\r]*\|BUG:[^\r]*' "$W/ser.log" "$W/vmm.log" | head -3 | tr '\n' ' ')" \
		"$(grep BENCH "$W/srv.log" | tr '\n' ' ')"
done
