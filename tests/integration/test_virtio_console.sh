#!/bin/bash
# virtio-console (--console tty, serial to a file): the guest's hvc0 output
# reaches nimbus's stdout, and a command typed on nimbus's stdin runs on hvc0
# and its output comes back.
. "$(dirname "$0")/lib.sh"
need_kvm
cat >"$WORK/test.sh" <<'SCRIPT'
ls /sys/bus/virtio/drivers/virtio_console/ | grep virtio && echo console-bound
exec 3<>/dev/hvc0
stty -F /dev/hvc0 -echo 2>/dev/null
echo "hello-from-hvc0" >&3
read -r cmd <&3
echo "serial-got:[$cmd]"
eval "$cmd" >&3
sleep 1
SCRIPT
initrd=$(make_initramfs "$WORK/test.sh")
mkfifo "$WORK/in"
secs=$((120 * TIMEOUT_SCALE))
timeout -k 5 "$secs" "$NIMBUS" --kernel "$GUEST/vmlinux" --initramfs "$initrd" --cmdline "$GUEST_CMDLINE" --memory size=256M \
	--serial "file=$WORK/serial.log" --console tty --log-file "$WORK/nimbus.log" -v \
	<"$WORK/in" >"$WORK/console.log" 2>"$WORK/stderr.log" &
pid=$!
exec 3>"$WORK/in"
wait_for "$WORK/console.log" hello-from-hvc0 $pid || true
printf 'echo cmd-output-$((6*7))\r' >&3
RC=0
wait $pid || RC=$?
exec 3>&-
expect_rc 0
expect_test_ok
expect_serial "console-bound"
grep -q "hello-from-hvc0" "$WORK/console.log" || fail "hvc0 output did not reach stdout"
expect_serial "serial-got:\[echo cmd-output"
grep -q "cmd-output-42" "$WORK/console.log" || fail "the typed command's output did not come back on hvc0"
pass "hvc0 output and input work"
