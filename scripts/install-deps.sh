#!/bin/sh
# install-deps.sh — install what building, running and testing nimbus needs
# on Debian 12 (as root). Quick when everything is already there.
set -eu
PKGS="build-essential libc6-dev meson ninja-build pkg-config clang libclang-rt-14-dev libcmocka-dev liburing-dev
      libmicrohttpd-dev libjansson-dev libseccomp-dev libcurl4-openssl-dev curl
      cpio lz4 xz-utils zstd kmod e2fsprogs acpica-tools qemu-system-x86 qemu-utils python3 procps
      python3-yaml python3-jsonschema jq"
# The emulated KVM host (tests/harness) needs QEMU from bookworm-backports
# (10.0): under Debian 12's QEMU 7.2 the nested guests triple-faulted now and
# then for no reason of their own (docs/harness.md). Both come from Debian's
# archive.
QEMU_SUITE=""
if grep -q '^VERSION_CODENAME=bookworm$' /etc/os-release 2>/dev/null; then
	QEMU_SUITE=bookworm-backports
fi
qemu_too_old() { # also true when not installed
	[ -n "$QEMU_SUITE" ] || return 1
	for q in qemu-system-x86 qemu-utils; do
		v=$(dpkg-query -W -f='${Status} ${Version}' "$q" 2>/dev/null) || return 0
		case $v in "install ok installed "*) ;; *) return 0 ;; esac
		dpkg --compare-versions "${v##* }" lt 1:8 && return 0
	done
	return 1
}
missing=""
for p in $PKGS; do
	case $p in qemu-*) [ -z "$QEMU_SUITE" ] || continue ;; esac
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ] && ! qemu_too_old; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing (run as root, or install them)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if [ -n "$QEMU_SUITE" ]; then
	list=/etc/apt/sources.list.d/nimbus-$QEMU_SUITE.list
	grep -rqs "^[^#]*$QEMU_SUITE" /etc/apt/sources.list /etc/apt/sources.list.d/ ||
		echo "deb http://deb.debian.org/debian $QEMU_SUITE main" >"$list"
fi
apt-get update -qq
if [ -n "$missing" ]; then
	echo "install-deps: installing$missing"
	# shellcheck disable=SC2086
	apt-get install -y -qq $missing >/dev/null
fi
if qemu_too_old; then
	echo "install-deps: installing QEMU from $QEMU_SUITE (the emulated KVM host needs >= 8)"
	apt-get install -y -qq -t "$QEMU_SUITE" qemu-system-x86 qemu-utils >/dev/null
fi
