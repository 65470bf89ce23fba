#!/bin/bash
# Bytes on nimbus's stdin (--serial tty) reach the guest's ttyS0.
. "$(dirname "$0")/lib.sh"
need_kvm
printf 'echo waiting-for-input; read -r line; echo "guest-got:[$line]"\n' >"$WORK/test.sh"
boot_and_type serial.log waiting-for-input 'typed-by-host-42' --serial tty --log-file "$WORK/nimbus.log"
expect_rc 0
expect_serial "guest-got:\[typed-by-host-42\]"
pass
