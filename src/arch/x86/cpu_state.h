/* arch/x86/cpu_state.h — initial vCPU state for direct kernel boot:
 * identity page tables and GDT in guest memory, and per-vCPU registers,
 * segment registers, MSRs, FPU, LAPIC LVTs and CPUID. */
#ifndef NIMBUS_ARCH_X86_CPU_STATE_H
#define NIMBUS_ARCH_X86_CPU_STATE_H

#include <stdint.h>

#include "arch/x86/cpuid.h"
#include "kvm/kvm.h"
#include "mem/guest_mem.h"

enum x86_entry_mode {
	X86_ENTRY_LINUX64, /* 64-bit boot protocol: long mode, RSI = zero page */
	X86_ENTRY_PVH,     /* PVH: 32-bit protected mode, EBX = hvm_start_info */
};

/* Write the GDT (for `mode`) and, for long mode, the identity page tables
 * covering the first 4 GiB. 0 or -EFAULT. */
__attribute__((warn_unused_result)) int x86_write_boot_tables(const struct guest_mem *gm, enum x86_entry_mode mode);

/* The first entry that differs, for the log. */
struct x86_table_diff {
	unsigned index; /* 0..3071: PML4, PDPT, then the four page directories */
	uint64_t want, have;
};

/* How many of the 3072 entries of the long-mode identity map that
 * x86_write_boot_tables() wrote now differ in guest memory, not counting the
 * accessed and dirty bits the CPU sets while walking them (a debugging aid
 * after a triple fault: a guest that never reloads CR3 must still have them
 * intact; a kernel that built its own tables may have reused the memory).
 * The count, or -EFAULT; *first (may be NULL) gets the first difference.
 * Not thread-safe (static buffers): control thread. */
int x86_boot_tables_changed(const struct guest_mem *gm, struct x86_table_diff *first);

/* Per-vCPU state that every vCPU needs: CPUID (template applied), MSRs,
 * FPU and the LAPIC's LINT0/LINT1 wiring. 0 or -errno. */
__attribute__((warn_unused_result)) int x86_vcpu_init(int vcpu_fd, const struct kvm_vm *vm, unsigned index,
						      unsigned ncpus, enum cpu_template tmpl);

/* Boot vCPU registers for the chosen entry. 0 or -errno. */
__attribute__((warn_unused_result)) int x86_vcpu_set_boot_regs(int vcpu_fd, enum x86_entry_mode mode,
							       uint64_t entry);

#endif
