#!/bin/sh
# mk-overlay.sh SCRIPT OUT.cpio [SRC=/GUEST/PATH ...]
#
# Make a small uncompressed newc cpio holding SCRIPT as /test.sh (mode 755),
# plus any extra SRC files at the given absolute guest paths (mode kept).
# The guest's /init (guest/init) runs /test.sh, prints NIMBUS-TEST-EXIT=<rc>
# and reboots. Boot it appended to the base initramfs:
#   cat build/guest/initramfs.cpio.gz OUT.cpio > combined.cpio
# (prepare-guest.sh pads the gzip part to 512 bytes, which the kernel needs to
# find an archive appended after a compressed one).
set -eu

die() { echo "mk-overlay: $*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: mk-overlay.sh SCRIPT OUT.cpio [SRC=/GUEST/PATH ...]"
script=$1
out=$2
shift 2
[ -f "$script" ] || die "no such script: $script"
command -v cpio >/dev/null 2>&1 || die "cpio not found (apt-get install -y cpio)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mk-overlay.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM HUP
mkdir "$tmp/root"
cp "$script" "$tmp/root/test.sh"
chmod 755 "$tmp/root/test.sh"

for spec in "$@"; do
	case $spec in
	*=/*) src=${spec%%=*}; dst=${spec#*=} ;;
	*) die "extra file '$spec' is not SRC=/GUEST/PATH" ;;
	esac
	[ -f "$src" ] || die "no such file: $src"
	case $dst in */../*|*/..|*/./*) die "guest path must be plain: $dst" ;; esac
	mkdir -p "$tmp/root$(dirname "$dst")"
	cp -p "$src" "$tmp/root$dst"
done

(cd "$tmp/root" && find . -mindepth 1 | LC_ALL=C sort | sed 's|^\./||' |
	cpio -o -H newc -R 0:0 --quiet) > "$tmp/out.cpio" || die "cpio failed"
mv -f "$tmp/out.cpio" "$out" 2>/dev/null || cp "$tmp/out.cpio" "$out" || die "cannot write $out"
