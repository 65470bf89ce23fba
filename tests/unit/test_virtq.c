/* Unit tests for virtio/queue.c: a fake driver builds split rings in fake
 * guest memory (calloc'd regions with a gap, plus one region just below the
 * top of the 64-bit space) and the device side pops, pushes and decides on
 * notifications. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "mem/guest_mem.h"
#include "util/log.h"
#include "virtio/queue.h"

/* Guest physical layout of the fixture. */
#define RAM_A 0x0ull             /* region A: [0, 1 MiB) */
#define RAM_A_SIZE 0x100000ull
#define RAM_B 0x200000ull        /* region B: [2 MiB, 3 MiB), gap before it */
#define RAM_B_SIZE 0x100000ull
#define RAM_TOP 0xFFFFFFFFFFFFE000ull /* region T: one page below 2^64 - 4 KiB */
#define RAM_TOP_SIZE 0x1000ull

#define DESC 0x1000ull
#define AVAIL 0x2000ull
#define USED 0x3000ull
#define BUF 0x10000ull  /* data buffers */
#define ITAB 0x8000ull  /* indirect tables */
#define QSIZE 16

struct fx {
	struct guest_mem gm;
	uint8_t *a, *b, *top;
	struct virtq q;
	uint16_t avail_idx; /* the fake driver's next avail idx */
	struct virtq_chain chain;
};

/* ---- fake driver ----------------------------------------------------------- */

static void wr16(struct fx *f, uint64_t gpa, uint16_t v)
{
	assert_int_equal(gm_write(&f->gm, gpa, &v, sizeof(v)), 0);
}

static uint16_t rd16(struct fx *f, uint64_t gpa)
{
	uint16_t v;
	assert_int_equal(gm_read(&f->gm, gpa, &v, sizeof(v)), 0);
	return v;
}

static uint32_t rd32(struct fx *f, uint64_t gpa)
{
	uint32_t v;
	assert_int_equal(gm_read(&f->gm, gpa, &v, sizeof(v)), 0);
	return v;
}

/* Descriptor i of the table at `table` (the ring's or an indirect one). */
static void set_desc_at(struct fx *f, uint64_t table, uint32_t i, uint64_t addr, uint32_t len, uint16_t flags,
			uint16_t next)
{
	struct virtq_desc d = {.addr = addr, .len = len, .flags = flags, .next = next};
	assert_int_equal(gm_write(&f->gm, table + 16ull * i, &d, sizeof(d)), 0);
}

static void set_desc(struct fx *f, uint32_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	set_desc_at(f, f->q.desc_addr, i, addr, len, flags, next);
}

static void set_avail_idx(struct fx *f, uint16_t idx)
{
	f->avail_idx = idx;
	wr16(f, f->q.avail_addr + 2, idx);
}

/* Make chain `head` available. */
static void avail_add(struct fx *f, uint16_t head)
{
	wr16(f, f->q.avail_addr + 4 + 2ull * (f->avail_idx % f->q.size), head);
	set_avail_idx(f, (uint16_t)(f->avail_idx + 1));
}

static void set_used_event(struct fx *f, uint16_t v)
{
	wr16(f, f->q.avail_addr + 4 + 2ull * f->q.size, v);
}

static uint16_t avail_event(struct fx *f)
{
	return rd16(f, f->q.used_addr + 4 + 8ull * f->q.size);
}

static uint16_t used_idx(struct fx *f)
{
	return rd16(f, f->q.used_addr + 2);
}

static void used_elem(struct fx *f, uint16_t slot, uint32_t *id, uint32_t *len)
{
	*id = rd32(f, f->q.used_addr + 4 + 8ull * slot);
	*len = rd32(f, f->q.used_addr + 8 + 8ull * slot);
}

static void *host(struct fx *f, uint64_t gpa)
{
	return gm_ptr(&f->gm, gpa, 1);
}

/* ---- fixture ------------------------------------------------------------------ */

static int fx_setup_features(void **state, uint64_t features)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->a = calloc(1, RAM_A_SIZE);
	f->b = calloc(1, RAM_B_SIZE);
	f->top = calloc(1, RAM_TOP_SIZE);
	assert_non_null(f->a);
	assert_non_null(f->b);
	assert_non_null(f->top);
	assert_int_equal(gm_add_region(&f->gm, RAM_A, RAM_A_SIZE, f->a, -1), 0);
	assert_int_equal(gm_add_region(&f->gm, RAM_B, RAM_B_SIZE, f->b, -1), 0);
	assert_int_equal(gm_add_region(&f->gm, RAM_TOP, RAM_TOP_SIZE, f->top, -1), 0);
	assert_int_equal(virtq_init(&f->q, 256, "test"), 0);
	f->q.size = QSIZE;
	f->q.desc_addr = DESC;
	f->q.avail_addr = AVAIL;
	f->q.used_addr = USED;
	virtq_set_features(&f->q, features);
	assert_int_equal(virtq_enable(&f->q, &f->gm), 0);
	*state = f;
	return 0;
}

static int fx_setup(void **state)
{
	return fx_setup_features(state, 0);
}

static int fx_setup_indirect(void **state)
{
	return fx_setup_features(state, 1ull << VIRTQ_F_INDIRECT_DESC);
}

static int fx_setup_event_idx(void **state)
{
	return fx_setup_features(state, 1ull << VIRTQ_F_EVENT_IDX);
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	free(f->a);
	free(f->b);
	free(f->top);
	free(f);
	return 0;
}

/* Expect the next pop to break the queue with a reason containing `why`. */
static void expect_broken(struct fx *f, const char *why)
{
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), -EINVAL);
	assert_true(f->q.broken);
	assert_non_null(f->q.broken_reason);
	if (!strstr(f->q.broken_reason, why))
		fail_msg("broken for \"%s\", expected \"%s\"", f->q.broken_reason, why);
	/* stays broken */
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), -EINVAL);
	assert_int_equal(virtq_push(&f->q, 0, 0), -EIO);
	assert_false(virtq_should_notify(&f->q));
}

/* ---- init / enable / reset ----------------------------------------------------- */

static void test_init(void **state)
{
	struct virtq q;
	assert_int_equal(virtq_init(&q, 0, "x"), -EINVAL);
	assert_int_equal(virtq_init(&q, 3, "x"), -EINVAL);
	assert_int_equal(virtq_init(&q, 384, "x"), -EINVAL);
	assert_int_equal(virtq_init(&q, 1, "x"), 0);
	assert_int_equal(virtq_init(&q, 32768, "x"), 0);
	assert_int_equal(q.size, 32768);
	assert_false(q.ready);
	virtq_set_features(&q, (1ull << VIRTQ_F_INDIRECT_DESC) | (1ull << VIRTQ_F_EVENT_IDX));
	assert_true(q.indirect_desc);
	assert_true(q.event_idx);
	virtq_set_features(&q, ~((1ull << VIRTQ_F_INDIRECT_DESC) | (1ull << VIRTQ_F_EVENT_IDX)));
	assert_false(q.indirect_desc);
	assert_false(q.event_idx);
}

/* Re-enable f->q after changing one field; returns virtq_enable's result. */
static int try_enable(struct fx *f, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	virtq_reset(&f->q);
	f->q.size = size;
	f->q.desc_addr = desc;
	f->q.avail_addr = avail;
	f->q.used_addr = used;
	int rc = virtq_enable(&f->q, &f->gm);
	assert_int_equal(f->q.ready, rc == 0);
	return rc;
}

static void test_enable_validation(void **state)
{
	struct fx *f = *state;

	/* already ready */
	assert_int_equal(virtq_enable(&f->q, &f->gm), -EINVAL);
	assert_true(f->q.ready);

	assert_int_equal(try_enable(f, 16, DESC, AVAIL, USED), 0);
	/* size: zero, not a power of two, above max (256) */
	assert_int_equal(try_enable(f, 0, DESC, AVAIL, USED), -EINVAL);
	assert_int_equal(try_enable(f, 3, DESC, AVAIL, USED), -EINVAL);
	assert_int_equal(try_enable(f, 12, DESC, AVAIL, USED), -EINVAL);
	assert_int_equal(try_enable(f, 512, DESC, AVAIL, USED), -EINVAL);
	assert_int_equal(try_enable(f, 256, DESC, 0x10000, 0x20000), 0);
	assert_int_equal(try_enable(f, 1, DESC, AVAIL, USED), 0);
	/* alignment */
	assert_int_equal(try_enable(f, 16, DESC + 8, AVAIL, USED), -EINVAL);
	assert_int_equal(try_enable(f, 16, DESC, AVAIL + 1, USED), -EINVAL);
	assert_int_equal(try_enable(f, 16, DESC, AVAIL, USED + 2), -EINVAL);
	assert_int_equal(try_enable(f, 16, DESC, AVAIL + 2, USED + 4), 0);

	/* rings that end exactly at the end of region A are fine ... */
	uint64_t end = RAM_A + RAM_A_SIZE;
	assert_int_equal(try_enable(f, 16, end - 16 * 16, AVAIL, USED), 0);
	assert_int_equal(try_enable(f, 16, DESC, end - (6 + 2 * 16), USED), 0);
	assert_int_equal(try_enable(f, 16, DESC, AVAIL, end - (6 + 8 * 16) - 2), 0); /* 4-aligned */
	/* ... one entry or byte more crosses into the gap */
	assert_int_equal(try_enable(f, 16, end - 15 * 16, AVAIL, USED), -EINVAL);
	assert_int_equal(try_enable(f, 16, DESC, end - (6 + 2 * 16) + 2, USED), -EINVAL);
	assert_int_equal(try_enable(f, 16, DESC, AVAIL, end - (6 + 8 * 16) + 2), -EINVAL);
	/* the event field alone crossing the end */
	assert_int_equal(try_enable(f, 16, DESC, end - (4 + 2 * 16), USED), -EINVAL);
	/* entirely in the gap, or before region B reaching into it */
	assert_int_equal(try_enable(f, 16, 0x180000, AVAIL, USED), -EINVAL);
	assert_int_equal(try_enable(f, 16, DESC, AVAIL, RAM_B - 64), -EINVAL);
	/* rings in region B and at the top of the address space */
	assert_int_equal(try_enable(f, 16, RAM_B, RAM_B + 0x1000, RAM_B + 0x2000), 0);
	assert_int_equal(try_enable(f, 16, RAM_TOP, RAM_TOP + 0x200, RAM_TOP + 0x400), 0);
	assert_int_equal(try_enable(f, 256, RAM_TOP, AVAIL, USED), 0); /* 4 KiB table fills it */
	assert_int_equal(try_enable(f, 256, RAM_TOP + 16, AVAIL, USED), -EINVAL); /* one entry past the end */
	assert_int_equal(try_enable(f, 16, DESC, AVAIL, 0xFFFFFFFFFFFFFFF0ull), -EINVAL);
	/* the used ring may not overlap the driver's rings (the device writes it) */
	assert_int_equal(try_enable(f, 16, DESC, AVAIL, DESC + 0xf0), -EINVAL);
	assert_int_equal(try_enable(f, 16, DESC, AVAIL, DESC - 0x84), -EINVAL); /* last byte on desc[0] */
	assert_int_equal(try_enable(f, 16, DESC, AVAIL, DESC - 0x88), 0);       /* adjacent */
	assert_int_equal(try_enable(f, 16, DESC, AVAIL, AVAIL), -EINVAL);
	assert_int_equal(try_enable(f, 16, DESC, AVAIL, AVAIL + 0x24), -EINVAL); /* on used_event */
	assert_int_equal(try_enable(f, 16, DESC, AVAIL, AVAIL + 0x28), 0);
	assert_int_equal(try_enable(f, 16, DESC, DESC + 0x80, USED), 0); /* desc/avail overlap: driver's business */
	/* beyond all RAM */
	assert_int_equal(try_enable(f, 16, 0x100000000ull, AVAIL, USED), -EINVAL);
}

/* Two adjacent regions: a ring across their boundary is still refused
 * (gm_ptr maps one region at a time). */
static void test_enable_region_boundary(void **state)
{
	struct guest_mem gm;
	uint8_t *lo = calloc(1, 0x1000), *hi = calloc(1, 0x1000);
	struct virtq q;

	memset(&gm, 0, sizeof(gm));
	assert_int_equal(gm_add_region(&gm, 0, 0x1000, lo, -1), 0);
	assert_int_equal(gm_add_region(&gm, 0x1000, 0x1000, hi, -1), 0);
	assert_int_equal(virtq_init(&q, 16, "b"), 0);
	q.desc_addr = 0x1000 - 128; /* 256-byte table, half in each */
	q.avail_addr = 0x1100;
	q.used_addr = 0x1200;
	assert_int_equal(virtq_enable(&q, &gm), -EINVAL);
	q.desc_addr = 0x1000 - 256;
	assert_int_equal(virtq_enable(&q, &gm), 0);
	free(lo);
	free(hi);
}

static void test_reset(void **state)
{
	struct fx *f = *state;
	set_desc(f, 0, BUF, 8, 0, 0);
	avail_add(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 1);
	virtq_reset(&f->q);
	assert_false(f->q.ready);
	assert_false(f->q.broken);
	assert_int_equal(f->q.size, 256);
	assert_int_equal(f->q.max_size, 256);
	assert_int_equal(f->q.desc_addr, 0);
	assert_int_equal(f->q.last_avail_idx, 0);
	assert_int_equal(f->q.used_idx, 0);
	assert_string_equal(f->q.name, "test");
	/* not ready: nothing pops, push refused */
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 0);
	assert_int_equal(virtq_push(&f->q, 0, 0), -EINVAL);
	assert_false(virtq_should_notify(&f->q));
	assert_false(virtq_enable_notify(&f->q));
}

/* ---- normal chains ------------------------------------------------------------- */

static void test_empty(void **state)
{
	struct fx *f = *state;
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 0);
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 0);
	assert_false(f->q.broken);
}

static void test_single(void **state)
{
	struct fx *f = *state;
	set_desc(f, 3, BUF, 100, 0, 0);
	avail_add(f, 3);
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 1);
	assert_int_equal(f->chain.head, 3);
	assert_int_equal(f->chain.nr_segs, 1);
	assert_int_equal(f->chain.nr_out, 1);
	assert_int_equal(f->chain.nr_in, 0);
	assert_int_equal(f->chain.out_len, 100);
	assert_int_equal(f->chain.in_len, 0);
	assert_ptr_equal(f->chain.segs[0].host, f->a + BUF);
	assert_int_equal(f->chain.segs[0].len, 100);
	assert_false(f->chain.segs[0].writable);
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 0);

	assert_int_equal(virtq_push(&f->q, 3, 0), 0);
	uint32_t id, len;
	used_elem(f, 0, &id, &len);
	assert_int_equal(id, 3);
	assert_int_equal(len, 0);
	assert_int_equal(used_idx(f), 1);
	assert_true(virtq_should_notify(&f->q));
	assert_false(virtq_should_notify(&f->q)); /* nothing new */
}

static void test_multi(void **state)
{
	struct fx *f = *state;
	/* 2 readable (one in region B), then 2 writable, linked out of order */
	set_desc(f, 5, BUF, 16, VIRTQ_DESC_F_NEXT, 9);
	set_desc(f, 9, RAM_B + 0x100, 512, VIRTQ_DESC_F_NEXT, 0);
	set_desc(f, 0, BUF + 0x1000, 4096, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 15);
	set_desc(f, 15, RAM_TOP, 0x1000, VIRTQ_DESC_F_WRITE, 0);
	avail_add(f, 5);
	/* and a second chain right behind it */
	set_desc(f, 1, BUF + 0x4000, 1, VIRTQ_DESC_F_WRITE, 0);
	avail_add(f, 1);

	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 1);
	struct virtq_chain *c = &f->chain;
	assert_int_equal(c->head, 5);
	assert_int_equal(c->nr_segs, 4);
	assert_int_equal(c->nr_out, 2);
	assert_int_equal(c->nr_in, 2);
	assert_int_equal(c->out_len, 528);
	assert_int_equal(c->in_len, 8192);
	assert_ptr_equal(c->segs[0].host, f->a + BUF);
	assert_ptr_equal(c->segs[1].host, f->b + 0x100);
	assert_ptr_equal(c->segs[2].host, f->a + BUF + 0x1000);
	assert_ptr_equal(c->segs[3].host, f->top);
	assert_false(c->segs[1].writable);
	assert_true(c->segs[2].writable);
	assert_true(c->segs[3].writable);

	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 1);
	assert_int_equal(c->head, 1);
	assert_int_equal(c->nr_out, 0);
	assert_int_equal(c->nr_in, 1);
	assert_int_equal(c->in_len, 1);
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 0);

	/* complete out of order */
	assert_int_equal(virtq_push(&f->q, 1, 1), 0);
	assert_int_equal(virtq_push(&f->q, 5, 8192), 0);
	uint32_t id, len;
	used_elem(f, 0, &id, &len);
	assert_int_equal(id, 1);
	assert_int_equal(len, 1);
	used_elem(f, 1, &id, &len);
	assert_int_equal(id, 5);
	assert_int_equal(len, 8192);
	assert_int_equal(used_idx(f), 2);
}

/* A chain of exactly `size` descriptors is the longest allowed. */
static void test_full_length_chain(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < QSIZE; i++)
		set_desc(f, i, BUF + 16 * i, 16, i < QSIZE - 1 ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	avail_add(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 1);
	assert_int_equal(f->chain.nr_segs, QSIZE);
	assert_int_equal(f->chain.out_len, 16 * QSIZE);
}

/* Zero-length descriptors: accepted, no segment, still counted. */
static void test_zero_length(void **state)
{
	struct fx *f = *state;
	set_desc(f, 0, 0xdeadbeef000ull, 0, VIRTQ_DESC_F_NEXT, 1); /* address ignored */
	set_desc(f, 1, BUF, 10, VIRTQ_DESC_F_NEXT, 2);
	set_desc(f, 2, 0, 0, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 3);
	set_desc(f, 3, BUF + 100, 20, VIRTQ_DESC_F_WRITE, 0);
	avail_add(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 1);
	assert_int_equal(f->chain.nr_segs, 2);
	assert_int_equal(f->chain.nr_out, 1);
	assert_int_equal(f->chain.nr_in, 1);
	assert_int_equal(f->chain.out_len, 10);
	assert_int_equal(f->chain.in_len, 20);

	/* an all-empty chain is a valid, empty chain */
	set_desc(f, 4, 0, 0, 0, 0);
	avail_add(f, 4);
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 1);
	assert_int_equal(f->chain.nr_segs, 0);
	assert_int_equal(f->chain.head, 4);
}

static void test_zero_length_loop(void **state)
{
	struct fx *f = *state;
	set_desc(f, 0, 0, 0, VIRTQ_DESC_F_NEXT, 1);
	set_desc(f, 1, 0, 0, VIRTQ_DESC_F_NEXT, 0);
	avail_add(f, 0);
	expect_broken(f, "too long");
}

static void test_order_enforced(void **state)
{
	struct fx *f = *state;
	set_desc(f, 0, BUF, 10, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	set_desc(f, 1, BUF + 100, 10, 0, 0);
	avail_add(f, 0);
	expect_broken(f, "readable descriptor after a writable");
}

/* A zero-length readable descriptor after a writable one is still out of order. */
static void test_order_enforced_zero_len(void **state)
{
	struct fx *f = *state;
	set_desc(f, 0, BUF, 10, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	set_desc(f, 1, 0, 0, 0, 0);
	avail_add(f, 0);
	expect_broken(f, "readable descriptor after a writable");
}

/* Broken until reset, then usable again. */
static void test_broken_then_reset(void **state)
{
	struct fx *f = *state;
	avail_add(f, QSIZE);
	expect_broken(f, "head index out of range");
	virtq_reset(&f->q);
	memset(f->a + AVAIL, 0, 0x2000); /* the driver re-initialises its rings */
	f->avail_idx = 0;
	f->q.size = QSIZE;
	f->q.desc_addr = DESC;
	f->q.avail_addr = AVAIL;
	f->q.used_addr = USED;
	assert_int_equal(virtq_enable(&f->q, &f->gm), 0);
	assert_false(f->q.broken);
	set_desc(f, 0, BUF, 1, 0, 0);
	avail_add(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 1);
}

/* ---- malformed chains ------------------------------------------------------------- */

static void test_loop(void **state)
{
	struct fx *f = *state;
	set_desc(f, 0, BUF, 1, VIRTQ_DESC_F_NEXT, 1);
	set_desc(f, 1, BUF, 1, VIRTQ_DESC_F_NEXT, 2);
	set_desc(f, 2, BUF, 1, VIRTQ_DESC_F_NEXT, 0);
	avail_add(f, 0);
	expect_broken(f, "too long");
}

static void test_self_loop(void **state)
{
	struct fx *f = *state;
	set_desc(f, 7, BUF, 1, VIRTQ_DESC_F_NEXT, 7);
	avail_add(f, 7);
	expect_broken(f, "too long");
}

static void test_next_out_of_range(void **state)
{
	struct fx *f = *state;
	set_desc(f, 0, BUF, 1, VIRTQ_DESC_F_NEXT, QSIZE);
	avail_add(f, 0);
	expect_broken(f, "next index out of range");
}

static void test_next_ignored_without_flag(void **state)
{
	struct fx *f = *state;
	set_desc(f, 0, BUF, 1, 0, 0xffff);
	avail_add(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 1);
}

static void test_head_out_of_range(void **state)
{
	struct fx *f = *state;
	avail_add(f, 0xffff);
	expect_broken(f, "head index out of range");
}

static void test_avail_idx_jump(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < QSIZE; i++)
		set_desc(f, i, BUF, 1, 0, 0);
	/* exactly size buffers outstanding is legal */
	for (int i = 0; i < QSIZE; i++)
		avail_add(f, i);
	for (int i = 0; i < QSIZE; i++)
		assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 1);
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 0);
	/* size + 1 past last_avail_idx is not */
	set_avail_idx(f, (uint16_t)(f->avail_idx + QSIZE + 1));
	expect_broken(f, "avail idx moved");
}

static void test_avail_idx_backwards(void **state)
{
	struct fx *f = *state;
	set_desc(f, 0, BUF, 1, 0, 0);
	avail_add(f, 0);
	avail_add(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 1);
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 1);
	set_avail_idx(f, 1);
	expect_broken(f, "avail idx moved");
}

static void bad_buffer(struct fx *f, uint64_t addr, uint32_t len)
{
	set_desc(f, 0, BUF, 1, VIRTQ_DESC_F_NEXT, 1);
	set_desc(f, 1, addr, len, VIRTQ_DESC_F_WRITE, 0);
	avail_add(f, 0);
	expect_broken(f, "outside guest RAM");
}

static void test_buffer_in_gap(void **state)
{
	bad_buffer(*state, RAM_A + RAM_A_SIZE + 0x1000, 16);
}

static void test_buffer_crossing_into_gap(void **state)
{
	bad_buffer(*state, RAM_A + RAM_A_SIZE - 8, 16);
}

static void test_buffer_crossing_gap_into_region(void **state)
{
	bad_buffer(*state, RAM_B - 8, 16);
}

static void test_buffer_past_top_region(void **state)
{
	bad_buffer(*state, RAM_TOP + 0x800, 0x801);
}

static void test_buffer_addr_len_overflow(void **state)
{
	bad_buffer(*state, 0xFFFFFFFFFFFFF800ull, 0x1000);
}

static void test_buffer_max_addr(void **state)
{
	bad_buffer(*state, UINT64_MAX, 1);
}

static void test_buffer_at_region_end_ok(void **state)
{
	struct fx *f = *state;
	set_desc(f, 0, RAM_A + RAM_A_SIZE - 16, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(f, 1, RAM_TOP + RAM_TOP_SIZE - 1, 1, 0, 0);
	avail_add(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 1);
	assert_ptr_equal(f->chain.segs[0].host, f->a + RAM_A_SIZE - 16);
	assert_ptr_equal(f->chain.segs[1].host, f->top + RAM_TOP_SIZE - 1);
}

/* Lengths are summed in 64 bits and capped at 4 GiB - 1. A 2 GiB region of
 * reserved, never-touched address space stands in for large buffers. */
static void test_length_sum_limit(void **state)
{
	struct fx *f = *state;
	const uint64_t big = 0x100000000ull, big_size = 0x80000000ull;
	void *m = mmap(NULL, big_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(m != MAP_FAILED);
	assert_int_equal(gm_add_region(&f->gm, big, big_size, m, -1), 0);

	/* 2 GiB + (2 GiB - 1) = 4 GiB - 1: accepted */
	set_desc(f, 0, big, 0x80000000u, VIRTQ_DESC_F_NEXT, 1);
	set_desc(f, 1, big, 0x7FFFFFFFu, VIRTQ_DESC_F_WRITE, 0);
	avail_add(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 1);
	assert_int_equal(f->chain.out_len, 0x80000000u);
	assert_int_equal(f->chain.in_len, 0x7FFFFFFFu);

	/* 4 GiB: refused */
	set_desc(f, 2, big, 0x80000000u, VIRTQ_DESC_F_NEXT, 3);
	set_desc(f, 3, big, 0x80000000u, VIRTQ_DESC_F_NEXT, 4);
	set_desc(f, 4, BUF, 1, 0, 0);
	avail_add(f, 2);
	expect_broken(f, "longer than 4 GiB");
	munmap(m, big_size);
}

/* 32-bit lengths that would wrap a 32-bit sum: 0xFFFFFFFF + 1. */
static void test_length_sum_wrap32(void **state)
{
	struct fx *f = *state;
	set_desc(f, 0, BUF, 1, VIRTQ_DESC_F_NEXT, 1);
	set_desc(f, 1, BUF, 0xFFFFFFFFu, 0, 0);
	avail_add(f, 0);
	expect_broken(f, "longer than 4 GiB");
}

/* More non-empty buffers than VIRTQ_MAX_SEGS in a long direct chain. */
static void test_too_many_segments(void **state)
{
	struct fx *f = *state;
	const uint32_t n = 2048;
	virtq_reset(&f->q);
	f->q.max_size = n;
	f->q.size = n;
	f->q.desc_addr = RAM_B;             /* 32 KiB */
	f->q.avail_addr = RAM_B + 0x10000;
	f->q.used_addr = RAM_B + 0x20000;
	assert_int_equal(virtq_enable(&f->q, &f->gm), 0);
	f->avail_idx = 0;

	for (uint32_t i = 0; i < VIRTQ_MAX_SEGS; i++)
		set_desc(f, i, BUF + i, 1, VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
	set_desc(f, VIRTQ_MAX_SEGS, 0, 0, 0, 0); /* empty: still fits */
	avail_add(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 1);
	assert_int_equal(f->chain.nr_segs, VIRTQ_MAX_SEGS);

	set_desc(f, VIRTQ_MAX_SEGS, BUF, 1, 0, 0); /* one buffer too many */
	avail_add(f, 0);
	expect_broken(f, "too many buffers");
}

/* ---- indirect ------------------------------------------------------------------ */

static void test_indirect(void **state)
{
	struct fx *f = *state;
	/* table entries linked 0 -> 2 -> 1 */
	set_desc_at(f, ITAB, 0, BUF, 64, VIRTQ_DESC_F_NEXT, 2);
	set_desc_at(f, ITAB, 2, RAM_B, 32, VIRTQ_DESC_F_NEXT, 1);
	set_desc_at(f, ITAB, 1, BUF + 0x100, 512, VIRTQ_DESC_F_WRITE, 0);
	set_desc(f, 4, ITAB, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	avail_add(f, 4);
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 1);
	assert_int_equal(f->chain.head, 4);
	assert_int_equal(f->chain.nr_out, 2);
	assert_int_equal(f->chain.nr_in, 1);
	assert_int_equal(f->chain.out_len, 96);
	assert_int_equal(f->chain.in_len, 512);
	assert_ptr_equal(f->chain.segs[1].host, f->b);
	assert_ptr_equal(f->chain.segs[2].host, host(f, BUF + 0x100));
	assert_int_equal(virtq_push(&f->q, 4, 512), 0);
}

/* Direct descriptors followed by one indirect descriptor (2.7.5.3.2); the
 * indirect descriptor's own WRITE flag is ignored; the table need not be
 * aligned. */
static void test_indirect_after_direct(void **state)
{
	struct fx *f = *state;
	uint64_t tab = ITAB + 3;
	set_desc_at(f, tab, 0, BUF + 0x40, 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc_at(f, tab, 1, BUF + 0x80, 8, VIRTQ_DESC_F_WRITE, 0);
	set_desc(f, 0, BUF, 4, VIRTQ_DESC_F_NEXT, 1);
	set_desc(f, 1, tab, 32, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
	avail_add(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 1);
	assert_int_equal(f->chain.nr_out, 2);
	assert_int_equal(f->chain.nr_in, 1);
	assert_int_equal(f->chain.out_len, 12);
	assert_int_equal(f->chain.in_len, 8);
}

/* The largest indirect table (VIRTQ_MAX_SEGS entries) works, one more entry
 * does not. */
static void test_indirect_max_table(void **state)
{
	struct fx *f = *state;
	uint64_t tab = RAM_B; /* 16 KiB */
	for (uint32_t i = 0; i < VIRTQ_MAX_SEGS; i++)
		set_desc_at(f, tab, i, BUF + i, 1, i + 1 < VIRTQ_MAX_SEGS ? VIRTQ_DESC_F_NEXT : 0,
			    (uint16_t)(i + 1));
	set_desc(f, 0, tab, VIRTQ_MAX_SEGS * 16, VIRTQ_DESC_F_INDIRECT, 0);
	avail_add(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 1);
	assert_int_equal(f->chain.nr_segs, VIRTQ_MAX_SEGS);
	assert_int_equal(f->chain.out_len, VIRTQ_MAX_SEGS);

	set_desc(f, 0, tab, (VIRTQ_MAX_SEGS + 1) * 16, VIRTQ_DESC_F_INDIRECT, 0);
	avail_add(f, 0);
	expect_broken(f, "indirect table too large");
}

static void test_indirect_without_feature(void **state)
{
	struct fx *f = *state;
	set_desc_at(f, ITAB, 0, BUF, 64, 0, 0);
	set_desc(f, 0, ITAB, 16, VIRTQ_DESC_F_INDIRECT, 0);
	avail_add(f, 0);
	expect_broken(f, "without VIRTIO_F_RING_INDIRECT_DESC");
}

static void test_indirect_with_next(void **state)
{
	struct fx *f = *state;
	set_desc_at(f, ITAB, 0, BUF, 64, 0, 0);
	set_desc(f, 0, ITAB, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	set_desc(f, 1, BUF, 1, 0, 0);
	avail_add(f, 0);
	expect_broken(f, "indirect descriptor with NEXT");
}

static void test_indirect_len_zero(void **state)
{
	struct fx *f = *state;
	set_desc(f, 0, ITAB, 0, VIRTQ_DESC_F_INDIRECT, 0);
	avail_add(f, 0);
	expect_broken(f, "multiple of 16");
}

static void test_indirect_len_not_multiple(void **state)
{
	struct fx *f = *state;
	set_desc(f, 0, ITAB, 24, VIRTQ_DESC_F_INDIRECT, 0);
	avail_add(f, 0);
	expect_broken(f, "multiple of 16");
}

static void test_indirect_nested(void **state)
{
	struct fx *f = *state;
	set_desc_at(f, ITAB + 0x100, 0, BUF, 8, 0, 0);
	set_desc_at(f, ITAB, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc_at(f, ITAB, 1, ITAB + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0);
	set_desc(f, 0, ITAB, 32, VIRTQ_DESC_F_INDIRECT, 0);
	avail_add(f, 0);
	expect_broken(f, "indirect table inside an indirect table");
}

static void test_indirect_table_outside_ram(void **state)
{
	struct fx *f = *state;
	set_desc(f, 0, RAM_A + RAM_A_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	avail_add(f, 0);
	expect_broken(f, "indirect table outside guest RAM");
}

static void test_indirect_table_addr_overflow(void **state)
{
	struct fx *f = *state;
	set_desc(f, 0, 0xFFFFFFFFFFFFFFF0ull, 32, VIRTQ_DESC_F_INDIRECT, 0);
	avail_add(f, 0);
	expect_broken(f, "indirect table outside guest RAM");
}

static void test_indirect_loop(void **state)
{
	struct fx *f = *state;
	set_desc_at(f, ITAB, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc_at(f, ITAB, 1, BUF, 8, VIRTQ_DESC_F_NEXT, 0);
	set_desc(f, 0, ITAB, 32, VIRTQ_DESC_F_INDIRECT, 0);
	avail_add(f, 0);
	expect_broken(f, "too long");
}

static void test_indirect_next_out_of_table(void **state)
{
	struct fx *f = *state;
	set_desc_at(f, ITAB, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 2); /* table has 2 entries */
	set_desc_at(f, ITAB, 2, BUF, 8, 0, 0);
	set_desc(f, 0, ITAB, 32, VIRTQ_DESC_F_INDIRECT, 0);
	avail_add(f, 0);
	expect_broken(f, "outside the indirect table");
}

static void test_indirect_order(void **state)
{
	struct fx *f = *state;
	set_desc_at(f, ITAB, 0, BUF, 8, 0, 0); /* readable */
	set_desc(f, 0, BUF, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	set_desc(f, 1, ITAB, 16, VIRTQ_DESC_F_INDIRECT, 0);
	avail_add(f, 0);
	expect_broken(f, "readable descriptor after a writable");
}

static void test_indirect_bad_buffer(void **state)
{
	struct fx *f = *state;
	set_desc_at(f, ITAB, 0, RAM_A + RAM_A_SIZE, 8, 0, 0);
	set_desc(f, 0, ITAB, 16, VIRTQ_DESC_F_INDIRECT, 0);
	avail_add(f, 0);
	expect_broken(f, "buffer outside guest RAM");
}

/* ---- wrap-around, push ------------------------------------------------------------ */

static void test_index_wrap(void **state)
{
	struct fx *f = *state;
	const uint16_t start = 65533;
	virtq_set_indices(&f->q, start, start);
	wr16(f, USED + 2, start);
	set_avail_idx(f, start);
	for (int i = 0; i < QSIZE; i++)
		set_desc(f, i, BUF + 16 * i, 16, 0, 0);

	for (int round = 0; round < 3; round++) {
		/* 5 buffers: slots 13, 14, 15, 0, 1 on the first round */
		for (int i = 0; i < 5; i++)
			avail_add(f, (uint16_t)(i + round));
		for (int i = 0; i < 5; i++) {
			assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 1);
			assert_int_equal(f->chain.head, i + round);
		}
		assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 0);
		for (int i = 0; i < 5; i++)
			assert_int_equal(virtq_push(&f->q, (uint16_t)(i + round), 16), 0);
		assert_int_equal(used_idx(f), (uint16_t)(start + 5 * (round + 1)));
		assert_true(virtq_should_notify(&f->q));
	}
	assert_int_equal(f->q.last_avail_idx, (uint16_t)(start + 15));
	uint32_t id, len;
	used_elem(f, 0, &id, &len); /* idx 65536 -> slot 0: 4th push of round 0 */
	assert_int_equal(id, 3);
	used_elem(f, 13, &id, &len); /* idx 65533 -> slot 13: the first push */
	assert_int_equal(id, 0);

	/* a jump of size + 1 across the wrap is still caught */
	set_avail_idx(f, (uint16_t)(f->q.last_avail_idx + QSIZE + 1));
	expect_broken(f, "avail idx moved");
}

static void test_push_validation(void **state)
{
	struct fx *f = *state;
	assert_int_equal(virtq_push(&f->q, QSIZE, 0), -EINVAL);
	assert_int_equal(virtq_push(&f->q, 0xffff, 0), -EINVAL);
	assert_int_equal(used_idx(f), 0);
	assert_int_equal(virtq_push(&f->q, QSIZE - 1, 7), 0);
	assert_int_equal(used_idx(f), 1);
}

/* ---- notifications ------------------------------------------------------------------ */

static void push_n(struct fx *f, int n)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(virtq_push(&f->q, 0, 0), 0);
}

static void test_notify_no_interrupt_flag(void **state)
{
	struct fx *f = *state;
	assert_false(virtq_should_notify(&f->q)); /* nothing pushed */
	push_n(f, 1);
	assert_true(virtq_should_notify(&f->q));
	wr16(f, AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	push_n(f, 2);
	assert_false(virtq_should_notify(&f->q));
	wr16(f, AVAIL, 0);
	push_n(f, 1);
	assert_true(virtq_should_notify(&f->q));
	/* used_event is ignored without EVENT_IDX */
	set_used_event(f, 100);
	push_n(f, 1);
	assert_true(virtq_should_notify(&f->q));
}

static void test_notify_event_idx(void **state)
{
	struct fx *f = *state;
	/* NO_INTERRUPT is ignored with EVENT_IDX */
	wr16(f, AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	set_used_event(f, 0);
	push_n(f, 1); /* used 0 -> 1 crosses event 0 */
	assert_true(virtq_should_notify(&f->q));
	push_n(f, 1); /* 1 -> 2: event 0 already passed */
	assert_false(virtq_should_notify(&f->q));

	set_used_event(f, 5); /* interrupt once entry 5 is used, i.e. idx goes past 5 */
	push_n(f, 3);         /* 2 -> 5 */
	assert_false(virtq_should_notify(&f->q));
	push_n(f, 1); /* 5 -> 6 */
	assert_true(virtq_should_notify(&f->q));

	set_used_event(f, 7);
	push_n(f, 4); /* batch 6 -> 10 steps over 7 */
	assert_true(virtq_should_notify(&f->q));
	assert_false(virtq_should_notify(&f->q)); /* nothing new */

	/* event far behind (driver not interested): no interrupt */
	set_used_event(f, 9);
	push_n(f, 2);
	assert_false(virtq_should_notify(&f->q));
}

static void test_notify_event_idx_wrap(void **state)
{
	struct fx *f = *state;
	virtq_set_indices(&f->q, 0, 65534);
	set_used_event(f, 65535);
	push_n(f, 1); /* 65534 -> 65535 */
	assert_false(virtq_should_notify(&f->q));
	push_n(f, 1); /* 65535 -> 0 */
	assert_true(virtq_should_notify(&f->q));
	assert_int_equal(used_idx(f), 0);
	set_used_event(f, 1);
	push_n(f, 3); /* 0 -> 3 */
	assert_true(virtq_should_notify(&f->q));

	virtq_set_indices(&f->q, 0, 65530);
	set_used_event(f, 2);
	push_n(f, 8); /* 65530 -> 2 */
	assert_false(virtq_should_notify(&f->q));
	push_n(f, 1); /* 2 -> 3 */
	assert_true(virtq_should_notify(&f->q));
}

/* Device -> driver suppression without EVENT_IDX: VIRTQ_USED_F_NO_NOTIFY. */
static void test_driver_notify_flag(void **state)
{
	struct fx *f = *state;
	set_desc(f, 0, BUF, 1, 0, 0);
	virtq_disable_notify(&f->q);
	assert_int_equal(rd16(f, USED), VIRTQ_USED_F_NO_NOTIFY);
	assert_false(virtq_enable_notify(&f->q));
	assert_int_equal(rd16(f, USED), 0);

	/* the race: a buffer arrives while notifications are off */
	virtq_disable_notify(&f->q);
	avail_add(f, 0);
	assert_true(virtq_enable_notify(&f->q));
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 1);
	assert_false(virtq_enable_notify(&f->q));
	virtq_set_avail_event(&f->q); /* no-op without EVENT_IDX */
	assert_int_equal(avail_event(f), 0);
}

/* virtq_has_avail: buffers made available and not yet popped; never on a
 * broken queue. */
static void test_has_avail(void **state)
{
	struct fx *f = *state;
	set_desc(f, 0, BUF, 1, 0, 0);
	assert_false(virtq_has_avail(&f->q));
	avail_add(f, 0);
	assert_true(virtq_has_avail(&f->q));
	assert_true(virtq_has_avail(&f->q)); /* peeking takes nothing */
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 1);
	assert_false(virtq_has_avail(&f->q));
	avail_add(f, 0);
	f->q.broken = true;
	assert_false(virtq_has_avail(&f->q));
}

/* Device -> driver suppression with EVENT_IDX: avail_event. */
static void test_driver_notify_event_idx(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < 4; i++)
		set_desc(f, i, BUF, 1, 0, 0);
	avail_add(f, 0);
	avail_add(f, 1);
	virtq_disable_notify(&f->q);
	assert_int_equal(rd16(f, USED), 0); /* flags untouched */
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 1);
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 1);
	assert_int_equal(avail_event(f), 0); /* not advanced while disabled */
	assert_false(virtq_enable_notify(&f->q));
	assert_int_equal(avail_event(f), 2);

	/* the race: buffer 2 arrives before re-enabling */
	virtq_disable_notify(&f->q);
	avail_add(f, 2);
	assert_true(virtq_enable_notify(&f->q));
	assert_int_equal(avail_event(f), 2);
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 1);
	virtq_set_avail_event(&f->q);
	assert_int_equal(avail_event(f), 3);

	/* wrap */
	virtq_set_indices(&f->q, 65535, 0);
	set_avail_idx(f, 65535);
	avail_add(f, 3);
	assert_int_equal(virtq_pop(&f->q, &f->gm, &f->chain), 1);
	assert_false(virtq_enable_notify(&f->q));
	assert_int_equal(avail_event(f), 0);
}

int main(void)
{
	log_set_level(LOG_ERROR); /* the broken-queue warnings are expected */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test_setup_teardown(test_enable_validation, fx_setup, fx_teardown),
		cmocka_unit_test(test_enable_region_boundary),
		cmocka_unit_test_setup_teardown(test_reset, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_empty, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_single, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_multi, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_full_length_chain, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_zero_length, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_zero_length_loop, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_order_enforced, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_order_enforced_zero_len, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_broken_then_reset, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_loop, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_self_loop, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_next_out_of_range, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_next_ignored_without_flag, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_head_out_of_range, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_avail_idx_jump, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_avail_idx_backwards, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_buffer_in_gap, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_buffer_crossing_into_gap, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_buffer_crossing_gap_into_region, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_buffer_past_top_region, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_buffer_addr_len_overflow, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_buffer_max_addr, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_buffer_at_region_end_ok, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_length_sum_limit, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_length_sum_wrap32, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_too_many_segments, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_indirect, fx_setup_indirect, fx_teardown),
		cmocka_unit_test_setup_teardown(test_indirect_after_direct, fx_setup_indirect, fx_teardown),
		cmocka_unit_test_setup_teardown(test_indirect_max_table, fx_setup_indirect, fx_teardown),
		cmocka_unit_test_setup_teardown(test_indirect_without_feature, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_indirect_with_next, fx_setup_indirect, fx_teardown),
		cmocka_unit_test_setup_teardown(test_indirect_len_zero, fx_setup_indirect, fx_teardown),
		cmocka_unit_test_setup_teardown(test_indirect_len_not_multiple, fx_setup_indirect, fx_teardown),
		cmocka_unit_test_setup_teardown(test_indirect_nested, fx_setup_indirect, fx_teardown),
		cmocka_unit_test_setup_teardown(test_indirect_table_outside_ram, fx_setup_indirect, fx_teardown),
		cmocka_unit_test_setup_teardown(test_indirect_table_addr_overflow, fx_setup_indirect, fx_teardown),
		cmocka_unit_test_setup_teardown(test_indirect_loop, fx_setup_indirect, fx_teardown),
		cmocka_unit_test_setup_teardown(test_indirect_next_out_of_table, fx_setup_indirect, fx_teardown),
		cmocka_unit_test_setup_teardown(test_indirect_order, fx_setup_indirect, fx_teardown),
		cmocka_unit_test_setup_teardown(test_indirect_bad_buffer, fx_setup_indirect, fx_teardown),
		cmocka_unit_test_setup_teardown(test_index_wrap, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_push_validation, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_notify_no_interrupt_flag, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_notify_event_idx, fx_setup_event_idx, fx_teardown),
		cmocka_unit_test_setup_teardown(test_notify_event_idx_wrap, fx_setup_event_idx, fx_teardown),
		cmocka_unit_test_setup_teardown(test_has_avail, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_driver_notify_flag, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_driver_notify_event_idx, fx_setup_event_idx, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
