/* Unit tests for mem/guest_mem.c: region bookkeeping and the checked accessor. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mem/guest_mem.h"

static uint8_t buf_a[0x1000];
static uint8_t buf_b[0x1000];
static uint8_t buf_c[0x1000];

static void empty(struct guest_mem *gm)
{
	memset(gm, 0, sizeof(*gm));
}

/* ---- gm_add_region ------------------------------------------------------ */

static void test_add_sorted(void **state)
{
	struct guest_mem gm;
	empty(&gm);
	assert_int_equal(gm_add_region(&gm, 0x3000, 0x1000, buf_c, -1), 0);
	assert_int_equal(gm_add_region(&gm, 0x0, 0x1000, buf_a, -1), 0);
	assert_int_equal(gm_add_region(&gm, 0x1000, 0x1000, buf_b, -1), 0); /* adjacent both sides */
	assert_int_equal(gm.nr_regions, 3);
	assert_int_equal(gm.regions[0].gpa, 0x0);
	assert_ptr_equal(gm.regions[0].host, buf_a);
	assert_int_equal(gm.regions[1].gpa, 0x1000);
	assert_ptr_equal(gm.regions[1].host, buf_b);
	assert_int_equal(gm.regions[2].gpa, 0x3000);
	assert_ptr_equal(gm.regions[2].host, buf_c);
	assert_int_equal(gm.regions[2].fd, -1);
	assert_int_equal(gm_total_size(&gm), 0x3000);
	assert_int_equal(gm_end(&gm), 0x4000);
}

static void test_add_overlap(void **state)
{
	struct guest_mem gm;
	empty(&gm);
	assert_int_equal(gm_add_region(&gm, 0x10000, 0x1000, buf_a, -1), 0);
	/* identical, inside, covering, head overlap, tail overlap */
	assert_int_equal(gm_add_region(&gm, 0x10000, 0x1000, buf_b, -1), -EINVAL);
	assert_int_equal(gm_add_region(&gm, 0x10800, 0x10, buf_b, -1), -EINVAL);
	assert_int_equal(gm_add_region(&gm, 0xf000, 0x3000, buf_b, -1), -EINVAL);
	assert_int_equal(gm_add_region(&gm, 0xf000, 0x1001, buf_b, -1), -EINVAL);
	assert_int_equal(gm_add_region(&gm, 0x10fff, 0x1000, buf_b, -1), -EINVAL);
	/* one byte before / after is fine */
	assert_int_equal(gm_add_region(&gm, 0xf000, 0x1000, buf_b, -1), 0);
	assert_int_equal(gm_add_region(&gm, 0x11000, 0x1000, buf_c, -1), 0);
	assert_int_equal(gm.nr_regions, 3);
}

static void test_add_invalid(void **state)
{
	struct guest_mem gm;
	empty(&gm);
	assert_int_equal(gm_add_region(&gm, 0, 0, buf_a, -1), -EINVAL);           /* size 0 */
	assert_int_equal(gm_add_region(&gm, 0, 0x1000, NULL, -1), -EINVAL);       /* no host */
	assert_int_equal(gm_add_region(&gm, UINT64_MAX, 2, buf_a, -1), -EINVAL);  /* wraps */
	assert_int_equal(gm_add_region(&gm, UINT64_MAX - 0xfff, 0x2000, buf_a, -1), -EINVAL);
	assert_int_equal(gm_add_region(&gm, 1, UINT64_MAX, buf_a, -1), -EINVAL);
	assert_int_equal(gm.nr_regions, 0);
	/* just below the top of the address space is fine */
	assert_int_equal(gm_add_region(&gm, UINT64_MAX - 0x1000, 0x1000, buf_a, -1), 0);
	assert_int_equal(gm_end(&gm), UINT64_MAX);
}

static void test_add_full(void **state)
{
	struct guest_mem gm;
	empty(&gm);
	static uint8_t bufs[GM_MAX_REGIONS + 1][16];
	for (unsigned i = 0; i < GM_MAX_REGIONS; i++)
		assert_int_equal(gm_add_region(&gm, (uint64_t)i * 0x100, 16, bufs[i], -1), 0);
	assert_int_equal(gm_add_region(&gm, 0x10000, 16, bufs[GM_MAX_REGIONS], -1), -ENOSPC);
	assert_int_equal(gm.nr_regions, GM_MAX_REGIONS);
	for (unsigned i = 0; i < GM_MAX_REGIONS; i++)
		assert_ptr_equal(gm_ptr(&gm, (uint64_t)i * 0x100 + 15, 1), &bufs[i][15]);
}

/* ---- gm_ptr ------------------------------------------------------------- */

static void two_adjacent(struct guest_mem *gm)
{
	empty(gm);
	assert_int_equal(gm_add_region(gm, 0x1000, sizeof(buf_a), buf_a, -1), 0);
	assert_int_equal(gm_add_region(gm, 0x2000, sizeof(buf_b), buf_b, -1), 0);
}

static void test_ptr_boundaries(void **state)
{
	struct guest_mem gm;
	two_adjacent(&gm);
	assert_ptr_equal(gm_ptr(&gm, 0x1000, 1), &buf_a[0]);
	assert_ptr_equal(gm_ptr(&gm, 0x1fff, 1), &buf_a[0xfff]);
	assert_ptr_equal(gm_ptr(&gm, 0x1000, 0x1000), &buf_a[0]);
	assert_ptr_equal(gm_ptr(&gm, 0x1ff8, 8), &buf_a[0xff8]);
	assert_ptr_equal(gm_ptr(&gm, 0x2000, 1), &buf_b[0]);
	assert_ptr_equal(gm_ptr(&gm, 0x2fff, 1), &buf_b[0xfff]);
	assert_ptr_equal(gm_ptr(&gm, 0x2000, 0x1000), &buf_b[0]);
	/* outside: before, after, one past the end, too long */
	assert_null(gm_ptr(&gm, 0x0, 1));
	assert_null(gm_ptr(&gm, 0xfff, 1));
	assert_null(gm_ptr(&gm, 0xfff, 2));
	assert_null(gm_ptr(&gm, 0x3000, 1));
	assert_null(gm_ptr(&gm, 0x2fff, 2));
	assert_null(gm_ptr(&gm, 0x2000, 0x1001));
	assert_null(gm_ptr(&gm, 0x10000, 1));
}

static void test_ptr_straddle(void **state)
{
	struct guest_mem gm;
	two_adjacent(&gm);
	/* contiguous in guest space but two host buffers: must be refused */
	assert_null(gm_ptr(&gm, 0x1fff, 2));
	assert_null(gm_ptr(&gm, 0x1000, 0x2000));
	assert_null(gm_ptr(&gm, 0x1ffc, 8));
}

static void test_ptr_len0_and_overflow(void **state)
{
	struct guest_mem gm;
	two_adjacent(&gm);
	assert_null(gm_ptr(&gm, 0x1000, 0));
	assert_null(gm_ptr(&gm, 0x1800, 0));
	assert_null(gm_ptr(&gm, 0x1000, UINT64_MAX));
	assert_null(gm_ptr(&gm, 0x1001, UINT64_MAX));
	assert_null(gm_ptr(&gm, 0x1fff, UINT64_MAX - 0x1ffe)); /* gpa+len wraps to exactly 0 */
	assert_null(gm_ptr(&gm, UINT64_MAX, 1));
	assert_null(gm_ptr(&gm, UINT64_MAX, 2));
	assert_null(gm_ptr(&gm, UINT64_MAX, UINT64_MAX));

	/* a region at the very top of the address space */
	struct guest_mem top;
	empty(&top);
	assert_int_equal(gm_add_region(&top, UINT64_MAX - 0xfff, 0xfff, buf_c, -1), 0);
	assert_ptr_equal(gm_ptr(&top, UINT64_MAX - 0xfff, 0xfff), &buf_c[0]);
	assert_ptr_equal(gm_ptr(&top, UINT64_MAX - 1, 1), &buf_c[0xffe]);
	assert_null(gm_ptr(&top, UINT64_MAX - 1, 2));
	assert_null(gm_ptr(&top, UINT64_MAX, 1));
	assert_null(gm_ptr(&top, UINT64_MAX - 0xfff, UINT64_MAX));
	assert_null(gm_ptr(&top, UINT64_MAX - 0x800, 0x1000)); /* wraps */
}

static void test_ptr_empty(void **state)
{
	struct guest_mem gm;
	empty(&gm);
	assert_null(gm_ptr(&gm, 0, 1));
	assert_int_equal(gm_total_size(&gm), 0);
	assert_int_equal(gm_end(&gm), 0);
}

static void test_ptr_gap(void **state)
{
	struct guest_mem gm;
	empty(&gm);
	assert_int_equal(gm_add_region(&gm, 0x0, 0x1000, buf_a, -1), 0);
	assert_int_equal(gm_add_region(&gm, 0x10000, 0x1000, buf_b, -1), 0);
	assert_null(gm_ptr(&gm, 0x1000, 1));
	assert_null(gm_ptr(&gm, 0xffff, 1));
	assert_null(gm_ptr(&gm, 0x8000, 0x9000));
	assert_ptr_equal(gm_ptr(&gm, 0x10000, 4), &buf_b[0]);
	assert_ptr_equal(gm_ptr(&gm, 0xffc, 4), &buf_a[0xffc]);
	assert_int_equal(gm_end(&gm), 0x11000);
	assert_int_equal(gm_total_size(&gm), 0x2000);
}

/* ---- gm_read / gm_write ------------------------------------------------- */

static void test_read_write(void **state)
{
	struct guest_mem gm;
	two_adjacent(&gm);
	memset(buf_a, 0, sizeof(buf_a));
	memset(buf_b, 0, sizeof(buf_b));
	const uint8_t data[4] = {0xde, 0xad, 0xbe, 0xef};
	uint8_t out[4] = {0};

	assert_int_equal(gm_write(&gm, 0x1ffc, data, 4), 0);
	assert_memory_equal(&buf_a[0xffc], data, 4);
	assert_int_equal(gm_read(&gm, 0x1ffc, out, 4), 0);
	assert_memory_equal(out, data, 4);

	/* straddling the two regions fails and leaves memory untouched */
	assert_int_equal(gm_write(&gm, 0x1ffe, data, 4), -EFAULT);
	assert_int_equal(buf_b[0], 0);
	assert_int_equal(buf_b[1], 0);
	assert_int_equal(buf_a[0xffc], 0xde); /* previous contents */
	memset(out, 0x55, sizeof(out));
	assert_int_equal(gm_read(&gm, 0x1ffe, out, 4), -EFAULT);
	assert_int_equal(out[0], 0x55); /* dst untouched on failure */

	assert_int_equal(gm_write(&gm, 0x3000, data, 1), -EFAULT);
	assert_int_equal(gm_read(&gm, 0x0, out, 1), -EFAULT);
	assert_int_equal(gm_write(&gm, 0x1000, data, 0), -EFAULT);
	assert_int_equal(gm_read(&gm, UINT64_MAX, out, 1), -EFAULT);

	assert_int_equal(gm_write(&gm, 0x2fff, data, 1), 0);
	assert_int_equal(buf_b[0xfff], 0xde);
}

/* ---- gm_create ---------------------------------------------------------- */

static void test_create_too_small(void **state)
{
	struct guest_mem gm;
	memset(&gm, 0xaa, sizeof(gm));
	assert_int_equal(gm_create(&gm, GM_MIN_SIZE - 4096), -EINVAL);
	assert_int_equal(gm.nr_regions, 0);
	assert_int_equal(gm_create(&gm, 0), -EINVAL);
	assert_int_equal(gm.nr_regions, 0);
}

static void test_create_64m(void **state)
{
	struct guest_mem gm;
	assert_int_equal(gm_create(&gm, 64ULL << 20), 0);
	assert_int_equal(gm.nr_regions, 1);
	assert_int_equal(gm.regions[0].gpa, 0);
	assert_int_equal(gm.regions[0].size, 64ULL << 20);
	assert_true(gm.regions[0].fd >= 0);
	assert_int_equal(gm_total_size(&gm), 64ULL << 20);
	assert_int_equal(gm_end(&gm), 64ULL << 20);

	/* memory is usable and zero-filled */
	uint8_t *last = gm_ptr(&gm, (64ULL << 20) - 1, 1);
	assert_non_null(last);
	assert_int_equal(*last, 0);
	*last = 0x5a;
	uint8_t v = 0;
	assert_int_equal(gm_read(&gm, (64ULL << 20) - 1, &v, 1), 0);
	assert_int_equal(v, 0x5a);
	assert_null(gm_ptr(&gm, 64ULL << 20, 1));
	assert_null(gm_ptr(&gm, (64ULL << 20) - 1, 2));

	gm_destroy(&gm);
	assert_int_equal(gm.nr_regions, 0);
}

static void test_create_exactly_3g(void **state)
{
	struct guest_mem gm;
	assert_int_equal(gm_create(&gm, GM_MMIO32_START), 0);
	assert_int_equal(gm.nr_regions, 1);
	assert_int_equal(gm_end(&gm), GM_MMIO32_START);
	assert_int_equal(gm_total_size(&gm), GM_MMIO32_START);
	gm_destroy(&gm);
}

static void test_create_split(void **state)
{
	struct guest_mem gm;
	const uint64_t size = GM_MMIO32_START + (1ULL << 30); /* 3G + 1G */
	assert_int_equal(gm_create(&gm, size), 0);
	assert_int_equal(gm.nr_regions, 2);
	assert_int_equal(gm.regions[0].gpa, 0);
	assert_int_equal(gm.regions[0].size, GM_MMIO32_START);
	assert_int_equal(gm.regions[1].gpa, GM_HIGH_RAM_START);
	assert_int_equal(gm.regions[1].size, 1ULL << 30);
	assert_int_equal(gm.regions[0].fd, gm.regions[1].fd);
	assert_int_equal(gm_total_size(&gm), size);
	assert_int_equal(gm_end(&gm), GM_HIGH_RAM_START + (1ULL << 30));

	/* the hole is not RAM */
	assert_null(gm_ptr(&gm, GM_MMIO32_START, 1));
	assert_null(gm_ptr(&gm, GM_MMIO32_START - 1, 2));
	assert_null(gm_ptr(&gm, GM_HIGH_RAM_START - 1, 1));
	assert_null(gm_ptr(&gm, GM_HIGH_RAM_START - 1, 2));
	assert_non_null(gm_ptr(&gm, GM_MMIO32_START - 1, 1));
	assert_non_null(gm_ptr(&gm, GM_HIGH_RAM_START, 1));
	assert_non_null(gm_ptr(&gm, GM_HIGH_RAM_START + (1ULL << 30) - 8, 8));
	assert_null(gm_ptr(&gm, GM_HIGH_RAM_START + (1ULL << 30) - 8, 9));

	/* the two mappings are distinct slices of one file: writing one does
	 * not show up in the other */
	uint32_t lo = 0x11111111, hi = 0x22222222, v = 0;
	assert_int_equal(gm_write(&gm, 0, &lo, sizeof(lo)), 0);
	assert_int_equal(gm_write(&gm, GM_HIGH_RAM_START, &hi, sizeof(hi)), 0);
	assert_int_equal(gm_read(&gm, 0, &v, sizeof(v)), 0);
	assert_int_equal(v, lo);
	assert_int_equal(gm_read(&gm, GM_HIGH_RAM_START, &v, sizeof(v)), 0);
	assert_int_equal(v, hi);

	gm_destroy(&gm);
	assert_int_equal(gm.nr_regions, 0);
	assert_int_equal(gm_end(&gm), 0);
}

/* BUG (disabled until fixed): gm_create closes its memfd twice when the
 * mapping of the high part fails. src/mem/guest_mem.c:55-56 (and 62-63) call
 * gm_destroy(gm), which already closes the fd of the mapped low region
 * (line 81), then close(fd) again. In a multi-threaded VMM the second close
 * can close an fd another thread has just been given. Reproduce: size =
 * 3 GiB + 128 TiB (ftruncate succeeds, the 128 TiB mmap fails with ENOMEM).
 * Expected: the memfd closed exactly once; actual: twice.
 * To enable: change both `#if 0` (here and in main()) to `#if 1`. */
#if 1 /* was a bug, fixed */
#include <sys/syscall.h>
#include <unistd.h>
static int close_count[256];
int close(int fd)
{
	if (fd >= 0 && fd < 256)
		close_count[fd]++;
	return (int)syscall(SYS_close, fd);
}

static void test_create_mmap_failure_closes_once(void **state)
{
	struct guest_mem gm;
	memset(close_count, 0, sizeof(close_count));
	int rc = gm_create(&gm, GM_MMIO32_START + (1ULL << 47));
	assert_int_equal(rc, -ENOMEM);
	assert_int_equal(gm.nr_regions, 0);
	for (int fd = 0; fd < 256; fd++)
		assert_true(close_count[fd] <= 1);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_sorted),
		cmocka_unit_test(test_add_overlap),
		cmocka_unit_test(test_add_invalid),
		cmocka_unit_test(test_add_full),
		cmocka_unit_test(test_ptr_boundaries),
		cmocka_unit_test(test_ptr_straddle),
		cmocka_unit_test(test_ptr_len0_and_overflow),
		cmocka_unit_test(test_ptr_empty),
		cmocka_unit_test(test_ptr_gap),
		cmocka_unit_test(test_read_write),
		cmocka_unit_test(test_create_too_small),
		cmocka_unit_test(test_create_64m),
		cmocka_unit_test(test_create_exactly_3g),
		cmocka_unit_test(test_create_split),
#if 1 /* was a bug, fixed */
		cmocka_unit_test(test_create_mmap_failure_closes_once),
#endif
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
