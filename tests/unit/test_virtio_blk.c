/* Unit tests for virtio/blk.c and block/: the pure request parser on fake
 * chains (every malformed case the device must refuse), the device's
 * process_queue/backend_event driven with rings in fake guest memory over a
 * raw temp-file backend (synchronous and io_uring), and image opening,
 * checks and locking. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "block/blk_backend.h"
#include "mem/guest_mem.h"
#include "util/log.h"
#include "virtio/blk.h"
#include "vmm/config.h"

/* ---- parser on hand-made chains ---- */

static struct virtq_chain ch;
static uint8_t bufs[8][4096];

static void chain_reset(void)
{
	memset(&ch, 0, sizeof(ch));
	memset(bufs, 0, sizeof(bufs));
}

static void seg(unsigned buf, uint32_t off, uint32_t len, bool writable)
{
	struct virtq_seg *s = &ch.segs[ch.nr_segs++];
	s->host = bufs[buf] + off;
	s->len = len;
	s->writable = writable;
	if (writable) {
		ch.nr_in++;
		ch.in_len += len;
	} else {
		ch.nr_out++;
		ch.out_len += len;
	}
}

static void hdr(unsigned buf, uint32_t type, uint64_t sector)
{
	memcpy(bufs[buf], &type, 4);
	memset(bufs[buf] + 4, 0, 4);
	memcpy(bufs[buf] + 8, &sector, 8);
}

static const struct virtio_blk_limits lim = {.capacity = 2048, .readonly = false, .seg_max = 126,
					     .max_discard_sectors = 1024};
static const struct virtio_blk_limits lim_ro = {.capacity = 2048, .readonly = true, .seg_max = 126,
						.max_discard_sectors = 1024};
static struct virtio_blk_req req;

static void test_parse_in_ok(void **state)
{
	chain_reset();
	hdr(0, VIRTIO_BLK_T_IN, 10);
	seg(0, 0, 16, false);
	seg(1, 0, 1024, true);
	seg(2, 0, 1, true);
	assert_int_equal(virtio_blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_OK);
	assert_int_equal(req.type, VIRTIO_BLK_T_IN);
	assert_int_equal(req.off, 10 * 512);
	assert_int_equal(req.len, 1024);
	assert_int_equal(req.iovcnt, 1);
	assert_ptr_equal(req.iov[0].iov_base, bufs[1]);
	assert_ptr_equal(req.status, bufs[2]);
}

static void test_parse_out_ok_and_spanning(void **state)
{
	/* Header split over two descriptors, data sharing the second one;
	 * status sharing a descriptor with nothing else. */
	chain_reset();
	hdr(0, VIRTIO_BLK_T_OUT, 2046);
	seg(0, 0, 6, false);
	seg(0, 6, 10 + 512, false);
	seg(1, 0, 512, false);
	seg(2, 0, 1, true);
	assert_int_equal(virtio_blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_OK);
	assert_int_equal(req.len, 1024);
	assert_int_equal(req.off, 2046 * 512);
	assert_int_equal(req.iovcnt, 2);
	assert_ptr_equal(req.iov[0].iov_base, bufs[0] + 16);
	assert_int_equal(req.iov[0].iov_len, 512);
	/* IN with the status byte in the same descriptor as the data */
	chain_reset();
	hdr(0, VIRTIO_BLK_T_IN, 0);
	seg(0, 0, 16, false);
	seg(1, 0, 513, true);
	assert_int_equal(virtio_blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_OK);
	assert_int_equal(req.len, 512);
	assert_ptr_equal(req.status, bufs[1] + 512);
}

static void test_parse_short_header(void **state)
{
	chain_reset();
	hdr(0, VIRTIO_BLK_T_IN, 0);
	seg(0, 0, 15, false);
	seg(1, 0, 513, true);
	assert_int_equal(virtio_blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_IOERR);
	assert_non_null(req.status);
	/* no readable part at all */
	chain_reset();
	seg(1, 0, 513, true);
	assert_int_equal(virtio_blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_IOERR);
}

static void test_parse_no_status(void **state)
{
	chain_reset();
	hdr(0, VIRTIO_BLK_T_OUT, 0);
	seg(0, 0, 16 + 512, false);
	assert_int_equal(virtio_blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_IOERR);
	assert_null(req.status);
}

static void test_parse_not_sector_multiple(void **state)
{
	chain_reset();
	hdr(0, VIRTIO_BLK_T_IN, 0);
	seg(0, 0, 16, false);
	seg(1, 0, 1000, true);
	seg(2, 0, 1, true);
	assert_int_equal(virtio_blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_IOERR);
	chain_reset();
	hdr(0, VIRTIO_BLK_T_OUT, 0);
	seg(0, 0, 16 + 100, false);
	seg(2, 0, 1, true);
	assert_int_equal(virtio_blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_IOERR);
}

static void test_parse_range(void **state)
{
	uint64_t sectors[] = {2047, 2048, 4096, UINT64_MAX, UINT64_MAX / 512 + 1, (1ULL << 63)};
	uint8_t want[] = {VIRTIO_BLK_S_OK, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_IOERR,
			  VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_IOERR};
	for (unsigned i = 0; i < sizeof(sectors) / sizeof(sectors[0]); i++) {
		chain_reset();
		hdr(0, VIRTIO_BLK_T_IN, sectors[i]);
		seg(0, 0, 16, false);
		seg(1, 0, 512, true);
		seg(2, 0, 1, true);
		assert_int_equal(virtio_blk_parse(&ch, &lim, &req), want[i]);
	}
	/* two sectors at the last one: past the end */
	chain_reset();
	hdr(0, VIRTIO_BLK_T_OUT, 2047);
	seg(0, 0, 16 + 1024, false);
	seg(2, 0, 1, true);
	assert_int_equal(virtio_blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_IOERR);
	/* zero-length read at the very end: fine */
	chain_reset();
	hdr(0, VIRTIO_BLK_T_IN, 2048);
	seg(0, 0, 16, false);
	seg(2, 0, 1, true);
	assert_int_equal(virtio_blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_OK);
	assert_int_equal(req.len, 0);
}

static void test_parse_readonly(void **state)
{
	chain_reset();
	hdr(0, VIRTIO_BLK_T_OUT, 0);
	seg(0, 0, 16 + 512, false);
	seg(2, 0, 1, true);
	assert_int_equal(virtio_blk_parse(&ch, &lim_ro, &req), VIRTIO_BLK_S_IOERR);
	/* reads and flushes still work on a read-only disk */
	chain_reset();
	hdr(0, VIRTIO_BLK_T_IN, 0);
	seg(0, 0, 16, false);
	seg(1, 0, 512, true);
	seg(2, 0, 1, true);
	assert_int_equal(virtio_blk_parse(&ch, &lim_ro, &req), VIRTIO_BLK_S_OK);
	chain_reset();
	hdr(0, VIRTIO_BLK_T_FLUSH, 0);
	seg(0, 0, 16, false);
	seg(2, 0, 1, true);
	assert_int_equal(virtio_blk_parse(&ch, &lim_ro, &req), VIRTIO_BLK_S_OK);
}

static void test_parse_wrong_direction(void **state)
{
	/* IN with readable data after the header */
	chain_reset();
	hdr(0, VIRTIO_BLK_T_IN, 0);
	seg(0, 0, 16 + 512, false);
	seg(1, 0, 512, true);
	seg(2, 0, 1, true);
	assert_int_equal(virtio_blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_IOERR);
	/* OUT with writable data before the status */
	chain_reset();
	hdr(0, VIRTIO_BLK_T_OUT, 0);
	seg(0, 0, 16 + 512, false);
	seg(1, 0, 512, true);
	seg(2, 0, 1, true);
	assert_int_equal(virtio_blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_IOERR);
}

static void test_parse_unsupported_type(void **state)
{
	uint32_t types[] = {2, 3, 5, 14, 0x80000000u, 0xffffffffu};
	for (unsigned i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		chain_reset();
		hdr(0, types[i], 0);
		seg(0, 0, 16, false);
		seg(2, 0, 1, true);
		assert_int_equal(virtio_blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_UNSUPP);
	}
}

static void test_parse_too_many_segments(void **state)
{
	chain_reset();
	hdr(0, VIRTIO_BLK_T_IN, 0);
	seg(0, 0, 16, false);
	for (unsigned i = 0; i < 127; i++)
		seg(1 + i % 6, 0, 512, true);
	seg(7, 0, 1, true);
	assert_int_equal(virtio_blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_IOERR);
	/* 126 is fine */
	chain_reset();
	hdr(0, VIRTIO_BLK_T_IN, 0);
	seg(0, 0, 16, false);
	for (unsigned i = 0; i < 126; i++)
		seg(1 + i % 6, 0, 8, true);
	seg(7, 0, 1, true);
	assert_int_equal(virtio_blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_IOERR); /* 1008 bytes: not a multiple */
}

static void dseg(unsigned buf, uint32_t off, uint64_t sector, uint32_t n, uint32_t flags)
{
	memcpy(bufs[buf] + off, &sector, 8);
	memcpy(bufs[buf] + off + 8, &n, 4);
	memcpy(bufs[buf] + off + 12, &flags, 4);
}

static uint8_t parse_discard(uint32_t type, uint64_t sector, uint32_t n, uint32_t flags,
			     const struct virtio_blk_limits *l)
{
	chain_reset();
	hdr(0, type, 0);
	dseg(0, 16, sector, n, flags);
	seg(0, 0, 32, false);
	seg(2, 0, 1, true);
	return virtio_blk_parse(&ch, l, &req);
}

static void test_parse_discard_write_zeroes(void **state)
{
	assert_int_equal(parse_discard(VIRTIO_BLK_T_DISCARD, 8, 16, 0, &lim), VIRTIO_BLK_S_OK);
	assert_int_equal(req.off, 8 * 512);
	assert_int_equal(req.len, 16 * 512);
	assert_int_equal(parse_discard(VIRTIO_BLK_T_DISCARD, 8, 16, 1, &lim), VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(parse_discard(VIRTIO_BLK_T_DISCARD, 8, 16, 4, &lim), VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(parse_discard(VIRTIO_BLK_T_DISCARD, 2040, 16, 0, &lim), VIRTIO_BLK_S_IOERR);
	assert_int_equal(parse_discard(VIRTIO_BLK_T_DISCARD, UINT64_MAX, 1, 0, &lim), VIRTIO_BLK_S_IOERR);
	assert_int_equal(parse_discard(VIRTIO_BLK_T_DISCARD, 0, 1025, 0, &lim), VIRTIO_BLK_S_IOERR);
	assert_int_equal(parse_discard(VIRTIO_BLK_T_DISCARD, 0, 16, 0, &lim_ro), VIRTIO_BLK_S_IOERR);
	assert_int_equal(parse_discard(VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, 1, &lim), VIRTIO_BLK_S_OK);
	assert_true(req.unmap);
	assert_int_equal(parse_discard(VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, 0, &lim), VIRTIO_BLK_S_OK);
	assert_false(req.unmap);
	assert_int_equal(parse_discard(VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, 2, &lim), VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(parse_discard(VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, 0, &lim_ro), VIRTIO_BLK_S_IOERR);
	/* payload not exactly one 16-byte segment */
	chain_reset();
	hdr(0, VIRTIO_BLK_T_DISCARD, 0);
	seg(0, 0, 16 + 32, false);
	seg(2, 0, 1, true);
	assert_int_equal(virtio_blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_IOERR);
	chain_reset();
	hdr(0, VIRTIO_BLK_T_DISCARD, 0);
	seg(0, 0, 16 + 8, false);
	seg(2, 0, 1, true);
	assert_int_equal(virtio_blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_IOERR);
	/* segment split across descriptors: fine */
	chain_reset();
	hdr(0, VIRTIO_BLK_T_DISCARD, 0);
	dseg(0, 16, 64, 8, 0);
	seg(0, 0, 20, false);
	seg(0, 20, 12, false);
	seg(2, 0, 1, true);
	assert_int_equal(virtio_blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_OK);
	assert_int_equal(req.off, 64 * 512);
}

static void test_parse_get_id_flush(void **state)
{
	chain_reset();
	hdr(0, VIRTIO_BLK_T_GET_ID, 0);
	seg(0, 0, 16, false);
	seg(1, 0, 20, true);
	seg(2, 0, 1, true);
	assert_int_equal(virtio_blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_OK);
	assert_int_equal(req.data_len, 20);
	chain_reset();
	hdr(0, VIRTIO_BLK_T_GET_ID, 0);
	seg(0, 0, 16, false);
	seg(2, 0, 1, true);
	assert_int_equal(virtio_blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_IOERR);
	chain_reset();
	hdr(0, VIRTIO_BLK_T_FLUSH, 12345);
	seg(0, 0, 16, false);
	seg(2, 0, 1, true);
	assert_int_equal(virtio_blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_OK);
}

/* ---- the device over fake guest memory and a temp file ---- */

#define RAM_SIZE 0x100000ull
#define DESC 0x1000ull
#define AVAIL 0x2000ull
#define USED 0x3000ull
#define BUF 0x10000ull
#define QSIZE 8
#define DISK_SECTORS 256

struct fx {
	struct guest_mem gm;
	uint8_t *ram;
	struct virtio_device vdev;
	struct blk_backend *be;
	char path[64];
	uint16_t avail_idx;
	int efd;
};

static int dev_setup_mode(void **state, bool readonly, bool force_sync)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->ram = aligned_alloc(4096, RAM_SIZE);
	memset(f->ram, 0, RAM_SIZE);
	assert_int_equal(gm_add_region(&f->gm, 0, RAM_SIZE, f->ram, -1), 0);
	snprintf(f->path, sizeof(f->path), "/tmp/nimbus-test-blk-XXXXXX");
	int fd = mkstemp(f->path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, DISK_SECTORS * 512), 0);
	close(fd);
	struct blk_image_params ip = {f->path, readonly, false, NULL};
	char err[256];
	assert_int_equal(blk_image_open(&ip, &f->be, err, sizeof(err)), 0);
	struct virtio_blk_params bp = {f->be, 1, QSIZE, "test-id", force_sync};
	const struct virtio_device_ops *ops;
	void *priv;
	assert_int_equal(virtio_blk_create(&bp, &ops, &priv), 0);
	assert_int_equal(virtio_device_init(&f->vdev, ops, priv, "blk", &f->gm), 0);
	f->vdev.driver_features = f->vdev.device_features;
	struct virtq *q = &f->vdev.queues[0];
	q->size = QSIZE;
	q->desc_addr = DESC;
	q->avail_addr = AVAIL;
	q->used_addr = USED;
	assert_int_equal(virtq_enable(q, &f->gm), 0);
	assert_int_equal(ops->activate(priv, &f->vdev), 0);
	assert_int_equal(f->vdev.nr_backend_fds, 1);
	f->efd = f->vdev.backend_fds[0];
	*state = f;
	return 0;
}

static int dev_setup(void **state)
{
	return dev_setup_mode(state, false, true);
}
static int dev_setup_ro(void **state)
{
	return dev_setup_mode(state, true, true);
}
static int dev_setup_async(void **state)
{
	return dev_setup_mode(state, false, false);
}

static int dev_teardown(void **state)
{
	struct fx *f = *state;
	virtio_device_destroy(&f->vdev);
	blk_image_close(f->be);
	unlink(f->path);
	free(f->ram);
	free(f);
	return 0;
}

/* A request: header at BUF+slot*0x2000, data after it, status at the end. */
static uint16_t submit(struct fx *f, uint16_t head, uint32_t type, uint64_t sector, uint32_t data_len,
		       bool data_writable)
{
	/* heads are 0 and 3 (chains of up to 3 descriptors) */
	uint16_t base = head == 0 ? 0 : 3;
	uint64_t h = BUF + (uint64_t)base * 0x4000, d = h + 0x100, st = h + 0x3f00;
	uint8_t hb[16] = {0};
	memcpy(hb, &type, 4);
	memcpy(hb + 8, &sector, 8);
	assert_int_equal(gm_write(&f->gm, h, hb, 16), 0);
	struct virtq_desc desc[3];
	unsigned n = 0;
	desc[n++] = (struct virtq_desc){h, 16, VIRTQ_DESC_F_NEXT, 0};
	if (data_len)
		desc[n++] = (struct virtq_desc){d, data_len, (uint16_t)(VIRTQ_DESC_F_NEXT | (data_writable ? VIRTQ_DESC_F_WRITE : 0)), 0};
	desc[n++] = (struct virtq_desc){st, 1, VIRTQ_DESC_F_WRITE, 0};
	for (unsigned i = 0; i < n; i++) {
		if (i + 1 < n)
			desc[i].next = (uint16_t)(base + i + 1);
		assert_int_equal(gm_write(&f->gm, DESC + 16ull * (base + i), &desc[i], 16), 0);
	}
	uint8_t poison = 0xee;
	assert_int_equal(gm_write(&f->gm, st, &poison, 1), 0);
	assert_int_equal(gm_write(&f->gm, AVAIL + 4 + 2ull * (f->avail_idx % QSIZE), &base, 2), 0);
	f->avail_idx++;
	assert_int_equal(gm_write(&f->gm, AVAIL + 2, &f->avail_idx, 2), 0);
	return base;
}

static uint8_t *data_of(struct fx *f, uint16_t head)
{
	return f->ram + BUF + (uint64_t)head * 0x4000 + 0x100;
}

static uint8_t status_of(struct fx *f, uint16_t head)
{
	return f->ram[BUF + (uint64_t)head * 0x4000 + 0x3f00];
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
	assert_int_equal(gm_read(&f->gm, USED + 8 + 8ull * (slot % QSIZE), &v, 4), 0);
	return v;
}

/* Kick, then reap completions until `want` used entries exist. */
static void run(struct fx *f, uint16_t want)
{
	assert_int_equal(f->vdev.ops->process_queue(f->vdev.priv, &f->vdev, 0), 0);
	for (int i = 0; i < 1000 && used_idx(f) != want; i++) {
		struct pollfd p = {f->efd, POLLIN, 0};
		poll(&p, 1, 100);
		assert_int_equal(f->vdev.ops->backend_event(f->vdev.priv, &f->vdev, f->efd), 0);
	}
	assert_int_equal(used_idx(f), want);
}

static void do_write_read(struct fx *f)
{
	uint16_t h = 0;
	for (unsigned i = 0; i < 1024; i++)
		data_of(f, 0)[i] = (uint8_t)(i * 7 + 1);
	h = submit(f, 0, VIRTIO_BLK_T_OUT, 100, 1024, false);
	run(f, 1);
	assert_int_equal(status_of(f, h), VIRTIO_BLK_S_OK);
	assert_int_equal(used_len(f, 0), 1);
	/* the file holds it */
	uint8_t file[1024];
	int fd = open(f->path, O_RDONLY);
	assert_int_equal(pread(fd, file, sizeof(file), 100 * 512), 1024);
	close(fd);
	assert_memory_equal(file, data_of(f, 0), 1024);
	/* read it back into another buffer */
	uint16_t h2 = submit(f, 1, VIRTIO_BLK_T_IN, 100, 1024, true);
	run(f, 2);
	assert_int_equal(status_of(f, h2), VIRTIO_BLK_S_OK);
	assert_int_equal(used_len(f, 1), 1025);
	assert_memory_equal(data_of(f, h2), file, 1024);
	/* flush */
	h = submit(f, 0, VIRTIO_BLK_T_FLUSH, 0, 0, false);
	run(f, 3);
	assert_int_equal(status_of(f, h), VIRTIO_BLK_S_OK);
}

static void test_dev_write_read_flush(void **state)
{
	do_write_read(*state);
}

static void test_dev_async_write_read(void **state)
{
	struct fx *f = *state;
	do_write_read(f);
}

static void test_dev_get_id(void **state)
{
	struct fx *f = *state;
	uint16_t h = submit(f, 0, VIRTIO_BLK_T_GET_ID, 0, 20, true);
	run(f, 1);
	assert_int_equal(status_of(f, h), VIRTIO_BLK_S_OK);
	assert_memory_equal(data_of(f, h), "test-id\0\0\0\0\0\0\0\0\0\0\0\0", 20);
	assert_int_equal(used_len(f, 0), 21);
}

static void test_dev_bad_requests_keep_running(void **state)
{
	struct fx *f = *state;
	uint16_t h = submit(f, 0, VIRTIO_BLK_T_IN, DISK_SECTORS, 512, true);
	run(f, 1);
	assert_int_equal(status_of(f, h), VIRTIO_BLK_S_IOERR);
	h = submit(f, 0, 77, 0, 0, false);
	run(f, 2);
	assert_int_equal(status_of(f, h), VIRTIO_BLK_S_UNSUPP);
	h = submit(f, 0, VIRTIO_BLK_T_OUT, 0, 100, false);
	run(f, 3);
	assert_int_equal(status_of(f, h), VIRTIO_BLK_S_IOERR);
	assert_false(atomic_load(&f->vdev.status) & VIRTIO_STATUS_NEEDS_RESET);
	/* still works */
	h = submit(f, 0, VIRTIO_BLK_T_IN, 0, 512, true);
	run(f, 4);
	assert_int_equal(status_of(f, h), VIRTIO_BLK_S_OK);
}

static void test_dev_readonly_refuses_writes(void **state)
{
	struct fx *f = *state;
	assert_true(f->vdev.device_features & (1ULL << VIRTIO_BLK_F_RO));
	uint16_t h = submit(f, 0, VIRTIO_BLK_T_OUT, 0, 512, false);
	run(f, 1);
	assert_int_equal(status_of(f, h), VIRTIO_BLK_S_IOERR);
	h = submit(f, 0, VIRTIO_BLK_T_IN, 0, 512, true);
	run(f, 2);
	assert_int_equal(status_of(f, h), VIRTIO_BLK_S_OK);
}

static void test_dev_discard_makes_holes(void **state)
{
	struct fx *f = *state;
	/* fill the file with data first */
	int fd = open(f->path, O_RDWR);
	uint8_t junk[DISK_SECTORS * 512];
	memset(junk, 0x5a, sizeof(junk));
	assert_int_equal(pwrite(fd, junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
	assert_int_equal(fsync(fd), 0);
	struct stat st0, st1;
	assert_int_equal(fstat(fd, &st0), 0);
	/* discard sectors 0..63, write-zeroes (unmap) 64..127, write-zeroes 128..135 */
	uint64_t d = BUF + 0x100;
	uint8_t seg16[16];
	uint64_t s = 0;
	uint32_t n = 64, fl = 0;
	memcpy(seg16, &s, 8);
	memcpy(seg16 + 8, &n, 4);
	memcpy(seg16 + 12, &fl, 4);
	assert_int_equal(gm_write(&f->gm, d, seg16, 16), 0);
	uint16_t h = submit(f, 0, VIRTIO_BLK_T_DISCARD, 0, 16, false);
	run(f, 1);
	assert_int_equal(status_of(f, h), VIRTIO_BLK_S_OK);
	s = 64;
	fl = 1;
	memcpy(seg16, &s, 8);
	memcpy(seg16 + 12, &fl, 4);
	assert_int_equal(gm_write(&f->gm, d, seg16, 16), 0);
	h = submit(f, 0, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false);
	run(f, 2);
	assert_int_equal(status_of(f, h), VIRTIO_BLK_S_OK);
	s = 128;
	n = 8;
	fl = 0;
	memcpy(seg16, &s, 8);
	memcpy(seg16 + 8, &n, 4);
	memcpy(seg16 + 12, &fl, 4);
	assert_int_equal(gm_write(&f->gm, d, seg16, 16), 0);
	h = submit(f, 0, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false);
	run(f, 3);
	/* ZERO_RANGE may be unsupported by the temp filesystem (tmpfs): then IOERR */
	uint8_t wz = status_of(f, h);
	assert_true(wz == VIRTIO_BLK_S_OK || wz == VIRTIO_BLK_S_IOERR);
	assert_int_equal(fstat(fd, &st1), 0);
	assert_true(st1.st_blocks < st0.st_blocks);
	assert_int_equal(st1.st_size, st0.st_size);
	uint8_t back[136 * 512], zero[136 * 512];
	memset(zero, 0, sizeof(zero));
	assert_int_equal(pread(fd, back, sizeof(back), 0), (ssize_t)sizeof(back));
	assert_memory_equal(back, zero, wz == VIRTIO_BLK_S_OK ? 136 * 512 : 128 * 512);
	assert_int_equal(pread(fd, back, 512, 136 * 512), 512);
	assert_int_equal(back[0], 0x5a);
	close(fd);
}

static void test_dev_config_space(void **state)
{
	struct fx *f = *state;
	uint8_t cfg[VIRTIO_BLK_CONFIG_SIZE];
	f->vdev.ops->config_read(f->vdev.priv, 0, cfg, sizeof(cfg));
	uint64_t cap;
	uint32_t seg_max, blk_size;
	uint16_t nq;
	memcpy(&cap, cfg, 8);
	memcpy(&seg_max, cfg + 12, 4);
	memcpy(&blk_size, cfg + 20, 4);
	memcpy(&nq, cfg + 34, 2);
	assert_int_equal(cap, DISK_SECTORS);
	assert_int_equal(seg_max, VIRTIO_BLK_SEG_MAX);
	assert_int_equal(blk_size, 512);
	assert_int_equal(nq, 1);
	assert_int_equal(cfg[24], 3); /* 4 KiB physical blocks */
	uint64_t feats = f->vdev.device_features;
	assert_true(feats & (1ULL << VIRTIO_BLK_F_FLUSH));
	assert_true(feats & (1ULL << VIRTIO_BLK_F_DISCARD));
	assert_true(feats & (1ULL << VIRTIO_BLK_F_WRITE_ZEROES));
	assert_false(feats & (1ULL << VIRTIO_BLK_F_RO));
	assert_false(feats & (1ULL << VIRTIO_BLK_F_MQ));
}

static void test_dev_slots_exhausted_then_resume(void **state)
{
	/* QSIZE requests at once are all answered, also in sync mode where
	 * completions wait for backend_event. */
	struct fx *f = *state;
	for (unsigned i = 0; i < 12; i++) {
		submit(f, 0, VIRTIO_BLK_T_IN, i, 512, true);
		run(f, (uint16_t)(i + 1));
	}
}

/* ---- image opening ---- */

static void test_image_errors_and_locks(void **state)
{
	char err[256];
	struct blk_backend *a, *b;
	struct blk_image_params p = {"/nonexistent/nimbus-disk.img", false, false, NULL};
	assert_int_equal(blk_image_open(&p, &a, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "No such file"));
	p.path = "/tmp";
	assert_int_not_equal(blk_image_open(&p, &a, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "directory"));
	char path[] = "/tmp/nimbus-test-img-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1000), 0);
	p.path = path;
	assert_int_equal(blk_image_open(&p, &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "multiple of 512"));
	assert_int_equal(ftruncate(fd, 4096), 0);
	close(fd);
	p.image_type = "qcow2";
	assert_int_equal(blk_image_open(&p, &a, err, sizeof(err)), -EINVAL);
	p.image_type = "raw";
	assert_int_equal(blk_image_open(&p, &a, err, sizeof(err)), 0);
	assert_int_equal(a->size, 4096);
	/* second writer refused; a reader too */
	assert_int_equal(blk_image_open(&p, &b, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "locked"));
	p.readonly = true;
	assert_int_equal(blk_image_open(&p, &b, err, sizeof(err)), -EBUSY);
	blk_image_close(a);
	/* two readers share; then a writer is refused */
	assert_int_equal(blk_image_open(&p, &a, err, sizeof(err)), 0);
	assert_int_equal(blk_image_open(&p, &b, err, sizeof(err)), 0);
	assert_true(a->readonly);
	p.readonly = false;
	struct blk_backend *c;
	assert_int_equal(blk_image_open(&p, &c, err, sizeof(err)), -EBUSY);
	blk_image_close(a);
	blk_image_close(b);
	/* direct=on opens (or reports why not, e.g. tmpfs without O_DIRECT) */
	p.direct = true;
	int rc = blk_image_open(&p, &c, err, sizeof(err));
	if (rc == 0) {
		assert_true(c->direct);
		assert_true(c->off_align >= 512);
		blk_image_close(c);
	} else {
		assert_int_equal(rc, -EINVAL);
	}
	unlink(path);
}

static void test_create_bad_params(void **state)
{
	const struct virtio_device_ops *ops;
	void *priv;
	struct blk_backend be = {.size = 4096};
	struct virtio_blk_params p = {&be, 0, 128, NULL, true};
	assert_int_equal(virtio_blk_create(&p, &ops, &priv), -EINVAL);
	p.num_queues = 9;
	assert_int_equal(virtio_blk_create(&p, &ops, &priv), -EINVAL);
	p.num_queues = 1;
	p.queue_size = 100;
	assert_int_equal(virtio_blk_create(&p, &ops, &priv), -EINVAL);
	p.queue_size = 2048;
	assert_int_equal(virtio_blk_create(&p, &ops, &priv), -EINVAL);
	p.backend = NULL;
	p.queue_size = 128;
	assert_int_equal(virtio_blk_create(&p, &ops, &priv), -EINVAL);
}

/* ---- --disk option ---- */

static int parse(struct vm_config *cfg, char *err, int n, ...)
{
	char *argv[16] = {"nimbus", "--kernel", "k"};
	int argc = 3;
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		argv[argc++] = va_arg(ap, char *);
	va_end(ap);
	enum config_action act;
	return config_parse_args(argc, argv, 0, cfg, &act, err, 256);
}

static void test_config_disk(void **state)
{
	struct vm_config cfg;
	char err[256];
	assert_int_equal(parse(&cfg, err, 4, "--disk", "path=/a.img", "--disk",
			       "path=/b.img,readonly=on,direct=on,num_queues=2,queue_size=64,id=hello,image_type=raw"),
			 0);
	assert_int_equal(cfg.nr_disks, 2);
	assert_string_equal(cfg.disks[0].path, "/a.img");
	assert_int_equal(cfg.disks[0].readonly, 0);
	assert_int_equal(cfg.disks[0].num_queues, 1);
	assert_int_equal(cfg.disks[0].queue_size, 128);
	assert_string_equal(cfg.disks[1].path, "/b.img");
	assert_int_equal(cfg.disks[1].readonly, 1);
	assert_int_equal(cfg.disks[1].direct, 1);
	assert_int_equal(cfg.disks[1].num_queues, 2);
	assert_int_equal(cfg.disks[1].queue_size, 64);
	assert_string_equal(cfg.disks[1].id, "hello");
	config_free(&cfg);
	const char *bad[][2] = {
		{"readonly=on", "path=FILE is required"},
		{"path=", "empty path"},
		{"path=/a,readonly=maybe", "expected on or off"},
		{"path=/a,num_queues=0", "num_queues"},
		{"path=/a,num_queues=9", "num_queues"},
		{"path=/a,queue_size=100", "power of two"},
		{"path=/a,queue_size=2048", "power of two"},
		{"path=/a,id=123456789012345678901", "at most 20"},
		{"path=/a,image_type=qcow2", "only raw"},
		{"path=/a,colour=red", "unknown key"},
		{"path=/a,direct", "key=value"},
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(&cfg, err, 2, "--disk", bad[i][0]), -EINVAL);
		assert_non_null(strstr(err, bad[i][1]));
		assert_null(strchr(err, '\n'));
		config_free(&cfg);
	}
	/* at most 16 disks */
	char *argv[40] = {"nimbus", "--kernel", "k"};
	int argc = 3;
	for (int i = 0; i < 17; i++) {
		argv[argc++] = "--disk";
		argv[argc++] = "path=/x";
	}
	enum config_action act;
	assert_int_equal(config_parse_args(argc, argv, 0, &cfg, &act, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "at most 16"));
	config_free(&cfg);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_in_ok),
		cmocka_unit_test(test_parse_out_ok_and_spanning),
		cmocka_unit_test(test_parse_short_header),
		cmocka_unit_test(test_parse_no_status),
		cmocka_unit_test(test_parse_not_sector_multiple),
		cmocka_unit_test(test_parse_range),
		cmocka_unit_test(test_parse_readonly),
		cmocka_unit_test(test_parse_wrong_direction),
		cmocka_unit_test(test_parse_unsupported_type),
		cmocka_unit_test(test_parse_too_many_segments),
		cmocka_unit_test(test_parse_discard_write_zeroes),
		cmocka_unit_test(test_parse_get_id_flush),
		cmocka_unit_test_setup_teardown(test_dev_write_read_flush, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_dev_async_write_read, dev_setup_async, dev_teardown),
		cmocka_unit_test_setup_teardown(test_dev_get_id, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_dev_bad_requests_keep_running, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_dev_readonly_refuses_writes, dev_setup_ro, dev_teardown),
		cmocka_unit_test_setup_teardown(test_dev_discard_makes_holes, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_dev_config_space, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_dev_slots_exhausted_then_resume, dev_setup, dev_teardown),
		cmocka_unit_test(test_image_errors_and_locks),
		cmocka_unit_test(test_create_bad_params),
		cmocka_unit_test(test_config_disk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
