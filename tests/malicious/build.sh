#!/bin/bash
# build.sh [OUTDIR] — build the malicious-guest images (one per guest_*.c) with
# the system gcc into OUTDIR (default build/malicious): freestanding, static,
# loaded by nimbus at 16 MiB (the ELF paddr) and entered in 64-bit mode.
# Rebuilds only what is older than its sources. Prints nothing on success.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${1:-${NIMBUS_BUILD:-$REPO/build}/malicious}
mkdir -p "$OUT"
CC=${MAL_CC:-gcc}
CFLAGS="-std=gnu11 -O2 -Wall -Wextra -Werror -ffreestanding -nostdlib -static -fno-pie -no-pie
	-mno-red-zone -mgeneral-regs-only -fno-stack-protector -fno-builtin -fcf-protection=none
	-fno-asynchronous-unwind-tables -mcmodel=small -Wl,--build-id=none -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments"
common=("$HERE/rt.c" "$HERE/start.S" "$HERE/guest.ld" "$HERE/rt.h" "$HERE/build.sh")
for src in "$HERE"/guest_*.c; do
	name=$(basename "$src" .c)
	name=${name#guest_}
	elf=$OUT/$name.elf
	stale=0
	[ -f "$elf" ] || stale=1
	for dep in "$src" "${common[@]}"; do [ "$dep" -nt "$elf" ] && stale=1; done
	[ $stale = 1 ] || continue
	# shellcheck disable=SC2086
	$CC $CFLAGS -T "$HERE/guest.ld" -o "$elf.tmp" "$HERE/start.S" "$HERE/rt.c" "$src"
	mv "$elf.tmp" "$elf"
done
