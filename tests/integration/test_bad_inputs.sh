#!/bin/bash
# Bad inputs: one line on stderr, exit code != 0, no crash (no signal exit).
. "$(dirname "$0")/lib.sh"
need_kvm
check() { # name, args...
	local name=$1; shift
	local rc=0
	timeout 60 "$NIMBUS" "$@" </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
	[ "$rc" -ne 0 ] || fail "$name: exit code 0"
	[ "$rc" -lt 124 ] || fail "$name: exit code $rc (crash or hang)"
	local lines
	lines=$(grep -c . "$WORK/$name.err")
	[ "$lines" -eq 1 ] || { cat "$WORK/$name.err" >&2; fail "$name: $lines lines on stderr, expected 1"; }
	echo "ok $name: $(cat "$WORK/$name.err")"
}
head -c 4096 /dev/urandom >"$WORK/garbage"
head -c 3000 "$GUEST/vmlinux" >"$WORK/truncated-elf"
head -c 2000000 "$GUEST/vmlinux" >"$WORK/truncated-elf-2m"
: >"$WORK/empty"
check missing-kernel --kernel "$WORK/does-not-exist"
check dir-kernel --kernel "$WORK"
check empty-kernel --kernel "$WORK/empty"
check garbage-kernel --kernel "$WORK/garbage"
check truncated-elf --kernel "$WORK/truncated-elf"
check truncated-elf-2m --kernel "$WORK/truncated-elf-2m"
check missing-initramfs --kernel "$GUEST/vmlinux" --initramfs "$WORK/nope"
check no-kernel --memory size=256M
check bad-cpus --kernel "$GUEST/vmlinux" --cpus boot=0
check bad-cpus-key --kernel "$GUEST/vmlinux" --cpus bogus=1
check bad-memory --kernel "$GUEST/vmlinux" --memory size=12Q
check small-memory --kernel "$GUEST/vmlinux" --memory size=1M
check huge-memory --kernel "$GUEST/vmlinux" --memory size=100T
check bad-serial --kernel "$GUEST/vmlinux" --serial pipe
check unknown-option --kernel "$GUEST/vmlinux" --frobnicate
check missing-value --kernel
check pvh-on-bzimage --kernel "$GUEST/bzImage" --boot-entry pvh
pass "17 bad inputs rejected"
