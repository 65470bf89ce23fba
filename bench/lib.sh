# shellcheck shell=bash
# bench/lib.sh — the set-up bench/blk/run.sh and bench/net/run.sh share
# (sourced): strict mode, the repository as the working directory, $REPO and
# $BUILD, and the helpers below.
set -eu
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
BUILD=$REPO/build

# bench_prepare NAME: builds nimbus, prepares the default guest
# ($BUILD/guest) and makes the directory $BUILD/bench-NAME.
bench_prepare() {
	ninja -C "$BUILD" >/dev/null
	scripts/prepare-guest.sh "$BUILD/guest" >/dev/null
	mkdir -p "$BUILD/bench-$1"
}

# bench_initrd NAME [SRC=/GUEST/PATH...]: $BUILD/bench-NAME/initrd.img, the
# default guest's initramfs with $BUILD/bench-NAME/guest.sh as /test.sh and
# the files given (as scripts/mk-overlay.sh takes them).
bench_initrd() {
	local dir=$BUILD/bench-$1
	shift
	scripts/mk-overlay.sh "$dir/guest.sh" "$dir/overlay.cpio" "$@" >/dev/null
	cat "$BUILD/guest/initramfs.cpio.gz" "$dir/overlay.cpio" >"$dir/initrd.img"
}

# bench_run NAME SECS CMD...: runs CMD on the host's /dev/kvm when
# scripts/pick-kvm.sh says so, else inside the emulated KVM host (at most
# SECS seconds); says which.
bench_run() {
	local name=$1 secs=$2
	shift 2
	if [ "$(scripts/pick-kvm.sh)" = host ]; then
		echo "bench/$name: on the host's /dev/kvm"
		"$@"
	else
		echo "bench/$name: inside the emulated KVM host (QEMU TCG + nested SVM); absolute numbers are those of an emulated machine, compare ratios"
		tests/harness/kvm-host-run.sh --timeout "$secs" -- "$@"
	fi
}
