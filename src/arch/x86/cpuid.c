/* arch/x86/cpuid.c — CPUID filtering per vCPU. */
#include "arch/x86/cpuid.h"

#include <errno.h>
#include <string.h>

/* Leaf 1 */
#define F1_ECX_FMA (1U << 12)
#define F1_ECX_CX16 (1U << 13)
#define F1_ECX_PDCM (1U << 15)
#define F1_ECX_TSC_DEADLINE (1U << 24)
#define F1_ECX_XSAVE (1U << 26)
#define F1_ECX_OSXSAVE (1U << 27)
#define F1_ECX_AVX (1U << 28)
#define F1_ECX_F16C (1U << 29)
#define F1_ECX_HYPERVISOR (1U << 31)
#define F1_EDX_HTT (1U << 28)
/* Leaf 7, subleaf 0 */
#define F7_EBX_AVX2 (1U << 5)
#define F7_EBX_AVX512_MASK 0xDC230000U /* F, DQ, IFMA, PF, ER, CD, BW, VL */
#define F7_ECX_AVX512_MASK 0x00005842U /* VBMI, VBMI2, VNNI, BITALG, VPOPCNTDQ */
#define F7_ECX_VAES (1U << 9)
#define F7_ECX_VPCLMULQDQ (1U << 10)
#define F7_EDX_AVX512_MASK 0x0080010CU /* 4VNNIW, 4FMAPS, VP2INTERSECT, FP16 */
#define F7_EDX_AMX_MASK 0x01400000U   /* AMX-BF16, AMX-TILE, AMX-INT8 */
#define F7_EDX_AMX_INT8 (1U << 25)
/* Leaf 0x80000001 */
#define FX1_ECX_XOP (1U << 11)
#define FX1_ECX_FMA4 (1U << 16)

int cpu_template_parse(const char *name, enum cpu_template *out)
{
	if (!strcmp(name, "default"))
		*out = CPU_TEMPLATE_DEFAULT;
	else if (!strcmp(name, "host"))
		*out = CPU_TEMPLATE_HOST;
	else
		return -EINVAL;
	return 0;
}

const char *cpu_template_name(enum cpu_template t)
{
	return t == CPU_TEMPLATE_HOST ? "host" : "default";
}

static void mask_default(struct kvm_cpuid_entry2 *e)
{
	switch (e->function) {
	case 1:
		e->ecx &= ~(F1_ECX_XSAVE | F1_ECX_OSXSAVE | F1_ECX_AVX | F1_ECX_FMA | F1_ECX_F16C | F1_ECX_CX16);
		break;
	case 7:
		if (e->index == 0) {
			e->ebx &= ~(F7_EBX_AVX2 | F7_EBX_AVX512_MASK);
			e->ecx &= ~(F7_ECX_AVX512_MASK | F7_ECX_VAES | F7_ECX_VPCLMULQDQ);
			e->edx &= ~(F7_EDX_AVX512_MASK | F7_EDX_AMX_MASK | F7_EDX_AMX_INT8);
		} else {
			e->eax = e->ebx = e->ecx = e->edx = 0;
		}
		break;
	case 0xd: /* XSAVE state enumeration: none */
	case 0x14: /* processor trace */
		e->eax = e->ebx = e->ecx = e->edx = 0;
		break;
	case 0x80000001:
		e->ecx &= ~(FX1_ECX_XOP | FX1_ECX_FMA4);
		break;
	default:
		break;
	}
}

static void set_topology(struct kvm_cpuid_entry2 *e, unsigned cpu, unsigned ncpus)
{
	switch (e->function) {
	case 1:
		/* Initial APIC ID and logical processor count. */
		e->ebx = (e->ebx & 0x0000ffffU) | (cpu << 24) | ((ncpus & 0xff) << 16);
		if (ncpus > 1)
			e->edx |= F1_EDX_HTT;
		e->ecx |= F1_ECX_HYPERVISOR;
		e->ecx &= ~F1_ECX_PDCM;
		break;
	case 0xb:
	case 0x1f:
		/* One socket, ncpus cores, one thread each; EDX = x2APIC ID. */
		e->edx = cpu;
		if (e->index == 0) {
			e->eax = 0;
			e->ebx = 1;
			e->ecx = (1U << 8) | 0;
		} else if (e->index == 1) {
			unsigned shift = 0;
			while ((1U << shift) < ncpus)
				shift++;
			e->eax = shift;
			e->ebx = ncpus;
			e->ecx = (2U << 8) | 1;
		} else {
			e->eax = e->ebx = 0;
			e->ecx = e->index;
		}
		break;
	case 4:
		/* Cores per package - 1 in EAX[31:26]; threads sharing the cache. */
		if (e->eax & 0x1f)
			e->eax = (e->eax & 0x3ffU) | ((ncpus - 1) << 26) | (0U << 14);
		break;
	case 0x80000008: {
		unsigned shift = 0;
		while ((1U << shift) < ncpus)
			shift++;
		e->ecx = (e->ecx & ~0xf0ffU) | (shift << 12) | ((ncpus - 1) & 0xff);
		break;
	}
	case 0x8000001e:
		e->eax = cpu;         /* extended APIC ID */
		e->ebx = cpu & 0xff;  /* core (compute unit) ID, one thread per core */
		e->ecx = 0;           /* node 0 */
		break;
	default:
		break;
	}
}

void cpuid_add_tsc_deadline(struct kvm_cpuid2 *c)
{
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == 1)
			c->entries[i].ecx |= F1_ECX_TSC_DEADLINE;
}

void cpuid_prepare(struct kvm_cpuid2 *c, unsigned cpu_index, unsigned ncpus, enum cpu_template t)
{
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		set_topology(e, cpu_index, ncpus);
		if (t == CPU_TEMPLATE_DEFAULT)
			mask_default(e);
	}
}
