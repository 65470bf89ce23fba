/* Unit tests for bus/bus.c: range insertion and dispatch. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bus/bus.h"

/* A dummy device that records its last access and answers reads with a
 * pattern: byte i = id + offset + i. */
struct dev {
	uint8_t id;
	unsigned reads, writes;
	uint64_t last_off;
	uint32_t last_len;
	uint8_t last_data[8];
};

static void dev_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
	struct dev *d = opaque;
	d->reads++;
	d->last_off = offset;
	d->last_len = len;
	for (uint32_t i = 0; i < len; i++)
		data[i] = (uint8_t)(d->id + offset + i);
}

static void dev_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
	struct dev *d = opaque;
	d->writes++;
	d->last_off = offset;
	d->last_len = len;
	memcpy(d->last_data, data, len);
}

static const struct bus_ops dev_ops = {.read = dev_read, .write = dev_write};
static const struct bus_ops read_only_ops = {.read = dev_read};
static const struct bus_ops write_only_ops = {.write = dev_write};

static void test_insert_invalid(void **state)
{
	struct bus bus;
	struct dev d = {0};
	bus_init(&bus, "test");
	assert_int_equal(bus_insert(&bus, 0x100, 0, &dev_ops, &d, "zero"), -EINVAL);
	assert_int_equal(bus_insert(&bus, UINT64_MAX, 2, &dev_ops, &d, "wrap"), -EINVAL);
	assert_int_equal(bus_insert(&bus, 2, UINT64_MAX, &dev_ops, &d, "wrap"), -EINVAL);
	assert_int_equal(bus_insert(&bus, 0x100, 8, NULL, &d, "noops"), -EINVAL);
	assert_int_equal(bus.nr, 0);
	/* ranges reaching the last address are fine */
	assert_int_equal(bus_insert(&bus, UINT64_MAX, 1, &dev_ops, &d, "top"), 0);
	assert_int_equal(bus_insert(&bus, 0, UINT64_MAX, &dev_ops, &d, "all-but-top"), 0);
	assert_int_equal(bus.nr, 2);
	bus_destroy(&bus);
}

static void test_insert_overlap(void **state)
{
	static const struct {
		uint64_t base, len;
		int rc;
	} cases[] = {
		{0x3f8, 8, -EEXIST},  {0x3f0, 9, -EEXIST},  {0x3ff, 1, -EEXIST}, {0x3fc, 2, -EEXIST},
		{0x300, 0x200, -EEXIST}, {0x3f8, 1, -EEXIST}, {0x3ff, 10, -EEXIST}, {0x3f0, 8, 0},
		{0x400, 8, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bus bus;
		struct dev d = {0};
		bus_init(&bus, "pio");
		assert_int_equal(bus_insert(&bus, 0x3f8, 8, &dev_ops, &d, "uart"), 0);
		int rc = bus_insert(&bus, cases[i].base, cases[i].len, &dev_ops, &d, "other");
		if (rc != cases[i].rc)
			fail_msg("case %zu: got %d, expected %d", i, rc, cases[i].rc);
		assert_int_equal(bus.nr, rc ? 1 : 2);
		bus_destroy(&bus);
	}
}

static void test_insert_sorted_growth(void **state)
{
	struct bus bus;
	struct dev d = {0};
	bus_init(&bus, "mmio");
	for (int i = 39; i >= 0; i--)
		assert_int_equal(bus_insert(&bus, 0x1000 + (uint64_t)i * 0x100, 0x10, &dev_ops, &d, "d"), 0);
	assert_int_equal(bus.nr, 40);
	for (unsigned i = 0; i < bus.nr; i++)
		assert_int_equal(bus.ranges[i].base, 0x1000 + i * 0x100);
	bus_destroy(&bus);
}

static void test_dispatch(void **state)
{
	struct bus bus;
	struct dev a = {.id = 0x10}, b = {.id = 0x40}, c = {.id = 0x80};
	uint8_t data[8];
	bus_init(&bus, "pio");
	assert_int_equal(bus_insert(&bus, 0x3f8, 8, &dev_ops, &b, "uart"), 0);
	assert_int_equal(bus_insert(&bus, 0x60, 1, &dev_ops, &a, "i8042-data"), 0);
	assert_int_equal(bus_insert(&bus, 0x400, 0x100, &dev_ops, &c, "big"), 0);

	assert_true(bus_read(&bus, 0x3fd, data, 1));
	assert_int_equal(b.reads, 1);
	assert_int_equal(b.last_off, 5);
	assert_int_equal(b.last_len, 1);
	assert_int_equal(data[0], 0x45);
	assert_int_equal(a.reads + c.reads, 0);

	assert_true(bus_read(&bus, 0x60, data, 1));
	assert_int_equal(a.reads, 1);
	assert_int_equal(a.last_off, 0);
	assert_int_equal(data[0], 0x10);

	assert_true(bus_read(&bus, 0x4f8, data, 8));
	assert_int_equal(c.last_off, 0xf8);
	assert_int_equal(c.last_len, 8);
	for (int i = 0; i < 8; i++)
		assert_int_equal(data[i], (uint8_t)(0x80 + 0xf8 + i));

	const uint8_t w[4] = {1, 2, 3, 4};
	assert_true(bus_write(&bus, 0x3f8, w, 4));
	assert_int_equal(b.writes, 1);
	assert_int_equal(b.last_off, 0);
	assert_int_equal(b.last_len, 4);
	assert_memory_equal(b.last_data, w, 4);
	assert_true(bus_write(&bus, 0x3ff, w, 1));
	assert_int_equal(b.last_off, 7);
	assert_int_equal(b.writes, 2);
	assert_int_equal(a.writes + c.writes, 0);
	bus_destroy(&bus);
}

static void test_unclaimed(void **state)
{
	struct bus bus;
	struct dev d = {.id = 1};
	uint8_t data[8];
	const uint8_t w[8] = {0};
	bus_init(&bus, "pio");
	/* empty bus */
	memset(data, 0, sizeof(data));
	assert_false(bus_read(&bus, 0x80, data, 4));
	for (int i = 0; i < 4; i++)
		assert_int_equal(data[i], 0xff);
	assert_int_equal(data[4], 0); /* only len bytes filled */
	assert_false(bus_write(&bus, 0x80, w, 4));

	assert_int_equal(bus_insert(&bus, 0x100, 4, &dev_ops, &d, "d"), 0);
	static const uint64_t addrs[] = {0xff, 0x104, 0, 0x1000, UINT64_MAX};
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		memset(data, 0, sizeof(data));
		assert_false(bus_read(&bus, addrs[i], data, 1));
		assert_int_equal(data[0], 0xff);
		assert_false(bus_write(&bus, addrs[i], w, 1));
	}
	/* straddling the end of the range */
	memset(data, 0, sizeof(data));
	assert_false(bus_read(&bus, 0x102, data, 4));
	for (int i = 0; i < 4; i++)
		assert_int_equal(data[i], 0xff);
	assert_false(bus_read(&bus, 0x103, data, 2));
	assert_false(bus_write(&bus, 0x101, w, 4));
	assert_false(bus_read(&bus, 0x100, data, 8));
	/* starting before the range and running into it */
	assert_false(bus_read(&bus, 0xfe, data, 4));
	assert_int_equal(d.reads, 0);
	assert_int_equal(d.writes, 0);
	/* the exact fit still works */
	assert_true(bus_read(&bus, 0x100, data, 4));
	assert_true(bus_read(&bus, 0x103, data, 1));
	assert_int_equal(d.reads, 2);
	bus_destroy(&bus);
}

static void test_missing_ops(void **state)
{
	struct bus bus;
	struct dev r = {.id = 7}, w = {.id = 9};
	uint8_t data[2] = {0, 0};
	const uint8_t v[2] = {0xaa, 0xbb};
	bus_init(&bus, "mmio");
	assert_int_equal(bus_insert(&bus, 0x1000, 0x10, &read_only_ops, &r, "ro"), 0);
	assert_int_equal(bus_insert(&bus, 0x2000, 0x10, &write_only_ops, &w, "wo"), 0);
	assert_true(bus_read(&bus, 0x1001, data, 1));
	assert_int_equal(data[0], 8);
	assert_false(bus_write(&bus, 0x1001, v, 1));
	assert_false(bus_read(&bus, 0x2000, data, 2));
	assert_int_equal(data[0], 0xff);
	assert_int_equal(data[1], 0xff);
	assert_true(bus_write(&bus, 0x2002, v, 2));
	assert_int_equal(w.last_off, 2);
	assert_memory_equal(w.last_data, v, 2);
	assert_int_equal(r.writes + w.reads, 0);
	bus_destroy(&bus);
}

static void test_top_of_space(void **state)
{
	struct bus bus;
	struct dev d = {.id = 0};
	uint8_t data[8];
	bus_init(&bus, "mmio");
	assert_int_equal(bus_insert(&bus, UINT64_MAX - 7, 8, &dev_ops, &d, "top"), 0);
	assert_true(bus_read(&bus, UINT64_MAX - 7, data, 8));
	assert_int_equal(d.last_off, 0);
	assert_true(bus_read(&bus, UINT64_MAX, data, 1));
	assert_int_equal(d.last_off, 7);
	assert_false(bus_read(&bus, UINT64_MAX, data, 2)); /* would wrap */
	assert_false(bus_read(&bus, UINT64_MAX - 3, data, 8));
	assert_int_equal(d.reads, 2);
	bus_destroy(&bus);
}

static void test_remove(void **state)
{
	struct bus bus;
	struct dev a = {.id = 1}, b = {.id = 2}, c = {.id = 3};
	uint8_t data[1];
	bus_init(&bus, "pio");
	assert_int_equal(bus_remove(&bus, 0), -ENOENT);
	assert_int_equal(bus_insert(&bus, 0x10, 0x10, &dev_ops, &a, "a"), 0);
	assert_int_equal(bus_insert(&bus, 0x20, 0x10, &dev_ops, &b, "b"), 0);
	assert_int_equal(bus_insert(&bus, 0x30, 0x10, &dev_ops, &c, "c"), 0);
	assert_int_equal(bus_remove(&bus, 0x21), -ENOENT); /* not a base */
	assert_int_equal(bus_remove(&bus, 0x20), 0);
	assert_int_equal(bus_remove(&bus, 0x20), -ENOENT);
	assert_int_equal(bus.nr, 2);
	assert_false(bus_read(&bus, 0x25, data, 1));
	assert_int_equal(data[0], 0xff);
	assert_true(bus_read(&bus, 0x15, data, 1));
	assert_int_equal(data[0], 1 + 5);
	assert_true(bus_read(&bus, 0x3f, data, 1));
	assert_int_equal(data[0], 3 + 0xf);
	assert_int_equal(b.reads, 0);
	/* the space can be taken again, by a bigger device overlapping nothing */
	assert_int_equal(bus_insert(&bus, 0x20, 0x11, &dev_ops, &b, "b2"), -EEXIST);
	assert_int_equal(bus_insert(&bus, 0x20, 0x10, &dev_ops, &b, "b2"), 0);
	assert_true(bus_read(&bus, 0x2f, data, 1));
	assert_int_equal(b.reads, 1);
	assert_int_equal(b.last_off, 0xf);
	assert_int_equal(bus_remove(&bus, 0x10), 0);
	assert_int_equal(bus_remove(&bus, 0x30), 0);
	assert_int_equal(bus_remove(&bus, 0x20), 0);
	assert_int_equal(bus.nr, 0);
	assert_false(bus_read(&bus, 0x20, data, 1));
	bus_destroy(&bus);
}

/* Binary search over many ranges: each byte of each range reaches its owner,
 * every gap byte is unclaimed. */
static void test_many_ranges(void **state)
{
	struct bus bus;
	static struct dev devs[64];
	uint8_t data[1];
	bus_init(&bus, "mmio");
	for (int i = 0; i < 64; i++) {
		devs[i] = (struct dev){.id = (uint8_t)i};
		/* ranges of length 3 every 5 addresses, inserted in a scattered order */
		int j = (i * 37) % 64;
		devs[j].id = (uint8_t)j;
		assert_int_equal(bus_insert(&bus, (uint64_t)j * 5, 3, &dev_ops, &devs[j], "d"), 0);
	}
	for (uint64_t addr = 0; addr < 64 * 5 + 5; addr++) {
		bool claimed = bus_read(&bus, addr, data, 1);
		uint64_t j = addr / 5, off = addr % 5;
		if (j < 64 && off < 3) {
			assert_true(claimed);
			assert_int_equal(devs[j].last_off, off);
			assert_int_equal(data[0], (uint8_t)(j + off));
		} else {
			assert_false(claimed);
			assert_int_equal(data[0], 0xff);
		}
	}
	bus_destroy(&bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_insert_invalid),
		cmocka_unit_test(test_insert_overlap),
		cmocka_unit_test(test_insert_sorted_growth),
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_unclaimed),
		cmocka_unit_test(test_missing_ops),
		cmocka_unit_test(test_top_of_space),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_many_ranges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
