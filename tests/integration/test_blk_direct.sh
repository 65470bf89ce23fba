#!/bin/bash
# direct=on (O_DIRECT): the guest writes data of known checksum through the
# raw disk and reads it back after dropping its page cache; the host finds the same bytes
# in the image. tmpfs (the emulated KVM host's /tmp) has no O_DIRECT on older
# kernels, so the image goes where O_DIRECT works: the work directory if it
# can, else the build directory. Where it cannot, nimbus must say so in one
# line (checked first).
. "$(dirname "$0")/lib.sh"
need_kvm
direct_ok() { dd if=/dev/zero of="$1/.direct-probe" bs=4096 count=1 oflag=direct 2>/dev/null; local r=$?; rm -f "$1/.direct-probe"; return $r; }
if ! direct_ok "$WORK"; then
	truncate -s 1M "$WORK/probe.img"
	run_nimbus 30 --kernel "$GUEST/vmlinux" --disk "path=$WORK/probe.img,direct=on"
	[ "$RC" != 0 ] || fail "direct=on on a filesystem without O_DIRECT was accepted"
	grep -q "direct=on: the file system does not support O_DIRECT" "$WORK/nimbus.log" ||
		fail "no clear error for direct=on without O_DIRECT"
	imgdir=$BUILD/itest-direct
	mkdir -p "$imgdir"
	direct_ok "$imgdir" || fail "no directory with O_DIRECT support for the image"
else
	imgdir=$WORK
fi
img=$imgdir/disk.img
trap 'save_work; rm -f "$img"' EXIT
truncate -s 16M "$img"
seq 1 600000 | head -c 3145728 >"$WORK/data.bin"
sum=$(sha256sum <"$WORK/data.bin" | cut -c1-64)
OVERLAY_FILES=("$WORK/data.bin=/data.bin")
boot_script '
dd if=/data.bin of=/dev/vda bs=3584 conv=fsync 2>/dev/null && echo WROTE
echo 3 > /proc/sys/vm/drop_caches
echo "guest_sum=$(head -c 3145728 /dev/vda | sha256sum | cut -c1-64)"
' --memory size=256M --disk "path=$img,direct=on"
if grep -qi "O_DIRECT\|direct" "$WORK/stderr.log" && [ "$RC" != 0 ]; then
	fail "direct=on refused on $(stat -f -c %T "$WORK"): $(head -n1 "$WORK/stderr.log")"
fi
expect_rc 0
expect_test_ok
expect_serial WROTE
expect_serial "guest_sum=$sum"
[ "$(head -c 3145728 "$img" | sha256sum | cut -c1-64)" = "$sum" ] || fail "host: image differs from what the guest wrote"
pass "direct=on: 3 MiB written in 3584-byte blocks and read back intact (guest and host)"
