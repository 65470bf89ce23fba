/* Unit tests for arch/x86/cpu_state.c's guest-memory part: the long-mode
 * identity map x86_write_boot_tables() writes, read back and walked here
 * independently, and x86_boot_tables_changed() counting altered entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/cpu_state.h"
#include "arch/x86/layout.h"
#include "mem/guest_mem.h"

#define RAM (1ULL << 20)

/* Fake guest memory at 0 of `size` bytes, zeroed; *buf to free. */
static void fake_mem(struct guest_mem *gm, uint64_t size, void **buf)
{
	memset(gm, 0, sizeof(*gm));
	*buf = calloc(1, size);
	assert_non_null(*buf);
	assert_int_equal(gm_add_region(gm, 0, size, *buf, -1), 0);
}

static uint64_t read_u64(const struct guest_mem *gm, uint64_t gpa)
{
	uint64_t v = 0;
	assert_int_equal(gm_read(gm, gpa, &v, sizeof(v)), 0);
	return v;
}

/* Walks the tables for a linear address like the CPU: 4 levels, 2 MiB leaf. */
static uint64_t translate(const struct guest_mem *gm, uint64_t va)
{
	uint64_t pml4e = read_u64(gm, X86_PML4_ADDR + ((va >> 39) & 511) * 8);
	assert_true(pml4e & 1);
	uint64_t pdpte = read_u64(gm, (pml4e & ~0xfffULL) + ((va >> 30) & 511) * 8);
	assert_true(pdpte & 1);
	assert_false(pdpte & 0x80); /* no 1 GiB pages: not every CPU has them */
	uint64_t pde = read_u64(gm, (pdpte & ~0xfffULL) + ((va >> 21) & 511) * 8);
	assert_true(pde & 1);
	assert_true(pde & 0x80);
	return (pde & ~0x1fffffULL) | (va & 0x1fffff);
}

static void test_identity_map_first_4g(void **state)
{
	(void)state;
	struct guest_mem gm;
	void *buf;
	fake_mem(&gm, RAM, &buf);
	assert_int_equal(x86_write_boot_tables(&gm, X86_ENTRY_LINUX64), 0);
	const uint64_t probes[] = {0, 0x1234, 0x200000, 0x3fffffff, 0x40000000, 0xC0000000, 0xFEE00000, 0xFFFFFFFF};
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		assert_int_equal(translate(&gm, probes[i]), probes[i]);
	assert_int_equal(x86_boot_tables_changed(&gm, NULL), 0);
	free(buf);
}

static void test_changed_entries_counted(void **state)
{
	(void)state;
	struct guest_mem gm;
	void *buf;
	fake_mem(&gm, RAM, &buf);
	assert_int_equal(x86_write_boot_tables(&gm, X86_ENTRY_LINUX64), 0);
	uint64_t junk = 0xdeadbeefcafef00dULL;
	assert_int_equal(gm_write(&gm, X86_PML4_ADDR, &junk, sizeof(junk)), 0);      /* PML4[0] */
	assert_int_equal(gm_write(&gm, X86_PD_ADDR + 8 * 700, &junk, sizeof(junk)), 0); /* a PDE */
	uint8_t one = 0xff; /* one byte of the last entry */
	assert_int_equal(gm_write(&gm, X86_PML4_ADDR + 6 * 4096 - 1, &one, 1), 0);
	uint64_t walked = read_u64(&gm, X86_PD_ADDR) | 0x60; /* accessed + dirty: not a change */
	assert_int_equal(gm_write(&gm, X86_PD_ADDR, &walked, sizeof(walked)), 0);
	struct x86_table_diff d;
	assert_int_equal(x86_boot_tables_changed(&gm, &d), 3);
	assert_int_equal(d.index, 0);
	assert_true(d.have == junk);
	assert_true(d.want == (X86_PDPT_ADDR | 0x3));
	free(buf);
}

/* PVH enters in 32-bit mode without paging: only the GDT is written, so the
 * tables' memory is left as it was (zero here) and every entry "differs". */
static void test_pvh_writes_no_tables(void **state)
{
	(void)state;
	struct guest_mem gm;
	void *buf;
	fake_mem(&gm, RAM, &buf);
	assert_int_equal(x86_write_boot_tables(&gm, X86_ENTRY_PVH), 0);
	assert_int_equal(read_u64(&gm, X86_PML4_ADDR), 0);
	assert_int_equal(x86_boot_tables_changed(&gm, NULL), 4 + 2048 + 1);
	free(buf);
}

/* Memory too small to hold the tables: an error, not a crash. */
static void test_tables_outside_memory(void **state)
{
	(void)state;
	struct guest_mem gm;
	void *buf;
	fake_mem(&gm, 0x9000, &buf);
	assert_true(x86_write_boot_tables(&gm, X86_ENTRY_LINUX64) < 0);
	assert_true(x86_boot_tables_changed(&gm, NULL) < 0);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_map_first_4g),
		cmocka_unit_test(test_changed_entries_counted),
		cmocka_unit_test(test_pvh_writes_no_tables),
		cmocka_unit_test(test_tables_outside_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
