#!/bin/bash
# bzImage through the 64-bit boot protocol (setup header copied to the zero page).
. "$(dirname "$0")/lib.sh"
need_kvm
printf 'echo bz-ok; uname -r\n' >"$WORK/test.sh"
initrd=$(make_initramfs "$WORK/test.sh")
run_nimbus 120 --kernel "$GUEST/bzImage" --initramfs "$initrd" --memory size=256M
expect_rc 0
expect_test_ok
expect_serial "bz-ok"
expect_serial "$(cat "$GUEST/kernel-release")"
pass
