/* kvm/irq_routing.h — KVM GSI routing for MSI(-X), irqfds and ioeventfds.
 *
 * KVM_SET_GSI_ROUTING replaces the whole table, so this module keeps it: the
 * default irqchip entries (GSIs 0-15 on the PIC and IOAPIC, 16-23 on the
 * IOAPIC) plus one MSI entry per allocated GSI. GSIs for MSI come from a
 * range allocator starting at 24. Thread-safe (one mutex): MSI-X table
 * writes arrive on vCPU threads. */
#ifndef NIMBUS_KVM_IRQ_ROUTING_H
#define NIMBUS_KVM_IRQ_ROUTING_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "kvm/kvm.h"
#include "mem/range_alloc.h"

#define KVM_IRQ_FIRST_MSI_GSI 24
#define KVM_IRQ_MAX_GSI 1023

struct kvm_msi_route {
	uint32_t gsi;
	uint64_t addr;
	uint32_t data;
	bool active; /* present in KVM's table (unmasked and valid) */
};

struct gsi_routes {
	struct kvm_vm *vm;
	pthread_mutex_t lock;
	struct range_alloc gsis;
	struct kvm_msi_route *routes;
	unsigned nr, cap;
};

__attribute__((warn_unused_result)) int gsi_routes_init(struct gsi_routes *r, struct kvm_vm *vm);
void gsi_routes_destroy(struct gsi_routes *r);
/* Allocate a GSI for an MSI vector (no route yet). 0 or -ENOSPC/-ENOMEM. */
__attribute__((warn_unused_result)) int kvm_irq_alloc_msi_gsi(struct gsi_routes *r, uint32_t *gsi);
void kvm_irq_free_msi_gsi(struct gsi_routes *r, uint32_t gsi);
/* Point `gsi` at (addr, data), or take it out of the table when !active
 * (masked vector). Pushes the table to KVM. 0 or -errno. */
__attribute__((warn_unused_result)) int kvm_irq_set_msi_route(struct gsi_routes *r, uint32_t gsi, uint64_t addr,
							      uint32_t data, bool active);

/* irqfd: signalling efd injects gsi. 0 or -errno. */
__attribute__((warn_unused_result)) int kvm_irqfd(struct kvm_vm *vm, int efd, uint32_t gsi, bool assign);
/* ioeventfd: a guest write of `len` bytes at addr (PIO if pio) signals efd
 * without a userspace exit. len 0 = any length (MMIO only). 0 or -errno. */
__attribute__((warn_unused_result)) int kvm_ioeventfd(struct kvm_vm *vm, int efd, uint64_t addr, uint32_t len, bool pio,
						      bool assign);

#endif
