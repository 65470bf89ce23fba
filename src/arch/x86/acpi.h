/* arch/x86/acpi.h — ACPI tables for the guest: RSDP, XSDT, FADT
 * (hardware-reduced), DSDT, MADT.
 *
 * Debian's cloud kernel has no MP-table parser (CONFIG_X86_MPPARSE is off), so
 * it finds its CPUs and the IOAPIC only through the MADT. The RSDP sits in the
 * legacy search area (X86_ACPI_RSDP_ADDR) and its address is also passed in
 * boot_params.acpi_rsdp_addr / hvm_start_info.rsdp_paddr. */
#ifndef NIMBUS_ARCH_X86_ACPI_H
#define NIMBUS_ARCH_X86_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#include "mem/guest_mem.h"

#define X86_ACPI_RSDP_ADDR 0xe0000ULL
#define X86_ACPI_TABLES_END 0x100000ULL

struct acpi_config {
	unsigned ncpus;     /* enabled processors (APIC IDs 0..ncpus-1) */
	unsigned max_cpus;  /* described processors, >= ncpus; the rest disabled */
	bool serial;        /* describe COM1 (0x3f8, IRQ 4) */
	bool pci;           /* describe the PCI root bridge and its ECAM (MCFG) */
	uint64_t pci_mmio64_start, pci_mmio64_end; /* 64-bit BAR window, inclusive end */
};

/* Build and write every table; checksums filled in. Returns 0 and the RSDP's
 * address in *rsdp, or -EINVAL (bad cpu counts, tables too big), -EFAULT. */
__attribute__((warn_unused_result)) int acpi_write_tables(const struct guest_mem *gm, const struct acpi_config *cfg,
							  uint64_t *rsdp);

#endif
