# shellcheck shell=bash disable=SC2034,SC2054
# bench/net/common.sh — what bench/net/driver.sh and bench/net/stress.sh
# share (sourced): the tap both VMMs get and the two VMM command lines, so a
# stress run is exactly a benchmark run.

NET_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# net_ns_up NS: network namespace NS with lo up (the caller's EXIT trap
# deletes it); exits when it cannot be made.
net_ns_up() {
	ip netns add "$1" || { echo "bench/net: cannot create a network namespace" >&2; exit 1; }
	ip netns exec "$1" ip link set lo up
}

# net_tap_up NS / net_tap_down NS: a fresh tap "tapb" with the host end
# 10.0.0.1/24 in network namespace NS (the guest takes 10.0.0.2).
net_tap_up() {
	ip netns exec "$1" ip tuntap add dev tapb mode tap vnet_hdr
	ip netns exec "$1" ip addr add 10.0.0.1/24 dev tapb
	ip netns exec "$1" ip link set tapb up
}
net_tap_down() {
	ip netns exec "$1" ip link del tapb
}

# net_vmm_cmd VMM KERNEL INITRD SERIAL_LOG MEM: sets the array VMM_CMD to the
# command line of nimbus or QEMU (q35, virtio-net-pci, vhost=off) booting the
# bench guest on tapb with one vCPU and one queue pair, and VMM_COMM to its
# process name (/proc/PID/comm: at most 15 characters) for server.py's CPU count.
net_vmm_cmd() {
	local vmm=$1 k=$2 i=$3 ser=$4 mem=$5
	case $vmm in
	nimbus)
		VMM_CMD=("${NBIN:-$BUILD/nimbus}" --kernel "$k" --initramfs "$i" --memory "size=$mem"
			--serial "file=$ser" --net tap=tapb,mac=52:54:00:00:00:02)
		VMM_COMM=$(basename "${VMM_CMD[0]}" | cut -c1-15) ;;
	qemu)
		VMM_CMD=(qemu-system-x86_64 -M q35 -accel kvm -cpu host -m "$mem" -smp 1
			-kernel "$k" -initrd "$i" -append "console=ttyS0 reboot=t panic=1" -nodefaults -no-user-config
			-display none -no-reboot -serial "file:$ser"
			-netdev tap,id=n0,ifname=tapb,script=no,downscript=no,vhost=off
			-device virtio-net-pci,netdev=n0,mac=52:54:00:00:00:02)
		VMM_COMM=qemu-system-x86 ;;
	*) echo "bench/net: unknown VMM $vmm" >&2; return 1 ;;
	esac
}

# net_run NS LABEL MIB SERVER_LOG VMM_LOG SECS: one run of VMM_CMD (see
# net_vmm_cmd) in NS on a fresh tap, with server.py taking MIB MiB from the
# guest and sending it BENCH_H2G_MIB (default MIB):
# tap up, server, the VMM (at most SECS seconds; output appended to VMM_LOG),
# server stopped, tap down. Returns the VMM's exit status (124: timed out).
net_run() {
	local ns=$1 label=$2 mib=$3 srvlog=$4 vmmlog=$5 secs=$6 srv rc
	net_tap_up "$ns"
	ip netns exec "$ns" python3 "$NET_DIR/server.py" "$mib" "$label" "$VMM_COMM" >"$srvlog" 2>&1 &
	srv=$!
	timeout "$secs" ip netns exec "$ns" "${VMM_CMD[@]}" </dev/null >>"$vmmlog" 2>&1
	rc=$?
	sleep 1
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	net_tap_down "$ns"
	return $rc
}
