/* Unit tests for virtio/rng.c: the device's process_queue driven directly
 * (no transport, no thread) with rings in fake guest memory and a pipe or
 * file as the entropy source. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mem/guest_mem.h"
#include "util/log.h"
#include "virtio/registry.h"

#define RAM_SIZE 0x100000ull
#define DESC 0x1000ull
#define AVAIL 0x2000ull
#define USED 0x3000ull
#define BUF 0x10000ull
#define QSIZE 8

struct fx {
	struct guest_mem gm;
	uint8_t *ram;
	struct virtio_device vdev;
	int pipe[2];
	uint16_t avail_idx;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->ram = calloc(1, RAM_SIZE);
	assert_int_equal(gm_add_region(&f->gm, 0, RAM_SIZE, f->ram, -1), 0);
	assert_int_equal(pipe2(f->pipe, O_CLOEXEC | O_NONBLOCK), 0);
	struct virtio_backend be = {f->pipe[0], -1};
	void *priv;
	assert_int_equal(virtio_rng_type.create(&be, &priv), 0);
	assert_int_equal(virtio_device_init(&f->vdev, virtio_rng_type.ops, priv, "rng", &f->gm), 0);
	struct virtq *q = &f->vdev.queues[0];
	q->size = QSIZE;
	q->desc_addr = DESC;
	q->avail_addr = AVAIL;
	q->used_addr = USED;
	assert_int_equal(virtq_enable(q, &f->gm), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	virtio_device_destroy(&f->vdev);
	close(f->pipe[0]);
	close(f->pipe[1]);
	free(f->ram);
	free(f);
	return 0;
}

static void add_chain(struct fx *f, uint16_t head, const struct virtq_desc *d, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(gm_write(&f->gm, DESC + 16ull * (head + i), &d[i], sizeof(d[i])), 0);
	assert_int_equal(gm_write(&f->gm, AVAIL + 4 + 2ull * (f->avail_idx % QSIZE), &head, 2), 0);
	f->avail_idx++;
	assert_int_equal(gm_write(&f->gm, AVAIL + 2, &f->avail_idx, 2), 0);
}

static uint16_t used_idx(struct fx *f)
{
	uint16_t v;
	assert_int_equal(gm_read(&f->gm, USED + 2, &v, 2), 0);
	return v;
}

static uint32_t used_len(struct fx *f, uint16_t slot)
{
	uint32_t v;
	assert_int_equal(gm_read(&f->gm, USED + 8 + 8ull * slot, &v, 4), 0);
	return v;
}

static int process(struct fx *f)
{
	return f->vdev.ops->process_queue(f->vdev.priv, &f->vdev, 0);
}

static void test_fills_writable_buffers(void **state)
{
	struct fx *f = *state;
	uint8_t src[64];
	for (unsigned i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i + 1);
	assert_int_equal(write(f->pipe[1], src, sizeof(src)), (ssize_t)sizeof(src));
	/* A readable header (ignored), then two writable buffers of 16 and 32. */
	struct virtq_desc d[3] = {
		{BUF, 8, VIRTQ_DESC_F_NEXT, 1},
		{BUF + 0x100, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2},
		{BUF + 0x200, 32, VIRTQ_DESC_F_WRITE, 0},
	};
	add_chain(f, 0, d, 3);
	assert_int_equal(process(f), 0);
	assert_int_equal(used_idx(f), 1);
	assert_int_equal(used_len(f, 0), 48);
	assert_memory_equal(f->ram + BUF + 0x100, src, 16);
	assert_memory_equal(f->ram + BUF + 0x200, src + 16, 32);
	/* 16 bytes left in the source; a 32-byte request gets those 16. */
	struct virtq_desc e = {BUF + 0x300, 32, VIRTQ_DESC_F_WRITE, 0};
	add_chain(f, 3, &e, 1);
	assert_int_equal(process(f), 0);
	assert_int_equal(used_idx(f), 2);
	assert_int_equal(used_len(f, 1), 16);
	/* Source empty (EAGAIN): the request completes with 0 bytes. */
	add_chain(f, 3, &e, 1);
	assert_int_equal(process(f), 0);
	assert_int_equal(used_len(f, 2), 0);
}

static void test_bad_chain_is_error(void **state)
{
	struct fx *f = *state;
	struct virtq_desc d = {RAM_SIZE - 4, 64, VIRTQ_DESC_F_WRITE, 0}; /* crosses the end of RAM */
	add_chain(f, 0, &d, 1);
	assert_int_equal(process(f), -EINVAL);
	assert_true(f->vdev.queues[0].broken);
	assert_int_equal(used_idx(f), 0);
}

static void test_nothing_available(void **state)
{
	struct fx *f = *state;
	assert_int_equal(process(f), 0);
	assert_int_equal(used_idx(f), 0);
}

static void test_registry(void **state)
{
	(void)state;
	assert_ptr_equal(virtio_device_type_find("rng"), &virtio_rng_type);
	assert_ptr_equal(virtio_device_type_find("console"), &virtio_console_type);
	assert_null(virtio_device_type_find("nope"));
	struct virtio_backend be = {-1, -1};
	void *priv = NULL;
	assert_int_equal(virtio_rng_type.create(&be, &priv), -EINVAL);
	assert_int_equal(virtio_rng_type.ops->device_id, VIRTIO_ID_RNG);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fills_writable_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_chain_is_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_available, setup, teardown),
		cmocka_unit_test(test_registry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
