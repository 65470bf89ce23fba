/* virtio/net.c — virtio network device (virtio 1.2, 5.1) over a tap.
 *
 * See net.h for the data path. Each queue pair (its two queues and its tap
 * queue fd) is served by its own I/O thread of the device core and keeps its
 * state in its own struct net_pair; only the counters totals and the active
 * pair count are shared (atomics). The tap fds are non-blocking.
 */
#include "virtio/net.h"

#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util/log.h"

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

uint64_t virtio_net_tx_poll_adjust(uint64_t window_ns, uint64_t since_rearm_ns, uint64_t max_ns)
{
	if (since_rearm_ns < max_ns)
		return max_ns;
	window_ns -= window_ns / 8;
	return window_ns < VIRTIO_NET_TX_POLL_MIN_NS ? 0 : window_ns;
}

uint32_t virtio_net_ctrl(const struct virtq_chain *c, uint64_t features, uint16_t max_pairs, uint16_t *set_pairs)
{
	*set_pairs = 0;
	uint8_t *ackp = c->in_len ? in_byte(c, 0) : NULL;
	if (!ackp)
		return 0; /* nowhere to put the ack */
	uint8_t ack = VIRTIO_NET_ERR;
	if (c->out_len == 4) { /* the only command answered OK has 2 data bytes */
		uint8_t cmd[4];
		uint32_t len = 0;
		for (uint32_t i = 0; i < c->nr_out && len + c->segs[i].len <= sizeof(cmd); i++) {
			memcpy(cmd + len, c->segs[i].host, c->segs[i].len); /* copy once, then use the copy */
			len += c->segs[i].len;
		}
		if (len == sizeof(cmd) && cmd[0] == VIRTIO_NET_CTRL_MQ && cmd[1] == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET &&
		    has(features, VIRTIO_NET_F_MQ)) {
			uint16_t pairs = (uint16_t)(cmd[2] | cmd[3] << 8);
			if (pairs >= 1 && pairs <= max_pairs) {
				*set_pairs = pairs;
				ack = VIRTIO_NET_OK;
			}
		}
	}
	*ackp = ack;
	return 1;
}

/* ---- the device ---- */

/* One queue pair: touched only by its own I/O thread (and by
 * activate/reset while no thread runs). */
struct net_pair {
	unsigned idx;
	int tap;
	bool tap_watched;
	bool attached;   /* tap queue attached (TUNSETQUEUE) */
	bool rx_pending; /* rx.frame holds a frame not yet (fully) placed */
	struct virtio_net_counters cnt;
	struct virtio_net_rx rx;
	uint8_t rxbuf[VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME];
	struct virtio_net_tx tx;
	struct virtq_chain chain; /* large: off the thread's stack */
	struct tx_poll {
		uint64_t window_ns; /* virtio_net_tx_poll_adjust */
		uint64_t rearmed_at; /* CLOCK_MONOTONIC ns of the last re-arm, 0: none */
	} tx_poll;
};

struct net {
	struct virtio_device_ops ops; /* per instance: queues, threads */
	unsigned nr_pairs;
	_Atomic unsigned active_pairs;
	uint64_t tx_poll_max_ns; /* virtio_net_params.tx_poll_max_ns, defaulted */
	uint8_t config[VIRTIO_NET_CONFIG_SIZE];
	struct virtio_net_counters cnt; /* totals of all pairs */
	struct virtq_chain ctrl_chain;  /* control queue: pair 0's thread */
	struct net_pair *pairs[VIRTIO_NET_MAX_PAIRS];
};

static void add(_Atomic uint64_t *c, uint64_t v)
{
	atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

/* Count in the pair's counters and the device totals. */
#define COUNT(n, p, field, v)                                                                      \
	do {                                                                                       \
		add(&(p)->cnt.field, (v));                                                         \
		add(&(n)->cnt.field, (v));                                                         \
	} while (0)

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

/* Handle one popped chain of a drained queue: the used length, or -EINVAL. */
typedef int (*chain_fn)(struct net *n, struct net_pair *p, struct virtio_device *vdev, struct virtq_chain *c);

/* CLOCK_MONOTONIC in ns (util/log.h), as the unsigned the poll state keeps. */
static uint64_t now_ns(void)
{
	return (uint64_t)monotonic_ns();
}

/* Watch queue vq for up to the poll window for new buffers; true if some
 * came. */
static bool poll_avail(struct virtq *vq, const struct tx_poll *poll)
{
	if (!poll || !poll->window_ns)
		return false;
	uint64_t end = now_ns() + poll->window_ns;
	do {
		if (virtq_has_avail(vq))
			return true;
		__builtin_ia32_pause();
	} while (now_ns() < end);
	return false;
}

/* The race-free drain loop of queue.h over queue q, chains into *c; with
 * `poll` (transmit queues), a drained queue is watched for the adaptive
 * window before re-arming. */
static int drain_queue(struct net *n, struct net_pair *p, struct virtio_device *vdev, unsigned q,
		       struct virtq_chain *c, chain_fn fn, struct tx_poll *poll)
{
	struct virtq *vq = &vdev->queues[q];
	int rc;
	for (unsigned round = 0;; round++) {
		virtq_disable_notify(vq);
		while ((rc = virtq_pop(vq, vdev->gm, c)) == 1) {
			int len = fn(n, p, vdev, c);
			if (len < 0 || virtq_push(vq, c->head, (uint32_t)len))
				return -EINVAL;
		}
		virtio_device_signal_queue(vdev, q);
		if (rc < 0)
			return -EINVAL;
		if (poll_avail(vq, poll)) {
			if (round + 1 < VIRTIO_NET_TX_POLL_ROUNDS)
				continue;
			/* Let the pair's receive side have the thread; notifications
			 * stay off and this kick brings the thread back here. */
			virtio_device_kick_queue(vdev, q);
			return 0;
		}
		if (!virtq_enable_notify(vq)) {
			if (poll)
				poll->rearmed_at = now_ns();
			return 0;
		}
	}
}

/* A guest notification on a transmit queue: adapt the poll window. */
static void tx_poll_kicked(struct tx_poll *poll, uint64_t max_ns)
{
	if (poll->rearmed_at)
		poll->window_ns = virtio_net_tx_poll_adjust(poll->window_ns, now_ns() - poll->rearmed_at, max_ns);
	poll->rearmed_at = 0;
}

static int tx_one(struct net *n, struct net_pair *p, struct virtio_device *vdev, struct virtq_chain *c)
{
	int prc = virtio_net_tx_parse(c, vdev->driver_features, &p->tx);
	if (prc) {
		COUNT(n, p, tx_drops, 1);
		log_drop("tx packet", -prc);
		return 0;
	}
	ssize_t w;
	do
		w = writev(p->tap, p->tx.iov, (int)p->tx.iovcnt);
	while (w < 0 && errno == EINTR);
	if (w < 0) {
		COUNT(n, p, tx_drops, 1);
		log_drop("tx packet (tap write)", errno);
	} else {
		COUNT(n, p, tx_frames, 1);
		COUNT(n, p, tx_bytes, p->tx.frame_len);
	}
	return 0;
}

static void watch_tap(struct net_pair *p, struct virtio_device *vdev, bool on)
{
	if (p->tap_watched != on) {
		virtio_device_watch_fd(vdev, p->tap, on);
		p->tap_watched = on;
	}
}

/* Push the chains used for the current frame (with 0 length when dropped). */
static int rx_complete(struct net_pair *p, struct virtq *vq, bool dropped)
{
	for (uint16_t i = 0; i < p->rx.nbufs; i++)
		if (virtq_push(vq, p->rx.used[i].head, dropped ? 0 : p->rx.used[i].len))
			return -EINVAL;
	p->rx_pending = false;
	return 0;
}

/* Place the pending frame. 1: delivered or dropped, 0: waiting for guest
 * buffers (tap unwatched), -EINVAL: broken ring. */
static int rx_deliver(struct net *n, struct net_pair *p, struct virtio_device *vdev)
{
	struct virtq *vq = &vdev->queues[2 * p->idx];
	bool mrg = has(vdev->driver_features, VIRTIO_NET_F_MRG_RXBUF);
	while (p->rx_pending) {
		int rc = virtq_pop(vq, vdev->gm, &p->chain);
		if (rc < 0)
			return -EINVAL;
		if (rc == 0) {
			if (virtq_enable_notify(vq))
				continue; /* buffers arrived meanwhile */
			watch_tap(p, vdev, false); /* resumed by the guest's rx kick */
			return 0;
		}
		switch (virtio_net_rx_fill(&p->rx, &p->chain, mrg, vq->size)) {
		case VIRTIO_NET_RX_MORE:
			break;
		case VIRTIO_NET_RX_DONE:
			COUNT(n, p, rx_frames, 1);
			COUNT(n, p, rx_bytes, p->rx.len - VIRTIO_NET_HDR_LEN);
			if (rx_complete(p, vq, false))
				return -EINVAL;
			break;
		case VIRTIO_NET_RX_DROP:
			COUNT(n, p, rx_drops, 1);
			log_drop("rx frame (guest buffers too small or malformed)", EMSGSIZE);
			if (rx_complete(p, vq, true))
				return -EINVAL;
			break;
		}
	}
	return 1;
}

/* Read frames from the tap and deliver them, up to RX_BUDGET. */
static int net_rx(struct net *n, struct net_pair *p, struct virtio_device *vdev)
{
	int rc = 0;
	for (unsigned budget = RX_BUDGET; budget; budget--) {
		if (!p->rx_pending) {
			ssize_t r;
			do
				r = read(p->tap, p->rxbuf, sizeof(p->rxbuf));
			while (r < 0 && errno == EINTR);
			if (r < 0) {
				if (errno != EAGAIN)
					log_drop("tap read", errno);
				break;
			}
			if ((size_t)r <= VIRTIO_NET_HDR_LEN) {
				COUNT(n, p, rx_drops, 1);
				continue;
			}
			virtio_net_rx_start(&p->rx, p->rxbuf, (size_t)r);
			p->rx_pending = true;
		}
		rc = rx_deliver(n, p, vdev);
		if (rc <= 0)
			break;
		rc = 0;
	}
	virtio_device_signal_queue(vdev, 2 * p->idx);
	return rc < 0 ? -EINVAL : 0;
}

/* Attach or detach the pair's tap queue. The fd leaves the epoll set before
 * a detach (a detached tap queue polls as an error) and rejoins it after an
 * attach. A failed ioctl (e.g. an fd= tap this process may not attach) is
 * logged and leaves the pair as it was; it is tried again at the next rx
 * kick. An fd that is not a tap (ENOTTY: a test's socketpair) has no queue
 * to steer: only the state changes. */
static void set_attached(struct net_pair *p, struct virtio_device *vdev, bool on)
{
	if (p->attached == on)
		return;
	if (!on)
		watch_tap(p, vdev, false);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = on ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
	if (ioctl(p->tap, TUNSETQUEUE, &ifr) < 0 && errno != ENOTTY) {
		static struct log_ratelimit rl = LOG_RATELIMIT_INIT;
		log_ratelimited(&rl, LOG_WARN, "virtio-net: pair %u: cannot %s the tap queue: %s", p->idx,
				on ? "attach" : "detach", strerror(errno));
		if (!on)
			watch_tap(p, vdev, true); /* still attached: keep serving it */
		return;
	}
	p->attached = on;
	if (on)
		watch_tap(p, vdev, true);
}

/* On the pair's thread: follow the active pair count. An inactive pair
 * drops the frame it was placing. 0 or -EINVAL (broken ring). */
static int pair_sync(struct net *n, struct net_pair *p, struct virtio_device *vdev)
{
	bool want = p->idx < atomic_load(&n->active_pairs);
	if (want == p->attached)
		return 0;
	if (!want && p->rx_pending) {
		COUNT(n, p, rx_drops, 1);
		if (rx_complete(p, &vdev->queues[2 * p->idx], true))
			return -EINVAL;
		virtio_device_signal_queue(vdev, 2 * p->idx);
	}
	set_attached(p, vdev, want);
	return 0;
}

static int ctrl_one(struct net *n, struct net_pair *p, struct virtio_device *vdev, struct virtq_chain *c)
{
	(void)p;
	uint16_t pairs;
	uint32_t len = virtio_net_ctrl(c, vdev->driver_features, (uint16_t)n->nr_pairs, &pairs);
	if (pairs && pairs != atomic_load(&n->active_pairs)) {
		atomic_store(&n->active_pairs, pairs);
		for (unsigned i = 0; i < n->nr_pairs; i++)
			virtio_device_kick_queue(vdev, 2 * i); /* each pair's thread syncs itself */
		static struct log_ratelimit rl = LOG_RATELIMIT_INIT; /* the guest may switch at will */
		log_ratelimited(&rl, LOG_INFO, "virtio-net: %u queue pair(s) active", pairs);
	}
	return (int)len;
}

/* The control queue's index for the negotiated features (-1: none). */
static int ctrl_queue(const struct net *n, uint64_t features)
{
	if (n->nr_pairs < 2 || !has(features, VIRTIO_NET_F_CTRL_VQ))
		return -1;
	return has(features, VIRTIO_NET_F_MQ) ? (int)(2 * n->nr_pairs) : 2;
}

static int net_process(void *priv, struct virtio_device *vdev, unsigned q)
{
	struct net *n = priv;
	if ((int)q == ctrl_queue(n, vdev->driver_features))
		return drain_queue(n, NULL, vdev, q, &n->ctrl_chain, ctrl_one, NULL);
	if (q / 2 >= n->nr_pairs)
		return 0; /* the control queue's slot when it is not negotiated */
	struct net_pair *p = n->pairs[q / 2];
	if (q % 2) {
		tx_poll_kicked(&p->tx_poll, n->tx_poll_max_ns);
		return drain_queue(n, p, vdev, q, &p->chain, tx_one, &p->tx_poll);
	}
	/* rx kick: the guest added buffers, or the active pair count changed */
	if (!vdev->queues[q].ready)
		return 0;
	if (pair_sync(n, p, vdev))
		return -EINVAL;
	if (!p->attached)
		return 0;
	int rc = net_rx(n, p, vdev);
	if (!rc && !p->rx_pending)
		watch_tap(p, vdev, true);
	return rc;
}

static int net_backend_event(void *priv, struct virtio_device *vdev, int fd)
{
	struct net *n = priv;
	for (unsigned i = 0; i < n->nr_pairs; i++) {
		struct net_pair *p = n->pairs[i];
		if (fd == p->tap && p->attached && vdev->queues[2 * i].ready)
			return net_rx(n, p, vdev);
	}
	return 0;
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

/* No I/O thread runs: register every tap queue with its pair's thread; only
 * pair 0 starts active (virtio 1.2, 5.1.6.5.5). */
static int net_activate(void *priv, struct virtio_device *vdev)
{
	struct net *n = priv;
	if (ioctl(n->pairs[0]->tap, TUNSETOFFLOAD, (unsigned long)tun_offloads(vdev->driver_features)) < 0) {
		int e = errno;
		log_error("virtio-net: TUNSETOFFLOAD: %s", strerror(e));
		return -e;
	}
	atomic_store(&n->active_pairs, 1);
	for (unsigned i = 0; i < n->nr_pairs; i++) {
		struct net_pair *p = n->pairs[i];
		p->rx_pending = false;
		int rc = virtio_device_add_thread_fd(vdev, i, p->tap);
		if (rc)
			return rc;
		p->tap_watched = true; /* add_thread_fd watches it */
		if (i > 0) {
			set_attached(p, vdev, false);
			if (!p->attached)
				watch_tap(p, vdev, false); /* also when it was detached already */
		}
	}
	return 0;
}

static void net_reset(void *priv)
{
	struct net *n = priv;
	for (unsigned i = 0; i < n->nr_pairs; i++) {
		n->pairs[i]->rx_pending = false; /* a frame half-placed in buffers the guest took back: gone */
		n->pairs[i]->tx_poll = (struct tx_poll){0, 0};
		n->pairs[i]->tap_watched = false;
	}
	if (ioctl(n->pairs[0]->tap, TUNSETOFFLOAD, 0UL) < 0) {
		/* the tap keeps the old offloads until the next activate */
	}
}

static void net_destroy(void *priv)
{
	struct net *n = priv;
	for (unsigned i = 0; i < n->nr_pairs; i++) {
		const struct virtio_net_counters *c = &n->pairs[i]->cnt;
		if (n->nr_pairs > 1)
			log_info("virtio-net %02x:%02x:%02x:%02x:%02x:%02x pair %u: rx %" PRIu64 " frames %" PRIu64
				 " bytes, tx %" PRIu64 " frames %" PRIu64 " bytes",
				 n->config[0], n->config[1], n->config[2], n->config[3], n->config[4], n->config[5], i,
				 (uint64_t)c->rx_frames, (uint64_t)c->rx_bytes, (uint64_t)c->tx_frames,
				 (uint64_t)c->tx_bytes);
		free(n->pairs[i]);
	}
	free(n);
}

static const struct virtio_device_ops net_ops_template = {
	.name = "net",
	.device_id = VIRTIO_ID_NET,
	.config_size = VIRTIO_NET_CONFIG_SIZE,
	.pci_class = 0x0200, /* network, Ethernet */
	.config_read = net_config_read,
	.activate = net_activate,
	.reset = net_reset,
	.process_queue = net_process,
	.backend_event = net_backend_event,
	.destroy = net_destroy,
};

static bool params_valid(const struct virtio_net_params *p)
{
	if (!p || p->nr_pairs < 1 || p->nr_pairs > VIRTIO_NET_MAX_PAIRS || p->queue_size < 2 ||
	    p->queue_size > VIRTIO_NET_MAX_QUEUE_SIZE || (p->queue_size & (p->queue_size - 1)) || p->mtu < 68)
		return false;
	for (unsigned i = 0; i < p->nr_pairs; i++)
		if (p->tap_fds[i] < 0)
			return false;
	return true;
}

/* Queues 2i, 2i+1 and (with several pairs) the control queue 2N. */
static void set_queues(struct net *n)
{
	unsigned np = n->nr_pairs;
	n->ops.nr_queues = 2 * np + (np > 1);
	n->ops.nr_threads = np;
	for (unsigned q = 0; q < 2 * np; q++)
		n->ops.queue_thread[q] = (uint8_t)(q / 2);
	if (np > 1) {
		n->ops.queue_thread[2 * np] = 0; /* control queue: pair 0's thread */
		n->ops.features |= (1ULL << VIRTIO_NET_F_CTRL_VQ) | (1ULL << VIRTIO_NET_F_MQ);
	}
}

int virtio_net_create(const struct virtio_net_params *p, const struct virtio_device_ops **ops, void **priv)
{
	if (!params_valid(p))
		return -EINVAL;
	struct net *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->nr_pairs = p->nr_pairs;
	n->tx_poll_max_ns = p->tx_poll_max_ns ? p->tx_poll_max_ns : VIRTIO_NET_TX_POLL_MAX_NS;
	for (unsigned i = 0; i < p->nr_pairs; i++) {
		n->pairs[i] = calloc(1, sizeof(struct net_pair));
		if (!n->pairs[i]) {
			net_destroy(n);
			return -ENOMEM;
		}
		n->pairs[i]->idx = i;
		n->pairs[i]->tap = p->tap_fds[i];
		n->pairs[i]->attached = true; /* as opened */
	}
	atomic_store(&n->active_pairs, 1);
	n->ops = net_ops_template;
	n->ops.queue_size = (uint16_t)p->queue_size;
	n->ops.features = (1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |
			  (1ULL << VIRTIO_NET_F_MTU) | (1ULL << VIRTIO_NET_F_MAC) |
			  (1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6) |
			  (1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6) |
			  (1ULL << VIRTIO_NET_F_MRG_RXBUF) | (1ULL << VIRTIO_NET_F_STATUS);
	set_queues(n);
	memcpy(n->config, p->mac, 6);
	n->config[6] = VIRTIO_NET_S_LINK_UP; /* status, le16 */
	n->config[8] = (uint8_t)p->nr_pairs; /* max_virtqueue_pairs, le16 */
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

const struct virtio_net_counters *virtio_net_pair_counters(void *priv, unsigned pair)
{
	struct net *n = priv;
	return pair < n->nr_pairs ? &n->pairs[pair]->cnt : NULL;
}

unsigned virtio_net_active_pairs(void *priv)
{
	return atomic_load(&((struct net *)priv)->active_pairs);
}
