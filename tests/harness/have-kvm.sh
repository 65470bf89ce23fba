#!/bin/sh
# have-kvm.sh [-v]
#
# Exit 0 if this machine has a usable /dev/kvm: it opens read-write,
# KVM_GET_API_VERSION returns 12, and KVM_CREATE_VM and KVM_CREATE_VCPU work.
# Exit 1 otherwise. -v prints the reason to stderr.
# Tests use it to choose between running directly and through
# tests/harness/kvm-host-run.sh (the emulated KVM host).
#
# The probe is a tiny C program compiled on first use (cached under
# ${NIMBUS_CACHE:-build/cache}/have-kvm/); without a C compiler it falls back
# to python3.
set -eu

verbose=0
case ${1:-} in
-v|--verbose) verbose=1 ;;
'') ;;
*) echo "have-kvm: usage: have-kvm.sh [-v]" >&2; exit 2 ;;
esac

say() { [ "$verbose" = 0 ] || echo "have-kvm: $*" >&2; }

[ -e /dev/kvm ] || { say "no /dev/kvm"; exit 1; }
[ -c /dev/kvm ] || { say "/dev/kvm is not a character device"; exit 1; }
[ -r /dev/kvm ] && [ -w /dev/kvm ] || { say "/dev/kvm is not readable and writable by $(id -un)"; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${NIMBUS_CACHE:-$repo/build/cache}

src='
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
/* From <linux/kvm.h>, so that the kernel headers are not needed. */
#define KVM_GET_API_VERSION _IO(0xAE, 0x00)
#define KVM_CREATE_VM _IO(0xAE, 0x01)
#define KVM_CREATE_VCPU _IO(0xAE, 0x41)
int main(void)
{
	int kvm, vm, vcpu, v;
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("open /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	v = ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (v != 12) {
		printf("KVM_GET_API_VERSION returned %d, want 12\n", v);
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		printf("KVM_CREATE_VM: %s\n", strerror(errno));
		return 1;
	}
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0) {
		printf("KVM_CREATE_VCPU: %s\n", strerror(errno));
		return 1;
	}
	close(vcpu);
	close(vm);
	close(kvm);
	return 0;
}
'

py='
import fcntl, os, sys
try:
    kvm = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
except OSError as e:
    print("open /dev/kvm: %s" % e.strerror); sys.exit(1)
try:
    v = fcntl.ioctl(kvm, 0xAE00, 0)
    if v != 12:
        print("KVM_GET_API_VERSION returned %d, want 12" % v); sys.exit(1)
    vm = fcntl.ioctl(kvm, 0xAE01, 0)
    vcpu = fcntl.ioctl(vm, 0xAE41, 0)
except OSError as e:
    print("ioctl: %s" % e.strerror); sys.exit(1)
sys.exit(0)
'

cc=${CC:-cc}
if command -v "$cc" >/dev/null 2>&1; then
	sum=$(printf '%s' "$src" | cksum | cut -d' ' -f1)
	bin="$cache/have-kvm/probe-$sum"
	if [ ! -x "$bin" ]; then
		if ! mkdir -p "$cache/have-kvm" 2>/dev/null || ! [ -w "$cache/have-kvm" ]; then
			bin="${TMPDIR:-/tmp}/have-kvm-probe-$sum-$(id -u)"
		fi
		if [ ! -x "$bin" ]; then
			printf '%s' "$src" | "$cc" -x c -O1 -o "$bin.tmp.$$" - 2>/dev/null ||
				{ rm -f "$bin.tmp.$$"; echo "have-kvm: cannot compile the probe with $cc" >&2; exit 1; }
			mv -f "$bin.tmp.$$" "$bin"
		fi
	fi
	if why=$("$bin"); then say "usable"; exit 0; fi
	say "$why"
	exit 1
elif command -v python3 >/dev/null 2>&1; then
	if why=$(python3 -c "$py"); then say "usable"; exit 0; fi
	say "$why"
	exit 1
fi
echo "have-kvm: needs a C compiler ($cc) or python3" >&2
exit 1
