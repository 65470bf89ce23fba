#!/bin/bash
# pick-kvm.sh — print "host" or "emulated": where nimbus's guests should run.
#
# "host" when this machine's /dev/kvm is usable AND boots the default guest to
# userspace within NIMBUS_HOST_KVM_PROBE_SECS (default 30) seconds. Some hosts
# have a nested, software-assisted /dev/kvm that works but takes minutes to
# boot Linux and cannot hide XSAVE from the guest; the emulated KVM host
# (tests/harness/kvm-host-run.sh) is both faster and faithful there.
# NIMBUS_KVM=host|emulated overrides the probe. A one-line reason goes to
# stderr. Needs build/nimbus and build/guest (scripts/prepare-guest.sh).
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${NIMBUS_BUILD:-$REPO/build}
case ${NIMBUS_KVM:-auto} in
host|emulated) echo "$NIMBUS_KVM"; echo "pick-kvm: NIMBUS_KVM=$NIMBUS_KVM" >&2; exit 0 ;;
auto) ;;
*) echo "pick-kvm: NIMBUS_KVM must be host, emulated or auto" >&2; exit 2 ;;
esac
if ! "$REPO/tests/harness/have-kvm.sh" 2>/dev/null; then
	echo "pick-kvm: no usable /dev/kvm on this host" >&2
	echo emulated
	exit 0
fi
deadline=${NIMBUS_HOST_KVM_PROBE_SECS:-30}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf 'echo probe-ok\n' >"$dir/t.sh"
"$REPO/scripts/mk-overlay.sh" "$dir/t.sh" "$dir/o.cpio" >/dev/null
cat "$BUILD/guest/initramfs.cpio.gz" "$dir/o.cpio" >"$dir/i.img"
start=$(date +%s)
timeout -k 2 "$deadline" "$BUILD/nimbus" --kernel "$BUILD/guest/vmlinux" --initramfs "$dir/i.img" \
	--memory size=256M --serial "file=$dir/s.log" </dev/null >/dev/null 2>&1
if grep -q "NIMBUS-TEST-EXIT=0" "$dir/s.log" 2>/dev/null; then
	echo "pick-kvm: host /dev/kvm booted the default guest in $(( $(date +%s) - start )) s" >&2
	echo host
else
	echo "pick-kvm: host /dev/kvm did not boot the default guest within ${deadline} s (slow nested KVM); using the emulated KVM host" >&2
	echo emulated
fi
