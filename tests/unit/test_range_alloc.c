/* Unit tests for mem/range_alloc.c: reserve, first-fit alloc, free. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mem/range_alloc.h"

/* Check the used list is exactly the given (base, size) pairs, in order. */
static void expect_used(const struct range_alloc *ra, const uint64_t *pairs, unsigned n)
{
	assert_int_equal(ra->nr, n);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(ra->used[i].base, pairs[2 * i]);
		assert_int_equal(ra->used[i].size, pairs[2 * i + 1]);
	}
}

static void test_init(void **state)
{
	struct range_alloc ra;
	assert_int_equal(ra_init(&ra, 10, 9), -EINVAL);
	assert_int_equal(ra_init(&ra, 5, 5), 0); /* a single unit */
	uint64_t b = 0;
	assert_int_equal(ra_alloc(&ra, 1, 0, &b), 0);
	assert_int_equal(b, 5);
	assert_int_equal(ra_alloc(&ra, 1, 0, &b), -ENOSPC);
	ra_destroy(&ra);
	assert_int_equal(ra_init(&ra, 0, UINT64_MAX), 0);
	ra_destroy(&ra);
	assert_null(ra.used);
	assert_int_equal(ra.nr, 0);
}

static void test_reserve_invalid(void **state)
{
	struct range_alloc ra;
	assert_int_equal(ra_init(&ra, 0x1000, 0x1fff), 0);
	assert_int_equal(ra_reserve(&ra, 0x1000, 0), -EINVAL);          /* size 0 */
	assert_int_equal(ra_reserve(&ra, 0xfff, 2), -EINVAL);           /* starts before */
	assert_int_equal(ra_reserve(&ra, 0x1fff, 2), -EINVAL);          /* ends after */
	assert_int_equal(ra_reserve(&ra, 0x2000, 1), -EINVAL);          /* fully after */
	assert_int_equal(ra_reserve(&ra, 0x1000, 0x1001), -EINVAL);     /* one too long */
	assert_int_equal(ra_reserve(&ra, 0x1800, UINT64_MAX), -EINVAL); /* wraps */
	assert_int_equal(ra.nr, 0);
	assert_int_equal(ra_reserve(&ra, 0x1000, 0x1000), 0); /* exactly the space */
	ra_destroy(&ra);
}

/* Existing [100, 200); try every arrangement of a new range against it. */
static void test_reserve_overlaps(void **state)
{
	static const struct {
		uint64_t base, size;
		int rc;
	} cases[] = {
		{100, 100, -EEXIST}, /* identical */
		{120, 10, -EEXIST},  /* inside */
		{50, 200, -EEXIST},  /* covering */
		{50, 51, -EEXIST},   /* tail touches first byte */
		{50, 100, -EEXIST},  /* overlaps head */
		{199, 1, -EEXIST},   /* last byte */
		{199, 50, -EEXIST},  /* overlaps tail */
		{100, 1, -EEXIST},   /* first byte */
		{100, 300, -EEXIST}, /* same start, longer */
		{0, 200, -EEXIST},   /* same end, earlier start */
		{50, 50, 0},         /* adjacent below */
		{200, 50, 0},        /* adjacent above */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct range_alloc ra;
		assert_int_equal(ra_init(&ra, 0, 1000), 0);
		assert_int_equal(ra_reserve(&ra, 100, 100), 0);
		int rc = ra_reserve(&ra, cases[i].base, cases[i].size);
		if (rc != cases[i].rc)
			fail_msg("case %zu [%llu,+%llu): got %d, expected %d", i, (unsigned long long)cases[i].base,
				 (unsigned long long)cases[i].size, rc, cases[i].rc);
		assert_int_equal(ra.nr, cases[i].rc ? 1 : 2);
		ra_destroy(&ra);
	}
}

static void test_reserve_between_and_sorted(void **state)
{
	struct range_alloc ra;
	assert_int_equal(ra_init(&ra, 0, 1000), 0);
	assert_int_equal(ra_reserve(&ra, 500, 100), 0);
	assert_int_equal(ra_reserve(&ra, 100, 100), 0);
	assert_int_equal(ra_reserve(&ra, 300, 100), 0);
	/* spans the gap and touches both neighbours */
	assert_int_equal(ra_reserve(&ra, 199, 102), -EEXIST);
	assert_int_equal(ra_reserve(&ra, 150, 400), -EEXIST);
	/* fills the gap exactly */
	assert_int_equal(ra_reserve(&ra, 200, 100), 0);
	assert_int_equal(ra_reserve(&ra, 0, 100), 0);
	assert_int_equal(ra_reserve(&ra, 600, 401), 0); /* up to end inclusive */
	const uint64_t want[] = {0, 100, 100, 100, 200, 100, 300, 100, 500, 100, 600, 401};
	expect_used(&ra, want, 6);
	ra_destroy(&ra);
}

static void test_reserve_many_grows(void **state)
{
	struct range_alloc ra;
	assert_int_equal(ra_init(&ra, 0, UINT64_MAX), 0);
	/* insert in descending order to exercise memmove + growth past 16 */
	for (int i = 99; i >= 0; i--)
		assert_int_equal(ra_reserve(&ra, (uint64_t)i * 16, 8), 0);
	assert_int_equal(ra.nr, 100);
	for (unsigned i = 0; i < 100; i++)
		assert_int_equal(ra.used[i].base, i * 16);
	for (int i = 0; i < 100; i++)
		assert_int_equal(ra_reserve(&ra, (uint64_t)i * 16 + 7, 2), -EEXIST);
	ra_destroy(&ra);
}

static void test_alloc_first_fit(void **state)
{
	struct range_alloc ra;
	uint64_t b;
	assert_int_equal(ra_init(&ra, 0x1000, 0x1fff), 0);
	assert_int_equal(ra_alloc(&ra, 0x100, 0, &b), 0);
	assert_int_equal(b, 0x1000);
	assert_int_equal(ra_alloc(&ra, 0x100, 1, &b), 0);
	assert_int_equal(b, 0x1100);
	assert_int_equal(ra_reserve(&ra, 0x1300, 0x100), 0); /* leaves a gap 0x1200..0x12ff */
	assert_int_equal(ra_alloc(&ra, 0x200, 0, &b), 0);     /* too big for the gap */
	assert_int_equal(b, 0x1400);
	assert_int_equal(ra_alloc(&ra, 0x80, 0, &b), 0); /* fits the gap: first fit */
	assert_int_equal(b, 0x1200);
	assert_int_equal(ra_alloc(&ra, 0x80, 0, &b), 0); /* the rest of the gap */
	assert_int_equal(b, 0x1280);
	assert_int_equal(ra_alloc(&ra, 0x1, 0, &b), 0);
	assert_int_equal(b, 0x1600);
	const uint64_t want[] = {0x1000, 0x100, 0x1100, 0x100, 0x1200, 0x80, 0x1280, 0x80,
				 0x1300, 0x100, 0x1400, 0x200, 0x1600, 0x1};
	expect_used(&ra, want, 7);
	ra_destroy(&ra);
}

static void test_alloc_alignment(void **state)
{
	struct range_alloc ra;
	uint64_t b = 0xdead;
	assert_int_equal(ra_init(&ra, 0x1001, 0xfffff), 0);
	assert_int_equal(ra_alloc(&ra, 0x10, 3, &b), -EINVAL); /* not a power of two */
	assert_int_equal(ra_alloc(&ra, 0x10, 0x1800, &b), -EINVAL);
	assert_int_equal(ra_alloc(&ra, 0, 0x1000, &b), -EINVAL); /* size 0 */
	assert_int_equal(b, 0xdead);
	assert_int_equal(ra_alloc(&ra, 0x10, 0x1000, &b), 0); /* start not aligned */
	assert_int_equal(b, 0x2000);
	assert_int_equal(ra_alloc(&ra, 0x10, 0, &b), 0); /* unaligned goes first */
	assert_int_equal(b, 0x1001);
	assert_int_equal(ra_alloc(&ra, 0x4000, 0x4000, &b), 0);
	assert_int_equal(b, 0x4000);
	assert_int_equal(ra_alloc(&ra, 0x10, 0x10, &b), 0); /* fits between 0x1011 and 0x2000 */
	assert_int_equal(b, 0x1020);
	assert_int_equal(ra_alloc(&ra, 0x1000, 0x1000, &b), 0); /* after 0x2000's range */
	assert_int_equal(b, 0x3000);
	assert_int_equal(ra_alloc(&ra, 0x10000, 0x10000, &b), 0);
	assert_int_equal(b, 0x10000);
	assert_int_equal(ra_alloc(&ra, 0x100000, 0x100000, &b), -ENOSPC); /* 0x100000 > end */
	ra_destroy(&ra);
}

static void test_alloc_exhaustion(void **state)
{
	struct range_alloc ra;
	uint64_t b;
	assert_int_equal(ra_init(&ra, 32, 55), 0); /* 24 units, like GSIs */
	for (uint64_t i = 32; i <= 55; i++) {
		assert_int_equal(ra_alloc(&ra, 1, 0, &b), 0);
		assert_int_equal(b, i);
	}
	assert_int_equal(ra_alloc(&ra, 1, 0, &b), -ENOSPC);
	assert_int_equal(ra.nr, 24);
	/* free one in the middle, it is reused exactly */
	assert_int_equal(ra_free(&ra, 40), 0);
	assert_int_equal(ra_alloc(&ra, 2, 0, &b), -ENOSPC);
	assert_int_equal(ra_alloc(&ra, 1, 0, &b), 0);
	assert_int_equal(b, 40);
	assert_int_equal(ra_alloc(&ra, 1, 0, &b), -ENOSPC);
	ra_destroy(&ra);

	assert_int_equal(ra_init(&ra, 0, 99), 0);
	assert_int_equal(ra_alloc(&ra, 101, 0, &b), -ENOSPC);
	assert_int_equal(ra_alloc(&ra, 100, 0, &b), 0);
	assert_int_equal(b, 0);
	ra_destroy(&ra);
}

static void test_ra_free(void **state)
{
	struct range_alloc ra;
	uint64_t b;
	assert_int_equal(ra_init(&ra, 0, 0xffff), 0);
	assert_int_equal(ra_free(&ra, 0), -ENOENT);
	assert_int_equal(ra_alloc(&ra, 0x100, 0, &b), 0);
	assert_int_equal(ra_alloc(&ra, 0x100, 0, &b), 0);
	assert_int_equal(ra_alloc(&ra, 0x100, 0, &b), 0);
	assert_int_equal(ra_free(&ra, 0x150), -ENOENT); /* not a start */
	assert_int_equal(ra_free(&ra, 0x100), 0);
	assert_int_equal(ra_free(&ra, 0x100), -ENOENT); /* twice */
	const uint64_t want[] = {0x0, 0x100, 0x200, 0x100};
	expect_used(&ra, want, 2);
	/* the hole is reused by reserve and alloc */
	assert_int_equal(ra_reserve(&ra, 0x100, 0x80), 0);
	assert_int_equal(ra_alloc(&ra, 0x80, 0, &b), 0);
	assert_int_equal(b, 0x180);
	assert_int_equal(ra_free(&ra, 0x200), 0);
	assert_int_equal(ra_free(&ra, 0x0), 0);
	assert_int_equal(ra_free(&ra, 0x100), 0);
	assert_int_equal(ra_free(&ra, 0x180), 0);
	assert_int_equal(ra.nr, 0);
	assert_int_equal(ra_alloc(&ra, 0x10000, 0, &b), 0);
	assert_int_equal(b, 0);
	ra_destroy(&ra);
}

static void test_top_of_space(void **state)
{
	struct range_alloc ra;
	uint64_t b;
	const uint64_t start = UINT64_MAX - 0xfff;
	assert_int_equal(ra_init(&ra, start, UINT64_MAX), 0);
	assert_int_equal(ra_reserve(&ra, UINT64_MAX, 1), 0); /* the very last byte */
	assert_int_equal(ra_reserve(&ra, UINT64_MAX, 1), -EEXIST);
	assert_int_equal(ra_reserve(&ra, UINT64_MAX, 2), -EINVAL); /* wraps */
	assert_int_equal(ra_reserve(&ra, UINT64_MAX - 1, 2), -EEXIST);
	assert_int_equal(ra_alloc(&ra, 0x1000, 0, &b), -ENOSPC);
	assert_int_equal(ra_alloc(&ra, 0xfff, 0, &b), 0);
	assert_int_equal(b, start);
	/* full, and the last used range ends at UINT64_MAX */
	assert_int_equal(ra_alloc(&ra, 1, 0, &b), -ENOSPC);
	assert_int_equal(ra_free(&ra, UINT64_MAX), 0);
	assert_int_equal(ra_alloc(&ra, 1, 0x1000, &b), -ENOSPC); /* next aligned would wrap */
	assert_int_equal(ra_alloc(&ra, 1, 0, &b), 0);
	assert_int_equal(b, UINT64_MAX);
	assert_int_equal(ra_alloc(&ra, 1, 0, &b), -ENOSPC);
	ra_destroy(&ra);

	/* whole 64-bit space */
	assert_int_equal(ra_init(&ra, 0, UINT64_MAX), 0);
	assert_int_equal(ra_alloc(&ra, UINT64_MAX, 0, &b), 0); /* [0, UINT64_MAX - 1] */
	assert_int_equal(b, 0);
	assert_int_equal(ra_alloc(&ra, 2, 0, &b), -ENOSPC);
	assert_int_equal(ra_alloc(&ra, 1, 1ULL << 63, &b), -ENOSPC);
	assert_int_equal(ra_alloc(&ra, 1, 0, &b), 0);
	assert_int_equal(b, UINT64_MAX);
	assert_int_equal(ra_alloc(&ra, 1, 0, &b), -ENOSPC);
	ra_destroy(&ra);

	/* high alignment near the top */
	assert_int_equal(ra_init(&ra, 1, UINT64_MAX), 0);
	assert_int_equal(ra_alloc(&ra, 1ULL << 62, 1ULL << 63, &b), 0);
	assert_int_equal(b, 1ULL << 63);
	assert_int_equal(ra_alloc(&ra, 1ULL << 62, 1ULL << 63, &b), -ENOSPC); /* next would be 2^64 */
	assert_int_equal(ra_alloc(&ra, (1ULL << 63) - 1, 0, &b), 0);             /* [1, 2^63) */
	assert_int_equal(b, 1);
	assert_int_equal(ra_alloc(&ra, 1ULL << 62, 0, &b), 0);
	assert_int_equal(b, (1ULL << 63) + (1ULL << 62));
	assert_int_equal(ra_alloc(&ra, 1, 0, &b), -ENOSPC);
	ra_destroy(&ra);
}

static void test_alloc_size_wraps(void **state)
{
	struct range_alloc ra;
	uint64_t b;
	assert_int_equal(ra_init(&ra, 0x1000, UINT64_MAX), 0);
	assert_int_equal(ra_alloc(&ra, UINT64_MAX, 0, &b), -ENOSPC);
	assert_int_equal(ra_alloc(&ra, UINT64_MAX - 0xfff, 0, &b), 0); /* exactly fits */
	assert_int_equal(b, 0x1000);
	assert_int_equal(ra_alloc(&ra, 1, 0, &b), -ENOSPC);
	ra_destroy(&ra);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_reserve_invalid),
		cmocka_unit_test(test_reserve_overlaps),
		cmocka_unit_test(test_reserve_between_and_sorted),
		cmocka_unit_test(test_reserve_many_grows),
		cmocka_unit_test(test_alloc_first_fit),
		cmocka_unit_test(test_alloc_alignment),
		cmocka_unit_test(test_alloc_exhaustion),
		cmocka_unit_test(test_ra_free),
		cmocka_unit_test(test_top_of_space),
		cmocka_unit_test(test_alloc_size_wraps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
