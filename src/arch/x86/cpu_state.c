/* arch/x86/cpu_state.c — initial vCPU state for direct kernel boot. */
#include "arch/x86/cpu_state.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/layout.h"
#include "util/log.h"

/* GDT slots: the Linux boot protocol wants __BOOT_CS = 0x10, __BOOT_DS = 0x18. */
#define GDT_CODE 2
#define GDT_DATA 3
#define GDT_TSS 4
#define GDT_ENTRIES 5

#define SEG_CODE64_FLAGS 0xa09bU /* G, L, present, code exec/read accessed */
#define SEG_CODE32_FLAGS 0xc09bU /* G, D, present, code exec/read accessed */
#define SEG_DATA_FLAGS 0xc093U   /* G, D/B, present, data read/write accessed */
#define SEG_TSS_FLAGS 0x008bU    /* present, busy TSS */

#define CR0_PE 0x1ULL
#define CR0_ET 0x10ULL
#define CR0_NE 0x20ULL
#define CR0_PG 0x80000000ULL
#define CR4_PAE 0x20ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL

#define PTE_PRESENT_RW 0x3ULL
#define PDE_2M 0x83ULL
#define PTE_ACCESSED_DIRTY 0x60ULL /* set by the CPU's page walks */

static uint64_t gdt_entry(uint16_t flags, uint32_t base, uint32_t limit)
{
	return ((uint64_t)(base & 0xff000000U) << 32) | ((uint64_t)(flags & 0xf0ffU) << 40) |
	       ((uint64_t)(limit & 0x000f0000U) << 32) | ((uint64_t)(base & 0x00ffffffU) << 16) |
	       (uint64_t)(limit & 0x0000ffffU);
}

/* The long-mode identity map: PML4, PDPT and four page directories, one
 * contiguous block of 6 pages at X86_PML4_ADDR (layout.h). */
#define BOOT_PT_PAGES 6
#define BOOT_PT_ENTRIES (BOOT_PT_PAGES * 512)

static void boot_page_tables(uint64_t t[BOOT_PT_ENTRIES])
{
	memset(t, 0, BOOT_PT_ENTRIES * sizeof(*t));
	uint64_t *pml4 = t, *pdpt = t + 512, *pd = t + 1024;
	pml4[0] = X86_PDPT_ADDR | PTE_PRESENT_RW;
	for (int i = 0; i < 4; i++)
		pdpt[i] = (X86_PD_ADDR + (uint64_t)i * 4096) | PTE_PRESENT_RW;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | PDE_2M;
}

int x86_write_boot_tables(const struct guest_mem *gm, enum x86_entry_mode mode)
{
	uint64_t gdt[GDT_ENTRIES] = {0};
	gdt[GDT_CODE] = gdt_entry(mode == X86_ENTRY_PVH ? SEG_CODE32_FLAGS : SEG_CODE64_FLAGS, 0, 0xfffff);
	gdt[GDT_DATA] = gdt_entry(SEG_DATA_FLAGS, 0, 0xfffff);
	gdt[GDT_TSS] = gdt_entry(SEG_TSS_FLAGS, 0, 0xfffff);
	int rc = gm_write(gm, X86_GDT_ADDR, gdt, sizeof(gdt));
	if (rc || mode == X86_ENTRY_PVH)
		return rc;
	static uint64_t tables[BOOT_PT_ENTRIES]; /* 24 KiB: not on a thread's stack */
	boot_page_tables(tables);
	return gm_write(gm, X86_PML4_ADDR, tables, sizeof(tables));
}

int x86_boot_tables_changed(const struct guest_mem *gm, struct x86_table_diff *first)
{
	static uint64_t want[BOOT_PT_ENTRIES], have[BOOT_PT_ENTRIES];
	boot_page_tables(want);
	int rc = gm_read(gm, X86_PML4_ADDR, have, sizeof(have));
	if (rc)
		return rc;
	int n = 0;
	for (unsigned i = 0; i < BOOT_PT_ENTRIES; i++) {
		if ((want[i] & ~PTE_ACCESSED_DIRTY) == (have[i] & ~PTE_ACCESSED_DIRTY))
			continue;
		if (n++ == 0 && first)
			*first = (struct x86_table_diff){i, want[i], have[i]};
	}
	return n;
}

static struct kvm_segment segment(uint16_t flags, unsigned index)
{
	struct kvm_segment s = {
		.base = 0,
		.limit = 0xffffffffU,
		.selector = (uint16_t)(index * 8),
		.type = flags & 0xf,
		.present = (flags >> 7) & 1,
		.dpl = (flags >> 5) & 3,
		.db = (flags >> 14) & 1,
		.s = (flags >> 4) & 1,
		.l = (flags >> 13) & 1,
		.g = (flags >> 15) & 1,
	};
	return s;
}

static int set_cpuid(int fd, const struct kvm_vm *vm, unsigned index, unsigned ncpus, enum cpu_template tmpl)
{
	size_t sz = sizeof(struct kvm_cpuid2) + vm->supported->nent * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *c = malloc(sz);
	if (!c)
		return -ENOMEM;
	memcpy(c, vm->supported, sz);
	cpuid_prepare(c, index, ncpus, tmpl);
	int rc = ioctl(fd, KVM_SET_CPUID2, c) < 0 ? -errno : 0;
	free(c);
	return rc;
}

#define MSR_IA32_TSC 0x10
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102

static int set_msrs(int fd)
{
	static const struct {
		uint32_t index;
		uint64_t value;
	} init[] = {
		{MSR_IA32_SYSENTER_CS, 0}, {MSR_IA32_SYSENTER_ESP, 0}, {MSR_IA32_SYSENTER_EIP, 0},
		{MSR_STAR, 0}, {MSR_CSTAR, 0}, {MSR_KERNEL_GS_BASE, 0}, {MSR_SYSCALL_MASK, 0}, {MSR_LSTAR, 0},
		{MSR_IA32_TSC, 0}, {MSR_IA32_MISC_ENABLE, 1 /* fast strings */},
		{MSR_MTRR_DEF_TYPE, (1U << 11) | 6 /* MTRRs on, default write-back */},
	};
	enum { N = sizeof(init) / sizeof(init[0]) };
	union {
		struct kvm_msrs hdr;
		uint8_t bytes[sizeof(struct kvm_msrs) + N * sizeof(struct kvm_msr_entry)];
	} buf;
	memset(&buf, 0, sizeof(buf));
	struct kvm_msrs *msrs = &buf.hdr;
	msrs->nmsrs = N;
	for (int i = 0; i < N; i++) {
		msrs->entries[i].index = init[i].index;
		msrs->entries[i].data = init[i].value;
	}
	int n = ioctl(fd, KVM_SET_MSRS, msrs);
	if (n < 0)
		return -errno;
	if (n != N)
		log_debug("KVM_SET_MSRS: MSR 0x%x not accepted", msrs->entries[n].index);
	return 0;
}

static int set_fpu(int fd)
{
	struct kvm_fpu fpu;
	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	return ioctl(fd, KVM_SET_FPU, &fpu) < 0 ? -errno : 0;
}

#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_MODE_NMI 0x4
#define APIC_MODE_EXTINT 0x7

static void lapic_set_delivery(struct kvm_lapic_state *l, int reg, uint32_t mode)
{
	uint32_t v;
	memcpy(&v, &l->regs[reg], 4);
	v = (v & ~0x700U) | (mode << 8);
	memcpy(&l->regs[reg], &v, 4);
}

static int set_lapic(int fd)
{
	struct kvm_lapic_state l;
	if (ioctl(fd, KVM_GET_LAPIC, &l) < 0)
		return -errno;
	lapic_set_delivery(&l, APIC_LVT_LINT0, APIC_MODE_EXTINT);
	lapic_set_delivery(&l, APIC_LVT_LINT1, APIC_MODE_NMI);
	return ioctl(fd, KVM_SET_LAPIC, &l) < 0 ? -errno : 0;
}

int x86_vcpu_init(int fd, const struct kvm_vm *vm, unsigned index, unsigned ncpus, enum cpu_template tmpl)
{
	int rc = set_cpuid(fd, vm, index, ncpus, tmpl);
	if (!rc)
		rc = set_msrs(fd);
	if (!rc)
		rc = set_fpu(fd);
	if (!rc)
		rc = set_lapic(fd);
	return rc;
}

static int set_sregs(int fd, enum x86_entry_mode mode)
{
	struct kvm_sregs s;
	if (ioctl(fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	uint16_t code = mode == X86_ENTRY_PVH ? SEG_CODE32_FLAGS : SEG_CODE64_FLAGS;
	s.cs = segment(code, GDT_CODE);
	s.ds = s.es = s.fs = s.gs = s.ss = segment(SEG_DATA_FLAGS, GDT_DATA);
	s.tr = segment(SEG_TSS_FLAGS, GDT_TSS);
	s.tr.limit = 0xfffff; /* byte granular: must fit in 20 bits */
	s.gdt.base = X86_GDT_ADDR;
	s.gdt.limit = GDT_ENTRIES * 8 - 1;
	s.idt.base = 0;
	s.idt.limit = 0;
	if (mode == X86_ENTRY_PVH) {
		s.cr0 = CR0_PE | CR0_ET;
		s.cr4 = 0;
		s.efer = 0;
	} else {
		s.cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
		s.cr3 = X86_PML4_ADDR;
		s.cr4 = CR4_PAE;
		s.efer = EFER_LME | EFER_LMA;
	}
	return ioctl(fd, KVM_SET_SREGS, &s) < 0 ? -errno : 0;
}

int x86_vcpu_set_boot_regs(int fd, enum x86_entry_mode mode, uint64_t entry)
{
	int rc = set_sregs(fd, mode);
	if (rc)
		return rc;
	struct kvm_regs r;
	memset(&r, 0, sizeof(r));
	r.rflags = 2;
	r.rip = entry;
	if (mode == X86_ENTRY_PVH) {
		r.rbx = X86_PVH_INFO_ADDR;
	} else {
		r.rsi = X86_ZERO_PAGE_ADDR;
		r.rsp = r.rbp = X86_BOOT_STACK;
	}
	return ioctl(fd, KVM_SET_REGS, &r) < 0 ? -errno : 0;
}
