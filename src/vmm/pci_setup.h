/* vmm/pci_setup.h — the VMM's PCI glue: root bus, config access on the
 * buses, BAR placement, MSI-X → KVM routes/irqfds, virtio-pci devices with
 * their notify ioeventfds.
 *
 * Set-up (control thread, before vCPUs run): pci_setup_create, then
 * pci_setup_add_virtio for each device, then pci_setup_allocate_bars. At run
 * time the guest reprograms BARs (bar_moved, on vCPU threads) and MSI-X
 * vectors (route_changed); device threads deliver interrupts through irqfds.
 * Teardown after the vCPUs stopped: pci_setup_destroy.
 */
#ifndef NIMBUS_VMM_PCI_SETUP_H
#define NIMBUS_VMM_PCI_SETUP_H

#include <stdint.h>

#include "bus/bus.h"
#include "kvm/kvm.h"
#include "mem/guest_mem.h"
#include "virtio/registry.h"

struct pci_setup_config {
	struct kvm_vm *kvm;
	const struct guest_mem *gm;
	struct bus *pio, *mmio;
	uint64_t mmio64_start, mmio64_end; /* 64-bit BAR window, inclusive end */
};

struct pci_setup;

/* Root bus with config access at 0xcf8 (PIO) and the ECAM window (MMIO).
 * 0 or -errno (logged). */
__attribute__((warn_unused_result)) int pci_setup_create(const struct pci_setup_config *cfg,
							 struct pci_setup **out);
/* A virtio-pci device of `type` with backend fds `be` (not owned). 0 or
 * -errno (logged). */
__attribute__((warn_unused_result)) int pci_setup_add_virtio(struct pci_setup *ps,
							     const struct virtio_device_type *type,
							     const struct virtio_backend *be);
/* The same for a device created by its own constructor (per-instance ops,
 * e.g. virtio-blk's queue count): priv is owned from here on, freed through
 * ops->destroy also on failure. 0 or -errno (logged). */
__attribute__((warn_unused_result)) int pci_setup_add_virtio_ops(struct pci_setup *ps, const char *type_name,
								 const struct virtio_device_ops *ops, void *priv);
/* Give every BAR an address (the guest may move them). 0 or -errno. */
__attribute__((warn_unused_result)) int pci_setup_allocate_bars(struct pci_setup *ps);
void pci_setup_destroy(struct pci_setup *ps);
/* Pause (true) or resume every virtio device's I/O thread (VM pause). */
void pci_setup_pause(struct pci_setup *ps, bool pause);

/* The 64-bit BAR window for a guest whose RAM ends at ram_end. */
void pci_setup_mmio64_window(uint64_t ram_end, uint64_t *start, uint64_t *end);

#endif
