/* block/blk_backend.h — disk images behind virtio-blk: an asynchronous I/O
 * queue (io_uring) and an image-format ops table.
 *
 * Two layers:
 *  - struct blk_ioq: one io_uring per virtqueue. Operations are queued with
 *    tags, submitted in batches, and completed through an eventfd the device
 *    thread watches in its epoll (blk_ioq_reap on that thread). Where
 *    io_uring cannot be set up (kernel without it, io_uring_disabled sysctl,
 *    seccomp), blk_ioq_create falls back to running each operation
 *    synchronously at submission (preadv2/pwritev2/fdatasync/fallocate) on
 *    the device thread and signals the same eventfd: slower, never on a vCPU
 *    thread, and logged once at warning level.
 *  - struct blk_backend: an image format (raw today). Its ops translate
 *    guest byte ranges into operations on an ioq; a second format (qcow2) is
 *    one new file with its own ops and a case in blk_image_open.
 *
 * Threads: an ioq is used by one thread at a time (its device thread). A
 * backend is shared by all queues of one device; its ops are called only
 * from that device's thread. The backend is created and destroyed by the VMM
 * (control thread) while no device thread runs.
 */
#ifndef NIMBUS_BLOCK_BLK_BACKEND_H
#define NIMBUS_BLOCK_BLK_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define BLK_SECTOR_SIZE 512u

struct blk_ioq;

/* Create a queue for up to `depth` operations in flight, all signalling
 * `efd` (an eventfd owned by the caller; several queues may share one).
 * force_sync: use the synchronous fallback (tests, fuzzing). 0 or -errno. */
__attribute__((warn_unused_result)) int blk_ioq_create(unsigned depth, int efd, bool force_sync,
						       struct blk_ioq **out);
/* Waits for every operation in flight, then frees the queue. */
void blk_ioq_destroy(struct blk_ioq *q);
bool blk_ioq_is_async(const struct blk_ioq *q);
/* Operations in flight (queued or submitted, not yet reaped). */
unsigned blk_ioq_inflight(const struct blk_ioq *q);

/* Queue one operation (not yet submitted: call blk_ioq_submit). The iovec
 * array must stay valid until the completion is reaped. `rw_flags` is
 * RWF_* (RWF_DSYNC for write-through). 0, or -EAGAIN when `depth`
 * operations are in flight. */
__attribute__((warn_unused_result)) int blk_ioq_readv(struct blk_ioq *q, int fd, uint64_t off,
						      const struct iovec *iov, unsigned iovcnt, uint64_t tag);
__attribute__((warn_unused_result)) int blk_ioq_writev(struct blk_ioq *q, int fd, uint64_t off,
						       const struct iovec *iov, unsigned iovcnt, int rw_flags,
						       uint64_t tag);
/* fdatasync(fd) */
__attribute__((warn_unused_result)) int blk_ioq_fdatasync(struct blk_ioq *q, int fd, uint64_t tag);
/* fallocate(fd, mode, off, len) */
__attribute__((warn_unused_result)) int blk_ioq_fallocate(struct blk_ioq *q, int fd, int mode, uint64_t off,
							  uint64_t len, uint64_t tag);
/* Hand everything queued to the kernel. 0 or -errno (then every queued
 * operation completes with that error at the next reap). */
__attribute__((warn_unused_result)) int blk_ioq_submit(struct blk_ioq *q);

/* Copy iov[] minus its first `skip` bytes into out[] (at most max_out
 * entries); returns how many entries were written. Used to continue short
 * transfers. */
unsigned blk_iov_skip(const struct iovec *iov, unsigned iovcnt, uint64_t skip, struct iovec *out, unsigned max_out);

/* Completion: the tag and the result (bytes transferred, 0, or -errno). A
 * read or write completes with all its bytes or an error: short transfers
 * are continued internally (EOF inside the range is -EIO). */
typedef void (*blk_ioq_done_fn)(void *ctx, uint64_t tag, int64_t res);
/* Calls done() for every finished operation; returns how many. Does not
 * block. The caller drains the eventfd first. */
unsigned blk_ioq_reap(struct blk_ioq *q, blk_ioq_done_fn done, void *ctx);
/* Blocks until every operation in flight finished, calling done() for each. */
void blk_ioq_drain(struct blk_ioq *q, blk_ioq_done_fn done, void *ctx);

/* ---- image formats ---- */

struct blk_backend;

struct blk_backend_ops {
	const char *name; /* "raw" */
	/* Byte ranges are inside the disk (the device validated them) and
	 * multiples of BLK_SECTOR_SIZE. Each queues one or more operations on q
	 * under `tag`, completing exactly once per call through the ioq (a
	 * format needing several operations completes the last one with the
	 * tag). 0 or -errno (nothing queued; the device fails the request). */
	int (*readv)(struct blk_backend *be, struct blk_ioq *q, uint64_t off, const struct iovec *iov,
		     unsigned iovcnt, uint64_t tag);
	int (*writev)(struct blk_backend *be, struct blk_ioq *q, uint64_t off, const struct iovec *iov,
		      unsigned iovcnt, bool write_through, uint64_t tag);
	int (*flush)(struct blk_backend *be, struct blk_ioq *q, uint64_t tag);
	int (*discard)(struct blk_backend *be, struct blk_ioq *q, uint64_t off, uint64_t len, uint64_t tag);
	/* unmap: the range may become a hole (reads return zeroes either way). */
	int (*write_zeroes)(struct blk_backend *be, struct blk_ioq *q, uint64_t off, uint64_t len, bool unmap,
			    uint64_t tag);
	void (*close)(struct blk_backend *be);
};

struct blk_backend {
	const struct blk_backend_ops *ops;
	uint64_t size;      /* guest-visible bytes, a multiple of BLK_SECTOR_SIZE */
	bool readonly;
	bool direct;        /* O_DIRECT: buffers and offsets aligned to the values below */
	uint32_t mem_align; /* direct: buffer address and length alignment */
	uint32_t off_align; /* direct: file offset and length alignment (>= 512) */
	void *priv;         /* the format's state */
};

struct blk_image_params {
	const char *path;
	bool readonly;
	bool direct;
	const char *image_type; /* NULL or "raw" */
};

/* Open, check and lock an image: missing file, a directory, a size that is
 * not a multiple of 512, an unknown image type, or a lock held by another
 * process (a writable disk takes an exclusive OFD lock on the whole file, a
 * read-only one a shared lock) fail with -errno and a one-line message in
 * err. */
__attribute__((warn_unused_result)) int blk_image_open(const struct blk_image_params *p, struct blk_backend **out,
						       char *err, size_t errlen);
void blk_image_close(struct blk_backend *be);

/* The raw format on an open fd (taken over on success). Used by
 * blk_image_open and by tests. */
__attribute__((warn_unused_result)) int blk_raw_create(int fd, int buffered_fd, uint64_t size, bool readonly,
						       bool direct, struct blk_backend **out);

#endif
