#!/bin/sh
# install-deps.sh — install what building, running and testing nimbus needs
# on Debian 12 (as root). Quick when everything is already there.
set -eu
PKGS="build-essential libc6-dev meson ninja-build pkg-config clang libclang-rt-14-dev libcmocka-dev liburing-dev
      libmicrohttpd-dev libjansson-dev libseccomp-dev libcurl4-openssl-dev curl
      cpio lz4 xz-utils zstd kmod e2fsprogs acpica-tools qemu-system-x86 qemu-utils python3 procps
      python3-yaml python3-jsonschema jq"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq $missing >/dev/null
