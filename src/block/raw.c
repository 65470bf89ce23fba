/* block/raw.c — the raw image format: guest byte N is file byte N.
 *
 * Discard punches a hole (FALLOC_FL_PUNCH_HOLE | KEEP_SIZE); write-zeroes
 * punches a hole when the guest allows unmapping, else FALLOC_FL_ZERO_RANGE
 * (falling back to a hole where the filesystem lacks ZERO_RANGE is the
 * device's business: the result then carries -EOPNOTSUPP). With O_DIRECT,
 * requests whose file offset or length is not aligned for direct I/O go
 * through a second, buffered descriptor of the same file (the kernel keeps
 * the page cache coherent with direct I/O).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "block/blk_backend.h"

struct raw {
	int fd;          /* O_DIRECT when direct */
	int buffered_fd; /* direct: same file without O_DIRECT; else -1 */
};

static int pick_fd(struct blk_backend *be, uint64_t off, uint64_t len)
{
	struct raw *r = be->priv;
	if (be->direct && r->buffered_fd >= 0 && ((off | len) % be->off_align))
		return r->buffered_fd;
	return r->fd;
}

static int raw_readv(struct blk_backend *be, struct blk_ioq *q, uint64_t off, const struct iovec *iov,
		     unsigned iovcnt, uint64_t tag)
{
	uint64_t len = 0;
	for (unsigned i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	return blk_ioq_readv(q, pick_fd(be, off, len), off, iov, iovcnt, tag);
}

static int raw_writev(struct blk_backend *be, struct blk_ioq *q, uint64_t off, const struct iovec *iov,
		      unsigned iovcnt, bool write_through, uint64_t tag)
{
	if (be->readonly)
		return -EROFS;
	uint64_t len = 0;
	for (unsigned i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	return blk_ioq_writev(q, pick_fd(be, off, len), off, iov, iovcnt, write_through ? RWF_DSYNC : 0, tag);
}

static int raw_flush(struct blk_backend *be, struct blk_ioq *q, uint64_t tag)
{
	struct raw *r = be->priv;
	/* One fdatasync covers both descriptors: they share the inode. */
	return blk_ioq_fdatasync(q, r->fd, tag);
}

static int raw_discard(struct blk_backend *be, struct blk_ioq *q, uint64_t off, uint64_t len, uint64_t tag)
{
	struct raw *r = be->priv;
	if (be->readonly)
		return -EROFS;
	return blk_ioq_fallocate(q, r->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len, tag);
}

static int raw_write_zeroes(struct blk_backend *be, struct blk_ioq *q, uint64_t off, uint64_t len, bool unmap,
			    uint64_t tag)
{
	struct raw *r = be->priv;
	if (be->readonly)
		return -EROFS;
	int mode = unmap ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE : FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
	return blk_ioq_fallocate(q, r->fd, mode, off, len, tag);
}

static void raw_close(struct blk_backend *be)
{
	struct raw *r = be->priv;
	if (r) {
		close(r->fd);
		if (r->buffered_fd >= 0)
			close(r->buffered_fd);
		free(r);
	}
	free(be);
}

static const struct blk_backend_ops raw_ops = {
	.name = "raw",
	.readv = raw_readv,
	.writev = raw_writev,
	.flush = raw_flush,
	.discard = raw_discard,
	.write_zeroes = raw_write_zeroes,
	.close = raw_close,
};

int blk_raw_create(int fd, int buffered_fd, uint64_t size, bool readonly, bool direct, struct blk_backend **out)
{
	if (fd < 0 || size % BLK_SECTOR_SIZE)
		return -EINVAL;
	struct blk_backend *be = calloc(1, sizeof(*be));
	struct raw *r = calloc(1, sizeof(*r));
	if (!be || !r) {
		free(be);
		free(r);
		return -ENOMEM;
	}
	r->fd = fd;
	r->buffered_fd = buffered_fd;
	be->ops = &raw_ops;
	be->priv = r;
	be->size = size;
	be->readonly = readonly;
	be->direct = direct;
	be->mem_align = 1;
	be->off_align = BLK_SECTOR_SIZE;
	*out = be;
	return 0;
}
