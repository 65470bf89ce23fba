/* virtio/rng.c — virtio entropy device (virtio 1.2, 5.4).
 *
 * One queue (requestq). Each chain's device-writable buffers are filled from
 * the host source fd (default /dev/urandom, opened by the VMM); readable
 * buffers are ignored. A short read (EOF of a regular file) returns what was
 * read, possibly 0 bytes. No device configuration, no feature bits.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/log.h"
#include "virtio/registry.h"

struct rng {
	int src_fd;
	struct virtq_chain chain; /* large: kept off the thread's stack */
};

/* Contract: writes only into the chain's writable segments, which virtq_pop
 * mapped through gm_ptr; never more than each segment's length. */
static uint32_t fill(struct rng *r)
{
	uint32_t written = 0;
	struct virtq_chain *c = &r->chain;
	for (uint32_t i = c->nr_out; i < c->nr_segs; i++) {
		struct virtq_seg *s = &c->segs[i];
		ssize_t n;
		do
			n = read(r->src_fd, s->host, s->len);
		while (n < 0 && errno == EINTR);
		if (n <= 0) {
			static struct log_ratelimit rl = LOG_RATELIMIT_INIT;
			if (n < 0)
				log_ratelimited(&rl, LOG_WARN, "virtio-rng: source read failed: %d", errno);
			break;
		}
		written += (uint32_t)n;
		if ((uint32_t)n < s->len)
			break;
	}
	return written;
}

static int rng_process(void *priv, struct virtio_device *vdev, unsigned q)
{
	struct rng *r = priv;
	struct virtq *vq = &vdev->queues[q];
	for (;;) {
		virtq_disable_notify(vq);
		int rc;
		while ((rc = virtq_pop(vq, vdev->gm, &r->chain)) == 1) {
			if (virtq_push(vq, r->chain.head, fill(r)))
				return -EINVAL;
		}
		virtio_device_signal_queue(vdev, q);
		if (rc < 0)
			return rc;
		if (!virtq_enable_notify(vq))
			return 0;
	}
}

static void rng_destroy(void *priv)
{
	free(priv);
}

static const struct virtio_device_ops rng_ops = {
	.name = "rng",
	.device_id = VIRTIO_ID_RNG,
	.features = 0,
	.nr_queues = 1,
	.queue_size = 256,
	.config_size = 0,
	.pci_class = 0xff00, /* unclassified device */
	.process_queue = rng_process,
	.destroy = rng_destroy,
};

static int rng_create(const struct virtio_backend *be, void **priv)
{
	if (be->in_fd < 0)
		return -EINVAL;
	struct rng *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->src_fd = be->in_fd;
	*priv = r;
	return 0;
}

const struct virtio_device_type virtio_rng_type = {"rng", &rng_ops, rng_create};
