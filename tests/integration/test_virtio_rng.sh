#!/bin/bash
# virtio-rng over virtio-pci: the guest enumerates it (1af4:1044), binds
# virtio_rng, reads >= 1 MiB from /dev/hwrng, and uses MSI-X; unbind/bind
# (a device reset from the guest) works and reads still succeed.
. "$(dirname "$0")/lib.sh"
need_kvm
boot_script '
for d in /sys/bus/pci/devices/*; do echo "pcidev $(basename $d) $(cat $d/vendor):$(cat $d/device)"; done
echo "rng_current=$(cat /sys/class/misc/hw_random/rng_current)"
echo "hwrng_bytes=$(dd if=/dev/hwrng bs=64k count=16 2>/dev/null | wc -c)"
grep -i msi /proc/interrupts | sed "s/^/irq: /"
dev=$(basename $(readlink /sys/bus/virtio/drivers/virtio_rng/virtio*))
echo "rng_virtio_dev=$dev"
echo $dev > /sys/bus/virtio/drivers/virtio_rng/unbind
echo $dev > /sys/bus/virtio/drivers/virtio_rng/bind
echo "after_rebind=$(cat /sys/class/misc/hw_random/rng_current)"
echo "hwrng_bytes2=$(dd if=/dev/hwrng bs=4k count=4 2>/dev/null | wc -c)"
' --memory size=256M
expect_rc 0
expect_test_ok
expect_serial "0x1af4:0x1044"
expect_serial "rng_current=virtio_rng"
n=$(sed -n 's/.*hwrng_bytes=\([0-9]*\).*/\1/p' "$WORK/serial.log" | head -1)
[ -n "$n" ] && [ "$n" -ge 1048576 ] || fail "read only '${n}' bytes from /dev/hwrng"
grep -q "irq: .*PCI-MSIX" "$WORK/serial.log" || grep -q "irq: .*MSI" "$WORK/serial.log" || fail "no MSI-X interrupts in /proc/interrupts"
expect_serial "after_rebind=virtio_rng"
n2=$(sed -n 's/.*hwrng_bytes2=\([0-9]*\).*/\1/p' "$WORK/serial.log" | head -1)
[ "${n2:-0}" -ge 16384 ] || fail "after rebind read only '${n2}' bytes"
pass "read $n bytes from virtio-rng, MSI-X in use, rebind works"
