/* arch/x86/layout.h — where boot-time structures live in guest memory.
 *
 *   0x00000500  GDT
 *   0x00006000  PVH hvm_start_info, its memory map and module list
 *   0x00007000  boot_params (the zero page)
 *   0x00008ff0  initial stack (64-bit Linux boot)
 *   0x00009000  PML4, 0xa000 PDPT, 0xb000-0xefff four page directories
 *               (identity map of the first 4 GiB with 2 MiB pages)
 *   0x00020000  kernel command line (up to CMDLINE_MAX bytes)
 *   0x0009fc00  MP table (top of conventional memory, where Linux scans)
 *   0x000a0000  .. 0x100000 legacy hole (not RAM in e820)
 *   0x00100000  bzImage protected-mode kernel / vmlinux segments (paddr)
 *   GM_MMIO32_START .. 4 GiB: MMIO hole (IOAPIC 0xfec00000, LAPIC 0xfee00000,
 *               KVM's TSS and identity-map pages at 0xfffbc000)
 */
#ifndef NIMBUS_ARCH_X86_LAYOUT_H
#define NIMBUS_ARCH_X86_LAYOUT_H

#define X86_GDT_ADDR 0x500ULL
#define X86_PVH_INFO_ADDR 0x6000ULL
#define X86_ZERO_PAGE_ADDR 0x7000ULL
#define X86_BOOT_STACK 0x8ff0ULL
#define X86_PML4_ADDR 0x9000ULL
#define X86_PDPT_ADDR 0xa000ULL
#define X86_PD_ADDR 0xb000ULL /* four pages */
#define X86_CMDLINE_ADDR 0x20000ULL
#define X86_CMDLINE_MAX 4096ULL
#define X86_MPTABLE_ADDR 0x9fc00ULL
#define X86_EBDA_START 0x9fc00ULL
#define X86_HIMEM_START 0x100000ULL
#define X86_IOAPIC_ADDR 0xfec00000ULL
#define X86_LAPIC_ADDR 0xfee00000ULL
#define X86_KVM_IDENTITY_MAP_ADDR 0xfffbc000ULL
#define X86_KVM_TSS_ADDR 0xfffbd000ULL
#define X86_IOAPIC_PINS 24
/* PCI: 32-bit BAR window at the start of the hole, ECAM for bus 0 after it,
 * 64-bit BAR window above RAM (aligned to 1 GiB), I/O BARs from 0x1000. */
#define X86_PCI_MMIO32_START 0xC0000000ULL
#define X86_PCI_MMIO32_SIZE 0x20000000ULL
#define X86_PCI_ECAM_ADDR 0xE0000000ULL
#define X86_PCI_ECAM_SIZE 0x100000ULL /* bus 0 only */
#define X86_PCI_MMIO64_SIZE (64ULL << 30)
#define X86_PCI_IO_START 0x1000ULL
#define X86_PCI_IO_END 0xFFFFULL

#endif
