#!/bin/bash
# Flush means durable: the guest writes files on ext2, syncs, says so, and
# nimbus is then killed with SIGKILL. Everything written before the sync is
# in the image (host debugfs), and the filesystem checks clean.
. "$(dirname "$0")/lib.sh"
need_kvm
command -v debugfs >/dev/null || fail "debugfs (e2fsprogs) not installed"
img=$WORK/disk.img
truncate -s 64M "$img"
seq 1 300000 >"$WORK/f.txt"
sum=$(sha256sum <"$WORK/f.txt" | cut -c1-64)
cat >"$WORK/test.sh" <<'G'
mke2fs -q /dev/vda
mkdir -p /mnt/d
mount -t ext2 /dev/vda /mnt/d
seq 1 300000 > /mnt/d/f.txt
dd if=/dev/urandom of=/mnt/d/r.bin bs=64k count=64 2>/dev/null
sha256sum /mnt/d/r.bin | cut -c1-64 > /mnt/d/r.sum
sync
echo "SYNCED r=$(cat /mnt/d/r.sum)"
sleep 600
G
initrd=$(make_initramfs "$WORK/test.sh")
"$NIMBUS" --serial "file=$WORK/serial.log" --log-file "$WORK/nimbus.log" --kernel "$GUEST/vmlinux" \
	--initramfs "$initrd" --cmdline "$GUEST_CMDLINE" --memory size=256M --disk "path=$img" </dev/null >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 $((150 * TIMEOUT_SCALE))); do
	grep -q SYNCED "$WORK/serial.log" 2>/dev/null && break
	kill -0 $pid 2>/dev/null || break
	sleep 1
done
grep -q SYNCED "$WORK/serial.log" || { kill -9 $pid 2>/dev/null; fail "guest never synced"; }
kill -9 $pid
wait $pid 2>/dev/null
rsum=$(sed -n 's/.*SYNCED r=\([0-9a-f]*\).*/\1/p' "$WORK/serial.log" | head -1)
[ "$(debugfs -R 'cat /f.txt' "$img" 2>/dev/null | sha256sum | cut -c1-64)" = "$sum" ] || fail "f.txt lost or damaged"
[ "$(debugfs -R 'cat /r.bin' "$img" 2>/dev/null | sha256sum | cut -c1-64)" = "$rsum" ] || fail "r.bin lost or damaged"
if command -v e2fsck >/dev/null; then
	e2fsck -fn "$img" >"$WORK/fsck.log" 2>&1 || fail "e2fsck found problems (see fsck.log)"
fi
pass "synced files intact after SIGKILL (debugfs), e2fsck clean"
