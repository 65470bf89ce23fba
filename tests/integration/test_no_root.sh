#!/bin/bash
# nimbus runs as an ordinary user (issue 8): uid/gid 65534 with no
# supplementary groups and no capabilities (setpriv), given exactly the
# permissions docs/security.md lists — read-write on a KVM device node, its
# disk image, a tap created for it (`ip tuntap add ... user 65534`) with
# /dev/net/tun read-write for everyone (Debian's default), and a
# directory of its own for the API socket and its output files. It boots the
# default guest with a disk and a network card; while it runs, /proc says
# uid 65534, CapEff/CapPrm 0 and seccomp on; the guest's disk I/O and a ping
# to the host work; SIGTERM → exit 0. Without access to the KVM device it
# stops at once with one clear error line (exit 2).
#
# The KVM device is a node of its own (/dev/nimbus-test-kvm, same major/minor
# as /dev/kvm, chosen with NIMBUS_KVM_DEV) so /dev/kvm's permissions are not
# touched for the tests that run after this one.
. "$(dirname "$0")/lib.sh"
need_kvm
command -v setpriv >/dev/null || fail "setpriv (util-linux) missing"
command -v ip >/dev/null || fail "ip (iproute2) missing"
U=65534
KVMDEV=/dev/nimbus-test-kvm
TAP=nbnoroot0
TUN_MODE=$(stat -c %a /dev/net/tun) || fail "no /dev/net/tun"
cleanup() {
	chmod "$TUN_MODE" /dev/net/tun
	rm -f "$KVMDEV"
	ip link del "$TAP" 2>/dev/null
	save_work
}
trap cleanup EXIT

# The user's own directory (socket, serial, log, disk image).
D=$WORK/user
mkdir -p "$D"
chmod 755 "$WORK"
truncate -s 64M "$D/disk.img"
chown -R $U:$U "$D"
chmod 700 "$D"
# Its KVM device node and its tap.
kvm_dev=$(stat -c '%t %T' /dev/kvm) || fail "no /dev/kvm"
set -- $kvm_dev
rm -f "$KVMDEV"
mknod "$KVMDEV" c $((16#$1)) $((16#$2)) || fail "mknod $KVMDEV"
chown $U:$U "$KVMDEV"
chmod 600 "$KVMDEV"
ip link del "$TAP" 2>/dev/null
ip tuntap add dev "$TAP" mode tap vnet_hdr user $U || fail "ip tuntap add ... user $U"
# /dev/net/tun as Debian's udev sets it (0666); the emulated host has no udev.
chmod 666 /dev/net/tun
ip addr add 10.0.77.1/24 dev "$TAP" || fail "cannot address $TAP"
ip link set "$TAP" up

cat >"$WORK/test.sh" <<GUEST
ip link set eth0 up
ip addr add 10.0.77.2/24 dev eth0
ping -c 2 -W 5 10.0.77.1 >/dev/null && echo ping-ok
$GUEST_DISK_ROUNDTRIP
echo guest-ready
while true; do sleep 1; done
GUEST
initrd=$(make_initramfs "$WORK/test.sh")
chmod 644 "$initrd"
AS_USER=(setpriv --reuid=$U --regid=$U --clear-groups --inh-caps=-all) # execs: same pid
nimbus_args=(--kernel "$GUEST/vmlinux" --initramfs "$initrd" --cmdline "$GUEST_CMDLINE" --disk "path=$D/disk.img" --net "tap=$TAP"
	--api-socket "path=$D/api.sock" --serial "file=$D/serial.log" --log-file "$D/nimbus.log" -v)

# Without access to the KVM device: one clear error, exit 2.
chmod 000 "$KVMDEV"
RC=0
NIMBUS_KVM_DEV=$KVMDEV "${AS_USER[@]}" "$NIMBUS" "${nimbus_args[@]}" </dev/null >"$WORK/stdout0.log" 2>"$WORK/stderr0.log" || RC=$?
[ "$RC" = 2 ] || fail "without KVM access: exit code $RC, expected 2"
grep -q "$KVMDEV.*ermission denied" "$D/nimbus.log" "$WORK/stderr0.log" ||
	fail "without KVM access: no clear error ($(tail -1 "$D/nimbus.log"))"
chmod 600 "$KVMDEV"
rm -f "$D/nimbus.log"

NIMBUS_KVM_DEV=$KVMDEV "${AS_USER[@]}" "$NIMBUS" "${nimbus_args[@]}" </dev/null >"$WORK/stdout.log" 2>"$WORK/stderr.log" &
pid=$!
for _ in $(seq 1 50); do grep -q nimbus /proc/$pid/comm 2>/dev/null && break; sleep 0.1; done # setpriv has exec'd
wait_for "$D/serial.log" guest-ready $pid 180 || { cp "$D/serial.log" "$D/nimbus.log" "$WORK/" 2>/dev/null; fail "guest did not get ready"; }
cp "$D/serial.log" "$WORK/serial.log"
expect_serial disk-ok
expect_serial ping-ok
status=/proc/$pid/status
grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' "$status" | tee "$WORK/status.txt"
grep -qE "^Uid:\s+$U\s+$U\s+$U\s+$U$" "$status" || fail "nimbus does not run as uid $U"
grep -qE '^CapEff:\s+0+$' "$status" || fail "nimbus has effective capabilities: $(grep CapEff "$status")"
grep -qE '^CapPrm:\s+0+$' "$status" || fail "nimbus has permitted capabilities: $(grep CapPrm "$status")"
grep -qE '^Seccomp:\s+2$' "$status" || fail "seccomp is not on: $(grep Seccomp: "$status")"
curl -s --unix-socket "$D/api.sock" http://localhost/api/v1/vm.info | grep -q '"Running"' || fail "API as the user"
kill -TERM $pid
RC=0
wait $pid || RC=$?
cp "$D/nimbus.log" "$WORK/nimbus.log"
expect_rc 0
grep -q "seccomp: thread" "$WORK/nimbus.log" && fail "a system call was denied"
pass "uid $U, no capabilities, seccomp on: disk and tap work"
