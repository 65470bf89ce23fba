/* Unit tests for arch/x86/cpuid.c: per-vCPU CPUID rewriting and templates.
 * Bit positions are from the Intel SDM / AMD APM, written out here rather
 * than taken from cpuid.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/cpuid.h"

#define BIT(n) (1U << (n))

/* Leaf 1 ECX */
#define L1C_SSE3 BIT(0)
#define L1C_FMA BIT(12)
#define L1C_CX16 BIT(13)
#define L1C_PDCM BIT(15)
#define L1C_SSE42 BIT(20)
#define L1C_X2APIC BIT(21)
#define L1C_XSAVE BIT(26)
#define L1C_OSXSAVE BIT(27)
#define L1C_AVX BIT(28)
#define L1C_F16C BIT(29)
#define L1C_RDRAND BIT(30)
#define L1C_HYPERVISOR BIT(31)
/* Leaf 1 EDX */
#define L1D_FPU BIT(0)
#define L1D_APIC BIT(9)
#define L1D_HTT BIT(28)
/* Leaf 7.0 EBX */
#define L7B_BMI1 BIT(3)
#define L7B_AVX2 BIT(5)
#define L7B_BMI2 BIT(8)
#define L7B_ERMS BIT(9)
#define L7B_AVX512F BIT(16)
#define L7B_AVX512DQ BIT(17)
#define L7B_RDSEED BIT(18)
#define L7B_AVX512IFMA BIT(21)
#define L7B_AVX512PF BIT(26)
#define L7B_AVX512ER BIT(27)
#define L7B_AVX512CD BIT(28)
#define L7B_SHA BIT(29)
#define L7B_AVX512BW BIT(30)
#define L7B_AVX512VL BIT(31)
/* Leaf 7.0 ECX */
#define L7C_AVX512VBMI BIT(1)
#define L7C_UMIP BIT(2)
#define L7C_AVX512VBMI2 BIT(6)
#define L7C_VAES BIT(9)
#define L7C_VPCLMULQDQ BIT(10)
#define L7C_AVX512VNNI BIT(11)
#define L7C_AVX512BITALG BIT(12)
#define L7C_AVX512VPOPCNTDQ BIT(14)
#define L7C_RDPID BIT(22)
/* Leaf 7.0 EDX */
#define L7D_AVX512_4VNNIW BIT(2)
#define L7D_AVX512_4FMAPS BIT(3)
#define L7D_VP2INTERSECT BIT(8)
#define L7D_MD_CLEAR BIT(10)
#define L7D_AMX_BF16 BIT(22)
#define L7D_AVX512FP16 BIT(23)
#define L7D_AMX_TILE BIT(24)
#define L7D_AMX_INT8 BIT(25)
#define L7D_SPEC_CTRL BIT(26)
/* Leaf 0x80000001 ECX */
#define LX1C_LAHF BIT(0)
#define LX1C_XOP BIT(11)
#define LX1C_FMA4 BIT(16)

#define AVX512_EBX                                                                                          \
	(L7B_AVX512F | L7B_AVX512DQ | L7B_AVX512IFMA | L7B_AVX512PF | L7B_AVX512ER | L7B_AVX512CD |         \
	 L7B_AVX512BW | L7B_AVX512VL)
#define AVX512_ECX                                                                                          \
	(L7C_AVX512VBMI | L7C_AVX512VBMI2 | L7C_AVX512VNNI | L7C_AVX512BITALG | L7C_AVX512VPOPCNTDQ)
#define AVX512_EDX (L7D_AVX512_4VNNIW | L7D_AVX512_4FMAPS | L7D_VP2INTERSECT | L7D_AVX512FP16)
#define AMX_EDX (L7D_AMX_BF16 | L7D_AMX_TILE | L7D_AMX_INT8)

enum {
	I_L1,
	I_L4,
	I_L7_0,
	I_L7_1,
	I_LB_0,
	I_LB_1,
	I_LB_2,
	I_LD_0,
	I_LD_1,
	I_L80000001,
	I_L80000008,
	I_L8000001E,
	I_L40000000,
	NENT
};

/* A host-like "supported" set with everything interesting turned on. */
static struct kvm_cpuid2 *make_cpuid(void)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + NENT * sizeof(c->entries[0]));
	assert_non_null(c);
	c->nent = NENT;
	struct kvm_cpuid_entry2 *e = c->entries;
	e[I_L1] = (struct kvm_cpuid_entry2){
		.function = 1,
		.eax = 0x000906ea,
		.ebx = 0xAB10 | (0x37U << 16) | (0x99U << 24), /* brand 0x10, clflush 0xAB; junk count/id */
		.ecx = L1C_SSE3 | L1C_FMA | L1C_CX16 | L1C_PDCM | L1C_SSE42 | L1C_X2APIC | L1C_XSAVE |
		       L1C_OSXSAVE | L1C_AVX | L1C_F16C | L1C_RDRAND,
		.edx = L1D_FPU | L1D_APIC,
	};
	e[I_L4] = (struct kvm_cpuid_entry2){.function = 4, .index = 0, .eax = 0x1c004121};
	e[I_L7_0] = (struct kvm_cpuid_entry2){
		.function = 7,
		.index = 0,
		.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		.eax = 1,
		.ebx = L7B_BMI1 | L7B_AVX2 | L7B_BMI2 | L7B_ERMS | L7B_RDSEED | L7B_SHA | AVX512_EBX,
		.ecx = L7C_UMIP | L7C_VAES | L7C_VPCLMULQDQ | L7C_RDPID | AVX512_ECX,
		.edx = L7D_MD_CLEAR | L7D_SPEC_CTRL | AVX512_EDX | AMX_EDX,
	};
	e[I_L7_1] = (struct kvm_cpuid_entry2){.function = 7, .index = 1, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
					      .eax = BIT(4) | BIT(5) /* AVX-VNNI, AVX512_BF16 */};
	e[I_LB_0] = (struct kvm_cpuid_entry2){.function = 0xb, .index = 0, .eax = 1, .ebx = 2, .ecx = 0x100, .edx = 77};
	e[I_LB_1] = (struct kvm_cpuid_entry2){.function = 0xb, .index = 1, .eax = 5, .ebx = 24, .ecx = 0x201, .edx = 77};
	e[I_LB_2] = (struct kvm_cpuid_entry2){.function = 0xb, .index = 2, .eax = 9, .ebx = 9, .ecx = 9, .edx = 77};
	e[I_LD_0] = (struct kvm_cpuid_entry2){.function = 0xd, .index = 0, .eax = 0x2e7, .ebx = 0xa88, .ecx = 0xa88};
	e[I_LD_1] = (struct kvm_cpuid_entry2){.function = 0xd, .index = 1, .eax = 0xf};
	e[I_L80000001] = (struct kvm_cpuid_entry2){.function = 0x80000001, .ecx = LX1C_LAHF | LX1C_XOP | LX1C_FMA4,
						   .edx = BIT(29) /* LM */};
	e[I_L80000008] = (struct kvm_cpuid_entry2){.function = 0x80000008, .eax = 0x3030, .ecx = 0x700f};
	e[I_L8000001E] = (struct kvm_cpuid_entry2){.function = 0x8000001e, .eax = 0x55, .ebx = 0x0107, .ecx = 0x0301};
	e[I_L40000000] = (struct kvm_cpuid_entry2){.function = 0x40000000, .eax = 0x40000001, .ebx = 0x4b4d564b};
	return c;
}

static void test_default_masks(void **state)
{
	struct kvm_cpuid2 *c = make_cpuid();
	cpuid_prepare(c, 0, 1, CPU_TEMPLATE_DEFAULT);
	const struct kvm_cpuid_entry2 *e = c->entries;

	/* leaf 1: XSAVE and friends, CX16 gone; the rest kept; hypervisor set */
	assert_int_equal(e[I_L1].ecx & (L1C_XSAVE | L1C_OSXSAVE | L1C_AVX | L1C_FMA | L1C_F16C | L1C_CX16), 0);
	assert_int_equal(e[I_L1].ecx & (L1C_SSE3 | L1C_SSE42 | L1C_X2APIC | L1C_RDRAND),
			 L1C_SSE3 | L1C_SSE42 | L1C_X2APIC | L1C_RDRAND);
	assert_true(e[I_L1].ecx & L1C_HYPERVISOR);
	assert_int_equal(e[I_L1].eax, 0x000906ea);

	/* leaf 7.0: AVX2, AVX-512, VAES/VPCLMULQDQ, AMX gone; the rest kept */
	assert_int_equal(e[I_L7_0].ebx, L7B_BMI1 | L7B_BMI2 | L7B_ERMS | L7B_RDSEED | L7B_SHA);
	assert_int_equal(e[I_L7_0].ecx, L7C_UMIP | L7C_RDPID);
	assert_int_equal(e[I_L7_0].edx, L7D_MD_CLEAR | L7D_SPEC_CTRL);
	assert_int_equal(e[I_L7_0].eax, 1); /* max subleaf untouched */
	/* leaf 7.1 (AVX-VNNI, AVX512_BF16): cleared */
	assert_int_equal(e[I_L7_1].eax | e[I_L7_1].ebx | e[I_L7_1].ecx | e[I_L7_1].edx, 0);

	/* leaf 0xd: no XSAVE state at all */
	for (int i = I_LD_0; i <= I_LD_1; i++)
		assert_int_equal(e[i].eax | e[i].ebx | e[i].ecx | e[i].edx, 0);

	/* 0x80000001: XOP and FMA4 (VEX-encoded, need XSAVE) gone */
	assert_int_equal(e[I_L80000001].ecx, LX1C_LAHF);
	assert_int_equal(e[I_L80000001].edx, BIT(29));

	/* hypervisor leaf passes through */
	assert_int_equal(e[I_L40000000].eax, 0x40000001);
	assert_int_equal(e[I_L40000000].ebx, 0x4b4d564b);
	free(c);
}

static void test_host_keeps_features(void **state)
{
	struct kvm_cpuid2 *c = make_cpuid(), *orig = make_cpuid();
	cpuid_prepare(c, 0, 1, CPU_TEMPLATE_HOST);
	const struct kvm_cpuid_entry2 *e = c->entries, *o = orig->entries;
	assert_int_equal(e[I_L1].ecx & (L1C_XSAVE | L1C_OSXSAVE | L1C_AVX | L1C_FMA | L1C_F16C | L1C_CX16),
			 L1C_XSAVE | L1C_OSXSAVE | L1C_AVX | L1C_FMA | L1C_F16C | L1C_CX16);
	assert_true(e[I_L1].ecx & L1C_HYPERVISOR);
	assert_int_equal(e[I_L1].ecx & L1C_PDCM, 0);
	assert_memory_equal(&e[I_L7_0], &o[I_L7_0], sizeof(e[0]));
	assert_memory_equal(&e[I_L7_1], &o[I_L7_1], sizeof(e[0]));
	assert_memory_equal(&e[I_LD_0], &o[I_LD_0], sizeof(e[0]));
	assert_memory_equal(&e[I_LD_1], &o[I_LD_1], sizeof(e[0]));
	assert_memory_equal(&e[I_L80000001], &o[I_L80000001], sizeof(e[0]));
	free(c);
	free(orig);
}

static void test_leaf1_topology(void **state)
{
	for (unsigned ncpus = 1; ncpus <= 8; ncpus *= 2) {
		for (unsigned cpu = 0; cpu < ncpus; cpu++) {
			struct kvm_cpuid2 *c = make_cpuid();
			cpuid_prepare(c, cpu, ncpus, CPU_TEMPLATE_DEFAULT);
			const struct kvm_cpuid_entry2 *l1 = &c->entries[I_L1];
			assert_int_equal(l1->ebx >> 24, cpu);                /* initial APIC ID */
			assert_int_equal((l1->ebx >> 16) & 0xff, ncpus);     /* logical processors */
			assert_int_equal(l1->ebx & 0xffff, 0xAB10);          /* brand, clflush kept */
			assert_int_equal(!!(l1->edx & L1D_HTT), ncpus > 1);
			assert_true(l1->edx & L1D_APIC);
			assert_true(l1->ecx & L1C_HYPERVISOR);
			assert_int_equal(l1->ecx & L1C_PDCM, 0);
			free(c);
		}
	}
	/* the largest vCPU count and index */
	struct kvm_cpuid2 *c = make_cpuid();
	cpuid_prepare(c, 253, 254, CPU_TEMPLATE_HOST);
	assert_int_equal(c->entries[I_L1].ebx >> 24, 253);
	assert_int_equal((c->entries[I_L1].ebx >> 16) & 0xff, 254);
	free(c);
}

static void test_leaf_b_topology(void **state)
{
	struct kvm_cpuid2 *c = make_cpuid();
	cpuid_prepare(c, 5, 6, CPU_TEMPLATE_DEFAULT);
	const struct kvm_cpuid_entry2 *e = c->entries;
	/* SMT level: one thread per core */
	assert_int_equal(e[I_LB_0].eax, 0);
	assert_int_equal(e[I_LB_0].ebx, 1);
	assert_int_equal(e[I_LB_0].ecx, (1U << 8) | 0);
	assert_int_equal(e[I_LB_0].edx, 5);
	/* core level: 6 cores need 3 bits of APIC ID */
	assert_int_equal(e[I_LB_1].eax, 3);
	assert_int_equal(e[I_LB_1].ebx, 6);
	assert_int_equal(e[I_LB_1].ecx, (2U << 8) | 1);
	assert_int_equal(e[I_LB_1].edx, 5);
	/* terminating level */
	assert_int_equal(e[I_LB_2].eax, 0);
	assert_int_equal(e[I_LB_2].ebx, 0);
	assert_int_equal(e[I_LB_2].ecx, 2);
	assert_int_equal(e[I_LB_2].edx, 5);
	free(c);

	static const unsigned shifts[][2] = {{1, 0}, {2, 1}, {3, 2}, {4, 2}, {5, 3}, {8, 3}, {9, 4}, {254, 8}};
	for (size_t i = 0; i < sizeof(shifts) / sizeof(shifts[0]); i++) {
		c = make_cpuid();
		cpuid_prepare(c, 0, shifts[i][0], CPU_TEMPLATE_HOST);
		assert_int_equal(c->entries[I_LB_1].eax, shifts[i][1]);
		assert_int_equal(c->entries[I_LB_1].ebx, shifts[i][0]);
		/* 0x80000008 ECX: NC = ncpus-1, ApicIdCoreIdSize = shift */
		assert_int_equal(c->entries[I_L80000008].ecx & 0xff, shifts[i][0] - 1);
		assert_int_equal((c->entries[I_L80000008].ecx >> 12) & 0xf, shifts[i][1]);
		assert_int_equal(c->entries[I_L80000008].eax, 0x3030);
		free(c);
	}
}

static void test_amd_topology(void **state)
{
	struct kvm_cpuid2 *c = make_cpuid();
	cpuid_prepare(c, 3, 4, CPU_TEMPLATE_DEFAULT);
	const struct kvm_cpuid_entry2 *e = &c->entries[I_L8000001E];
	assert_int_equal(e->eax, 3);              /* extended APIC ID */
	assert_int_equal(e->ebx & 0xff, 3);       /* core ID */
	assert_int_equal((e->ebx >> 8) & 0xff, 0); /* threads per core - 1 */
	assert_int_equal(e->ecx & 0xff, 0);       /* node 0 */
	free(c);
}

static void test_leaf4_cores(void **state)
{
	struct kvm_cpuid2 *c = make_cpuid();
	cpuid_prepare(c, 0, 4, CPU_TEMPLATE_DEFAULT);
	const struct kvm_cpuid_entry2 *e = &c->entries[I_L4];
	assert_int_equal(e->eax >> 26, 3);            /* cores per package - 1 */
	assert_int_equal((e->eax >> 14) & 0xfff, 0);  /* one thread shares the cache */
	assert_int_equal(e->eax & 0x3ff, 0x121);      /* cache type and level kept */
	free(c);
}

static void test_no_entries(void **state)
{
	struct kvm_cpuid2 c = {.nent = 0};
	cpuid_prepare(&c, 0, 1, CPU_TEMPLATE_DEFAULT); /* must not touch anything */
	assert_int_equal(c.nent, 0);
}

/* The TSC-deadline bit is added to leaf 1 only, nothing else changes, and
 * both templates keep it. */
static void test_tsc_deadline(void **state)
{
	(void)state;
	struct kvm_cpuid2 *c = make_cpuid();
	struct kvm_cpuid2 *before = make_cpuid();
	assert_false(c->entries[I_L1].ecx & BIT(24));
	cpuid_add_tsc_deadline(c);
	assert_int_equal(c->entries[I_L1].ecx, before->entries[I_L1].ecx | BIT(24));
	c->entries[I_L1].ecx = before->entries[I_L1].ecx;
	assert_memory_equal(c, before, sizeof(*c) + NENT * sizeof(c->entries[0]));
	for (int t = CPU_TEMPLATE_DEFAULT; t <= CPU_TEMPLATE_HOST; t++) {
		cpuid_add_tsc_deadline(c);
		cpuid_prepare(c, 0, 1, (enum cpu_template)t);
		assert_true(c->entries[I_L1].ecx & BIT(24));
	}
	free(c);
	free(before);
}

static void test_template_parse(void **state)
{
	enum cpu_template t = (enum cpu_template)42;
	assert_int_equal(cpu_template_parse("host", &t), 0);
	assert_int_equal(t, CPU_TEMPLATE_HOST);
	assert_int_equal(cpu_template_parse("default", &t), 0);
	assert_int_equal(t, CPU_TEMPLATE_DEFAULT);
	static const char *const bad[] = {"", "Host", "HOST", "hostx", "host ", " default", "defaul", "none"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = CPU_TEMPLATE_HOST;
		assert_int_equal(cpu_template_parse(bad[i], &t), -EINVAL);
		assert_int_equal(t, CPU_TEMPLATE_HOST); /* untouched on error */
	}
	assert_string_equal(cpu_template_name(CPU_TEMPLATE_HOST), "host");
	assert_string_equal(cpu_template_name(CPU_TEMPLATE_DEFAULT), "default");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_masks),
		cmocka_unit_test(test_host_keeps_features),
		cmocka_unit_test(test_leaf1_topology),
		cmocka_unit_test(test_leaf_b_topology),
		cmocka_unit_test(test_amd_topology),
		cmocka_unit_test(test_leaf4_cores),
		cmocka_unit_test(test_no_entries),
		cmocka_unit_test(test_tsc_deadline),
		cmocka_unit_test(test_template_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
