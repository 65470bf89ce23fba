/* Unit tests for block/ioq.c: short transfers are continued, EOF inside a
 * request is an error, and the iovec-skipping helper. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>

#include "block/blk_backend.h"

static void test_iov_skip(void **state)
{
	(void)state;
	char a[10], b[20], c[30];
	struct iovec iov[3] = {{a, sizeof(a)}, {b, sizeof(b)}, {c, sizeof(c)}};
	struct iovec out[3];
	assert_int_equal(blk_iov_skip(iov, 3, 0, out, 3), 3);
	assert_ptr_equal(out[0].iov_base, a);
	assert_int_equal(out[0].iov_len, 10);
	/* in the middle of the second entry */
	assert_int_equal(blk_iov_skip(iov, 3, 15, out, 3), 2);
	assert_ptr_equal(out[0].iov_base, b + 5);
	assert_int_equal(out[0].iov_len, 15);
	assert_ptr_equal(out[1].iov_base, c);
	/* exactly at an entry boundary */
	assert_int_equal(blk_iov_skip(iov, 3, 30, out, 3), 1);
	assert_ptr_equal(out[0].iov_base, c);
	assert_int_equal(out[0].iov_len, 30);
	/* everything skipped, and the out[] limit */
	assert_int_equal(blk_iov_skip(iov, 3, 60, out, 3), 0);
	assert_int_equal(blk_iov_skip(iov, 3, 1, out, 2), 2);
	assert_int_equal(out[1].iov_len, 20);
}

struct result {
	int calls;
	uint64_t tag;
	int64_t res;
};

static void record(void *ctx, uint64_t tag, int64_t res)
{
	struct result *r = ctx;
	r->calls++;
	r->tag = tag;
	r->res = res;
}

static void wait_efd(int efd)
{
	uint64_t v;
	assert_int_equal(read(efd, &v, sizeof(v)), (ssize_t)sizeof(v));
}

/* A pipe hands out what it has: the first read of 8 KiB returns 4 KiB (a
 * short transfer), and the queue must wait for the rest instead of
 * reporting 4 KiB. io_uring only: pread on a pipe is ESPIPE, and the
 * synchronous path's loop is covered by the EOF test. */
static void test_short_read_continues_async(void **state)
{
	(void)state;
	int p[2], efd = eventfd(0, EFD_CLOEXEC);
	assert_int_equal(pipe(p), 0);
	assert_true(efd >= 0);
	struct blk_ioq *q;
	assert_int_equal(blk_ioq_create(4, efd, false, &q), 0);
	/* without io_uring the synchronous read below would block forever */
	assert_true(blk_ioq_is_async(q));
	static uint8_t src[8192], dst[8192];
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 1);
	memset(dst, 0, sizeof(dst));
	struct iovec iov[2] = {{dst, 3000}, {dst + 3000, sizeof(dst) - 3000}};
	struct result r = {0};
	assert_int_equal(write(p[1], src, 4096), 4096);
	assert_int_equal(blk_ioq_readv(q, p[0], 0, iov, 2, 42), 0);
	assert_int_equal(blk_ioq_submit(q), 0);
	wait_efd(efd);
	blk_ioq_reap(q, record, &r);
	assert_int_equal(r.calls, 0); /* 4 KiB of 8: not done yet */
	assert_int_equal(blk_ioq_inflight(q), 1);
	assert_int_equal(write(p[1], src + 4096, 4096), 4096);
	blk_ioq_drain(q, record, &r);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.tag, 42);
	assert_int_equal(r.res, 8192);
	assert_memory_equal(dst, src, sizeof(src));
	assert_int_equal(blk_ioq_inflight(q), 0);
	blk_ioq_destroy(q);
	close(p[0]);
	close(p[1]);
	close(efd);
}

/* EOF inside a read (the image shrank under us): -EIO, not a short count. */
static void run_eof_is_error(bool force_sync)
{
	char path[] = "/tmp/nimbus-ioq-XXXXXX";
	int fd = mkstemp(path), efd = eventfd(0, EFD_CLOEXEC);
	assert_true(fd >= 0 && efd >= 0);
	unlink(path);
	static uint8_t buf[8192];
	memset(buf, 0xab, sizeof(buf));
	assert_int_equal(write(fd, buf, 4096), 4096);
	struct blk_ioq *q;
	assert_int_equal(blk_ioq_create(4, efd, force_sync, &q), 0);
	struct iovec iov = {buf, sizeof(buf)};
	struct result r = {0};
	assert_int_equal(blk_ioq_readv(q, fd, 0, &iov, 1, 7), 0);
	assert_int_equal(blk_ioq_submit(q), 0);
	blk_ioq_drain(q, record, &r);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.tag, 7);
	assert_int_equal(r.res, -EIO);
	/* a write that fits completes with its full length */
	assert_int_equal(blk_ioq_writev(q, fd, 4096, &iov, 1, 0, 8), 0);
	assert_int_equal(blk_ioq_submit(q), 0);
	blk_ioq_drain(q, record, &r);
	assert_int_equal(r.calls, 2);
	assert_int_equal(r.tag, 8);
	assert_int_equal(r.res, 8192);
	blk_ioq_destroy(q);
	close(fd);
	close(efd);
}

static void test_eof_is_error_async(void **state)
{
	(void)state;
	run_eof_is_error(false);
}

static void test_eof_is_error_sync(void **state)
{
	(void)state;
	run_eof_is_error(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iov_skip),
		cmocka_unit_test(test_short_read_continues_async),
		cmocka_unit_test(test_eof_is_error_async),
		cmocka_unit_test(test_eof_is_error_sync),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
