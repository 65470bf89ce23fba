/* virtio/console.c — virtio console, one port, no features (virtio 1.2, 5.3).
 *
 * Queue 0 (receiveq): bytes from the terminal (in_fd, if any) go into the
 * guest's writable buffers. When the guest has no buffer the device stops
 * watching in_fd until the driver kicks queue 0 again.
 * Queue 1 (transmitq): readable buffers are written to out_fd (stdout, a
 * file), or dropped when out_fd is -1 (null).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/log.h"
#include "virtio/registry.h"

#define CONSOLE_RXQ 0
#define CONSOLE_TXQ 1

struct console {
	int in_fd, out_fd;
	bool in_watched; /* in_fd is registered with the I/O thread */
	bool rx_waiting; /* input pending, no guest buffer */
	bool in_eof;
	struct virtq_chain chain;
};

static void write_all(int fd, const uint8_t *p, uint32_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			static struct log_ratelimit rl = LOG_RATELIMIT_INIT;
			log_ratelimited(&rl, LOG_WARN, "virtio-console: output write failed: %d", errno);
			return;
		}
		p += n;
		len -= (uint32_t)n;
	}
}

/* Contract: reads only the chain's readable segments (mapped by virtq_pop). */
static int console_tx(struct console *c, struct virtio_device *vdev)
{
	struct virtq *vq = &vdev->queues[CONSOLE_TXQ];
	for (;;) {
		virtq_disable_notify(vq);
		int rc;
		while ((rc = virtq_pop(vq, vdev->gm, &c->chain)) == 1) {
			for (uint32_t i = 0; i < c->chain.nr_out && c->out_fd >= 0; i++)
				write_all(c->out_fd, c->chain.segs[i].host, c->chain.segs[i].len);
			if (virtq_push(vq, c->chain.head, 0))
				return -EINVAL;
		}
		virtio_device_signal_queue(vdev, CONSOLE_TXQ);
		if (rc < 0)
			return rc;
		if (!virtq_enable_notify(vq))
			return 0;
	}
}

/* Terminal input is ready. Contract: writes at most the first writable
 * segment's length into it. */
static int console_rx(struct console *c, struct virtio_device *vdev)
{
	struct virtq *vq = &vdev->queues[CONSOLE_RXQ];
	int rc = virtq_pop(vq, vdev->gm, &c->chain);
	if (rc < 0)
		return rc;
	if (rc == 0 || c->chain.nr_in == 0) {
		if (rc == 1 && virtq_push(vq, c->chain.head, 0))
			return -EINVAL;
		c->rx_waiting = true;
		virtio_device_watch_fd(vdev, c->in_fd, false);
		return 0;
	}
	struct virtq_seg *s = &c->chain.segs[c->chain.nr_out];
	ssize_t n;
	do
		n = read(c->in_fd, s->host, s->len);
	while (n < 0 && errno == EINTR);
	if (n <= 0 && !(n < 0 && errno == EAGAIN)) {
		c->in_eof = true;
		virtio_device_watch_fd(vdev, c->in_fd, false);
	}
	if (virtq_push(vq, c->chain.head, n > 0 ? (uint32_t)n : 0))
		return -EINVAL;
	virtio_device_signal_queue(vdev, CONSOLE_RXQ);
	return 0;
}

static int console_process(void *priv, struct virtio_device *vdev, unsigned q)
{
	struct console *c = priv;
	if (q == CONSOLE_TXQ)
		return console_tx(c, vdev);
	/* New receive buffers: resume reading the terminal. */
	if (c->rx_waiting && c->in_watched && !c->in_eof) {
		c->rx_waiting = false;
		virtio_device_watch_fd(vdev, c->in_fd, true);
	}
	return 0;
}

static int console_backend(void *priv, struct virtio_device *vdev, int fd)
{
	struct console *c = priv;
	if (fd != c->in_fd || c->in_eof)
		return 0;
	return console_rx(c, vdev);
}

static int console_activate(void *priv, struct virtio_device *vdev)
{
	struct console *c = priv;
	c->rx_waiting = false;
	c->in_eof = false;
	c->in_watched = false;
	if (c->in_fd >= 0) {
		int rc = virtio_device_add_fd(vdev, c->in_fd);
		if (rc)
			return rc;
		c->in_watched = true;
	}
	return 0;
}

static void console_destroy(void *priv)
{
	free(priv);
}

static const struct virtio_device_ops console_ops = {
	.name = "console",
	.device_id = VIRTIO_ID_CONSOLE,
	.features = 0,
	.nr_queues = 2,
	.queue_size = 256,
	.config_size = 0,
	.pci_class = 0x0780, /* simple communication controller, other */
	.activate = console_activate,
	.process_queue = console_process,
	.backend_event = console_backend,
	.destroy = console_destroy,
};

static int console_create(const struct virtio_backend *be, void **priv)
{
	struct console *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->in_fd = be->in_fd;
	c->out_fd = be->out_fd;
	*priv = c;
	return 0;
}

const struct virtio_device_type virtio_console_type = {"console", &console_ops, console_create};
