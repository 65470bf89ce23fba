/* virtio/blk.c — virtio block device (virtio 1.2, 5.2) over a blk_backend.
 *
 * num_queues request queues, each with its own blk_ioq (one io_uring per
 * queue). All rings signal one eventfd the device registers with its I/O
 * thread; completions are reaped there (backend_event), so neither a vCPU
 * nor the I/O thread waits on the disk. Each queue has queue_size request
 * slots; when they are all in flight the queue stops popping until a
 * completion frees one.
 *
 * Every request is validated by virtio_blk_parse() before any I/O; a bad
 * request completes with IOERR or UNSUPP and the device keeps running. Only
 * ring-level violations (virtq_pop errors) set DEVICE_NEEDS_RESET.
 *
 * Durability: with VIRTIO_BLK_F_FLUSH negotiated the device is write-back
 * (page cache, or O_DIRECT without a volatile cache of ours) and FLUSH is
 * fdatasync; without it every write is write-through (RWF_DSYNC).
 */
#include "virtio/blk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/log.h"

/* ---- request parsing (pure) ---- */

/* Copy `len` bytes starting `skip` bytes into the readable part. */
static void gather(const struct virtq_chain *c, uint64_t skip, void *dst, uint32_t len)
{
	uint8_t *d = dst;
	for (uint32_t i = 0; i < c->nr_out && len; i++) {
		const struct virtq_seg *s = &c->segs[i];
		if (skip >= s->len) {
			skip -= s->len;
			continue;
		}
		uint32_t n = s->len - (uint32_t)skip;
		if (n > len)
			n = len;
		memcpy(d, (const uint8_t *)s->host + skip, n);
		d += n;
		len -= n;
		skip = 0;
	}
}

/* iovecs for segments [first, end) minus `skip_front` bytes at the start and
 * `drop_back` bytes at the end. false if more than `max` are needed. */
static bool collect(const struct virtq_chain *c, uint32_t first, uint32_t end, uint64_t skip_front,
		    uint64_t drop_back, unsigned max, struct virtio_blk_req *r)
{
	uint64_t total = 0;
	for (uint32_t i = first; i < end; i++)
		total += c->segs[i].len;
	if (total < skip_front + drop_back)
		return false; /* callers checked; defensive */
	uint64_t want = total - skip_front - drop_back;
	r->iovcnt = 0;
	r->data_len = want;
	for (uint32_t i = first; i < end && want; i++) {
		const struct virtq_seg *s = &c->segs[i];
		uint64_t off = 0, n = s->len;
		if (skip_front) {
			uint64_t k = skip_front < n ? skip_front : n;
			skip_front -= k;
			off = k;
			n -= k;
		}
		if (n > want)
			n = want;
		if (!n)
			continue;
		if (r->iovcnt >= max)
			return false;
		r->iov[r->iovcnt].iov_base = (uint8_t *)s->host + off;
		r->iov[r->iovcnt].iov_len = n;
		r->iovcnt++;
		want -= n;
	}
	return true;
}

static bool range_ok(const struct virtio_blk_limits *lim, uint64_t sector, uint64_t nsect)
{
	return sector <= lim->capacity && nsect <= lim->capacity - sector;
}

uint8_t virtio_blk_parse(const struct virtq_chain *c, const struct virtio_blk_limits *lim, struct virtio_blk_req *r)
{
	r->type = 0;
	r->sector = r->off = r->len = r->data_len = 0;
	r->unmap = false;
	r->iovcnt = 0;
	r->status = NULL;
	/* Status: the last byte of the last writable segment. */
	if (c->nr_in == 0)
		return VIRTIO_BLK_S_IOERR;
	const struct virtq_seg *last = &c->segs[c->nr_segs - 1];
	r->status = (uint8_t *)last->host + last->len - 1;
	if (c->out_len < VIRTIO_BLK_HDR_SIZE)
		return VIRTIO_BLK_S_IOERR;
	uint8_t hdr[VIRTIO_BLK_HDR_SIZE];
	gather(c, 0, hdr, sizeof(hdr));
	uint32_t type;
	uint64_t sector;
	memcpy(&type, hdr, 4); /* little-endian guest ABI, x86_64 host */
	memcpy(&sector, hdr + 8, 8);
	r->type = type;
	r->sector = sector;
	uint32_t seg_max = lim->seg_max < VIRTIO_BLK_SEG_MAX ? lim->seg_max : VIRTIO_BLK_SEG_MAX;
	uint64_t rd_extra = c->out_len - VIRTIO_BLK_HDR_SIZE; /* readable bytes after the header */
	uint64_t wr_extra = c->in_len - 1;                    /* writable bytes before the status */

	switch (type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT: {
		bool in = type == VIRTIO_BLK_T_IN;
		if (in ? rd_extra != 0 : wr_extra != 0)
			return VIRTIO_BLK_S_IOERR; /* data in the wrong direction */
		if (!in && lim->readonly)
			return VIRTIO_BLK_S_IOERR;
		bool ok = in ? collect(c, c->nr_out, c->nr_segs, 0, 1, seg_max, r)
			     : collect(c, 0, c->nr_out, VIRTIO_BLK_HDR_SIZE, 0, seg_max, r);
		if (!ok || r->data_len % BLK_SECTOR_SIZE)
			return VIRTIO_BLK_S_IOERR;
		if (!range_ok(lim, sector, r->data_len / BLK_SECTOR_SIZE))
			return VIRTIO_BLK_S_IOERR;
		r->off = sector * BLK_SECTOR_SIZE;
		r->len = r->data_len;
		return VIRTIO_BLK_S_OK;
	}
	case VIRTIO_BLK_T_FLUSH:
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID:
		if (rd_extra != 0 || wr_extra == 0)
			return VIRTIO_BLK_S_IOERR;
		if (!collect(c, c->nr_out, c->nr_segs, 0, 1, seg_max, r))
			return VIRTIO_BLK_S_IOERR;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES: {
		/* One segment per request (max_discard_seg = max_write_zeroes_seg = 1). */
		if (wr_extra != 0 || rd_extra != VIRTIO_BLK_DISCARD_SEG_SIZE)
			return VIRTIO_BLK_S_IOERR;
		uint8_t seg[VIRTIO_BLK_DISCARD_SEG_SIZE];
		gather(c, VIRTIO_BLK_HDR_SIZE, seg, sizeof(seg));
		uint64_t ssec;
		uint32_t nsec, flags;
		memcpy(&ssec, seg, 8);
		memcpy(&nsec, seg + 8, 4);
		memcpy(&flags, seg + 12, 4);
		if (type == VIRTIO_BLK_T_DISCARD ? flags != 0 : (flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) != 0)
			return VIRTIO_BLK_S_UNSUPP;
		if (lim->readonly)
			return VIRTIO_BLK_S_IOERR;
		if (nsec > lim->max_discard_sectors || !range_ok(lim, ssec, nsec))
			return VIRTIO_BLK_S_IOERR;
		r->sector = ssec;
		r->off = ssec * BLK_SECTOR_SIZE;
		r->len = (uint64_t)nsec * BLK_SECTOR_SIZE;
		r->unmap = flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
		return VIRTIO_BLK_S_OK;
	}
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

/* ---- the device ---- */

struct blk_slot {
	struct virtio_blk_req req;
	uint16_t head;
	void *bounce; /* direct I/O with unaligned guest buffers */
	struct iovec bounce_iov;
};

struct blk_queue {
	struct blk_ioq *ioq;
	struct blk_slot *slots; /* queue_size */
	uint16_t *free;         /* stack of free slot indices */
	unsigned nfree;
	bool blocked;  /* stopped popping: no free slot */
	bool pushed;   /* used buffers since the last signal */
};

struct blk {
	struct virtio_device_ops ops; /* per instance: queue count and size */
	struct blk_backend *be;
	struct virtio_blk_limits lim;
	char id[VIRTIO_BLK_ID_BYTES];
	uint8_t config[VIRTIO_BLK_CONFIG_SIZE];
	unsigned nq, qsize;
	struct blk_queue q[VIRTIO_BLK_MAX_QUEUES];
	int efd; /* all rings' completions */
	struct virtio_device *vdev;
	struct virtio_blk_counters cnt;
	struct virtq_chain chain; /* large: off the thread's stack */
};

#define TAG(q, slot) (((uint64_t)(q) << 32) | (slot))

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void build_config(struct blk *b)
{
	uint8_t *c = b->config;
	uint32_t blk_size = BLK_SECTOR_SIZE;
	if (b->be->direct && b->be->off_align > BLK_SECTOR_SIZE && b->be->off_align <= 4096)
		blk_size = b->be->off_align;
	memset(c, 0, sizeof(b->config));
	put_le(c + 0, b->lim.capacity, 8);
	put_le(c + 8, VIRTIO_BLK_SIZE_MAX, 4);
	put_le(c + 12, b->lim.seg_max, 4);
	put_le(c + 20, blk_size, 4);
	/* topology: 4 KiB physical blocks (page-cache and filesystem granularity) */
	unsigned exp = 0;
	while ((blk_size << exp) < 4096)
		exp++;
	c[24] = (uint8_t)exp; /* physical_block_exp */
	c[25] = 0;            /* alignment_offset */
	put_le(c + 26, 1, 2); /* min_io_size (logical blocks) */
	put_le(c + 28, 0, 4); /* opt_io_size */
	c[32] = 1;            /* writeback (informational; CONFIG_WCE not offered) */
	put_le(c + 34, b->nq, 2);
	put_le(c + 36, b->lim.max_discard_sectors, 4);
	put_le(c + 40, 1, 4); /* max_discard_seg */
	put_le(c + 44, 4096 / BLK_SECTOR_SIZE, 4); /* discard_sector_alignment */
	put_le(c + 48, b->lim.max_discard_sectors, 4);
	put_le(c + 52, 1, 4); /* max_write_zeroes_seg */
	c[56] = 1;            /* write_zeroes_may_unmap */
}

static void blk_config_read(void *priv, uint32_t off, uint8_t *data, uint32_t len)
{
	struct blk *b = priv;
	memcpy(data, b->config + off, len); /* the transport bounds-checked */
}

/* Complete: write the status byte, give the chain back. Contract: status
 * points into the chain's last writable segment (gm_ptr-mapped). */
static int finish(struct blk *b, unsigned qi, unsigned slot, uint8_t status, uint32_t data_written)
{
	struct blk_queue *q = &b->q[qi];
	struct blk_slot *s = &q->slots[slot];
	uint32_t written = 0;
	if (s->req.status) {
		*s->req.status = status;
		written = data_written + 1;
	}
	free(s->bounce);
	s->bounce = NULL;
	q->free[q->nfree++] = (uint16_t)slot;
	q->pushed = true;
	return virtq_push(&b->vdev->queues[qi], s->head, written) ? -EINVAL : 0;
}

static void log_io_error(const char *what, int64_t res)
{
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT;
	log_ratelimited(&rl, LOG_WARN, "virtio-blk: %s failed: %s", what, strerror((int)-res));
}

/* Copy a bounce buffer out to the guest's iovecs (contract: iovecs are
 * chain segments mapped by virtq_pop). */
static void scatter(const struct virtio_blk_req *r, const uint8_t *src)
{
	for (unsigned i = 0; i < r->iovcnt; i++) {
		memcpy(r->iov[i].iov_base, src, r->iov[i].iov_len);
		src += r->iov[i].iov_len;
	}
}

static void io_done(void *ctx, uint64_t tag, int64_t res)
{
	struct blk *b = ctx;
	unsigned qi = (unsigned)(tag >> 32), slot = (unsigned)(tag & 0xffffffffu);
	if (qi >= b->nq || slot >= b->qsize)
		return; /* cannot happen: we made the tag */
	struct blk_slot *s = &b->q[qi].slots[slot];
	struct virtio_blk_req *r = &s->req;
	uint8_t status = VIRTIO_BLK_S_OK;
	uint32_t data = 0;
	if (res < 0) {
		log_io_error(r->type == VIRTIO_BLK_T_IN ? "read" : r->type == VIRTIO_BLK_T_OUT ? "write" : "request", res);
		status = VIRTIO_BLK_S_IOERR;
	} else if ((r->type == VIRTIO_BLK_T_IN || r->type == VIRTIO_BLK_T_OUT) && (uint64_t)res != r->len) {
		log_io_error("short transfer", -EIO);
		status = VIRTIO_BLK_S_IOERR;
	} else if (r->type == VIRTIO_BLK_T_IN) {
		if (s->bounce)
			scatter(r, s->bounce);
		data = (uint32_t)r->len;
		counter_add(&b->cnt.read_ops, 1);
		counter_add(&b->cnt.read_bytes, r->len);
	} else if (r->type == VIRTIO_BLK_T_OUT) {
		counter_add(&b->cnt.write_ops, 1);
		counter_add(&b->cnt.write_bytes, r->len);
	}
	if (finish(b, qi, slot, status, data)) {
		/* queue broken by the guest meanwhile: NEEDS_RESET comes from the pop path */
	}
}

static bool needs_bounce(const struct blk *b, const struct virtio_blk_req *r)
{
	if (!b->be->direct || b->be->mem_align <= 1)
		return false;
	for (unsigned i = 0; i < r->iovcnt; i++)
		if (((uintptr_t)r->iov[i].iov_base | r->iov[i].iov_len) % b->be->mem_align)
			return true;
	return false;
}

/* Start a validated request; 0 (queued), or -errno (fail it now). */
static int start_io(struct blk *b, unsigned qi, unsigned slot)
{
	struct blk_queue *q = &b->q[qi];
	struct blk_slot *s = &q->slots[slot];
	struct virtio_blk_req *r = &s->req;
	struct blk_backend *be = b->be;
	uint64_t tag = TAG(qi, slot);
	const struct iovec *iov = r->iov;
	unsigned iovcnt = r->iovcnt;
	if ((r->type == VIRTIO_BLK_T_IN || r->type == VIRTIO_BLK_T_OUT) && needs_bounce(b, r)) {
		size_t a = be->mem_align, n = (r->len + a - 1) / a * a;
		s->bounce = aligned_alloc(a, n ? n : a);
		if (!s->bounce)
			return -ENOMEM;
		if (r->type == VIRTIO_BLK_T_OUT) {
			uint8_t *d = s->bounce;
			for (unsigned i = 0; i < r->iovcnt; i++) {
				memcpy(d, r->iov[i].iov_base, r->iov[i].iov_len);
				d += r->iov[i].iov_len;
			}
		}
		s->bounce_iov.iov_base = s->bounce;
		s->bounce_iov.iov_len = r->len;
		iov = &s->bounce_iov;
		iovcnt = 1;
	}
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
		return be->ops->readv(be, q->ioq, r->off, iov, iovcnt, tag);
	case VIRTIO_BLK_T_OUT: {
		bool wt = !(b->vdev->driver_features & (1ULL << VIRTIO_BLK_F_FLUSH));
		return be->ops->writev(be, q->ioq, r->off, iov, iovcnt, wt, tag);
	}
	case VIRTIO_BLK_T_FLUSH:
		return be->ops->flush(be, q->ioq, tag);
	case VIRTIO_BLK_T_DISCARD:
		return be->ops->discard(be, q->ioq, r->off, r->len, tag);
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return be->ops->write_zeroes(be, q->ioq, r->off, r->len, r->unmap, tag);
	default:
		return -EINVAL;
	}
}

/* Contract: copies the id into the chain's writable data segments. */
static uint32_t get_id(struct blk *b, struct virtio_blk_req *r)
{
	uint32_t done = 0;
	for (unsigned i = 0; i < r->iovcnt && done < VIRTIO_BLK_ID_BYTES; i++) {
		size_t n = r->iov[i].iov_len;
		if (n > VIRTIO_BLK_ID_BYTES - done)
			n = VIRTIO_BLK_ID_BYTES - done;
		memcpy(r->iov[i].iov_base, b->id + done, n);
		done += (uint32_t)n;
	}
	return done;
}

static int handle(struct blk *b, unsigned qi)
{
	struct blk_queue *q = &b->q[qi];
	unsigned slot = q->free[--q->nfree];
	struct blk_slot *s = &q->slots[slot];
	s->head = b->chain.head;
	s->bounce = NULL;
	uint8_t st = virtio_blk_parse(&b->chain, &b->lim, &s->req);
	if (!s->req.status) {
		static struct log_ratelimit rl = LOG_RATELIMIT_INIT;
		log_ratelimited(&rl, LOG_WARN, "virtio-blk: request without a writable status byte");
		return finish(b, qi, slot, 0, 0);
	}
	if (st != VIRTIO_BLK_S_OK) {
		static struct log_ratelimit rl = LOG_RATELIMIT_INIT;
		log_ratelimited(&rl, LOG_DEBUG, "virtio-blk: request type %u sector %llu refused (status %u)",
				s->req.type, (unsigned long long)s->req.sector, st);
		return finish(b, qi, slot, st, 0);
	}
	if (s->req.type == VIRTIO_BLK_T_GET_ID)
		return finish(b, qi, slot, VIRTIO_BLK_S_OK, get_id(b, &s->req));
	int rc = start_io(b, qi, slot);
	if (rc) {
		log_io_error("submit", rc);
		return finish(b, qi, slot, VIRTIO_BLK_S_IOERR, 0);
	}
	return 0;
}

static int blk_process(void *priv, struct virtio_device *vdev, unsigned qi)
{
	struct blk *b = priv;
	struct blk_queue *q = &b->q[qi];
	struct virtq *vq = &vdev->queues[qi];
	b->vdev = vdev;
	int rc = 0;
	for (;;) {
		virtq_disable_notify(vq);
		while (q->nfree && (rc = virtq_pop(vq, vdev->gm, &b->chain)) == 1) {
			if (handle(b, qi)) {
				rc = -EINVAL;
				break;
			}
		}
		int src = blk_ioq_submit(q->ioq);
		if (src)
			log_io_error("io_uring submit", src); /* retried at the next reap */
		if (q->pushed) {
			q->pushed = false;
			virtio_device_signal_queue(vdev, qi);
		}
		if (rc < 0)
			return -EINVAL;
		if (!q->nfree) {
			/* resumed from backend_event when a slot frees up */
			q->blocked = true;
			return 0;
		}
		if (!virtq_enable_notify(vq))
			return 0;
	}
}

static int blk_backend_event(void *priv, struct virtio_device *vdev, int fd)
{
	struct blk *b = priv;
	if (fd != b->efd)
		return 0;
	b->vdev = vdev;
	uint64_t v;
	if (read(b->efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing new; reap anyway */
	}
	int rc = 0;
	for (unsigned qi = 0; qi < b->nq; qi++) {
		struct blk_queue *q = &b->q[qi];
		blk_ioq_reap(q->ioq, io_done, b);
		if (q->pushed) {
			q->pushed = false;
			virtio_device_signal_queue(vdev, qi);
		}
		if (q->blocked && q->nfree && vdev->queues[qi].ready) {
			q->blocked = false;
			if (blk_process(b, vdev, qi))
				rc = -EINVAL;
		}
	}
	return rc;
}

static int blk_activate(void *priv, struct virtio_device *vdev)
{
	struct blk *b = priv;
	b->vdev = vdev;
	return virtio_device_add_fd(vdev, b->efd);
}

static void drop_done(void *ctx, uint64_t tag, int64_t res)
{
	struct blk *b = ctx;
	unsigned qi = (unsigned)(tag >> 32), slot = (unsigned)(tag & 0xffffffffu);
	if (qi < b->nq && slot < b->qsize) {
		free(b->q[qi].slots[slot].bounce);
		b->q[qi].slots[slot].bounce = NULL;
	}
}

/* Device reset: wait for the disk to finish what is in flight (it may still
 * write into guest RAM), then forget those requests. */
static void blk_reset(void *priv)
{
	struct blk *b = priv;
	for (unsigned qi = 0; qi < b->nq; qi++) {
		struct blk_queue *q = &b->q[qi];
		blk_ioq_drain(q->ioq, drop_done, b);
		q->nfree = 0;
		for (unsigned i = b->qsize; i-- > 0;)
			q->free[q->nfree++] = (uint16_t)i;
		q->blocked = q->pushed = false;
	}
	uint64_t v;
	(void)!read(b->efd, &v, sizeof(v));
}

static void blk_destroy(void *priv)
{
	struct blk *b = priv;
	for (unsigned qi = 0; qi < b->nq; qi++) {
		struct blk_queue *q = &b->q[qi];
		if (q->ioq)
			blk_ioq_drain(q->ioq, drop_done, b);
		blk_ioq_destroy(q->ioq);
		free(q->slots);
		free(q->free);
	}
	if (b->efd >= 0)
		close(b->efd);
	free(b);
}

static const struct virtio_device_ops blk_ops_template = {
	.name = "blk",
	.device_id = VIRTIO_ID_BLOCK,
	.config_size = VIRTIO_BLK_CONFIG_SIZE,
	.pci_class = 0x0180, /* mass storage, other */
	.config_read = blk_config_read,
	.activate = blk_activate,
	.reset = blk_reset,
	.process_queue = blk_process,
	.backend_event = blk_backend_event,
	.destroy = blk_destroy,
};

int virtio_blk_create(const struct virtio_blk_params *p, const struct virtio_device_ops **ops, void **priv)
{
	if (!p || !p->backend || p->num_queues < 1 || p->num_queues > VIRTIO_BLK_MAX_QUEUES ||
	    p->num_queues > VIRTIO_MAX_QUEUES || p->queue_size < 2 || p->queue_size > 1024 ||
	    (p->queue_size & (p->queue_size - 1)))
		return -EINVAL;
	struct blk *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->efd < 0) {
		int e = -errno;
		free(b);
		return e;
	}
	b->be = p->backend;
	b->nq = p->num_queues;
	b->qsize = p->queue_size;
	b->lim.capacity = p->backend->size / BLK_SECTOR_SIZE;
	b->lim.readonly = p->backend->readonly;
	b->lim.seg_max = VIRTIO_BLK_SEG_MAX;
	b->lim.max_discard_sectors = VIRTIO_BLK_MAX_DISCARD_SECTORS;
	if (p->id) /* zero-padded, not NUL-terminated at 20 bytes: the ABI */
		memcpy(b->id, p->id, strnlen(p->id, sizeof(b->id)));
	b->ops = blk_ops_template;
	b->ops.nr_queues = b->nq;
	b->ops.queue_size = (uint16_t)b->qsize;
	b->ops.features = (1ULL << VIRTIO_BLK_F_SIZE_MAX) | (1ULL << VIRTIO_BLK_F_SEG_MAX) |
			  (1ULL << VIRTIO_BLK_F_BLK_SIZE) | (1ULL << VIRTIO_BLK_F_FLUSH) |
			  (1ULL << VIRTIO_BLK_F_TOPOLOGY) | (1ULL << VIRTIO_BLK_F_DISCARD) |
			  (1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
	if (b->lim.readonly)
		b->ops.features |= 1ULL << VIRTIO_BLK_F_RO;
	if (b->nq > 1)
		b->ops.features |= 1ULL << VIRTIO_BLK_F_MQ;
	build_config(b);
	int rc = 0;
	for (unsigned qi = 0; qi < b->nq && !rc; qi++) {
		struct blk_queue *q = &b->q[qi];
		q->slots = calloc(b->qsize, sizeof(*q->slots));
		q->free = calloc(b->qsize, sizeof(*q->free));
		if (!q->slots || !q->free) {
			rc = -ENOMEM;
			break;
		}
		for (unsigned i = b->qsize; i-- > 0;)
			q->free[q->nfree++] = (uint16_t)i;
		rc = blk_ioq_create(b->qsize, b->efd, p->force_sync, &q->ioq);
	}
	if (rc) {
		blk_destroy(b);
		return rc;
	}
	*ops = &b->ops;
	*priv = b;
	return 0;
}


const struct virtio_blk_counters *virtio_blk_counters(void *priv)
{
	return &((struct blk *)priv)->cnt;
}
