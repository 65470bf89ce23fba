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
boot_and_type console.log hello-from-hvc0 'echo cmd-output-$((6*7))' \
	--serial "file=$WORK/serial.log" --console tty --log-file "$WORK/nimbus.log" -v
expect_rc 0
expect_test_ok
expect_serial "console-bound"
grep -q "hello-from-hvc0" "$WORK/console.log" || fail "hvc0 output did not reach stdout"
expect_serial "serial-got:\[echo cmd-output"
grep -q "cmd-output-42" "$WORK/console.log" || fail "the typed command's output did not come back on hvc0"
pass "hvc0 output and input work"
