/* kvm/kvm.h — /dev/kvm, the VM file descriptor and what hangs off it. */
#ifndef NIMBUS_KVM_KVM_H
#define NIMBUS_KVM_KVM_H

#include <stddef.h>
#include <stdint.h>

#include "mem/guest_mem.h"

struct kvm_cpuid2;

struct kvm_vm {
	int kvm_fd;
	int vm_fd;
	int run_size;                   /* KVM_GET_VCPU_MMAP_SIZE */
	struct kvm_cpuid2 *supported;   /* KVM_GET_SUPPORTED_CPUID */
	int max_vcpus;
};

/* Open /dev/kvm (or $NIMBUS_KVM_DEV), check the API version and every
 * capability nimbus uses, create the VM with its TSS and identity-map pages,
 * the in-kernel irqchip (PIC + IOAPIC + LAPICs) and PIT. On failure returns
 * -errno and writes a one-line reason naming the missing piece into err. */
__attribute__((warn_unused_result)) int kvm_vm_open(struct kvm_vm *vm, char *err, size_t errlen);
void kvm_vm_close(struct kvm_vm *vm);

/* Register each RAM region of gm as a memory slot. 0 or -errno. */
__attribute__((warn_unused_result)) int kvm_vm_set_memory(struct kvm_vm *vm, const struct guest_mem *gm);

/* Set a legacy interrupt line (GSI routed to the PIC/IOAPIC). Safe from any
 * thread. Returns 0 or -errno. */
int kvm_vm_irq_line(struct kvm_vm *vm, uint32_t gsi, int level);
/* Adapter for struct irq_line (util/irq.h): ctx is the struct kvm_vm. */
void kvm_irq_line_set_level(void *ctx, uint32_t gsi, int level);

/* Create vCPU `id`: returns its fd (>= 0) or -errno. */
__attribute__((warn_unused_result)) int kvm_vm_create_vcpu(struct kvm_vm *vm, unsigned id);

#endif
