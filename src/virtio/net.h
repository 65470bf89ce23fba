/* virtio/net.h — virtio network device (virtio 1.2, 5.1) over a tap: guest
 * ABI constants, the pure rx/tx buffer logic, counters and the parameters
 * the VMM passes to the device.
 *
 * Queues: 2i = receiveq of pair i, 2i+1 = its transmitq. With one pair
 * there is no control queue. With N > 1 pairs (VIRTIO_NET_F_MQ,
 * max_virtqueue_pairs = N) queue 2N is the control queue
 * (VIRTIO_NET_F_CTRL_VQ; queue 2 if the driver took CTRL_VQ without MQ), and
 * each pair has its own tap queue (IFF_MULTI_QUEUE) and its own I/O thread;
 * the control queue is served by pair 0's thread. Only VIRTIO_NET_CTRL_MQ
 * VQ_PAIRS_SET is implemented; every other command is answered
 * VIRTIO_NET_ERR. Pairs beyond the active count have their tap queue
 * detached (IFF_DETACH_QUEUE), so the host never steers frames to them;
 * after VQ_PAIRS_SET each pair's own thread attaches or detaches its queue.
 * Every packet on both queues starts with the 12-byte virtio_net_hdr
 * (VERSION_1 layout: flags, gso_type, hdr_len, gso_size, csum_start,
 * csum_offset, num_buffers). The tap is opened with IFF_VNET_HDR and a vnet
 * header size of 12, so the header is passed through unchanged: the host
 * kernel does the checksum/segmentation work the header asks for.
 *
 * tx: a chain is device-readable only, header first (it may span
 * descriptors). The header is copied out once and validated (flags and
 * gso_type against the negotiated features); the frame is written to the
 * tap with one writev from the guest buffers. Bad chains are dropped and
 * counted, the chain is given back, the device keeps running.
 *
 * rx: a frame is read from the tap into a bounce buffer, then copied into
 * device-writable chains: one chain without MRG_RXBUF (a frame that does
 * not fit is dropped and counted), as many chains as needed with it
 * (num_buffers says how many). When the guest has no buffers the frame
 * stays pending, the tap fd leaves the epoll set, and the guest's next
 * receiveq notification resumes delivery: nothing spins, nothing is dropped
 * for lack of buffers.
 */
#ifndef NIMBUS_VIRTIO_NET_H
#define NIMBUS_VIRTIO_NET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "virtio/device.h"
#include "virtio/queue.h"

#define VIRTIO_ID_NET 1

/* Feature bits (virtio 1.2, 5.1.3) */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN 9
#define VIRTIO_NET_F_GUEST_UFO 10
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_ECN 13
#define VIRTIO_NET_F_HOST_UFO 14
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_F_CTRL_VQ 17
#define VIRTIO_NET_F_MQ 22

/* Control queue (virtio 1.2, 5.1.6.5): readable {u8 class, u8 command,
 * data}, then a writable u8 ack. */
#define VIRTIO_NET_OK 0u
#define VIRTIO_NET_ERR 1u
#define VIRTIO_NET_CTRL_MQ 4u
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 0u
#define VIRTIO_NET_MAX_PAIRS 8u

/* virtio_net_hdr */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1u
#define VIRTIO_NET_HDR_F_DATA_VALID 2u
#define VIRTIO_NET_HDR_GSO_NONE 0u
#define VIRTIO_NET_HDR_GSO_TCPV4 1u
#define VIRTIO_NET_HDR_GSO_UDP 3u
#define VIRTIO_NET_HDR_GSO_TCPV6 4u
#define VIRTIO_NET_HDR_GSO_ECN 0x80u
#define VIRTIO_NET_HDR_LEN 12u

#define VIRTIO_NET_S_LINK_UP 1u
#define VIRTIO_NET_CONFIG_SIZE 12 /* mac[6], status, max_virtqueue_pairs, mtu */

/* Largest frame (without the virtio header) either way: a 64 KiB GSO
 * packet plus Ethernet and VLAN headers. */
#define VIRTIO_NET_MAX_FRAME (65535u + 14u + 4u)
/* Most data segments in one tx chain (the tap's writev limit leaves room
 * for the header copy). */
#define VIRTIO_NET_TX_MAX_IOV 1023u
#define VIRTIO_NET_MAX_QUEUE_SIZE 1024u

struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};
_Static_assert(sizeof(struct virtio_net_hdr) == VIRTIO_NET_HDR_LEN, "virtio_net_hdr layout");

/* A validated tx packet: iov[0] is the header copy (hdr), iov[1..] point
 * into the chain's readable segments (valid until the chain is pushed). */
struct virtio_net_tx {
	struct virtio_net_hdr hdr;
	struct iovec iov[VIRTIO_NET_TX_MAX_IOV + 1];
	unsigned iovcnt;
	size_t frame_len; /* bytes after the header */
};

/* Parse one popped tx chain; pure (reads the chain's readable bytes once,
 * writes only *tx). `features` are the negotiated ones. Returns 0, or
 * -EINVAL (writable segments, shorter than the header, too many
 * segments), -EMSGSIZE (frame longer than VIRTIO_NET_MAX_FRAME), -EPROTO
 * (header flags or gso_type unknown or not negotiated). Contract: the
 * segments were mapped through gm_ptr by virtq_pop. */
__attribute__((warn_unused_result)) int virtio_net_tx_parse(const struct virtq_chain *c, uint64_t features,
							    struct virtio_net_tx *tx);

/* One frame being delivered into rx chains. */
struct virtio_net_used {
	uint16_t head;
	uint32_t len;
};
struct virtio_net_rx {
	const uint8_t *frame; /* virtio header + frame, as read from the tap */
	size_t len, off;      /* total bytes, bytes already placed */
	uint16_t nbufs;       /* chains used so far */
	uint8_t *nb[2];       /* num_buffers bytes in the first chain */
	struct virtio_net_used used[VIRTIO_NET_MAX_QUEUE_SIZE];
};

enum virtio_net_rx_result {
	VIRTIO_NET_RX_DONE, /* frame placed: push used[0..nbufs) */
	VIRTIO_NET_RX_MORE, /* mergeable: another chain is needed */
	VIRTIO_NET_RX_DROP, /* drop the frame: push used[0..nbufs) with length 0 */
};

/* Start delivering `len` bytes (virtio header included) from `frame`. */
void virtio_net_rx_start(struct virtio_net_rx *rx, const uint8_t *frame, size_t len);
/* Place the pending frame into one more popped chain; pure apart from
 * writing the chain's writable segments. The chain is recorded in used[]
 * in every case. DROP when: the chain has readable segments or fewer
 * writable bytes than the header; without `mergeable`, the frame does not
 * fit in this one chain; with it, `max_bufs` chains are not enough. On
 * DONE num_buffers (little-endian) is written into the first chain.
 * Contract: the chain's segments were mapped through gm_ptr; writes stay
 * inside them. */
enum virtio_net_rx_result virtio_net_rx_fill(struct virtio_net_rx *rx, const struct virtq_chain *c,
					     bool mergeable, uint16_t max_bufs);

/* Answer one popped control-queue chain; pure apart from writing the ack
 * into the chain. `features` are the negotiated ones, `max_pairs` the
 * device's pair count. A readable part of 4 bytes is copied once (any
 * other length is ERR unread); the ack goes into the first writable byte.
 * OK only for CTRL_MQ VQ_PAIRS_SET with MQ negotiated, exactly 2 data bytes
 * and 1 <= pairs <= max_pairs: then *set_pairs = pairs; otherwise ERR and
 * *set_pairs = 0. Returns the used length: 1, or 0 when the chain has no
 * writable byte (nothing written). Contract: segments mapped by virtq_pop. */
uint32_t virtio_net_ctrl(const struct virtq_chain *c, uint64_t features, uint16_t max_pairs, uint16_t *set_pairs);

/* Adaptive transmit polling. After draining a transmit queue the device may
 * watch it for a while before re-arming notifications: every re-arm costs the
 * guest a notify exit on its next frame. The window adapts like KVM's halt
 * polling: at each guest notification, if it came less than max_ns
 * (VIRTIO_NET_TX_POLL_MAX_NS unless virtio_net_params say otherwise) after
 * the re-arm (a window that long would have caught the frame), the window
 * becomes max_ns; otherwise it shrinks by an eighth (below MIN: 0). A
 * guest that sends sparsely costs no polling after ~25 frames (at most ~4 ms
 * of spinning in all); one that streams keeps the device thread watching
 * instead of taking an exit per frame (the thread spins only while that
 * saves exits). Measured in the
 * emulated KVM host, bench/net guest->host: 58,349 notify exits for 64 MiB
 * without polling (QEMU's guest: 12,172), 3,788 with this policy and the
 * yield of net.c (a fixed 500 us window, spinning after every frame: 3,960).
 * Returns the new window for `since_rearm_ns`. */
#define VIRTIO_NET_TX_POLL_MIN_NS 20000u
#define VIRTIO_NET_TX_POLL_MAX_NS 500000u
/* A guest that keeps the queue busy through every window would keep the
 * pair's thread forever: after this many drain rounds kept alive by polling
 * the thread kicks its own transmit queue (notifications stay off) and
 * returns to its event loop, so the pair's receive side gets a turn. */
#define VIRTIO_NET_TX_POLL_ROUNDS 16u
uint64_t virtio_net_tx_poll_adjust(uint64_t window_ns, uint64_t since_rearm_ns, uint64_t max_ns);

/* Per-device counters (relaxed atomics: written by the device threads,
 * read by anyone). */
struct virtio_net_counters {
	_Atomic uint64_t rx_bytes, rx_frames, rx_drops;
	_Atomic uint64_t tx_bytes, tx_frames, tx_drops;
};

struct virtio_net_params {
	/* one per queue pair, opened with IFF_TAP|IFF_NO_PI|IFF_VNET_HDR (and
	 * IFF_MULTI_QUEUE when nr_pairs > 1), vnet hdr size 12; not owned */
	int tap_fds[VIRTIO_NET_MAX_PAIRS];
	unsigned nr_pairs;   /* 1..VIRTIO_NET_MAX_PAIRS */
	uint8_t mac[6];      /* the guest's MAC */
	uint16_t mtu;        /* advertised MTU (68..65535) */
	unsigned queue_size; /* power of two, 2..VIRTIO_NET_MAX_QUEUE_SIZE */
	uint64_t tx_poll_max_ns; /* the poll window's maximum; 0: VIRTIO_NET_TX_POLL_MAX_NS
				  * (unit tests lengthen it to be independent of scheduling) */
};

/* Create a device (per-instance ops, private state) for
 * pci_setup_add_virtio_ops / virtio_device_init; ops->destroy frees both.
 * 0 or -EINVAL / -ENOMEM. */
__attribute__((warn_unused_result)) int virtio_net_create(const struct virtio_net_params *p,
							  const struct virtio_device_ops **ops, void **priv);
/* The counters of a device made by virtio_net_create (valid until destroy):
 * the device's totals, and those of queue pair `pair` (NULL if out of range). */
const struct virtio_net_counters *virtio_net_counters(void *priv);
const struct virtio_net_counters *virtio_net_pair_counters(void *priv, unsigned pair);
/* Queue pairs the driver enabled (1 until VQ_PAIRS_SET). */
unsigned virtio_net_active_pairs(void *priv);

#endif
