#!/bin/bash
# SIGTERM with --sigterm-grace presses the ACPI power button (GED interrupt →
# _EVT → Notify(PWRB)); busybox acpid in the guest runs poweroff; nimbus sees
# ACPI S5 and exits 0 before the grace period ends.
. "$(dirname "$0")/lib.sh"
need_kvm
cat >"$WORK/test.sh" <<'GUEST'
mkdir -p /etc/acpi/PWRF /var/run /var/log
printf '#!/bin/sh\necho power-button-pressed\nsync\npoweroff -f\n' >/etc/acpi/PWRF/00000080
chmod 755 /etc/acpi/PWRF/00000080
acpid -d 2>/tmp/acpid.log &
sleep 1
ls /dev/input/
echo guest-waiting-for-button
sleep 600
GUEST
initrd=$(make_initramfs "$WORK/test.sh")
"$NIMBUS" --kernel "$GUEST/vmlinux" --initramfs "$initrd" --cmdline "$GUEST_CMDLINE" --memory size=256M --sigterm-grace 120 \
	--serial "file=$WORK/serial.log" --log-file "$WORK/nimbus.log" -v </dev/null &
pid=$!
wait_for "$WORK/serial.log" guest-waiting-for-button $pid || { kill -9 $pid; fail "guest never got ready"; }
kill -TERM $pid
RC=0
wait $pid || RC=$?
expect_rc 0
grep -q "pressing the ACPI power button" "$WORK/nimbus.log" || fail "SIGTERM did not press the power button"
expect_serial "power-button-pressed"
grep -q "guest powered off (ACPI S5)" "$WORK/nimbus.log" || fail "guest did not power off through ACPI"
pass
