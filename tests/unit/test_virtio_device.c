/* Unit tests for virtio/device.c's I/O threads: a device that declares two
 * threads gets its queues served on two distinct threads (neither the
 * caller's), pause parks both, reset joins both. Rings in fake guest memory;
 * queues are kicked through the core as the transport's ioeventfds would. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "mem/guest_mem.h"
#include "util/log.h"
#include "virtio/device.h"

#define RAM_SIZE 0x10000ull
#define NQ 3

struct seen {
	_Atomic unsigned runs[NQ];
	pthread_t tid[NQ];
};

static int process(void *priv, struct virtio_device *vdev, unsigned q)
{
	struct seen *s = priv;
	s->tid[q] = pthread_self();
	atomic_fetch_add(&s->runs[q], 1);
	return 0;
}

/* queue 0 and 2 on thread 0, queue 1 on thread 1 */
static const struct virtio_device_ops ops = {
	.name = "t",
	.nr_queues = NQ,
	.queue_size = 4,
	.nr_threads = 2,
	.queue_thread = {0, 1, 0},
	.process_queue = process,
};

static void wait_runs(struct seen *s, unsigned q, unsigned want)
{
	for (int i = 0; i < 2000 && atomic_load(&s->runs[q]) < want; i++)
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	assert_int_equal(atomic_load(&s->runs[q]), want);
}

static void test_threads_per_queue_group(void **state)
{
	uint8_t *ram = calloc(1, RAM_SIZE);
	struct guest_mem gm = {0};
	assert_int_equal(gm_add_region(&gm, 0, RAM_SIZE, ram, -1), 0);
	struct seen s = {0};
	struct virtio_device vdev;
	assert_int_equal(virtio_device_init(&vdev, &ops, &s, "t", &gm), 0);
	for (unsigned q = 0; q < NQ; q++) {
		struct virtq *vq = &vdev.queues[q];
		vq->size = 4;
		vq->desc_addr = 0x1000ull * (3 * q + 1);
		vq->avail_addr = vq->desc_addr + 0x1000;
		vq->used_addr = vq->desc_addr + 0x2000;
		assert_int_equal(virtq_enable(vq, &gm), 0);
	}
	assert_int_equal(virtio_device_activate(&vdev), 0); /* kicks every queue once */
	for (unsigned q = 0; q < NQ; q++)
		wait_runs(&s, q, 1);
	assert_false(pthread_equal(s.tid[0], s.tid[1]));
	assert_true(pthread_equal(s.tid[0], s.tid[2]));
	assert_false(pthread_equal(s.tid[0], pthread_self()));
	assert_false(pthread_equal(s.tid[1], pthread_self()));
	/* paused: kicks wait until resume, on both threads */
	virtio_device_pause(&vdev);
	assert_int_equal(vdev.nr_paused, 2);
	virtio_device_kick_queue(&vdev, 0);
	virtio_device_kick_queue(&vdev, 1);
	nanosleep(&(struct timespec){0, 50000000}, NULL);
	assert_int_equal(atomic_load(&s.runs[0]), 1);
	assert_int_equal(atomic_load(&s.runs[1]), 1);
	virtio_device_resume(&vdev);
	wait_runs(&s, 0, 2);
	wait_runs(&s, 1, 2);
	/* pause twice in a row works the same */
	virtio_device_pause(&vdev);
	virtio_device_resume(&vdev);
	/* reset parks both threads and stops watching the queues (the threads
	 * stay, idle: a kick does nothing); activate watches them again */
	virtio_device_reset(&vdev);
	assert_false(vdev.running);
	assert_true(vdev.threads_started);
	unsigned before = atomic_load(&s.runs[0]);
	virtio_device_kick_queue(&vdev, 0);
	nanosleep(&(struct timespec){0, 50000000}, NULL);
	assert_int_equal(atomic_load(&s.runs[0]), before);
	for (unsigned q = 0; q < NQ; q++) {
		struct virtq *vq = &vdev.queues[q];
		vq->size = 4;
		vq->desc_addr = 0x1000ull * (3 * q + 1);
		vq->avail_addr = vq->desc_addr + 0x1000;
		vq->used_addr = vq->desc_addr + 0x2000;
		assert_int_equal(virtq_enable(vq, &gm), 0);
	}
	assert_int_equal(virtio_device_activate(&vdev), 0);
	wait_runs(&s, 1, 3);
	virtio_device_destroy(&vdev);
	gm_destroy(&gm);
	free(ram);
}

static void test_bad_thread_map_rejected(void **state)
{
	uint8_t ram[4096];
	struct guest_mem gm = {0};
	assert_int_equal(gm_add_region(&gm, 0, sizeof(ram), ram, -1), 0);
	struct virtio_device_ops bad = ops;
	bad.queue_thread[2] = 2; /* no thread 2 */
	struct virtio_device vdev;
	assert_int_equal(virtio_device_init(&vdev, &bad, NULL, "t", &gm), -EINVAL);
	virtio_device_destroy(&vdev);
	bad = ops;
	bad.nr_threads = VIRTIO_MAX_THREADS + 1;
	assert_int_equal(virtio_device_init(&vdev, &bad, NULL, "t", &gm), -EINVAL);
	virtio_device_destroy(&vdev);
	gm_destroy(&gm);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads_per_queue_group),
		cmocka_unit_test(test_bad_thread_map_rejected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
