/* libFuzzer target: the virtio-net data path against an arbitrary guest.
 * The tx queue (virtq_pop → virtio_net_tx_parse → writev to the "tap" →
 * push) and, optionally, the rx queue (a frame from the "tap" placed into
 * guest chains, mergeable or not) run over rings and buffers from the input.
 * The tap is a SOCK_SEQPACKET socketpair (frame boundaries like a tap).
 * With flag bit 5 the device has two queue pairs (MQ, control queue): the
 * same heads are first offered on the control queue (queue 4, or queue 2
 * when bit 6 takes MQ away), so arbitrary control commands
 * (virtio_net_ctrl) run, then pair 1's rx kick follows whatever pair count
 * they set. Nothing may crash, leak, or touch memory outside guest RAM.
 *
 * Input: u8 flags (bit 0 no MRG_RXBUF, bit 1 no CSUM/TSO, bit 2
 * INDIRECT_DESC, bit 3 deliver an rx frame, bit 4 EVENT_IDX, bit 5 two
 * queue pairs, bit 6 MQ not negotiated), u8 ntx,
 * u8 nrx, u16 rx frame length, then ntx + nrx u16 heads, FUZZ_QSIZE 16-byte
 * descriptors (shared by both queues; addr folded into RAM plus a little
 * beyond it), then the image of the buffer area.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/log.h"
#include "virtio/net.h"

#include "fuzz_guest.h"

#define TXAVAIL 0x1000ull
#define TXUSED 0x1800ull
#define RXAVAIL 0x2000ull
#define RXUSED 0x2800ull
#define CTRLAVAIL 0x3000ull
#define CTRLUSED 0x3400ull
#define RX1AVAIL 0x3800ull
#define RX1USED 0x3c00ull

static struct fuzz_guest G;
static int sp[2] = {-1, -1}, sp1[2] = {-1, -1}; /* pair 0's and pair 1's "tap" */
static uint8_t frame[VIRTIO_NET_HDR_LEN + 0x4000];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void init_once(void)
{
	if (G.ram)
		return;
	log_set_level(LOG_ERROR);
	fuzz_guest_init(&G);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp1))
		abort();
	int sz = 4 << 20;
	setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sp[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 13 + 5);
}

static void drain(int fd)
{
	static uint8_t buf[VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME + 16];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* Two-pair device: the heads as control commands, then pair 1's rx kick. */
static void run_ctrl(struct virtio_device *vdev, uint64_t f, const uint16_t *heads, unsigned n)
{
	unsigned cq = (f >> VIRTIO_NET_F_MQ) & 1 ? 4 : 2;
	fuzz_guest_setq(&vdev->queues[cq], f, CTRLAVAIL, CTRLUSED);
	if (cq == 4)
		fuzz_guest_setq(&vdev->queues[2], f, RX1AVAIL, RX1USED);
	if (virtq_enable(&vdev->queues[cq], &G.gm) || (cq == 4 && virtq_enable(&vdev->queues[2], &G.gm)))
		return;
	uint16_t *avail = (uint16_t *)(G.ram + CTRLAVAIL);
	for (unsigned i = 0; i < n; i++)
		avail[2 + i] = heads[i];
	avail[1] = (uint16_t)n;
	(void)!vdev->ops->process_queue(vdev->priv, vdev, cq);
	if (cq == 4) {
		(void)!write(sp1[1], frame, 64);
		(void)!vdev->ops->process_queue(vdev->priv, vdev, 2);
		(void)!vdev->ops->backend_event(vdev->priv, vdev, sp1[0]);
		drain(sp1[0]);
	}
	unsigned active = virtio_net_active_pairs(vdev->priv);
	if (active < 1 || active > 2)
		abort(); /* the device accepted a pair count it does not have */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init_once();
	if (size < 5)
		return 0;
	struct input in = {data, size};
	uint8_t flags = (uint8_t)take(&in, 1);
	unsigned ntx = (unsigned)(take(&in, 1) % (FUZZ_QSIZE + 1)), nrx = (unsigned)(take(&in, 1) % (FUZZ_QSIZE + 1));
	uint16_t flen = (uint16_t)(take(&in, 2) % (sizeof(frame) + 1));
	uint16_t txheads[FUZZ_QSIZE], rxheads[FUZZ_QSIZE];
	for (unsigned i = 0; i < ntx; i++)
		txheads[i] = fuzz_guest_head(&in);
	for (unsigned i = 0; i < nrx; i++)
		rxheads[i] = fuzz_guest_head(&in);
	fuzz_guest_load(&G, &in);

	struct virtio_net_params p = {.tap_fds = {sp[0], sp1[0]}, .nr_pairs = flags & 32 ? 2 : 1, .mac = {0x52, 0x54, 0, 0, 0, 1}, .mtu = 1500, .queue_size = FUZZ_QSIZE};
	const struct virtio_device_ops *ops;
	void *priv;
	if (virtio_net_create(&p, &ops, &priv))
		return 0;
	struct virtio_device vdev;
	if (virtio_device_init(&vdev, ops, priv, "fuzznet", &G.gm)) {
		virtio_device_destroy(&vdev);
		return 0;
	}
	uint64_t f = vdev.device_features;
	if (flags & 1)
		f &= ~(1ULL << VIRTIO_NET_F_MRG_RXBUF);
	if (flags & 2)
		f &= ~((1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6));
	if (!(flags & 4))
		f &= ~(1ULL << VIRTQ_F_INDIRECT_DESC);
	if (!(flags & 16))
		f &= ~(1ULL << VIRTQ_F_EVENT_IDX);
	if (flags & 64)
		f &= ~(1ULL << VIRTIO_NET_F_MQ);
	vdev.driver_features = f;
	fuzz_guest_setq(&vdev.queues[0], f, RXAVAIL, RXUSED);
	fuzz_guest_setq(&vdev.queues[1], f, TXAVAIL, TXUSED);
	if (virtq_enable(&vdev.queues[0], &G.gm) == 0 && virtq_enable(&vdev.queues[1], &G.gm) == 0) {
		if (flags & 32)
			run_ctrl(&vdev, f, txheads, ntx);
		/* tx */
		uint16_t *avail = (uint16_t *)(G.ram + TXAVAIL);
		for (unsigned i = 0; i < ntx; i++)
			avail[2 + i] = txheads[i];
		avail[1] = (uint16_t)ntx;
		(void)!ops->process_queue(priv, &vdev, 1);
		drain(sp[1]);
		/* rx: a frame waits for buffers, then the guest posts them */
		if (flags & 8) {
			(void)!write(sp[1], frame, flen);
			(void)!ops->backend_event(priv, &vdev, sp[0]);
			avail = (uint16_t *)(G.ram + RXAVAIL);
			for (unsigned i = 0; i < nrx; i++)
				avail[2 + i] = rxheads[i];
			avail[1] = (uint16_t)nrx;
			(void)!ops->process_queue(priv, &vdev, 0);
		}
	}
	drain(sp[0]);
	ops->reset(priv);
	virtio_device_destroy(&vdev);
	return 0;
}
