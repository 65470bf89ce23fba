/* arch/x86/mptable.h — Intel MultiProcessor Specification 1.4 table, so that
 * SMP guests without ACPI find their CPUs, the IOAPIC and the ISA IRQ wiring. */
#ifndef NIMBUS_ARCH_X86_MPTABLE_H
#define NIMBUS_ARCH_X86_MPTABLE_H

#include "mem/guest_mem.h"

/* Write the floating pointer and the configuration table at X86_MPTABLE_ADDR
 * for `ncpus` processors (APIC IDs 0..ncpus-1; the IOAPIC gets ID ncpus).
 * Returns 0, -EINVAL (ncpus 0 or > 254, table too big), -EFAULT. */
__attribute__((warn_unused_result)) int mptable_write(const struct guest_mem *gm, unsigned ncpus);

#endif
