/* virtio/virtio_pci.h — virtio over PCI, modern interface only (virtio 1.2, 4.1).
 *
 * One PCI function per virtio device: vendor 0x1af4, device 0x1040 + virtio
 * ID, revision 1 (no legacy interface), no INTx (interrupt pin 0): MSI-X
 * only, with vector 0..nr_queues available (the driver picks).
 *
 * BAR 0 (mem64, VIRTIO_PCI_BAR_SIZE bytes) holds, each described by a vendor
 * capability (cfg_type 1..4):
 *   0x0000 common configuration (struct virtio_pci_common_cfg)
 *   0x1000 ISR status (1 byte, read-to-clear)
 *   0x2000 device-specific configuration (if the device has any)
 *   0x3000 notifications: queue q at 0x3000 + q * 4 (notify_off_multiplier 4)
 *   0x4000 MSI-X table, 0x6000 MSI-X PBA
 * A fifth vendor capability, VIRTIO_PCI_CAP_PCI_CFG (virtio 1.2, 4.1.4.9), is
 * a window into BAR 0 through config space, for firmware that cannot map the
 * BAR: the driver writes bar, offset and length (guest-writable bytes), then
 * a config access that touches pci_cfg_data performs a BAR access of
 * `length` bytes at `offset` through the same region ops as a BAR access
 * (reads store the result in pci_cfg_data; writes send its first `length`
 * bytes). Only bar 0, length 1, 2 or 4, offset aligned to length and inside
 * the BAR are executed; anything else reads 0 and ignores writes.
 * BAR 2 (I/O, VIRTIO_PCI_PIO_SIZE ports) holds the notifications once more:
 * queue q at port q * 4. Its notify capability comes first in the list, so a
 * driver uses port I/O when it got I/O space and the memory one otherwise
 * (the example of virtio 1.2, 4.1.4): a port write exits with port, size
 * and value in hand, while a memory write has to be decoded and emulated by
 * KVM (and by every hypervisor below it when nested).
 * A write to a queue's notify address (either BAR) signals that queue's kick
 * eventfd. The VMM registers the same eventfds as KVM ioeventfds at both
 * addresses (virtio_pci_notify_addr, virtio_pci_notify_port) so
 * notifications normally never exit to userspace.
 *
 * Status: writing 0 resets the device from any state. Otherwise the driver
 * may only add bits. FEATURES_OK is kept only if the driver's features are a
 * subset of the offered ones and include VIRTIO_F_VERSION_1; DRIVER_OK only
 * after FEATURES_OK and starts the device (its I/O thread). Queue registers
 * are writable only while the queue is disabled and DRIVER_OK is clear.
 * Enabling a queue whose rings are invalid (virtq_enable fails) sets
 * DEVICE_NEEDS_RESET and sends a configuration-change interrupt.
 *
 * Threads: register accesses come from vCPU threads, serialized by one
 * mutex per transport; interrupts from the device's I/O thread.
 */
#ifndef NIMBUS_VIRTIO_VIRTIO_PCI_H
#define NIMBUS_VIRTIO_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "pci/msix.h"
#include "pci/pci.h"
#include "virtio/device.h"

#define VIRTIO_PCI_VENDOR_ID 0x1af4
#define VIRTIO_PCI_DEVICE_ID_BASE 0x1040
#define VIRTIO_PCI_BAR 0
#define VIRTIO_PCI_BAR_SIZE 0x8000
#define VIRTIO_PCI_COMMON_OFF 0x0000
#define VIRTIO_PCI_ISR_OFF 0x1000
#define VIRTIO_PCI_DEVICE_OFF 0x2000
#define VIRTIO_PCI_NOTIFY_OFF 0x3000
#define VIRTIO_PCI_NOTIFY_MULT 4
#define VIRTIO_PCI_MSIX_TABLE_OFF 0x4000
#define VIRTIO_PCI_MSIX_PBA_OFF 0x6000
#define VIRTIO_PCI_REGION_SIZE 0x1000
#define VIRTIO_PCI_PIO_BAR 2
#define VIRTIO_PCI_PIO_SIZE 0x80 /* >= VIRTIO_MAX_QUEUES * VIRTIO_PCI_NOTIFY_MULT, a power of two */

/* Capability cfg_type values. */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG 5

/* struct virtio_pci_cfg_cap: the vendor capability header (bar at 4,
 * offset at 8, length at 12) followed by the 4-byte data window. */
#define VIRTIO_PCI_CFG_CAP_LEN 20
#define VIRTIO_PCI_CFG_CAP_BAR 4
#define VIRTIO_PCI_CFG_CAP_OFFSET 8
#define VIRTIO_PCI_CFG_CAP_LENGTH 12
#define VIRTIO_PCI_CFG_CAP_DATA 16

/* Common configuration register offsets. */
#define VIRTIO_PCI_COMMON_DFSELECT 0x00
#define VIRTIO_PCI_COMMON_DF 0x04
#define VIRTIO_PCI_COMMON_GFSELECT 0x08
#define VIRTIO_PCI_COMMON_GF 0x0c
#define VIRTIO_PCI_COMMON_MSIX 0x10
#define VIRTIO_PCI_COMMON_NUMQ 0x12
#define VIRTIO_PCI_COMMON_STATUS 0x14
#define VIRTIO_PCI_COMMON_CFGGENERATION 0x15
#define VIRTIO_PCI_COMMON_Q_SELECT 0x16
#define VIRTIO_PCI_COMMON_Q_SIZE 0x18
#define VIRTIO_PCI_COMMON_Q_MSIX 0x1a
#define VIRTIO_PCI_COMMON_Q_ENABLE 0x1c
#define VIRTIO_PCI_COMMON_Q_NOFF 0x1e
#define VIRTIO_PCI_COMMON_Q_DESCLO 0x20
#define VIRTIO_PCI_COMMON_Q_DESCHI 0x24
#define VIRTIO_PCI_COMMON_Q_AVAILLO 0x28
#define VIRTIO_PCI_COMMON_Q_AVAILHI 0x2c
#define VIRTIO_PCI_COMMON_Q_USEDLO 0x30
#define VIRTIO_PCI_COMMON_Q_USEDHI 0x34
#define VIRTIO_PCI_COMMON_SIZE 0x38

#define VIRTIO_PCI_NO_VECTOR 0xffff
#define VIRTIO_PCI_ISR_QUEUE 1u
#define VIRTIO_PCI_ISR_CONFIG 2u

struct virtio_pci;

struct virtio_pci_config {
	/* MSI-X callbacks, passed through to msix_create (see pci/msix.h). */
	void (*deliver)(void *ctx, uint16_t vector, uint64_t addr, uint32_t data);
	void (*route_changed)(void *ctx, uint16_t vector, uint64_t addr, uint32_t data, bool masked);
	void *ctx;
	void *owner; /* pci_device_owner() of the function */
};

/* Make the PCI function for vdev (which must outlive it): BAR 0, the five
 * capabilities and MSI-X with nr_queues + 1 vectors. The function is not on
 * a bus yet (virtio_pci_add_to_bus). Returns 0, -EINVAL or -ENOMEM. */
__attribute__((warn_unused_result)) int virtio_pci_create(struct virtio_device *vdev,
							  const struct virtio_pci_config *cfg,
							  struct virtio_pci **out);
/* pci_bus_add_device for the function; the bus owns it afterwards. */
__attribute__((warn_unused_result)) int virtio_pci_add_to_bus(struct virtio_pci *vp, struct pci_bus *bus,
							      int slot);
/* Destroy after the PCI bus (which owns the function) is gone. */
void virtio_pci_destroy(struct virtio_pci *vp);

struct pci_device *virtio_pci_pci_device(struct virtio_pci *vp);
struct virtio_device *virtio_pci_virtio_device(struct virtio_pci *vp);
struct msix *virtio_pci_msix(struct virtio_pci *vp);
/* Guest address of queue q's notify register for a BAR 0 at bar_addr. */
uint64_t virtio_pci_notify_addr(uint64_t bar_addr, unsigned q);
/* I/O port of queue q's notify register for a BAR 2 at port base. */
uint64_t virtio_pci_notify_port(uint64_t base, unsigned q);

/* Current status byte and ISR (tests). */
uint8_t virtio_pci_status(struct virtio_pci *vp);

#endif
