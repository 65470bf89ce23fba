#!/bin/bash
# prepare-guest.sh [OPTIONS] [OUTDIR]
#
# Build a busybox guest from Debian's archive (no other network needed):
#   OUTDIR/bzImage            the kernel package's vmlinuz
#   OUTDIR/vmlinux            uncompressed ELF (scripts/extract-vmlinux.sh)
#   OUTDIR/initramfs.cpio.gz  busybox-static + init + modules, gzip, zero-padded
#                             to a multiple of 512 bytes so that a plain cpio
#                             (scripts/mk-overlay.sh) can simply be appended
#   OUTDIR/kernel-release     e.g. 6.1.0-56-cloud-amd64
#   OUTDIR/modules            the module load order inside the initramfs
# OUTDIR defaults to build/guest in the repository.
#
# Options (the defaults make the nimbus default guest):
#   --kernel-meta PKG     meta package naming the kernel (linux-image-cloud-amd64)
#   --init FILE           the initramfs /init (guest/init)
#   --modules "A B ..."   modules to load, in wanted order; their dependencies
#                         (modinfo depends=) are added and ordered first
#   --optional-modules "A B ..."  same, but skipped if the kernel lacks them
#   --quiet               print only the kernel line
#
# Downloads (.deb) and unpacked kernels are cached in ${NIMBUS_CACHE:-build/cache}.
# Re-running is cheap: each output is rebuilt only when its inputs changed
# (package versions, the init script, module list, this script).
# Tools it needs (dpkg-deb, apt-get, cpio, gzip, lz4/xz) are installed with
# apt-get when missing and running as root.
set -euo pipefail

die() { echo "prepare-guest: $*" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
cache=${NIMBUS_CACHE:-$repo/build/cache}

kernel_meta=linux-image-cloud-amd64
init_file=$repo/guest/init
modules="virtio virtio_ring virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio-rng virtio_console virtio_blk failover net_failover virtio_net button evdev"
optional_modules=""
quiet=0
outdir=""

while [ $# -gt 0 ]; do
	case $1 in
	--kernel-meta) [ $# -ge 2 ] || die "--kernel-meta needs a package"; kernel_meta=$2; shift 2 ;;
	--init) [ $# -ge 2 ] || die "--init needs a file"; init_file=$2; shift 2 ;;
	--modules) [ $# -ge 2 ] || die "--modules needs a list"; modules=$2; shift 2 ;;
	--optional-modules) [ $# -ge 2 ] || die "--optional-modules needs a list"; optional_modules=$2; shift 2 ;;
	--quiet) quiet=1; shift ;;
	-h|--help) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	--) shift; break ;;
	-*) die "unknown option: $1 (see --help)" ;;
	*) [ -z "$outdir" ] || die "only one OUTDIR allowed"; outdir=$1; shift ;;
	esac
done
if [ $# -gt 0 ]; then
	[ -z "$outdir" ] && [ $# -eq 1 ] || die "only one OUTDIR allowed"
	outdir=$1
fi
outdir=${outdir:-$repo/build/guest}
[ -f "$init_file" ] || die "init script not found: $init_file"

say() { [ "$quiet" = 1 ] || echo "prepare-guest: $*" >&2; }

# --- tools -------------------------------------------------------------------
need_pkgs=""
need_tool() { command -v "$1" >/dev/null 2>&1 || need_pkgs="$need_pkgs $2"; }
need_tool apt-get apt
need_tool apt-cache apt
need_tool dpkg-deb dpkg
need_tool cpio cpio
need_tool gzip gzip
need_tool lz4 lz4
need_tool xz xz-utils
need_tool zstd zstd
need_tool sha256sum coreutils
if [ -n "$need_pkgs" ]; then
	[ "$(id -u)" = 0 ] || die "missing tools, install as root: apt-get install -y$need_pkgs"
	say "installing$need_pkgs"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q$need_pkgs >/dev/null ||
		die "apt-get install$need_pkgs failed"
fi

mkdir -p "$cache/debs" "$cache/unpacked" "$outdir" || die "cannot create $cache or $outdir"
cache=$(cd "$cache" && pwd)
outdir=$(cd "$outdir" && pwd)

# --- packages ----------------------------------------------------------------
# resolve META -> "KPKG KVER BUSYBOX_VER": the kernel package the meta package
# depends on (with its exact version) and busybox-static's candidate version.
# apt-cache takes ~1 s here (its binary cache is disabled on many images), so
# the answer is memoized until apt's package lists change.
resolve() {
	local meta=$1 memo="$cache/resolve.$1" out kp kv bv
	if [ -s "$memo" ] && [ -z "$(find /var/lib/apt/lists /etc/apt -newer "$memo" 2>/dev/null | head -n1)" ]; then
		cat "$memo"; return 0
	fi
	out=$(apt-cache show --no-all-versions "$meta" busybox-static 2>/dev/null) ||
		die "apt-cache show $meta busybox-static failed (run apt-get update?)"
	# Depends of META (first linux-image-*), Version of busybox-static.
	kp=$(printf '%s\n' "$out" | awk -v m="$meta" '
		/^Package: / { p = $2 }
		p == m && /^(Pre-)?Depends: / {
			sub(/^[^:]*: /, ""); n = split($0, d, /, /)
			for (i = 1; i <= n; i++) if (d[i] ~ /^linux-image-/) { print d[i]; exit }
		}')
	bv=$(printf '%s\n' "$out" | awk '/^Package: / { p = $2 } p == "busybox-static" && /^Version: / { print $2; exit }')
	[ -n "$kp" ] || die "cannot resolve $meta to a linux-image package (apt-cache depends $meta)"
	[ -n "$bv" ] || die "busybox-static not found in apt's lists (run apt-get update?)"
	kv=$(printf '%s' "$kp" | sed -n 's/^[^ ]* (= \(.*\))$/\1/p')
	kp=${kp%% *}
	if [ -z "$kv" ]; then
		kv=$(apt-cache policy "$kp" 2>/dev/null | sed -n 's/^  Candidate: //p' | head -n1)
		[ -n "$kv" ] && [ "$kv" != "(none)" ] || die "package $kp not found in apt's lists"
	fi
	echo "$kp $kv $bv" > "$memo.tmp" && mv -f "$memo.tmp" "$memo"
	cat "$memo"
}

# fetch_deb PKG VERSION -> path of the cached .deb (downloads it when absent)
fetch_deb() {
	local pkg=$1 ver=$2 f tmp
	f="$cache/debs/${pkg}_${ver//:/%3a}_$arch.deb"
	if [ ! -s "$f" ]; then
		say "downloading $pkg $ver"
		tmp=$(mktemp -d "$cache/debs/.dl.XXXXXX")
		# apt-get download warns when _apt cannot write here; harmless.
		(cd "$tmp" && apt-get download -q "$pkg=$ver" >/dev/null 2>"$tmp/.err") || {
			sed 's/^/  /' "$tmp/.err" >&2; rm -rf "$tmp"; die "apt-get download $pkg=$ver failed"; }
		set -- "$tmp"/*.deb
		[ -f "$1" ] || { rm -rf "$tmp"; die "apt-get download $pkg produced no .deb"; }
		mv -f "$1" "$f"
		rm -rf "$tmp"
	fi
	echo "$f"
}

# unpack_deb DEB -> directory with its contents (cached)
unpack_deb() {
	local deb=$1 d tmp
	d="$cache/unpacked/$(basename "$deb" .deb)"
	if [ ! -f "$d/.unpacked" ]; then
		tmp="$d.tmp.$$"
		rm -rf "$tmp"
		mkdir -p "$tmp"
		dpkg-deb -x "$deb" "$tmp" || { rm -rf "$tmp"; die "dpkg-deb -x $deb failed"; }
		touch "$tmp/.unpacked"
		rm -rf "$d"
		mv "$tmp" "$d"
	fi
	echo "$d"
}

arch=$(dpkg --print-architecture)
resolved=$(resolve "$kernel_meta")
read -r kpkg kver bver <<< "$resolved"

kdeb=$(fetch_deb "$kpkg" "$kver")
bdeb=$(fetch_deb busybox-static "$bver")
kdir=$(unpack_deb "$kdeb")
bdir=$(unpack_deb "$bdeb")

set -- "$kdir"/boot/vmlinuz-*
[ $# -eq 1 ] && [ -f "$1" ] || die "$kpkg: expected exactly one /boot/vmlinuz-* in the package"
vmlinuz=$1
krel=${vmlinuz##*/vmlinuz-}
moddir="$kdir/lib/modules/$krel"
[ -d "$moddir" ] || die "$kpkg: no /lib/modules/$krel in the package"
busybox="$bdir/bin/busybox"
[ -x "$busybox" ] || die "busybox-static: no /bin/busybox in the package"

# --- kernel images -------------------------------------------------------------
# A stamp per output records the inputs it was made from.
stamp_ok() { [ -f "$1" ] && [ -f "$1.stamp" ] && [ "$(cat "$1.stamp")" = "$2" ]; }
stamp_set() { printf '%s\n' "$2" > "$1.stamp"; }

key="$kpkg $kver"
if ! stamp_ok "$outdir/bzImage" "$key"; then
	cp "$vmlinuz" "$outdir/bzImage.tmp" && mv -f "$outdir/bzImage.tmp" "$outdir/bzImage"
	stamp_set "$outdir/bzImage" "$key"
fi
key="$kpkg $kver $(sha256sum < "$here/extract-vmlinux.sh" | cut -c1-16)"
if ! stamp_ok "$outdir/vmlinux" "$key"; then
	say "extracting vmlinux"
	"$here/extract-vmlinux.sh" "$vmlinuz" "$outdir/vmlinux"
	stamp_set "$outdir/vmlinux" "$key"
fi
echo "$krel" > "$outdir/kernel-release.tmp" && mv -f "$outdir/kernel-release.tmp" "$outdir/kernel-release"

# --- initramfs -------------------------------------------------------------------
key="$kpkg $kver busybox-static $bver init $(sha256sum < "$init_file" | cut -c1-16) port80 $(sha256sum < "$repo/guest/port80.c" | cut -c1-16)"
key="$key script $(sha256sum < "$0" | cut -c1-16) modules [$modules] optional [$optional_modules]"
if ! stamp_ok "$outdir/initramfs.cpio.gz" "$key"; then
	say "building initramfs ($krel)"
	work=$(mktemp -d "$cache/.initramfs.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	root="$work/root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,root,etc,lib/modules,mnt}
	cp "$busybox" "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
	cp "$init_file" "$root/init"
	# The debug-port marker (the cloud kernel has no /dev/port).
	gcc -static -nostdlib -O2 -fno-stack-protector -fno-pie -no-pie -o "$root/bin/port80" "$repo/guest/port80.c" ||
		die "cannot build guest/port80.c"
	chmod 755 "$root/init" "$root/bin/busybox"
	chmod 1777 "$root/tmp"
	# The kernel's built-in initramfs already has /dev/console; add it when we
	# can, so that the image also works with kernels that lack one.
	mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
	echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
	echo "root:x:0:" > "$root/etc/group"

	# Index every module of the kernel: normalized name (- -> _) -> file.
	declare -A modpath=()
	while IFS= read -r f; do
		n=${f##*/}; n=${n%%.ko*}; n=${n//-/_}
		modpath[$n]=$f
	done < <(find "$moddir/kernel" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz')

	declare -A state=()   # name -> visiting | done
	order=()
	# stage NAME: copy (decompressing) NAME and its dependencies, deps first.
	stage() {
		local n=${1//-/_} src dst base deps d
		case ${state[$n]:-} in
		done) return 0 ;;
		visiting) die "module dependency cycle at $n" ;;
		esac
		src=${modpath[$n]:-}
		[ -n "$src" ] || die "module $n not found in $kpkg"
		state[$n]=visiting
		base=${src##*/}; base=${base%%.ko*}.ko
		dst="$root/lib/modules/$base"
		case $src in
		*.ko) cp "$src" "$dst" ;;
		*.ko.xz) xz -dc "$src" > "$dst" ;;
		*.ko.zst) zstd -dcq "$src" > "$dst" ;;
		*.ko.gz) gzip -dc "$src" > "$dst" ;;
		esac
		deps=$(tr '\0' '\n' < "$dst" | sed -n 's/^depends=//p' | head -n1)
		for d in ${deps//,/ }; do stage "$d"; done
		state[$n]="done"
		order+=("$base")
	}
	for m in $modules; do stage "$m"; done
	for m in $optional_modules; do
		if [ -n "${modpath[${m//-/_}]:-}" ]; then stage "$m"; else say "optional module $m not in $kpkg, skipped"; fi
	done
	printf '%s\n' "${order[@]}" > "$root/lib/modules/load-order"

	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
		gzip -9 -n > "$work/initramfs.cpio.gz"
	# Pad to 512 bytes: the kernel only finds a cpio appended after a gzip
	# member when the gzip part ends on such a boundary.
	size=$(wc -c < "$work/initramfs.cpio.gz")
	pad=$(( (512 - size % 512) % 512 ))
	[ "$pad" -eq 0 ] || head -c "$pad" /dev/zero >> "$work/initramfs.cpio.gz"
	mv -f "$work/initramfs.cpio.gz" "$outdir/initramfs.cpio.gz"
	cp "$root/lib/modules/load-order" "$outdir/modules"
	stamp_set "$outdir/initramfs.cpio.gz" "$key"
	rm -rf "$work"
	trap - EXIT
fi
size=$(wc -c < "$outdir/initramfs.cpio.gz")
[ $(( size % 512 )) -eq 0 ] || die "$outdir/initramfs.cpio.gz: size $size is not a multiple of 512"

echo "prepare-guest: kernel $krel ($kpkg $kver) -> $outdir"
