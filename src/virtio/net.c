/* virtio/net.c — virtio network device (virtio 1.2, 5.1) over a tap.
 *
 * See net.h for the data path. One I/O thread per device (the device core's)
 * serves both queues and the tap fd. The tap fd is non-blocking.
 */
#include "virtio/net.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util/log.h"

#define RXQ 0
#define TXQ 1
#define RX_BUDGET 64 /* frames per tap wake-up before other events get a turn */

/* ---- pure buffer logic ---- */

static bool has(uint64_t features, unsigned bit)
{
	return (features >> bit) & 1;
}

int virtio_net_tx_parse(const struct virtq_chain *c, uint64_t features, struct virtio_net_tx *tx)
{
	tx->iovcnt = 0;
	tx->frame_len = 0;
	memset(&tx->hdr, 0, sizeof(tx->hdr));
	if (c->nr_in != 0 || c->out_len < VIRTIO_NET_HDR_LEN)
		return -EINVAL;
	if (c->out_len - VIRTIO_NET_HDR_LEN > VIRTIO_NET_MAX_FRAME)
		return -EMSGSIZE;
	/* Copy the header out once (it may span descriptors); the tap gets the
	 * copy, so what was validated is what the kernel sees. */
	uint8_t *h = (uint8_t *)&tx->hdr;
	uint32_t need = VIRTIO_NET_HDR_LEN, i = 0, skip = 0;
	for (; i < c->nr_out && need; i++) {
		uint32_t n = c->segs[i].len < need ? c->segs[i].len : need;
		memcpy(h + (VIRTIO_NET_HDR_LEN - need), c->segs[i].host, n);
		need -= n;
		if (n < c->segs[i].len) {
			skip = n; /* the frame starts inside this segment */
			break;
		}
	}
	tx->iov[0].iov_base = &tx->hdr;
	tx->iov[0].iov_len = VIRTIO_NET_HDR_LEN;
	tx->iovcnt = 1;
	for (; i < c->nr_out; i++) {
		if (tx->iovcnt > VIRTIO_NET_TX_MAX_IOV)
			return -EINVAL;
		tx->iov[tx->iovcnt].iov_base = (uint8_t *)c->segs[i].host + skip;
		tx->iov[tx->iovcnt].iov_len = c->segs[i].len - skip;
		tx->frame_len += c->segs[i].len - skip;
		tx->iovcnt++;
		skip = 0;
	}
	/* Header: the guest may only ask for what was negotiated. */
	uint8_t flags = tx->hdr.flags, gso = tx->hdr.gso_type;
	if (flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return -EPROTO; /* DATA_VALID is rx only */
	if ((flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && !has(features, VIRTIO_NET_F_CSUM))
		return -EPROTO;
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		break;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		if (!has(features, VIRTIO_NET_F_HOST_TSO4))
			return -EPROTO;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if (!has(features, VIRTIO_NET_F_HOST_TSO6))
			return -EPROTO;
		break;
	default:
		return -EPROTO; /* UDP/ECN not offered */
	}
	if (gso != VIRTIO_NET_HDR_GSO_NONE && tx->hdr.gso_size == 0)
		return -EPROTO;
	return 0;
}

void virtio_net_rx_start(struct virtio_net_rx *rx, const uint8_t *frame, size_t len)
{
	rx->frame = frame;
	rx->len = len;
	rx->off = 0;
	rx->nbufs = 0;
	rx->nb[0] = rx->nb[1] = NULL;
}

/* Host pointer to byte `off` of the chain's writable part (off < in_len). */
static uint8_t *in_byte(const struct virtq_chain *c, uint32_t off)
{
	for (uint32_t i = c->nr_out; i < c->nr_segs; i++) {
		if (off < c->segs[i].len)
			return (uint8_t *)c->segs[i].host + off;
		off -= c->segs[i].len;
	}
	return NULL;
}

enum virtio_net_rx_result virtio_net_rx_fill(struct virtio_net_rx *rx, const struct virtq_chain *c, bool mergeable,
					     uint16_t max_bufs)
{
	if (rx->nbufs >= VIRTIO_NET_MAX_QUEUE_SIZE)
		return VIRTIO_NET_RX_DROP; /* caller bug: fill after DROP/DONE */
	struct virtio_net_used *u = &rx->used[rx->nbufs++];
	u->head = c->head;
	u->len = 0;
	if (c->nr_out != 0 || c->in_len == 0)
		return VIRTIO_NET_RX_DROP;
	if (rx->nbufs == 1) {
		if (c->in_len < VIRTIO_NET_HDR_LEN || rx->len < VIRTIO_NET_HDR_LEN)
			return VIRTIO_NET_RX_DROP;
		if (!mergeable && c->in_len < rx->len)
			return VIRTIO_NET_RX_DROP; /* larger than the buffer */
		rx->nb[0] = in_byte(c, 10);
		rx->nb[1] = in_byte(c, 11);
	}
	size_t left = rx->len - rx->off;
	uint32_t done = 0;
	for (uint32_t i = c->nr_out; i < c->nr_segs && left; i++) {
		size_t n = c->segs[i].len < left ? c->segs[i].len : left;
		memcpy(c->segs[i].host, rx->frame + rx->off, n);
		rx->off += n;
		left -= n;
		done += (uint32_t)n;
	}
	u->len = done;
	if (left == 0) {
		uint16_t nb = mergeable ? rx->nbufs : 1;
		*rx->nb[0] = (uint8_t)nb;
		*rx->nb[1] = (uint8_t)(nb >> 8);
		return VIRTIO_NET_RX_DONE;
	}
	if (!mergeable || rx->nbufs >= max_bufs)
		return VIRTIO_NET_RX_DROP;
	return VIRTIO_NET_RX_MORE;
}

/* ---- the device ---- */

struct net {
	struct virtio_device_ops ops; /* per instance: queue size */
	int tap;
	uint8_t config[VIRTIO_NET_CONFIG_SIZE];
	struct virtio_net_counters cnt;
	bool tap_watched;
	bool rx_pending; /* rx.frame holds a frame not yet (fully) placed */
	struct virtio_net_rx rx;
	uint8_t rxbuf[VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME];
	struct virtio_net_tx tx;
	struct virtq_chain chain; /* large: off the thread's stack */
};

static void count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static void net_config_read(void *priv, uint32_t off, uint8_t *data, uint32_t len)
{
	struct net *n = priv;
	memcpy(data, n->config + off, len); /* the transport bounds-checked; config is constant */
}

static void log_drop(const char *what, int err)
{
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT;
	log_ratelimited(&rl, LOG_WARN, "virtio-net: %s dropped: %s", what, strerror(err));
}

static int net_tx(struct net *n, struct virtio_device *vdev)
{
	struct virtq *vq = &vdev->queues[TXQ];
	int rc;
	for (;;) {
		virtq_disable_notify(vq);
		while ((rc = virtq_pop(vq, vdev->gm, &n->chain)) == 1) {
			int prc = virtio_net_tx_parse(&n->chain, vdev->driver_features, &n->tx);
			if (prc) {
				count(&n->cnt.tx_drops, 1);
				log_drop("tx packet", -prc);
			} else {
				ssize_t w;
				do
					w = writev(n->tap, n->tx.iov, (int)n->tx.iovcnt);
				while (w < 0 && errno == EINTR);
				if (w < 0) {
					count(&n->cnt.tx_drops, 1);
					log_drop("tx packet (tap write)", errno);
				} else {
					count(&n->cnt.tx_frames, 1);
					count(&n->cnt.tx_bytes, n->tx.frame_len);
				}
			}
			if (virtq_push(vq, n->chain.head, 0))
				return -EINVAL;
		}
		virtio_device_signal_queue(vdev, TXQ);
		if (rc < 0)
			return -EINVAL;
		if (!virtq_enable_notify(vq))
			return 0;
	}
}

static void watch_tap(struct net *n, struct virtio_device *vdev, bool on)
{
	if (n->tap_watched != on) {
		virtio_device_watch_fd(vdev, n->tap, on);
		n->tap_watched = on;
	}
}

/* Push the chains used for the current frame (with 0 length when dropped). */
static int rx_complete(struct net *n, struct virtq *vq, bool dropped)
{
	for (uint16_t i = 0; i < n->rx.nbufs; i++)
		if (virtq_push(vq, n->rx.used[i].head, dropped ? 0 : n->rx.used[i].len))
			return -EINVAL;
	n->rx_pending = false;
	return 0;
}

/* Place the pending frame. 1: delivered or dropped, 0: waiting for guest
 * buffers (tap unwatched), -EINVAL: broken ring. */
static int rx_deliver(struct net *n, struct virtio_device *vdev)
{
	struct virtq *vq = &vdev->queues[RXQ];
	bool mrg = has(vdev->driver_features, VIRTIO_NET_F_MRG_RXBUF);
	while (n->rx_pending) {
		int rc = virtq_pop(vq, vdev->gm, &n->chain);
		if (rc < 0)
			return -EINVAL;
		if (rc == 0) {
			if (virtq_enable_notify(vq))
				continue; /* buffers arrived meanwhile */
			watch_tap(n, vdev, false); /* resumed by the guest's rx kick */
			return 0;
		}
		switch (virtio_net_rx_fill(&n->rx, &n->chain, mrg, vq->size)) {
		case VIRTIO_NET_RX_MORE:
			break;
		case VIRTIO_NET_RX_DONE:
			count(&n->cnt.rx_frames, 1);
			count(&n->cnt.rx_bytes, n->rx.len - VIRTIO_NET_HDR_LEN);
			if (rx_complete(n, vq, false))
				return -EINVAL;
			break;
		case VIRTIO_NET_RX_DROP:
			count(&n->cnt.rx_drops, 1);
			log_drop("rx frame (guest buffers too small or malformed)", EMSGSIZE);
			if (rx_complete(n, vq, true))
				return -EINVAL;
			break;
		}
	}
	return 1;
}

/* Read frames from the tap and deliver them, up to RX_BUDGET. */
static int net_rx(struct net *n, struct virtio_device *vdev)
{
	int rc = 0;
	for (unsigned budget = RX_BUDGET; budget; budget--) {
		if (!n->rx_pending) {
			ssize_t r;
			do
				r = read(n->tap, n->rxbuf, sizeof(n->rxbuf));
			while (r < 0 && errno == EINTR);
			if (r < 0) {
				if (errno != EAGAIN)
					log_drop("tap read", errno);
				break;
			}
			if ((size_t)r <= VIRTIO_NET_HDR_LEN) {
				count(&n->cnt.rx_drops, 1);
				continue;
			}
			virtio_net_rx_start(&n->rx, n->rxbuf, (size_t)r);
			n->rx_pending = true;
		}
		rc = rx_deliver(n, vdev);
		if (rc <= 0)
			break;
		rc = 0;
	}
	virtio_device_signal_queue(vdev, RXQ);
	return rc < 0 ? -EINVAL : 0;
}

static int net_process(void *priv, struct virtio_device *vdev, unsigned q)
{
	struct net *n = priv;
	if (q == TXQ)
		return net_tx(n, vdev);
	/* rx kick: the guest added buffers */
	if (!vdev->queues[RXQ].ready)
		return 0;
	int rc = net_rx(n, vdev);
	if (!rc && !n->rx_pending)
		watch_tap(n, vdev, true);
	return rc;
}

static int net_backend_event(void *priv, struct virtio_device *vdev, int fd)
{
	struct net *n = priv;
	if (fd != n->tap || !vdev->queues[RXQ].ready)
		return 0;
	return net_rx(n, vdev);
}

/* The offloads the guest can take: the tap only hands us what it accepts. */
static unsigned tun_offloads(uint64_t f)
{
	unsigned o = 0;
	if (has(f, VIRTIO_NET_F_GUEST_CSUM)) {
		o |= TUN_F_CSUM;
		if (has(f, VIRTIO_NET_F_GUEST_TSO4))
			o |= TUN_F_TSO4;
		if (has(f, VIRTIO_NET_F_GUEST_TSO6))
			o |= TUN_F_TSO6;
	}
	return o;
}

static int net_activate(void *priv, struct virtio_device *vdev)
{
	struct net *n = priv;
	if (ioctl(n->tap, TUNSETOFFLOAD, (unsigned long)tun_offloads(vdev->driver_features)) < 0) {
		int e = errno;
		log_error("virtio-net: TUNSETOFFLOAD: %s", strerror(e));
		return -e;
	}
	n->rx_pending = false;
	int rc = virtio_device_add_fd(vdev, n->tap);
	n->tap_watched = rc == 0;
	return rc;
}

static void net_reset(void *priv)
{
	struct net *n = priv;
	n->rx_pending = false; /* a frame half-placed in buffers the guest took back: gone */
	n->tap_watched = false;
	if (ioctl(n->tap, TUNSETOFFLOAD, 0UL) < 0) {
		/* the tap keeps the old offloads until the next activate */
	}
}

static void net_destroy(void *priv)
{
	free(priv);
}

static const struct virtio_device_ops net_ops_template = {
	.name = "net",
	.device_id = VIRTIO_ID_NET,
	.nr_queues = 2,
	.config_size = VIRTIO_NET_CONFIG_SIZE,
	.pci_class = 0x0200, /* network, Ethernet */
	.config_read = net_config_read,
	.activate = net_activate,
	.reset = net_reset,
	.process_queue = net_process,
	.backend_event = net_backend_event,
	.destroy = net_destroy,
};

int virtio_net_create(const struct virtio_net_params *p, const struct virtio_device_ops **ops, void **priv)
{
	if (!p || p->tap_fd < 0 || p->queue_size < 2 || p->queue_size > VIRTIO_NET_MAX_QUEUE_SIZE ||
	    (p->queue_size & (p->queue_size - 1)) || p->mtu < 68)
		return -EINVAL;
	struct net *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->tap = p->tap_fd;
	n->ops = net_ops_template;
	n->ops.queue_size = (uint16_t)p->queue_size;
	n->ops.features = (1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |
			  (1ULL << VIRTIO_NET_F_MTU) | (1ULL << VIRTIO_NET_F_MAC) |
			  (1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6) |
			  (1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6) |
			  (1ULL << VIRTIO_NET_F_MRG_RXBUF) | (1ULL << VIRTIO_NET_F_STATUS);
	memcpy(n->config, p->mac, 6);
	n->config[6] = VIRTIO_NET_S_LINK_UP; /* status, le16 */
	n->config[8] = 1;                    /* max_virtqueue_pairs, le16 */
	n->config[10] = (uint8_t)p->mtu;
	n->config[11] = (uint8_t)(p->mtu >> 8);
	*ops = &n->ops;
	*priv = n;
	return 0;
}

const struct virtio_net_counters *virtio_net_counters(void *priv)
{
	return &((struct net *)priv)->cnt;
}
