/* pci/msix.h — the MSI-X capability, vector table and pending-bit array.
 *
 * msix_create() appends the MSI-X capability (ID 0x11, 12 bytes) to a PCI
 * device and puts the table (16 bytes per vector) and the PBA (one bit per
 * vector, in 64-bit words) as regions into the device's memory BARs (which
 * must already be declared with pci_device_add_bar).
 *
 * Message control: table size (read-only), function mask (bit 14) and
 * MSI-X enable (bit 15) are guest-writable. At reset every vector is masked
 * (vector control bit 0 set), address and data are 0, enable and function
 * mask are clear.
 *
 * Table accesses must be 4 or 8 bytes, aligned to their size (an 8-byte
 * access covers two dwords of one entry). Anything else is ignored and reads
 * return 0 (the spec leaves such accesses undefined). Only bit 0 (mask) of
 * the vector control dword is writable; its other bits read 0. The PBA is
 * read-only (writes ignored), with the same access rule.
 *
 * A vector is "masked" (not deliverable) while MSI-X is disabled, the
 * function is masked, or its own mask bit is set. msix_notify() delivers a
 * deliverable vector through `deliver`, otherwise sets its pending bit; when
 * a pending vector becomes deliverable (unmask, function unmask, enable) it is
 * delivered and its pending bit cleared. A pending interrupt raised while
 * MSI-X was disabled is therefore delivered once MSI-X is enabled (harmless:
 * a spurious interrupt, never a lost one). The bus master enable bit is not
 * checked.
 *
 * `route_changed` is called for a vector whenever its address, data or
 * effective masked state changes (table writes, enable or function-mask
 * changes), so the VMM can keep its KVM GSI route for the vector current.
 *
 * Threading: one mutex per msix. Table/PBA accesses (vCPU threads), config
 * writes to message control (vCPU threads) and msix_notify (device threads)
 * may run concurrently. `deliver` and `route_changed` are called with that
 * mutex held, so their order matches the guest's view; they must not call
 * back into msix_* for the same msix and should not block for long (an
 * irqfd write, a KVM_SET_GSI_ROUTING ioctl).
 *
 * Lifetime: destroy the msix only after its PCI device is gone (the device
 * keeps pointers to it for its config hooks and BAR regions).
 */
#ifndef NIMBUS_PCI_MSIX_H
#define NIMBUS_PCI_MSIX_H

#include <stdbool.h>
#include <stdint.h>

#include "pci/pci.h"

#define MSIX_MAX_VECTORS 2048
#define MSIX_ENTRY_SIZE 16
#define MSIX_CAP_LEN 12
#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_CTRL_FMASK 0x4000
#define MSIX_CTRL_SIZE_MASK 0x07ff
#define MSIX_VECTOR_MASKED 0x1

/* Size of the table and of the PBA for n vectors. */
#define MSIX_TABLE_SIZE(n) ((uint64_t)(n) * MSIX_ENTRY_SIZE)
#define MSIX_PBA_SIZE(n) ((((uint64_t)(n) + 63) / 64) * 8)

struct msix_config {
	uint16_t nr_vectors;   /* 1..2048 */
	unsigned table_bar;    /* a declared mem32/mem64 BAR */
	uint32_t table_offset; /* 8-byte aligned, table inside the BAR */
	unsigned pba_bar;
	uint32_t pba_offset;   /* 8-byte aligned, PBA inside the BAR */
	/* Raise the interrupt now (an irqfd write or KVM_SIGNAL_MSI). */
	void (*deliver)(void *ctx, uint16_t vector, uint64_t addr, uint32_t data);
	/* Vector's route changed; masked = not deliverable. May be NULL. */
	void (*route_changed)(void *ctx, uint16_t vector, uint64_t addr, uint32_t data, bool masked);
	void *ctx;
};

struct msix;

/* Add the capability and the table/PBA regions to dev. Returns 0, -EINVAL
 * (bad config: vector count, BAR not declared or io, offsets unaligned, not
 * inside the BAR, table and PBA overlap, no deliver), -EEXIST (overlaps
 * another BAR region), -ENOSPC (no room for the capability) or -ENOMEM. */
__attribute__((warn_unused_result)) int msix_create(struct pci_device *dev,
						    const struct msix_config *cfg, struct msix **out);
void msix_destroy(struct msix *msix);

/* The device has an interrupt for `vector`. Returns true if delivered now,
 * false if left pending (or vector >= nr_vectors, e.g. virtio's 0xffff "no
 * vector": ignored). Safe from any thread. */
bool msix_notify(struct msix *msix, uint16_t vector);

/* Current state, for the VMM (initial routes) and tests. */
bool msix_enabled(struct msix *msix);
bool msix_function_masked(struct msix *msix);
/* Returns 0 or -EINVAL (vector out of range). masked = effective state. */
__attribute__((warn_unused_result)) int msix_get_vector(struct msix *msix, uint16_t vector,
							uint64_t *addr, uint32_t *data,
							bool *masked);
bool msix_pending(struct msix *msix, uint16_t vector);
uint16_t msix_nr_vectors(const struct msix *msix);
uint8_t msix_cap_offset(const struct msix *msix);

#endif
