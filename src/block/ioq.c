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

/* One queued io_uring operation. Reads and writes remember their request
 * so a short transfer is continued (the remainder is queued again) instead
 * of being reported: callers see all bytes or an error, as with sync_rw. */
struct ioq_op {
	uint64_t tag;
	bool rw, write;
	int fd, rw_flags;
	uint64_t off, total, done;
	const struct iovec *iov; /* the caller's, valid until reaped */
	unsigned iovcnt;
	struct iovec *rest;      /* remainder after a short transfer (malloc'd) */
};

struct blk_ioq {
	bool async;
	unsigned depth;
	unsigned inflight;
	int efd;
	struct io_uring ring; /* async */
	struct ioq_op *ops;   /* async: depth records, user_data = index */
	unsigned *free_ops, nfree_ops;
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
			q->ops = calloc(depth, sizeof(*q->ops));
			q->free_ops = calloc(depth, sizeof(*q->free_ops));
			if (!q->ops || !q->free_ops) {
				io_uring_queue_exit(&q->ring);
				free(q->ops);
				free(q->free_ops);
				free(q);
				return -ENOMEM;
			}
			for (unsigned i = 0; i < depth; i++)
				q->free_ops[q->nfree_ops++] = depth - 1 - i;
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

unsigned blk_iov_skip(const struct iovec *iov, unsigned iovcnt, uint64_t skip, struct iovec *out, unsigned max_out)
{
	unsigned i = 0, n = 0;
	while (i < iovcnt && skip >= iov[i].iov_len) {
		skip -= iov[i].iov_len;
		i++;
	}
	for (; i < iovcnt && n < max_out; i++, n++) {
		out[n].iov_base = (char *)iov[i].iov_base + skip;
		out[n].iov_len = iov[i].iov_len - skip;
		skip = 0;
	}
	return n;
}

static uint64_t iov_total(const struct iovec *iov, unsigned iovcnt)
{
	uint64_t t = 0;
	for (unsigned i = 0; i < iovcnt; i++)
		t += iov[i].iov_len;
	return t;
}

static int64_t sync_rw(int fd, bool write, uint64_t off, const struct iovec *iov, unsigned iovcnt, int flags)
{
	/* Loop over short transfers and iovec-count limits. */
	struct iovec local[64];
	uint64_t total = 0, want = iov_total(iov, iovcnt);
	while (total < want) {
		unsigned n = blk_iov_skip(iov, iovcnt, total, local, 64);
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
	}
	return (int64_t)total;
}

static struct io_uring_sqe *next_sqe(struct blk_ioq *q)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&q->ring);
	if (!sqe) {
		/* SQ full of unsubmitted entries: push them and retry once */
		if (io_uring_submit(&q->ring) >= 0)
			sqe = io_uring_get_sqe(&q->ring);
	}
	return sqe;
}

/* An SQE for a new operation with its record (tagged and counted in
 * flight; the caller preps the SQE, then sets user_data to the record's
 * index), or NULL when the queue is full. */
static struct io_uring_sqe *get_sqe(struct blk_ioq *q, uint64_t tag, struct ioq_op **op)
{
	if (q->inflight >= q->depth || q->nfree_ops == 0)
		return NULL;
	struct io_uring_sqe *sqe = next_sqe(q);
	if (!sqe)
		return NULL;
	unsigned idx = q->free_ops[--q->nfree_ops];
	*op = &q->ops[idx];
	memset(*op, 0, sizeof(**op));
	(*op)->tag = tag;
	q->inflight++;
	return sqe;
}

/* Queue the part of a read/write that is not done yet. */
static void prep_rw(struct io_uring_sqe *sqe, struct ioq_op *op, const struct iovec *iov, unsigned iovcnt)
{
	if (op->write) {
		io_uring_prep_writev(sqe, op->fd, iov, iovcnt, op->off + op->done);
		sqe->rw_flags = op->rw_flags;
	} else {
		io_uring_prep_readv(sqe, op->fd, iov, iovcnt, op->off + op->done);
	}
}

static int queue_rw(struct blk_ioq *q, int fd, bool write, uint64_t off, const struct iovec *iov, unsigned iovcnt,
		    int rw_flags, uint64_t tag)
{
	struct ioq_op *op;
	struct io_uring_sqe *sqe = get_sqe(q, tag, &op);
	if (!sqe)
		return -EAGAIN;
	op->rw = true;
	op->write = write;
	op->fd = fd;
	op->rw_flags = rw_flags;
	op->off = off;
	op->total = iov_total(iov, iovcnt);
	op->iov = iov;
	op->iovcnt = iovcnt;
	prep_rw(sqe, op, iov, iovcnt);
	io_uring_sqe_set_data64(sqe, (uint64_t)(op - q->ops));
	return 0;
}

/* A short read or write: queue the rest again. 0, or -errno to fail it. */
static int continue_rw(struct blk_ioq *q, unsigned idx)
{
	struct ioq_op *op = &q->ops[idx];
	if (!op->rest) {
		op->rest = calloc(op->iovcnt, sizeof(*op->rest));
		if (!op->rest)
			return -ENOMEM;
	}
	unsigned n = blk_iov_skip(op->iov, op->iovcnt, op->done, op->rest, op->iovcnt);
	struct io_uring_sqe *sqe = next_sqe(q);
	if (!sqe)
		return -EAGAIN;
	prep_rw(sqe, op, op->rest, n);
	io_uring_sqe_set_data64(sqe, idx);
	return 0;
}

/* One CQE: continue a short transfer, or release the record and report. */
static void complete_cqe(struct blk_ioq *q, uint64_t idx, int64_t res, blk_ioq_done_fn done, void *ctx)
{
	if (idx >= q->depth)
		return; /* cannot happen: we set user_data */
	struct ioq_op *op = &q->ops[idx];
	if (op->rw && res >= 0) {
		op->done += (uint64_t)res;
		if (op->done < op->total) {
			/* res == 0: EOF inside the disk (the image shrank) */
			int rc = res == 0 ? -EIO : continue_rw(q, (unsigned)idx);
			if (rc == 0)
				return;
			res = rc;
		} else {
			res = (int64_t)op->done;
		}
	}
	uint64_t tag = op->tag;
	free(op->rest);
	op->rest = NULL;
	q->free_ops[q->nfree_ops++] = (unsigned)idx;
	q->inflight--;
	done(ctx, tag, res);
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
	return queue_rw(q, fd, false, off, iov, iovcnt, 0, tag);
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
	return queue_rw(q, fd, true, off, iov, iovcnt, rw_flags, tag);
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
	struct ioq_op *op;
	struct io_uring_sqe *sqe = get_sqe(q, tag, &op);
	if (!sqe)
		return -EAGAIN;
	io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
	io_uring_sqe_set_data64(sqe, (uint64_t)(op - q->ops));
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
	struct ioq_op *op;
	struct io_uring_sqe *sqe = get_sqe(q, tag, &op);
	if (!sqe)
		return -EAGAIN;
	io_uring_prep_fallocate(sqe, fd, mode, (off_t)off, (off_t)len);
	io_uring_sqe_set_data64(sqe, (uint64_t)(op - q->ops));
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
		uint64_t idx = io_uring_cqe_get_data64(cqe);
		int64_t res = cqe->res;
		io_uring_cqe_seen(&q->ring, cqe);
		unsigned before = q->inflight;
		complete_cqe(q, idx, res, done, ctx);
		n += before - q->inflight;
	}
	if (blk_ioq_submit(q)) {
		/* continued transfers: retried at the next reap */
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
		uint64_t idx = io_uring_cqe_get_data64(cqe);
		int64_t res = cqe->res;
		io_uring_cqe_seen(&q->ring, cqe);
		complete_cqe(q, idx, res, done, ctx);
		if (blk_ioq_submit(q))
			break; /* cannot continue a transfer: give up waiting */
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
	for (unsigned i = 0; q->ops && i < q->depth; i++)
		free(q->ops[i].rest);
	free(q->ops);
	free(q->free_ops);
	free(q->done);
	free(q);
}
