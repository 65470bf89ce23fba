#!/bin/bash
# Bytes on nimbus's stdin (--serial tty) reach the guest's ttyS0.
. "$(dirname "$0")/lib.sh"
need_kvm
printf 'echo waiting-for-input; read -r line; echo "guest-got:[$line]"\n' >"$WORK/test.sh"
initrd=$(make_initramfs "$WORK/test.sh")
mkfifo "$WORK/in"
secs=$((120 * TIMEOUT_SCALE))
timeout -k 5 "$secs" "$NIMBUS" --kernel "$GUEST/vmlinux" --initramfs "$initrd" --cmdline "$GUEST_CMDLINE" --memory size=256M \
	--serial tty --log-file "$WORK/nimbus.log" <"$WORK/in" >"$WORK/serial.log" 2>"$WORK/stderr.log" &
pid=$!
exec 3>"$WORK/in"
wait_for "$WORK/serial.log" waiting-for-input $pid || true
printf 'typed-by-host-42\r' >&3
RC=0
wait $pid || RC=$?
exec 3>&-
expect_rc 0
expect_serial "guest-got:\[typed-by-host-42\]"
pass
