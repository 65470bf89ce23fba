/* Unit tests for virtio/net.c: the pure tx parser and rx placement, and the
 * device's queues driven directly (no transport, no thread) with rings in
 * fake guest memory and a SOCK_SEQPACKET socketpair standing in for the tap
 * (it keeps frame boundaries like a tap). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "mem/guest_mem.h"
#include "util/log.h"
#include "virtio/net.h"

/* ---- pure functions over hand-made chains ---- */

static struct virtq_chain chain;

static void chain_reset(uint16_t head)
{
	memset(&chain, 0, sizeof(chain));
	chain.head = head;
}

static void chain_add(void *p, uint32_t len, bool writable)
{
	struct virtq_seg *s = &chain.segs[chain.nr_segs++];
	s->host = p;
	s->len = len;
	s->writable = writable;
	if (writable) {
		chain.nr_in++;
		chain.in_len += len;
	} else {
		chain.nr_out++;
		chain.out_len += len;
	}
}

static const uint64_t ALL = (1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_HOST_TSO4) |
			    (1ULL << VIRTIO_NET_F_HOST_TSO6) | (1ULL << VIRTIO_F_VERSION_1);

static struct virtio_net_tx tx;

static void test_tx_header_spans_descriptors(void **state)
{
	uint8_t a[5] = {VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 54, 0, 0xb4};
	uint8_t b[20];
	memset(b, 0, sizeof(b));
	b[0] = 0x05;       /* gso_size high byte: 0x05b4 = 1460 */
	memset(b + 7, 0xee, 13); /* frame bytes after the 7 remaining header bytes */
	chain_reset(0);
	chain_add(a, sizeof(a), false);
	chain_add(b, sizeof(b), false);
	assert_int_equal(virtio_net_tx_parse(&chain, ALL, &tx), 0);
	assert_int_equal(tx.hdr.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(tx.hdr.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(tx.hdr.hdr_len, 54);
	assert_int_equal(tx.hdr.gso_size, 1460);
	assert_int_equal(tx.frame_len, 13);
	assert_int_equal(tx.iovcnt, 2);
	assert_ptr_equal(tx.iov[0].iov_base, &tx.hdr); /* the validated copy goes to the tap */
	assert_ptr_equal(tx.iov[1].iov_base, b + 7);
	assert_int_equal(tx.iov[1].iov_len, 13);
	/* A header exactly one descriptor long, the frame in the next two. */
	uint8_t h[12] = {0}, f1[60], f2[4];
	chain_reset(1);
	chain_add(h, 12, false);
	chain_add(f1, sizeof(f1), false);
	chain_add(f2, sizeof(f2), false);
	assert_int_equal(virtio_net_tx_parse(&chain, ALL, &tx), 0);
	assert_int_equal(tx.iovcnt, 3);
	assert_int_equal(tx.frame_len, 64);
}

static void test_tx_malformed(void **state)
{
	uint8_t buf[128] = {0};
	chain_reset(0);
	chain_add(buf, 11, false); /* shorter than the header */
	assert_int_equal(virtio_net_tx_parse(&chain, ALL, &tx), -EINVAL);
	chain_reset(0);
	chain_add(buf, 64, false);
	chain_add(buf + 64, 64, true); /* device-writable part on tx */
	assert_int_equal(virtio_net_tx_parse(&chain, ALL, &tx), -EINVAL);
	chain_reset(0);
	chain_add(buf, 64, false);
	buf[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM; /* CSUM not negotiated */
	assert_int_equal(virtio_net_tx_parse(&chain, 1ULL << VIRTIO_F_VERSION_1, &tx), -EPROTO);
	buf[0] = VIRTIO_NET_HDR_F_DATA_VALID; /* rx-only flag */
	assert_int_equal(virtio_net_tx_parse(&chain, ALL, &tx), -EPROTO);
	buf[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	buf[1] = VIRTIO_NET_HDR_GSO_TCPV6;
	buf[4] = 0; /* gso_size 0 */
	assert_int_equal(virtio_net_tx_parse(&chain, ALL, &tx), -EPROTO);
	buf[4] = 100;
	assert_int_equal(virtio_net_tx_parse(&chain, ALL, &tx), 0);
	assert_int_equal(virtio_net_tx_parse(&chain, ALL & ~(1ULL << VIRTIO_NET_F_HOST_TSO6), &tx), -EPROTO);
	buf[1] = VIRTIO_NET_HDR_GSO_UDP;
	assert_int_equal(virtio_net_tx_parse(&chain, ALL, &tx), -EPROTO);
	buf[1] = VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN;
	assert_int_equal(virtio_net_tx_parse(&chain, ALL, &tx), -EPROTO);
	/* Longer than the largest frame. */
	static uint8_t big[VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME + 1];
	chain_reset(0);
	chain_add(big, sizeof(big), false);
	assert_int_equal(virtio_net_tx_parse(&chain, ALL, &tx), -EMSGSIZE);
	chain_reset(0);
	chain_add(big, sizeof(big) - 1, false);
	assert_int_equal(virtio_net_tx_parse(&chain, ALL, &tx), 0);
}

static struct virtio_net_rx rx;

static void make_frame(uint8_t *f, size_t len)
{
	for (size_t i = 0; i < len; i++)
		f[i] = (uint8_t)(i * 7 + 1);
	f[10] = f[11] = 0xab; /* num_buffers as the tap leaves it: garbage */
}

static void test_rx_single_chain(void **state)
{
	uint8_t frame[100], a[40], b[200];
	make_frame(frame, sizeof(frame));
	virtio_net_rx_start(&rx, frame, sizeof(frame));
	chain_reset(7);
	chain_add(a, sizeof(a), true);
	chain_add(b, sizeof(b), true);
	assert_int_equal(virtio_net_rx_fill(&rx, &chain, false, 256), VIRTIO_NET_RX_DONE);
	assert_int_equal(rx.nbufs, 1);
	assert_int_equal(rx.used[0].head, 7);
	assert_int_equal(rx.used[0].len, 100);
	assert_int_equal(a[10] | a[11] << 8, 1); /* num_buffers = 1 */
	assert_memory_equal(a, frame, 10);
	assert_memory_equal(a + 12, frame + 12, 28);
	assert_memory_equal(b, frame + 40, 60);
	/* The frame does not fit one chain without MRG_RXBUF: dropped. */
	virtio_net_rx_start(&rx, frame, sizeof(frame));
	chain_reset(3);
	chain_add(a, sizeof(a), true);
	assert_int_equal(virtio_net_rx_fill(&rx, &chain, false, 256), VIRTIO_NET_RX_DROP);
	assert_int_equal(rx.nbufs, 1);
	assert_int_equal(rx.used[0].len, 0);
}

static void test_rx_mergeable(void **state)
{
	uint8_t frame[100], a[30], b[30], c[64];
	make_frame(frame, sizeof(frame));
	virtio_net_rx_start(&rx, frame, sizeof(frame));
	chain_reset(1);
	chain_add(a, sizeof(a), true);
	assert_int_equal(virtio_net_rx_fill(&rx, &chain, true, 256), VIRTIO_NET_RX_MORE);
	chain_reset(2);
	chain_add(b, sizeof(b), true);
	assert_int_equal(virtio_net_rx_fill(&rx, &chain, true, 256), VIRTIO_NET_RX_MORE);
	chain_reset(3);
	chain_add(c, sizeof(c), true);
	assert_int_equal(virtio_net_rx_fill(&rx, &chain, true, 256), VIRTIO_NET_RX_DONE);
	assert_int_equal(rx.nbufs, 3);
	assert_int_equal(rx.used[0].len, 30);
	assert_int_equal(rx.used[1].len, 30);
	assert_int_equal(rx.used[2].len, 40);
	assert_int_equal(rx.used[2].head, 3);
	assert_int_equal(a[10] | a[11] << 8, 3);
	assert_memory_equal(b, frame + 30, 30);
	assert_memory_equal(c, frame + 60, 40);
	/* Out of chains at max_bufs: dropped. */
	virtio_net_rx_start(&rx, frame, sizeof(frame));
	chain_reset(1);
	chain_add(a, sizeof(a), true);
	assert_int_equal(virtio_net_rx_fill(&rx, &chain, true, 2), VIRTIO_NET_RX_MORE);
	assert_int_equal(virtio_net_rx_fill(&rx, &chain, true, 2), VIRTIO_NET_RX_DROP);
	/* num_buffers split across two descriptors of the first chain. */
	uint8_t h1[11], h2[200];
	virtio_net_rx_start(&rx, frame, sizeof(frame));
	chain_reset(4);
	chain_add(h1, sizeof(h1), true);
	chain_add(h2, sizeof(h2), true);
	assert_int_equal(virtio_net_rx_fill(&rx, &chain, true, 256), VIRTIO_NET_RX_DONE);
	assert_int_equal(h1[10], 1);
	assert_int_equal(h2[0], 0);
}

static void test_rx_malformed_chains(void **state)
{
	uint8_t frame[64], a[8], b[128];
	make_frame(frame, sizeof(frame));
	/* First chain smaller than the header. */
	virtio_net_rx_start(&rx, frame, sizeof(frame));
	chain_reset(0);
	chain_add(a, sizeof(a), true);
	assert_int_equal(virtio_net_rx_fill(&rx, &chain, true, 256), VIRTIO_NET_RX_DROP);
	/* Readable buffers on the receive queue. */
	virtio_net_rx_start(&rx, frame, sizeof(frame));
	chain_reset(0);
	chain_add(a, sizeof(a), false);
	chain_add(b, sizeof(b), true);
	assert_int_equal(virtio_net_rx_fill(&rx, &chain, false, 256), VIRTIO_NET_RX_DROP);
	assert_int_equal(rx.used[0].len, 0);
	/* No writable bytes at all. */
	virtio_net_rx_start(&rx, frame, sizeof(frame));
	chain_reset(0);
	assert_int_equal(virtio_net_rx_fill(&rx, &chain, true, 256), VIRTIO_NET_RX_DROP);
}

static const uint64_t MQ = (1ULL << VIRTIO_NET_F_MQ) | (1ULL << VIRTIO_NET_F_CTRL_VQ);

/* cmd (readable, possibly split at `split`), then an ack buffer of ack_len. */
static uint32_t ctrl(const uint8_t *cmd, uint32_t len, uint32_t split, uint32_t ack_len, uint64_t feat,
		     uint8_t *ack, uint16_t *pairs)
{
	static uint8_t buf[64];
	memcpy(buf, cmd, len);
	chain_reset(0);
	if (split && split < len) {
		chain_add(buf, split, false);
		chain_add(buf + split, len - split, false);
	} else if (len) {
		chain_add(buf, len, false);
	}
	*ack = 0xaa;
	if (ack_len)
		chain_add(ack, ack_len, true);
	*pairs = 0xffff;
	return virtio_net_ctrl(&chain, feat, 2, pairs);
}

static void test_ctrl_commands(void **state)
{
	uint8_t ack[4];
	uint16_t pairs;
	static const uint8_t set2[] = {VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2, 0};
	assert_int_equal(ctrl(set2, 4, 0, 1, MQ, ack, &pairs), 1);
	assert_int_equal(ack[0], VIRTIO_NET_OK);
	assert_int_equal(pairs, 2);
	/* header and data in separate descriptors (as Linux sends them) */
	static const uint8_t set1[] = {VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 1, 0};
	assert_int_equal(ctrl(set1, 4, 2, 1, MQ, ack, &pairs), 1);
	assert_int_equal(ack[0], VIRTIO_NET_OK);
	assert_int_equal(pairs, 1);
	/* everything else: ERR, no pair change */
	static const struct {
		uint8_t cmd[8];
		uint32_t len;
		uint64_t feat;
	} bad[] = {
		{{VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 0, 0}, 4, MQ},    /* 0 pairs */
		{{VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 3, 0}, 4, MQ},    /* more than max */
		{{VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2, 1}, 4, MQ},    /* 258 */
		{{VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2, 0}, 4, 0},     /* MQ not negotiated */
		{{VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2}, 3, MQ},       /* short */
		{{VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2, 0, 0}, 5, MQ}, /* long */
		{{VIRTIO_NET_CTRL_MQ, 1, 2, 0}, 4, MQ},                                  /* RSS config */
		{{0 /* CTRL_RX */, 0, 1}, 3, MQ},                                        /* promisc */
		{{1 /* CTRL_MAC */, 1, 1, 2, 3, 4, 5, 6}, 8, MQ},                        /* MAC_ADDR_SET */
		{{0}, 0, MQ},                                                            /* nothing readable */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ctrl(bad[i].cmd, bad[i].len, 1, 1, bad[i].feat, ack, &pairs), 1);
		assert_int_equal(ack[0], VIRTIO_NET_ERR);
		assert_int_equal(pairs, 0);
	}
	/* no writable byte: nothing written, used length 0 */
	assert_int_equal(ctrl(set2, 4, 0, 0, MQ, ack, &pairs), 0);
	assert_int_equal(ack[0], 0xaa);
	assert_int_equal(pairs, 0);
	/* a longer ack buffer: only its first byte is written */
	memset(ack, 0x55, sizeof(ack));
	assert_int_equal(ctrl(set2, 4, 0, 4, MQ, ack, &pairs), 1);
	assert_int_equal(ack[0], VIRTIO_NET_OK);
	assert_int_equal(ack[1], 0x55);
}

/* ---- the device over fake guest memory ---- */

#define RAM_SIZE 0x200000ull
#define QSIZE 8
#define MAXQ (2 * 2 + 1)
#define BUF 0x10000ull

/* Queue q's rings: descriptors, avail and used 4 KiB apart. */
static uint64_t qaddr(unsigned q, unsigned ring)
{
	return 0x1000ull + 0x3000ull * q + 0x1000ull * ring;
}

struct fx {
	struct guest_mem gm;
	uint8_t *ram;
	struct virtio_device vdev;
	unsigned pairs;
	int sp[2][2]; /* per pair: [0] the device's "tap", [1] the host side */
	uint16_t avail[MAXQ];
};

static struct fx *make_fx_poll(unsigned pairs, uint64_t tx_poll_max_ns)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->ram = calloc(1, RAM_SIZE);
	f->pairs = pairs;
	assert_int_equal(gm_add_region(&f->gm, 0, RAM_SIZE, f->ram, -1), 0);
	struct virtio_net_params p = {.nr_pairs = pairs, .mac = {0x52, 0x54, 0, 1, 2, 3}, .mtu = 1500, .queue_size = QSIZE,
				    .tx_poll_max_ns = tx_poll_max_ns};
	for (unsigned i = 0; i < pairs; i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, f->sp[i]), 0);
		int sz = 1 << 20;
		setsockopt(f->sp[i][0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		setsockopt(f->sp[i][1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		p.tap_fds[i] = f->sp[i][0];
	}
	const struct virtio_device_ops *ops;
	void *priv;
	assert_int_equal(virtio_net_create(&p, &ops, &priv), 0);
	assert_int_equal(virtio_device_init(&f->vdev, ops, priv, "net", &f->gm), 0);
	f->vdev.driver_features = f->vdev.device_features;
	for (unsigned q = 0; q < ops->nr_queues; q++) {
		struct virtq *vq = &f->vdev.queues[q];
		vq->size = QSIZE;
		vq->desc_addr = qaddr(q, 0);
		vq->avail_addr = qaddr(q, 1);
		vq->used_addr = qaddr(q, 2);
		assert_int_equal(virtq_enable(vq, &f->gm), 0);
	}
	return f;
}

static struct fx *make_fx(unsigned pairs)
{
	return make_fx_poll(pairs, 0);
}

static int setup(void **state)
{
	*state = make_fx(1);
	return 0;
}

static int setup_mq(void **state)
{
	*state = make_fx(2);
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	virtio_device_destroy(&f->vdev);
	for (unsigned i = 0; i < f->pairs; i++) {
		close(f->sp[i][0]);
		close(f->sp[i][1]);
	}
	free(f->ram);
	free(f);
	return 0;
}

static void add_chain(struct fx *f, unsigned q, uint16_t head, const struct virtq_desc *d, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(gm_write(&f->gm, qaddr(q, 0) + 16ull * (head + i), &d[i], sizeof(d[i])), 0);
	assert_int_equal(gm_write(&f->gm, qaddr(q, 1) + 4 + 2ull * (f->avail[q] % QSIZE), &head, 2), 0);
	f->avail[q]++;
	assert_int_equal(gm_write(&f->gm, qaddr(q, 1) + 2, &f->avail[q], 2), 0);
}

static uint16_t used_idx(struct fx *f, unsigned q)
{
	uint16_t v;
	assert_int_equal(gm_read(&f->gm, qaddr(q, 2) + 2, &v, 2), 0);
	return v;
}

static uint32_t used_len(struct fx *f, unsigned q, uint16_t slot)
{
	uint32_t v;
	assert_int_equal(gm_read(&f->gm, qaddr(q, 2) + 8 + 8ull * slot, &v, 4), 0);
	return v;
}

static const struct virtio_net_counters *cnt(struct fx *f)
{
	return virtio_net_counters(f->vdev.priv);
}

static void test_device_config(void **state)
{
	struct fx *f = *state;
	uint8_t c[VIRTIO_NET_CONFIG_SIZE];
	f->vdev.ops->config_read(f->vdev.priv, 0, c, sizeof(c));
	static const uint8_t want[VIRTIO_NET_CONFIG_SIZE] = {0x52, 0x54, 0, 1, 2, 3, 1, 0, 1, 0, 0xdc, 0x05};
	assert_memory_equal(c, want, sizeof(want));
	uint64_t feat = f->vdev.device_features;
	assert_true(feat & (1ULL << VIRTIO_NET_F_MRG_RXBUF));
	assert_true(feat & (1ULL << VIRTIO_F_VERSION_1));
	assert_true(feat & (1ULL << VIRTIO_NET_F_HOST_TSO4));
}

static void test_device_tx(void **state)
{
	struct fx *f = *state;
	uint8_t hdr[12] = {0}, frame[60];
	for (unsigned i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)i;
	memcpy(f->ram + BUF, hdr, 12);
	memcpy(f->ram + BUF + 0x100, frame, sizeof(frame));
	struct virtq_desc d[2] = {{BUF, 12, VIRTQ_DESC_F_NEXT, 1}, {BUF + 0x100, 60, 0, 0}};
	add_chain(f, 1, 0, d, 2);
	/* A malformed one: writable descriptor on tx. Dropped, counted, given back. */
	struct virtq_desc bad = {BUF + 0x200, 64, VIRTQ_DESC_F_WRITE, 0};
	add_chain(f, 1, 2, &bad, 1);
	assert_int_equal(f->vdev.ops->process_queue(f->vdev.priv, &f->vdev, 1), 0);
	assert_int_equal(used_idx(f, 1), 2);
	uint8_t got[200];
	ssize_t n = read(f->sp[0][1], got, sizeof(got));
	assert_int_equal(n, 72);
	assert_memory_equal(got + 12, frame, 60);
	assert_int_equal(read(f->sp[0][1], got, sizeof(got)), -1); /* nothing else was sent */
	assert_int_equal(cnt(f)->tx_frames, 1);
	assert_int_equal(cnt(f)->tx_bytes, 60);
	assert_int_equal(cnt(f)->tx_drops, 1);
	assert_false(f->vdev.queues[1].broken);
}

static void test_device_rx_waits_for_buffers(void **state)
{
	struct fx *f = *state;
	uint8_t pkt[12 + 3000];
	make_frame(pkt, sizeof(pkt));
	assert_int_equal(write(f->sp[0][1], pkt, sizeof(pkt)), (ssize_t)sizeof(pkt));
	/* No rx buffers: the frame waits (no drop, nothing used). */
	assert_int_equal(f->vdev.ops->backend_event(f->vdev.priv, &f->vdev, f->sp[0][0]), 0);
	assert_int_equal(used_idx(f, 0), 0);
	assert_int_equal(cnt(f)->rx_drops, 0);
	/* The guest adds two 2 KiB buffers (mergeable) and kicks. */
	struct virtq_desc a = {BUF, 2048, VIRTQ_DESC_F_WRITE, 0}, b = {BUF + 0x1000, 2048, VIRTQ_DESC_F_WRITE, 0};
	add_chain(f, 0, 0, &a, 1);
	assert_int_equal(f->vdev.ops->process_queue(f->vdev.priv, &f->vdev, 0), 0);
	assert_int_equal(used_idx(f, 0), 0); /* one buffer is not enough: still waiting */
	add_chain(f, 0, 1, &b, 1);
	assert_int_equal(f->vdev.ops->process_queue(f->vdev.priv, &f->vdev, 0), 0);
	assert_int_equal(used_idx(f, 0), 2);
	assert_int_equal(used_len(f, 0, 0), 2048);
	assert_int_equal(used_len(f, 0, 1), sizeof(pkt) - 2048);
	assert_int_equal(f->ram[BUF + 10], 2); /* num_buffers */
	assert_memory_equal(f->ram + BUF + 12, pkt + 12, 2048 - 12);
	assert_memory_equal(f->ram + BUF + 0x1000, pkt + 2048, sizeof(pkt) - 2048);
	assert_int_equal(cnt(f)->rx_frames, 1);
	assert_int_equal(cnt(f)->rx_bytes, 3000);
}

static void test_device_rx_too_big_without_mrg(void **state)
{
	struct fx *f = *state;
	f->vdev.driver_features &= ~(1ULL << VIRTIO_NET_F_MRG_RXBUF);
	uint8_t pkt[12 + 1600], small[12 + 100];
	make_frame(pkt, sizeof(pkt));
	make_frame(small, sizeof(small));
	assert_int_equal(write(f->sp[0][1], pkt, sizeof(pkt)), (ssize_t)sizeof(pkt));
	assert_int_equal(write(f->sp[0][1], small, sizeof(small)), (ssize_t)sizeof(small));
	struct virtq_desc a = {BUF, 1526, VIRTQ_DESC_F_WRITE, 0}, b = {BUF + 0x1000, 1526, VIRTQ_DESC_F_WRITE, 0};
	add_chain(f, 0, 0, &a, 1);
	add_chain(f, 0, 1, &b, 1);
	assert_int_equal(f->vdev.ops->backend_event(f->vdev.priv, &f->vdev, f->sp[0][0]), 0);
	assert_int_equal(used_idx(f, 0), 2);
	assert_int_equal(used_len(f, 0, 0), 0); /* the big frame: dropped */
	assert_int_equal(used_len(f, 0, 1), sizeof(small));
	assert_int_equal(cnt(f)->rx_drops, 1);
	assert_int_equal(cnt(f)->rx_frames, 1);
	assert_false(f->vdev.queues[0].broken);
}

static void test_device_bad_ring_is_error(void **state)
{
	struct fx *f = *state;
	struct virtq_desc d = {RAM_SIZE - 4, 64, 0, 0}; /* crosses the end of RAM */
	add_chain(f, 1, 0, &d, 1);
	assert_int_equal(f->vdev.ops->process_queue(f->vdev.priv, &f->vdev, 1), -EINVAL);
	assert_true(f->vdev.queues[1].broken);
}

/* Two pairs: queues rx0 tx0 rx1 tx1 ctrl, a thread per pair, MQ offered. */
static void test_mq_layout(void **state)
{
	struct fx *f = *state;
	const struct virtio_device_ops *ops = f->vdev.ops;
	assert_int_equal(ops->nr_queues, 5);
	assert_int_equal(ops->nr_threads, 2);
	static const uint8_t want_thread[5] = {0, 0, 1, 1, 0};
	assert_memory_equal(ops->queue_thread, want_thread, 5);
	assert_true(f->vdev.device_features & (1ULL << VIRTIO_NET_F_MQ));
	assert_true(f->vdev.device_features & (1ULL << VIRTIO_NET_F_CTRL_VQ));
	uint8_t c[VIRTIO_NET_CONFIG_SIZE];
	ops->config_read(f->vdev.priv, 0, c, sizeof(c));
	assert_int_equal(c[8] | c[9] << 8, 2); /* max_virtqueue_pairs */
	assert_int_equal(virtio_net_active_pairs(f->vdev.priv), 1);
}

/* A control command in guest memory at BUF + 0x100*slot; returns the ack. */
static uint8_t ctrl_cmd(struct fx *f, uint16_t head, const uint8_t *cmd, uint32_t len, bool with_ack,
			uint32_t *used)
{
	uint64_t a = BUF + 0x100ull * head;
	memcpy(f->ram + a, cmd, len);
	f->ram[a + 0x80] = 0xaa;
	struct virtq_desc d[2] = {{a, len, with_ack ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(head + 1)},
				  {a + 0x80, 1, VIRTQ_DESC_F_WRITE, 0}};
	add_chain(f, 4, head, d, with_ack ? 2 : 1);
	assert_int_equal(f->vdev.ops->process_queue(f->vdev.priv, &f->vdev, 4), 0);
	uint16_t idx = used_idx(f, 4);
	*used = used_len(f, 4, (uint16_t)((idx - 1) % QSIZE));
	return f->ram[a + 0x80];
}

static void test_mq_ctrl_queue(void **state)
{
	struct fx *f = *state;
	uint32_t used;
	static const uint8_t set2[] = {VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2, 0};
	static const uint8_t set9[] = {VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 9, 0};
	static const uint8_t rx_promisc[] = {0, 0, 1};
	/* Only pair 0 is active: pair 1 takes nothing from its tap (its rx
	 * kick detaches its tap queue; the ioctl fails on a socketpair: logged). */
	uint8_t pkt[12 + 100];
	make_frame(pkt, sizeof(pkt));
	struct virtq_desc rxd = {BUF + 0x4000, 2048, VIRTQ_DESC_F_WRITE, 0};
	add_chain(f, 2, 0, &rxd, 1);
	assert_int_equal(write(f->sp[1][1], pkt, sizeof(pkt)), (ssize_t)sizeof(pkt));
	assert_int_equal(f->vdev.ops->process_queue(f->vdev.priv, &f->vdev, 2), 0);
	assert_int_equal(f->vdev.ops->backend_event(f->vdev.priv, &f->vdev, f->sp[1][0]), 0);
	assert_int_equal(used_idx(f, 2), 0);
	/* control commands: bad ones are ERR and change nothing */
	assert_int_equal(ctrl_cmd(f, 0, set9, 4, true, &used), VIRTIO_NET_ERR);
	assert_int_equal(used, 1);
	assert_int_equal(virtio_net_active_pairs(f->vdev.priv), 1);
	assert_int_equal(ctrl_cmd(f, 2, rx_promisc, 3, true, &used), VIRTIO_NET_ERR);
	assert_int_equal(ctrl_cmd(f, 4, set2, 4, false, &used), 0xaa); /* no ack buffer: nothing written */
	assert_int_equal(used, 0);
	assert_int_equal(virtio_net_active_pairs(f->vdev.priv), 1);
	assert_int_equal(ctrl_cmd(f, 6, set2, 4, true, &used), VIRTIO_NET_OK);
	assert_int_equal(used, 1);
	assert_int_equal(virtio_net_active_pairs(f->vdev.priv), 2);
	assert_false(f->vdev.queues[4].broken);
	assert_int_equal(used_idx(f, 4), 4);
	/* pair 1's rx kick (the ctrl handler wrote its kick eventfd) attaches it:
	 * the waiting frame arrives, and its tx queue writes to its own tap */
	uint64_t kicked = 0;
	assert_int_equal(read(virtio_device_kick_fd(&f->vdev, 2), &kicked, 8), 8);
	assert_int_equal(kicked, 1);
	assert_int_equal(f->vdev.ops->process_queue(f->vdev.priv, &f->vdev, 2), 0);
	assert_int_equal(used_idx(f, 2), 1);
	assert_int_equal(used_len(f, 2, 0), sizeof(pkt));
	memset(f->ram + BUF + 0x5000, 0, 12);
	struct virtq_desc txd = {BUF + 0x5000, 12 + 60, 0, 0};
	add_chain(f, 3, 0, &txd, 1);
	assert_int_equal(f->vdev.ops->process_queue(f->vdev.priv, &f->vdev, 3), 0);
	uint8_t got[200];
	assert_int_equal(read(f->sp[1][1], got, sizeof(got)), 72);
	assert_int_equal(read(f->sp[0][1], got, sizeof(got)), -1); /* not on pair 0's tap */
	const struct virtio_net_counters *p1 = virtio_net_pair_counters(f->vdev.priv, 1);
	assert_int_equal(p1->tx_frames, 1);
	assert_int_equal(p1->rx_frames, 1);
	assert_int_equal(virtio_net_pair_counters(f->vdev.priv, 0)->tx_frames, 0);
	assert_int_equal(cnt(f)->tx_frames, 1);
	assert_null(virtio_net_pair_counters(f->vdev.priv, 2));
	/* back to one pair: pair 1 stops taking frames from its tap */
	static const uint8_t set1[] = {VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 1, 0};
	assert_int_equal(ctrl_cmd(f, 0, set1, 4, true, &used), VIRTIO_NET_OK);
	assert_int_equal(f->vdev.ops->process_queue(f->vdev.priv, &f->vdev, 2), 0);
	add_chain(f, 2, 1, &rxd, 1);
	assert_int_equal(write(f->sp[1][1], pkt, sizeof(pkt)), (ssize_t)sizeof(pkt));
	assert_int_equal(f->vdev.ops->backend_event(f->vdev.priv, &f->vdev, f->sp[1][0]), 0);
	assert_int_equal(used_idx(f, 2), 1);
}

/* A malformed control chain breaks only the control queue's ring rules. */
static void test_mq_ctrl_bad_ring(void **state)
{
	struct fx *f = *state;
	struct virtq_desc d = {RAM_SIZE - 2, 4, 0, 0}; /* crosses the end of RAM */
	add_chain(f, 4, 0, &d, 1);
	assert_int_equal(f->vdev.ops->process_queue(f->vdev.priv, &f->vdev, 4), -EINVAL);
	assert_true(f->vdev.queues[4].broken);
	assert_false(f->vdev.queues[0].broken);
}

/* Without MQ the driver's control queue is queue 2 (virtio 1.2, 5.1.2). */
static void test_ctrl_without_mq(void **state)
{
	struct fx *f = *state;
	f->vdev.driver_features &= ~(1ULL << VIRTIO_NET_F_MQ);
	static const uint8_t set2[] = {VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2, 0};
	uint64_t a = BUF;
	memcpy(f->ram + a, set2, 4);
	struct virtq_desc d[2] = {{a, 4, VIRTQ_DESC_F_NEXT, 1}, {a + 0x80, 1, VIRTQ_DESC_F_WRITE, 0}};
	add_chain(f, 2, 0, d, 2);
	assert_int_equal(f->vdev.ops->process_queue(f->vdev.priv, &f->vdev, 2), 0);
	assert_int_equal(used_idx(f, 2), 1);
	assert_int_equal(f->ram[a + 0x80], VIRTIO_NET_ERR); /* VQ_PAIRS_SET needs MQ */
	assert_int_equal(virtio_net_active_pairs(f->vdev.priv), 1);
	/* queue 4 is nothing then: ignored */
	add_chain(f, 4, 0, d, 2);
	assert_int_equal(f->vdev.ops->process_queue(f->vdev.priv, &f->vdev, 4), 0);
	assert_int_equal(used_idx(f, 4), 0);
}

static void test_create_rejects_bad_params(void **state)
{
	const struct virtio_device_ops *ops;
	void *priv;
	struct virtio_net_params p = {.tap_fds = {3, 4}, .nr_pairs = 1, .mtu = 1500, .queue_size = 100};
	assert_int_equal(virtio_net_create(&p, &ops, &priv), -EINVAL);
	p.queue_size = 2048;
	assert_int_equal(virtio_net_create(&p, &ops, &priv), -EINVAL);
	p.queue_size = 256;
	p.tap_fds[0] = -1;
	assert_int_equal(virtio_net_create(&p, &ops, &priv), -EINVAL);
	p.tap_fds[0] = 3;
	p.nr_pairs = 0;
	assert_int_equal(virtio_net_create(&p, &ops, &priv), -EINVAL);
	p.nr_pairs = VIRTIO_NET_MAX_PAIRS + 1;
	assert_int_equal(virtio_net_create(&p, &ops, &priv), -EINVAL);
	p.nr_pairs = 3; /* tap_fds[2] is 0 here: fine; -1 is not */
	p.tap_fds[2] = -1;
	assert_int_equal(virtio_net_create(&p, &ops, &priv), -EINVAL);
}


/* The transmit poll window opens fully when the guest notifies soon after a
 * re-arm, and shrinks to nothing while it does not. */
static void test_tx_poll_adjust(void **state)
{
	(void)state;
	const uint64_t M = VIRTIO_NET_TX_POLL_MAX_NS;
	const uint64_t soon = M - 1, late = M;
	uint64_t w = 0;
	w = virtio_net_tx_poll_adjust(w, soon, M);
	assert_int_equal(w, VIRTIO_NET_TX_POLL_MAX_NS); /* a window that long would have caught it */
	w = virtio_net_tx_poll_adjust(w, 0, M);
	assert_int_equal(w, VIRTIO_NET_TX_POLL_MAX_NS);
	w = virtio_net_tx_poll_adjust(w, late, M);
	assert_int_equal(w, VIRTIO_NET_TX_POLL_MAX_NS - VIRTIO_NET_TX_POLL_MAX_NS / 8);
	int lates = 1;
	while (w && lates < 100) {
		w = virtio_net_tx_poll_adjust(w, UINT64_MAX, M);
		lates++;
	}
	assert_int_equal(w, 0); /* sparse sender: no polling at all */
	assert_true(lates <= 30);  /* after a bounded number of notifications */
	assert_int_equal(virtio_net_tx_poll_adjust(w, soon, M), VIRTIO_NET_TX_POLL_MAX_NS); /* and back */
	assert_int_equal(virtio_net_tx_poll_adjust(0, late, M), 0);
	assert_int_equal(virtio_net_tx_poll_adjust(VIRTIO_NET_TX_POLL_MIN_NS, late, M), 0); /* below MIN: off */
	assert_int_equal(virtio_net_tx_poll_adjust(0, 999999, 1000000), 1000000); /* another maximum */
	assert_int_equal(virtio_net_tx_poll_adjust(1000000, 1000000, 1000000), 875000);
}

/* ---- the transmit yield ---- */

/* A guest that streams: each time the device has used a transmit chain it
 * adds the next one at once, until `stop` or `limit` chains. */
struct streamer {
	struct fx *f;
	uint16_t limit;
	atomic_bool stop;
};

static uint16_t used_idx_now(struct fx *f, unsigned q)
{
	return __atomic_load_n((uint16_t *)(f->ram + qaddr(q, 2) + 2), __ATOMIC_ACQUIRE);
}

/* Transmit chain number i: one descriptor, a zero header and a 60-byte frame. */
static void add_tx_chain(struct fx *f, uint16_t i)
{
	uint16_t head = i % QSIZE;
	struct virtq_desc d = {BUF + 0x100ull * head, 72, 0, 0};
	memcpy(f->ram + qaddr(1, 0) + 16ull * head, &d, sizeof(d));
	memcpy(f->ram + qaddr(1, 1) + 4 + 2ull * (f->avail[1] % QSIZE), &head, 2);
	f->avail[1]++;
	__atomic_store_n((uint16_t *)(f->ram + qaddr(1, 1) + 2), f->avail[1], __ATOMIC_RELEASE);
}

static void *stream_tx(void *arg)
{
	struct streamer *s = arg;
	for (uint16_t i = s->f->avail[1]; i < s->limit; i++) {
		while (used_idx_now(s->f, 1) < i)
			if (atomic_load(&s->stop))
				return NULL;
		add_tx_chain(s->f, i);
	}
	return NULL;
}

/* A guest that never stops sending does not keep the pair's thread: after
 * VIRTIO_NET_TX_POLL_ROUNDS polled rounds the device kicks its own transmit
 * queue and returns while the guest still has frames to send. The poll window
 * is 1 s here so that the streamer thread always catches it, however loaded
 * the machine. */
static void test_tx_poll_yields(void **state)
{
	(void)state;
	const uint16_t limit = 200;
	struct fx *f = make_fx_poll(1, 1000000000ull);
	add_tx_chain(f, 0);
	assert_int_equal(f->vdev.ops->process_queue(f->vdev.priv, &f->vdev, 1), 0); /* no window yet: re-arms */
	assert_int_equal(used_idx_now(f, 1), 1);
	struct streamer s = {.f = f, .limit = limit};
	add_tx_chain(f, 1); /* notified right after the re-arm: the window opens */
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, stream_tx, &s), 0);
	int rc = f->vdev.ops->process_queue(f->vdev.priv, &f->vdev, 1);
	uint16_t served = (uint16_t)(used_idx_now(f, 1) - 1);
	atomic_store(&s.stop, true);
	pthread_join(t, NULL);
	assert_int_equal(rc, 0);
	uint64_t kicks = 0;
	assert_int_equal(read(virtio_device_kick_fd(&f->vdev, 1), &kicks, sizeof(kicks)), sizeof(kicks));
	assert_true(served >= VIRTIO_NET_TX_POLL_ROUNDS); /* a round serves one chain or more */
	assert_true(served < limit - 1);                  /* the guest had more to send */
	assert_int_equal(cnt(f)->tx_frames, 1 + served);
	assert_int_equal(cnt(f)->tx_drops, 0);
	teardown((void **)&f);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tx_header_spans_descriptors),
		cmocka_unit_test(test_tx_malformed),
		cmocka_unit_test(test_rx_single_chain),
		cmocka_unit_test(test_rx_mergeable),
		cmocka_unit_test(test_rx_malformed_chains),
		cmocka_unit_test_setup_teardown(test_device_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_tx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_rx_waits_for_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_rx_too_big_without_mrg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_bad_ring_is_error, setup, teardown),
		cmocka_unit_test(test_create_rejects_bad_params),
		cmocka_unit_test(test_ctrl_commands),
		cmocka_unit_test_setup_teardown(test_mq_layout, setup_mq, teardown),
		cmocka_unit_test_setup_teardown(test_mq_ctrl_queue, setup_mq, teardown),
		cmocka_unit_test_setup_teardown(test_mq_ctrl_bad_ring, setup_mq, teardown),
		cmocka_unit_test_setup_teardown(test_ctrl_without_mq, setup_mq, teardown),
		cmocka_unit_test(test_tx_poll_adjust),
		cmocka_unit_test(test_tx_poll_yields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
