#!/bin/bash
# kvm-host-run.sh [OPTIONS] -- CMD [ARGS...]
#
# Run CMD inside an emulated KVM host: a QEMU/TCG virtual machine (pure
# software, no /dev/kvm needed on this machine) with nested SVM, running
# Debian's generic kernel with kvm-amd loaded, so CMD sees a working /dev/kvm.
# CMD runs chrooted in this machine's root filesystem (read-only over 9p), in
# the same working directory, with the same environment, and with a writable
# share (default: $PWD/build) mounted at the same path, so results written there
# come back. CMD's stdout and stderr go to this script's stdout; its exit status
# becomes this script's exit status.
#
# Options:
#   --mem SIZE       memory of the emulated host (default 8G)
#   --cpus N         vCPUs of the emulated host (default 2)
#   --share DIR      writable directory shared at the same path (default
#                    $PWD/build, created if missing)
#   --timeout SECS   kill the emulated host after SECS seconds (default 1800;
#                    0 = never); exit status 124
#   --interactive    CMD gets the console as its terminal (e.g. -- bash)
#   --verbose        show the emulated host's kernel log and init progress
#   --root-cache MODE  9p cache mode of the read-only root: loose (default:
#                    exec is ~10x faster; files changed on this machine outside
#                    the share during the run may be seen stale) or none
#   --qemu-arg ARG   extra QEMU argument (repeatable)
#   --append STR     extra kernel command line for the emulated host
#
# Exit status: CMD's; 124 on timeout; 125 when the emulated host failed (no
# status came back) or on a usage error.
# Kernel, modules and busybox come from Debian's archive (the package behind
# linux-image-amd64), prepared once and cached in ${NIMBUS_CACHE:-build/cache}/.
set -euo pipefail

prog=kvm-host-run
die() { echo "$prog: $*" >&2; exit 125; }

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${NIMBUS_CACHE:-$repo/build/cache}

mem=8G
cpus=2
share=""
timeout_s=1800
interactive=0
verbose=0
root_cache=loose
qemu_extra=()
append=""

while [ $# -gt 0 ]; do
	case $1 in
	--mem) [ $# -ge 2 ] || die "--mem needs a size"; mem=$2; shift 2 ;;
	--cpus) [ $# -ge 2 ] || die "--cpus needs a number"; cpus=$2; shift 2 ;;
	--share) [ $# -ge 2 ] || die "--share needs a directory"; share=$2; shift 2 ;;
	--timeout) [ $# -ge 2 ] || die "--timeout needs seconds"; timeout_s=$2; shift 2 ;;
	--interactive|-i) interactive=1; shift ;;
	--verbose|-v) verbose=1; shift ;;
	--root-cache) [ $# -ge 2 ] || die "--root-cache needs none|loose"; root_cache=$2; shift 2 ;;
	--append) [ $# -ge 2 ] || die "--append needs a string"; append="$append $2"; shift 2 ;;
	--qemu-arg) [ $# -ge 2 ] || die "--qemu-arg needs an argument"; qemu_extra+=("$2"); shift 2 ;;
	-h|--help) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	--) shift; break ;;
	*) die "unknown option '$1' (usage: kvm-host-run.sh [OPTIONS] -- CMD [ARGS...])" ;;
	esac
done
[ $# -gt 0 ] || die "no command (usage: kvm-host-run.sh [OPTIONS] -- CMD [ARGS...])"
case $cpus in ''|*[!0-9]*) die "--cpus: not a number: $cpus" ;; esac
case $timeout_s in ''|*[!0-9]*) die "--timeout: not a number of seconds: $timeout_s" ;; esac
case $mem in ''|*[!0-9MGmgKk]*) die "--mem: not a size: $mem" ;; esac
case $root_cache in none|loose) ;; *) die "--root-cache: none or loose, not $root_cache" ;; esac
command -v qemu-system-x86_64 >/dev/null 2>&1 ||
	die "qemu-system-x86_64 not found (apt-get install -y qemu-system-x86)"

cwd=$(pwd -P)
share=${share:-$cwd/build}
mkdir -p "$share" || die "cannot create share directory $share"
share=$(cd "$share" && pwd -P)
case $share in *,*) die "share path must not contain a comma (QEMU option syntax): $share" ;; esac
# /tmp and /run are fresh tmpfs in the emulated host: a working directory
# there (a clone in /tmp) is shared read-only at its path (the writable share
# goes on top of it when it lies inside).
cwd_share=""
case $cwd/ in
"$share"/*) ;;
/tmp/*|/run/*)
	case $cwd in *,*) die "cwd must not contain a comma (QEMU option syntax): $cwd" ;; esac
	cwd_share=$cwd ;;
esac

# --- the emulated host's kernel + initramfs (cached) ---------------------------
hostdir=$cache/kvm-host
mkdir -p "$cache" || die "cannot create cache directory $cache"
prep=(--kernel-meta linux-image-amd64 --init "$here/host-init"
	--modules "virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p irqbypass ccp kvm kvm-amd"
	--optional-modules "tun llc stp bridge veth" "$hostdir")
if command -v flock >/dev/null 2>&1; then
	# Several harness runs may start at once: prepare under a lock.
	flock "$cache/kvm-host.lock" "$repo/scripts/prepare-guest.sh" "${prep[@]}" >/dev/null ||
		die "preparing the emulated host failed"
else
	"$repo/scripts/prepare-guest.sh" "${prep[@]}" >/dev/null || die "preparing the emulated host failed"
fi

# --- control share: config, command, exit status --------------------------------
ctl=$(mktemp -d "${TMPDIR:-/tmp}/kvm-host-run.XXXXXX") || die "mktemp failed"
qpid=""
wpid=""
cleanup() {
	[ -z "$qpid" ] || kill "$qpid" 2>/dev/null || true
	[ -z "$wpid" ] || kill "$wpid" 2>/dev/null || true
	rm -rf "$ctl"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

q() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }
{
	echo "INTERACTIVE=$interactive"
	echo "SHARE=$(q "$share")"
	echo "CWDSHARE=$(q "$cwd_share")"
	echo "ROOTCACHE=$root_cache"
} > "$ctl/config"
{
	echo "# generated by kvm-host-run.sh"
	while IFS= read -r name; do
		case $name in
		PWD|OLDPWD|SHLVL|_|TMPDIR|HOSTNAME|XDG_RUNTIME_DIR|SSH_AUTH_SOCK|DBUS_SESSION_BUS_ADDRESS) continue ;;
		*[!A-Za-z0-9_]*|[0-9]*) continue ;;
		esac
		printf 'export %s=%s\n' "$name" "$(q "${!name}")"
	done < <(compgen -e)
	echo "export NIMBUS_EMULATED_HOST=1"
	echo "cd $(q "$cwd") || { echo \"kvm-host: cannot cd to $(q "$cwd")\" >&2; exit 125; }"
	printf 'exec'
	for a in "$@"; do printf ' %s' "$(q "$a")"; done
	echo
} > "$ctl/cmd.sh"

# --- run ---------------------------------------------------------------------------
cmdline="console=ttyS0 panic=1 mitigations=off"
if [ "$verbose" = 1 ]; then
	cmdline="$cmdline kvmhost_verbose=1"
else
	cmdline="$cmdline quiet loglevel=3"
fi
cmdline="$cmdline$append"
if [ "$interactive" = 1 ]; then
	serial=(-chardev stdio,id=con,signal=off -serial chardev:con)
else
	serial=(-serial stdio)
fi
qemu=(qemu-system-x86_64 -accel tcg,thread=multi -smp "$cpus" -cpu qemu64,+svm,+npt -m "$mem"
	-M pc -display none -no-reboot -nodefaults "${serial[@]}"
	-kernel "$hostdir/vmlinux" -initrd "$hostdir/initramfs.cpio.gz" -append "$cmdline"
	-virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap
	-virtfs "local,path=$share,mount_tag=share,security_model=none,multidevs=remap"
	-virtfs "local,path=$ctl,mount_tag=ctl,security_model=none"
	"${qemu_extra[@]}")
[ -z "$cwd_share" ] ||
	qemu+=(-virtfs "local,path=$cwd_share,mount_tag=cwd,security_model=none,readonly=on,multidevs=remap")

# watch_console: copies the emulated host's console to stdout. When its own
# kernel fails — an oops, a BUG, a panic, or a CPU stuck for 100 s or more
# (seen once: "soft lockup - CPU#0 stuck" in nimbus's context, for 20 min) —
# it records why in ctl/error and stops QEMU, so the run ends with 125 at once
# instead of at the timeout. Lines from nested guests never start with the
# kernel's "[ seconds]" stamp here (tests keep guest output in files and the
# runner indents what it shows), so they cannot trigger this.
watch_console() {
	local line secs
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case $line in
		'['*'] watchdog: BUG: soft lockup'*)
			secs=${line##*stuck for }
			secs=${secs%%s!*}
			case $secs in ''|*[!0-9]*) continue ;; esac
			[ "$secs" -ge 100 ] || continue
			;;
		'['*'] Kernel panic'* | '['*'] Oops'* | '['*'] BUG:'* | '['*'] general protection fault'*) ;;
		*) continue ;;
		esac
		[ -s "$ctl/error" ] || echo "the emulated host's kernel failed: ${line#*] }" >"$ctl/error"
		[ -s "$ctl/qemu.pid" ] && kill "$(cat "$ctl/qemu.pid")" 2>/dev/null
	done
}

start=$(date +%s)
if [ "$interactive" = 1 ]; then
	# A background job's stdin is /dev/null unless redirected explicitly.
	exec 3<&0
	"${qemu[@]}" <&3 3<&- &
	exec 3<&-
else
	exec 4> >(watch_console)
	console_pid=$!
	"${qemu[@]}" -pidfile "$ctl/qemu.pid" </dev/null >&4 4>&- &
fi
qpid=$!
timed_out=0
if [ "$timeout_s" -gt 0 ]; then
	(
		sleep "$timeout_s" &
		spid=$!
		trap 'kill $spid 2>/dev/null; exit 0' TERM
		wait $spid
		touch "$ctl/timed-out"
		kill "$qpid" 2>/dev/null
	) 4>&- &
	wpid=$!
fi
qrc=0
wait "$qpid" || qrc=$?
qpid=""
if [ "$interactive" = 0 ]; then
	exec 4>&- # the watcher sees the end of the console and finishes printing it
	wait "$console_pid" 2>/dev/null || true
fi
if [ "$timeout_s" -gt 0 ]; then
	kill "$wpid" 2>/dev/null || true
	wait "$wpid" 2>/dev/null || true
	wpid=""
fi
[ -e "$ctl/timed-out" ] && timed_out=1
[ "$verbose" = 1 ] && echo "$prog: emulated host ran $(( $(date +%s) - start )) s" >&2

if [ "$timed_out" = 1 ]; then
	echo "$prog: timed out after $timeout_s s" >&2
	exit 124
fi
if [ -s "$ctl/rc" ]; then
	rc=$(cat "$ctl/rc")
	case $rc in ''|*[!0-9]*) die "bad exit status from the emulated host: $rc" ;; esac
	exit "$rc"
fi
if [ -s "$ctl/error" ]; then
	die "emulated host failed: $(cat "$ctl/error")"
fi
die "emulated host stopped without an exit status (QEMU status $qrc; rerun with --verbose)"
