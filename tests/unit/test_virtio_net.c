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

/* ---- the device over fake guest memory ---- */

#define RAM_SIZE 0x200000ull
#define QSIZE 8
#define RXDESC 0x1000ull
#define RXAVAIL 0x2000ull
#define RXUSED 0x3000ull
#define TXDESC 0x4000ull
#define TXAVAIL 0x5000ull
#define TXUSED 0x6000ull
#define BUF 0x10000ull

struct fx {
	struct guest_mem gm;
	uint8_t *ram;
	struct virtio_device vdev;
	int sp[2]; /* sp[0]: the device's "tap", sp[1]: the host side */
	uint16_t avail[2];
};

static const uint64_t qaddr[2][3] = {{RXDESC, RXAVAIL, RXUSED}, {TXDESC, TXAVAIL, TXUSED}};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->ram = calloc(1, RAM_SIZE);
	assert_int_equal(gm_add_region(&f->gm, 0, RAM_SIZE, f->ram, -1), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, f->sp), 0);
	int sz = 1 << 20;
	setsockopt(f->sp[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(f->sp[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	struct virtio_net_params p = {.tap_fd = f->sp[0], .mac = {0x52, 0x54, 0, 1, 2, 3}, .mtu = 1500, .queue_size = QSIZE};
	const struct virtio_device_ops *ops;
	void *priv;
	assert_int_equal(virtio_net_create(&p, &ops, &priv), 0);
	assert_int_equal(virtio_device_init(&f->vdev, ops, priv, "net", &f->gm), 0);
	f->vdev.driver_features = f->vdev.device_features;
	for (unsigned q = 0; q < 2; q++) {
		struct virtq *vq = &f->vdev.queues[q];
		vq->size = QSIZE;
		vq->desc_addr = qaddr[q][0];
		vq->avail_addr = qaddr[q][1];
		vq->used_addr = qaddr[q][2];
		assert_int_equal(virtq_enable(vq, &f->gm), 0);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	virtio_device_destroy(&f->vdev);
	close(f->sp[0]);
	close(f->sp[1]);
	free(f->ram);
	free(f);
	return 0;
}

static void add_chain(struct fx *f, unsigned q, uint16_t head, const struct virtq_desc *d, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(gm_write(&f->gm, qaddr[q][0] + 16ull * (head + i), &d[i], sizeof(d[i])), 0);
	assert_int_equal(gm_write(&f->gm, qaddr[q][1] + 4 + 2ull * (f->avail[q] % QSIZE), &head, 2), 0);
	f->avail[q]++;
	assert_int_equal(gm_write(&f->gm, qaddr[q][1] + 2, &f->avail[q], 2), 0);
}

static uint16_t used_idx(struct fx *f, unsigned q)
{
	uint16_t v;
	assert_int_equal(gm_read(&f->gm, qaddr[q][2] + 2, &v, 2), 0);
	return v;
}

static uint32_t used_len(struct fx *f, unsigned q, uint16_t slot)
{
	uint32_t v;
	assert_int_equal(gm_read(&f->gm, qaddr[q][2] + 8 + 8ull * slot, &v, 4), 0);
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
	ssize_t n = read(f->sp[1], got, sizeof(got));
	assert_int_equal(n, 72);
	assert_memory_equal(got + 12, frame, 60);
	assert_int_equal(read(f->sp[1], got, sizeof(got)), -1); /* nothing else was sent */
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
	assert_int_equal(write(f->sp[1], pkt, sizeof(pkt)), (ssize_t)sizeof(pkt));
	/* No rx buffers: the frame waits (no drop, nothing used). */
	assert_int_equal(f->vdev.ops->backend_event(f->vdev.priv, &f->vdev, f->sp[0]), 0);
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
	assert_int_equal(write(f->sp[1], pkt, sizeof(pkt)), (ssize_t)sizeof(pkt));
	assert_int_equal(write(f->sp[1], small, sizeof(small)), (ssize_t)sizeof(small));
	struct virtq_desc a = {BUF, 1526, VIRTQ_DESC_F_WRITE, 0}, b = {BUF + 0x1000, 1526, VIRTQ_DESC_F_WRITE, 0};
	add_chain(f, 0, 0, &a, 1);
	add_chain(f, 0, 1, &b, 1);
	assert_int_equal(f->vdev.ops->backend_event(f->vdev.priv, &f->vdev, f->sp[0]), 0);
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

static void test_create_rejects_bad_params(void **state)
{
	const struct virtio_device_ops *ops;
	void *priv;
	struct virtio_net_params p = {.tap_fd = 3, .mtu = 1500, .queue_size = 100};
	assert_int_equal(virtio_net_create(&p, &ops, &priv), -EINVAL);
	p.queue_size = 2048;
	assert_int_equal(virtio_net_create(&p, &ops, &priv), -EINVAL);
	p.queue_size = 256;
	p.tap_fd = -1;
	assert_int_equal(virtio_net_create(&p, &ops, &priv), -EINVAL);
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
