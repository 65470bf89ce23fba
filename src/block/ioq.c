/* block/ioq.c — asynchronous disk I/O: one io_uring per virtqueue, with a
 * synchronous fallback where io_uring is unavailable (see blk_backend.h). */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "block/blk_backend.h"
#include "util/log.h"

struct sync_done {
	uint64_t tag;
	int64_t res;
};

struct blk_ioq {
	bool async;
	unsigned depth;
	unsigned inflight;
	int efd;
	struct io_uring ring; /* async */
	/* sync fallback: finished operations waiting to be reaped (FIFO) */
	struct sync_done *done;
	unsigned done_head, done_count;
};

static void signal_efd(int efd)
{
	uint64_t one = 1;
	if (write(efd, &one, sizeof(one)) < 0) {
		/* counter saturated: a wake-up is pending anyway */
	}
}

int blk_ioq_create(unsigned depth, int efd, bool force_sync, struct blk_ioq **out)
{
	if (depth == 0 || depth > 32768 || efd < 0)
		return -EINVAL;
	struct blk_ioq *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->depth = depth;
	q->efd = efd;
	if (!force_sync) {
		int rc = io_uring_queue_init(depth, &q->ring, 0);
		if (rc == 0) {
			rc = io_uring_register_eventfd(&q->ring, efd);
			if (rc) {
				io_uring_queue_exit(&q->ring);
				free(q);
				return rc;
			}
			q->async = true;
		} else if (rc == -ENOSYS || rc == -EPERM || rc == -EACCES) {
			static struct log_ratelimit rl = LOG_RATELIMIT_INIT;
			log_ratelimited(&rl, LOG_WARN,
					"io_uring unavailable (%s): disk I/O runs synchronously on the device thread",
					strerror(-rc));
		} else {
			free(q);
			return rc;
		}
	}
	if (!q->async) {
		q->done = calloc(depth, sizeof(*q->done));
		if (!q->done) {
			free(q);
			return -ENOMEM;
		}
	}
	*out = q;
	return 0;
}

bool blk_ioq_is_async(const struct blk_ioq *q)
{
	return q->async;
}

unsigned blk_ioq_inflight(const struct blk_ioq *q)
{
	return q->inflight;
}

static void sync_complete(struct blk_ioq *q, uint64_t tag, int64_t res)
{
	/* inflight <= depth, so there is room */
	unsigned slot = (q->done_head + q->done_count) % q->depth;
	q->done[slot].tag = tag;
	q->done[slot].res = res;
	q->done_count++;
	signal_efd(q->efd);
}

static int64_t sync_rw(int fd, bool write, uint64_t off, const struct iovec *iov, unsigned iovcnt, int flags)
{
	/* Loop over short transfers and iovec-count limits. */
	struct iovec local[64];
	uint64_t total = 0;
	unsigned i = 0;
	size_t skip = 0; /* bytes of iov[i] already done */
	while (i < iovcnt) {
		unsigned n = 0;
		for (unsigned j = i; j < iovcnt && n < 64; j++, n++) {
			local[n] = iov[j];
			if (j == i) {
				local[n].iov_base = (char *)local[n].iov_base + skip;
				local[n].iov_len -= skip;
			}
		}
		ssize_t r = write ? pwritev2(fd, local, (int)n, (off_t)(off + total), flags)
				  : preadv2(fd, local, (int)n, (off_t)(off + total), 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO; /* EOF inside the disk: the image shrank */
		total += (uint64_t)r;
		size_t left = (size_t)r;
		while (left && i < iovcnt) {
			size_t rest = iov[i].iov_len - skip;
			if (left >= rest) {
				left -= rest;
				i++;
				skip = 0;
			} else {
				skip += left;
				left = 0;
			}
		}
	}
	return (int64_t)total;
}

static struct io_uring_sqe *get_sqe(struct blk_ioq *q)
{
	if (q->inflight >= q->depth)
		return NULL;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&q->ring);
	if (!sqe) {
		/* SQ full of unsubmitted entries: push them and retry once */
		if (io_uring_submit(&q->ring) >= 0)
			sqe = io_uring_get_sqe(&q->ring);
	}
	return sqe;
}

int blk_ioq_readv(struct blk_ioq *q, int fd, uint64_t off, const struct iovec *iov, unsigned iovcnt, uint64_t tag)
{
	if (q->inflight >= q->depth)
		return -EAGAIN;
	if (!q->async) {
		q->inflight++;
		sync_complete(q, tag, sync_rw(fd, false, off, iov, iovcnt, 0));
		return 0;
	}
	struct io_uring_sqe *sqe = get_sqe(q);
	if (!sqe)
		return -EAGAIN;
	io_uring_prep_readv(sqe, fd, iov, iovcnt, off);
	io_uring_sqe_set_data64(sqe, tag);
	q->inflight++;
	return 0;
}

int blk_ioq_writev(struct blk_ioq *q, int fd, uint64_t off, const struct iovec *iov, unsigned iovcnt, int rw_flags,
		   uint64_t tag)
{
	if (q->inflight >= q->depth)
		return -EAGAIN;
	if (!q->async) {
		q->inflight++;
		sync_complete(q, tag, sync_rw(fd, true, off, iov, iovcnt, rw_flags));
		return 0;
	}
	struct io_uring_sqe *sqe = get_sqe(q);
	if (!sqe)
		return -EAGAIN;
	io_uring_prep_writev(sqe, fd, iov, iovcnt, off);
	sqe->rw_flags = rw_flags;
	io_uring_sqe_set_data64(sqe, tag);
	q->inflight++;
	return 0;
}

int blk_ioq_fdatasync(struct blk_ioq *q, int fd, uint64_t tag)
{
	if (q->inflight >= q->depth)
		return -EAGAIN;
	if (!q->async) {
		q->inflight++;
		sync_complete(q, tag, fdatasync(fd) < 0 ? -errno : 0);
		return 0;
	}
	struct io_uring_sqe *sqe = get_sqe(q);
	if (!sqe)
		return -EAGAIN;
	io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
	io_uring_sqe_set_data64(sqe, tag);
	q->inflight++;
	return 0;
}

int blk_ioq_fallocate(struct blk_ioq *q, int fd, int mode, uint64_t off, uint64_t len, uint64_t tag)
{
	if (q->inflight >= q->depth)
		return -EAGAIN;
	if (off > INT64_MAX || len > INT64_MAX)
		return -EINVAL;
	if (!q->async) {
		q->inflight++;
		sync_complete(q, tag, fallocate(fd, mode, (off_t)off, (off_t)len) < 0 ? -errno : 0);
		return 0;
	}
	struct io_uring_sqe *sqe = get_sqe(q);
	if (!sqe)
		return -EAGAIN;
	io_uring_prep_fallocate(sqe, fd, mode, (off_t)off, (off_t)len);
	io_uring_sqe_set_data64(sqe, tag);
	q->inflight++;
	return 0;
}

int blk_ioq_submit(struct blk_ioq *q)
{
	if (!q->async || io_uring_sq_ready(&q->ring) == 0)
		return 0;
	int rc;
	do
		rc = io_uring_submit(&q->ring);
	while (rc == -EINTR);
	return rc < 0 ? rc : 0;
}

unsigned blk_ioq_reap(struct blk_ioq *q, blk_ioq_done_fn done, void *ctx)
{
	unsigned n = 0;
	if (!q->async) {
		while (q->done_count) {
			struct sync_done d = q->done[q->done_head];
			q->done_head = (q->done_head + 1) % q->depth;
			q->done_count--;
			q->inflight--;
			done(ctx, d.tag, d.res);
			n++;
		}
		return n;
	}
	/* entries a failed submit left behind */
	if (blk_ioq_submit(q)) {
		/* retried at the next reap */
	}
	struct io_uring_cqe *cqe;
	while (io_uring_peek_cqe(&q->ring, &cqe) == 0) {
		uint64_t tag = io_uring_cqe_get_data64(cqe);
		int64_t res = cqe->res;
		io_uring_cqe_seen(&q->ring, cqe);
		q->inflight--;
		done(ctx, tag, res);
		n++;
	}
	return n;
}

void blk_ioq_drain(struct blk_ioq *q, blk_ioq_done_fn done, void *ctx)
{
	if (!q->async) {
		blk_ioq_reap(q, done, ctx);
		return;
	}
	if (blk_ioq_submit(q)) {
		/* waited for below anyway */
	}
	while (q->inflight) {
		struct io_uring_cqe *cqe;
		int rc = io_uring_wait_cqe(&q->ring, &cqe);
		if (rc == -EINTR)
			continue;
		if (rc < 0)
			break; /* ring broken: nothing more will complete */
		uint64_t tag = io_uring_cqe_get_data64(cqe);
		int64_t res = cqe->res;
		io_uring_cqe_seen(&q->ring, cqe);
		q->inflight--;
		done(ctx, tag, res);
	}
}

static void ignore_done(void *ctx, uint64_t tag, int64_t res)
{
}

void blk_ioq_destroy(struct blk_ioq *q)
{
	if (!q)
		return;
	blk_ioq_drain(q, ignore_done, NULL);
	if (q->async)
		io_uring_queue_exit(&q->ring);
	free(q->done);
	free(q);
}
