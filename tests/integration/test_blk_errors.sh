#!/bin/bash
# --disk errors: missing file, a directory, a size that is not a multiple of
# 512, an unknown image type, and a second nimbus opening an image another
# one has open for writing: each refused with exit code 2 and one clear line.
# A second read-only user of a read-only image is allowed.
. "$(dirname "$0")/lib.sh"
need_kvm
check() { # WANT_SUBSTRING ARGS...
	local want=$1
	shift
	rm -f "$WORK/nimbus.log"
	run_nimbus 60 --kernel "$GUEST/vmlinux" --memory size=128M "$@"
	[ "$RC" = 2 ] || fail "nimbus $* exited $RC, expected 2"
	grep -q -- "$want" "$WORK/nimbus.log" "$WORK/stderr.log" || fail "no '$want' for $*"
	[ "$(cat "$WORK/nimbus.log" "$WORK/stderr.log" 2>/dev/null | grep -c "error")" -le 1 ] ||
		fail "more than one error line for $*"
}
check "nope.img: No such file or directory" --disk "path=$WORK/nope.img"
mkdir -p "$WORK/adir"
check "is a directory" --disk "path=$WORK/adir"
head -c 1000 /dev/zero >"$WORK/odd.img"
check "not a multiple of 512" --disk "path=$WORK/odd.img"
check "image_type=qcow2" --disk "path=$WORK/odd.img,image_type=qcow2"
check "path=FILE is required" --disk "readonly=on"
check "num_queues" --disk "path=$WORK/odd.img,num_queues=9"

# Locking: a guest holds the image open for writing; a second nimbus is refused.
truncate -s 8M "$WORK/shared.img"
printf 'echo READY; sleep 30\n' >"$WORK/hold.sh"
initrd=$(make_initramfs "$WORK/hold.sh")
timeout -k 5 $((120 * TIMEOUT_SCALE)) "$NIMBUS" --serial "file=$WORK/hold.log" --log-file "$WORK/hold-nimbus.log" \
	--kernel "$GUEST/vmlinux" --initramfs "$initrd" --cmdline "$GUEST_CMDLINE" --memory size=128M --disk "path=$WORK/shared.img" </dev/null \
	>/dev/null 2>&1 &
holder=$!
for _ in $(seq 1 $((120 * TIMEOUT_SCALE))); do
	grep -q READY "$WORK/hold.log" 2>/dev/null && break
	sleep 1
done
grep -q READY "$WORK/hold.log" || { kill -9 $holder; fail "holder guest did not start"; }
check "locked by another process" --disk "path=$WORK/shared.img"
check "locked by another process" --disk "path=$WORK/shared.img,readonly=on"
kill -9 $holder
wait $holder 2>/dev/null
pass "missing/directory/odd size/bad type/bad options refused; second writer and reader refused while a VM writes"
