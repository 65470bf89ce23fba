#!/bin/bash
# bench/blk/driver.sh BUILD MIB — runs where a KVM is; see run.sh.
set -u
BUILD=$1
MIB=$2
W=${TMPDIR:-/tmp}/nimbus-bench-blk
rm -rf "$W"
mkdir -p "$W"
img=$W/disk.img
truncate -s $((MIB + 16))M "$img"
K=$BUILD/guest/vmlinux
I=$BUILD/bench-blk/initrd.img
"$BUILD/nimbus" --kernel "$K" --initramfs "$I" --memory size=512M --serial "file=$W/nimbus.log" \
	--disk "path=$img" </dev/null >/dev/null 2>&1
rm -f "$img"
truncate -s $((MIB + 16))M "$img"
timeout 1200 qemu-system-x86_64 -M q35 -accel kvm -cpu host -m 512M -smp 1 \
	-kernel "$K" -initrd "$I" -append "console=ttyS0 reboot=t panic=1" -nodefaults -no-user-config \
	-display none -no-reboot -serial "file:$W/qemu.log" \
	-drive "id=d0,file=$img,format=raw,if=none,cache=writeback,aio=threads" \
	-device virtio-blk-pci,drive=d0 </dev/null >/dev/null 2>&1
direct=direct
"$BUILD/bench-blk/blkbench" "$img" seqread 1048576 1 direct >/dev/null 2>&1 || direct=""
{
	for m in seqwrite seqread; do "$BUILD/bench-blk/blkbench" "$img" $m 1048576 "$MIB" $direct; done
	for m in randwrite randread; do "$BUILD/bench-blk/blkbench" "$img" $m 4096 "$MIB" $direct; done
} >"$W/host.log" 2>&1
get() { # LOG MODE FIELD
	sed -n "s#.*BENCH $2 .*$3=\([0-9.]*\).*#\1#p" "$1" | head -1
}
printf '%-10s %12s %12s %12s %10s %10s\n' test nimbus qemu host nim/qemu nim/host
for m in seqwrite seqread randwrite randread; do
	case $m in seq*) f=MiB/s ;; *) f=IOPS ;; esac
	n=$(get "$W/nimbus.log" $m $f)
	q=$(get "$W/qemu.log" $m $f)
	h=$(get "$W/host.log" $m $f)
	rq=$(awk -v a="${n:-0}" -v b="${q:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
	rh=$(awk -v a="${n:-0}" -v b="${h:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
	printf '%-10s %12s %12s %12s %10s %10s\n' "$m $f" "${n:--}" "${q:--}" "${h:--}" "$rq" "$rh"
done
