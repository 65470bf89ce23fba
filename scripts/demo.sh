#!/bin/bash
# demo.sh — the README's first command: install what is needed, build nimbus,
# prepare the default guest (Debian's cloud kernel + a busybox initramfs) and
# boot it.
#
# With a terminal you get the guest's shell on the serial console; `reboot -f`
# in the guest ends nimbus with exit code 0. Without a terminal (CI) the guest
# runs a short scripted command, its output is printed, and the demo exits 0.
# Where the host has no usable (or only a very slow) /dev/kvm, the guest boots
# inside the emulated KVM host (QEMU TCG + nested SVM), as one line says.
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
BUILD=$REPO/build

scripts/install-deps.sh
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
ninja -C "$BUILD" >/dev/null
scripts/prepare-guest.sh "$BUILD/guest"

where=$(scripts/pick-kvm.sh 2>"$BUILD/pick-kvm.log")
cat "$BUILD/pick-kvm.log"

args=(--kernel "$BUILD/guest/vmlinux" --memory size=512M --cpus boot=2)
if [ -t 0 ] && [ -t 1 ]; then
	echo "demo: booting the default guest; type commands, and 'reboot -f' to leave"
	args+=(--initramfs "$BUILD/guest/initramfs.cpio.gz")
	interactive=(--interactive)
else
	echo "demo: no terminal: booting the default guest with a scripted command"
	cat >"$BUILD/demo-script.sh" <<'SCRIPT'
echo "--- inside the nimbus guest ---"
uname -a
echo "CPUs online: $(cat /sys/devices/system/cpu/online)"
grep MemTotal /proc/meminfo
echo "--- end ---"
SCRIPT
	scripts/mk-overlay.sh "$BUILD/demo-script.sh" "$BUILD/demo-overlay.cpio" >/dev/null
	cat "$BUILD/guest/initramfs.cpio.gz" "$BUILD/demo-overlay.cpio" >"$BUILD/demo-initramfs.img"
	args+=(--initramfs "$BUILD/demo-initramfs.img")
	interactive=()
fi

if [ "$where" = host ]; then
	exec "$BUILD/nimbus" "${args[@]}"
fi
echo "demo: running inside the emulated KVM host (this machine has no fast usable /dev/kvm)"
exec tests/harness/kvm-host-run.sh "${interactive[@]}" --timeout 1200 -- "$BUILD/nimbus" "${args[@]}"
