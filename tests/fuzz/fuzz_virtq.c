/* libFuzzer target: the device side of a split virtqueue against an
 * arbitrary guest. Guest memory contents and the queue state (size,
 * addresses, features, starting indices) come from the input, then a script
 * of device and guest actions runs. The queue must never crash, hang, or
 * hand out a segment outside guest RAM; a rejected chain must leave the
 * queue broken.
 *
 * Input: a 16-byte header, nops 4-byte operations, then the memory image of
 * region A (rest of the input, zero-filled).
 *   header: u8 size_sel   bit 7: size = raw_size, else 1 << (size_sel & 15);
 *                         bit 6: used ring in the top region
 *           u8 features   bit 0: INDIRECT_DESC, bit 1: EVENT_IDX
 *           u16 raw_size, u16 desc, u16 avail, u16 used (guest addresses),
 *           u16 last_avail_idx, u16 used_idx, u8 nops, u8 unused
 *   op {code, a, b, c}: code % 9 =
 *     0 pop until empty or error, touching every segment
 *     1 push the oldest popped chain, written = min(a*256+b, in_len)
 *     2 push head a*256+b (may be invalid)
 *     3 should_notify   4 disable_notify   5 enable_notify   6 set_avail_event
 *     7 guest writes c at region A offset a*256+b
 *     8 reset and enable again with the same parameters
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem/guest_mem.h"
#include "util/log.h"
#include "virtio/queue.h"

#define RAM_A 0x0ull
#define RAM_A_SIZE 0x10000ull
#define RAM_B 0x11000ull /* after a 4 KiB gap */
#define RAM_B_SIZE 0x1000ull
#define RAM_TOP 0xFFFFFFFFFFFFE000ull
#define RAM_TOP_SIZE 0x1000ull
#define MAX_INFLIGHT 64

static uint8_t ram_a[RAM_A_SIZE], ram_b[RAM_B_SIZE], ram_top[RAM_TOP_SIZE];
static struct virtq_chain chain;

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static int in_buf(const uint8_t *p, uint32_t len, const uint8_t *buf, uint64_t size)
{
	return p >= buf && p < buf + size && len <= (uint64_t)(buf + size - p);
}

/* Every segment lies inside one region; the chain adds up. */
static void check_chain(const struct virtq *q, const struct virtq_chain *c)
{
	uint64_t out = 0, in = 0;
	volatile uint8_t sink;

	if (c->head >= q->size || c->nr_segs != c->nr_out + c->nr_in || c->nr_segs > VIRTQ_MAX_SEGS)
		abort();
	for (uint32_t i = 0; i < c->nr_segs; i++) {
		const struct virtq_seg *s = &c->segs[i];
		uint8_t *p = s->host;
		if (s->len == 0 || s->writable != (i >= c->nr_out))
			abort();
		if (!in_buf(p, s->len, ram_a, sizeof(ram_a)) && !in_buf(p, s->len, ram_b, sizeof(ram_b)) &&
		    !in_buf(p, s->len, ram_top, sizeof(ram_top)))
			abort();
		if (s->writable) {
			/* Write (same values: the buffer may be a driver ring and
			 * the pop loop relies on the rings not changing under it). */
			p[0] = *(volatile uint8_t *)&p[0];
			p[s->len - 1] = *(volatile uint8_t *)&p[s->len - 1];
			in += s->len;
		} else {
			sink = p[0];
			sink = p[s->len - 1];
			out += s->len;
		}
	}
	(void)sink;
	if (out != c->out_len || in != c->in_len || out + in > VIRTQ_MAX_CHAIN_BYTES)
		abort();
}

struct run {
	struct virtq q;
	struct guest_mem gm;
	uint16_t size, last_avail, used_idx;
	uint64_t desc, avail, used, features;
	uint16_t inflight[MAX_INFLIGHT];
	uint32_t inflight_len[MAX_INFLIGHT];
	unsigned nr_inflight;
};

static void setup_queue(struct run *r)
{
	virtq_reset(&r->q);
	r->q.size = r->size;
	r->q.desc_addr = r->desc;
	r->q.avail_addr = r->avail;
	r->q.used_addr = r->used;
	virtq_set_features(&r->q, r->features);
	r->nr_inflight = 0;
	if (virtq_enable(&r->q, &r->gm) == 0)
		virtq_set_indices(&r->q, r->last_avail, r->used_idx);
	else if (r->q.ready)
		abort();
}

static void pop_all(struct run *r)
{
	/* Guest memory does not change during this loop (the used ring
	 * overlaps no driver ring; segments get their own bytes back), so at
	 * most `size` pops succeed: one more means the queue invented a buffer. */
	for (uint32_t n = 0; n <= r->q.size; n++) {
		int rc = virtq_pop(&r->q, &r->gm, &chain);
		if (rc == 0)
			return;
		if (rc < 0) {
			if (rc != -EINVAL || !r->q.broken)
				abort();
			return;
		}
		if (rc != 1)
			abort();
		check_chain(&r->q, &chain);
		if (r->nr_inflight < MAX_INFLIGHT) {
			r->inflight[r->nr_inflight] = chain.head;
			r->inflight_len[r->nr_inflight++] = chain.in_len;
		} else if (virtq_push(&r->q, chain.head, 0) != 0) {
			abort();
		}
	}
	abort(); /* more chains than the avail ring can publish */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run r;

	if (size < 16)
		return 0;
	log_set_level(LOG_ERROR);
	memset(&r, 0, sizeof(r));
	memset(ram_a, 0, sizeof(ram_a));
	memset(ram_b, 0, sizeof(ram_b));
	memset(ram_top, 0, sizeof(ram_top));
	if (gm_add_region(&r.gm, RAM_A, RAM_A_SIZE, ram_a, -1) || gm_add_region(&r.gm, RAM_B, RAM_B_SIZE, ram_b, -1) ||
	    gm_add_region(&r.gm, RAM_TOP, RAM_TOP_SIZE, ram_top, -1))
		abort();

	uint8_t sel = data[0];
	r.size = (sel & 0x80) ? le16(data + 2) : (uint16_t)(1u << (sel & 15));
	r.features = ((data[1] & 1) ? 1ull << VIRTQ_F_INDIRECT_DESC : 0) | ((data[1] & 2) ? 1ull << VIRTQ_F_EVENT_IDX : 0);
	r.desc = le16(data + 4);
	r.avail = le16(data + 6);
	r.used = (sel & 0x40) ? RAM_TOP + (le16(data + 8) & 0xfff) : le16(data + 8);
	r.last_avail = le16(data + 10);
	r.used_idx = le16(data + 12);
	size_t nops = data[14];
	const uint8_t *ops = data + 16;
	if (nops * 4 > size - 16)
		nops = (size - 16) / 4;
	const uint8_t *img = ops + nops * 4;
	size_t img_len = size - 16 - nops * 4;
	memcpy(ram_a, img, img_len < sizeof(ram_a) ? img_len : sizeof(ram_a));

	if (virtq_init(&r.q, VIRTQ_SIZE_MAX, "fuzz") != 0)
		abort();
	setup_queue(&r);

	for (size_t i = 0; i < nops; i++) {
		const uint8_t *op = ops + 4 * i;
		uint16_t ab = (uint16_t)(op[1] << 8 | op[2]);
		switch (op[0] % 9) {
		case 0:
			pop_all(&r);
			break;
		case 1:
			if (r.nr_inflight) {
				uint32_t w = ab < r.inflight_len[0] ? ab : r.inflight_len[0];
				int rc = virtq_push(&r.q, r.inflight[0], w);
				if (rc != 0 && !(rc == -EIO && r.q.broken) && !(rc == -EINVAL && !r.q.ready))
					abort();
				r.nr_inflight--;
				memmove(r.inflight, r.inflight + 1, r.nr_inflight * sizeof(r.inflight[0]));
				memmove(r.inflight_len, r.inflight_len + 1, r.nr_inflight * sizeof(r.inflight_len[0]));
			}
			break;
		case 2: {
			int rc = virtq_push(&r.q, ab, op[3]);
			if (rc == 0 && (!r.q.ready || ab >= r.q.size || r.q.broken))
				abort();
			break;
		}
		case 3:
			(void)virtq_should_notify(&r.q);
			break;
		case 4:
			virtq_disable_notify(&r.q);
			break;
		case 5:
			(void)virtq_enable_notify(&r.q);
			break;
		case 6:
			virtq_set_avail_event(&r.q);
			break;
		case 7:
			ram_a[ab % sizeof(ram_a)] = op[3];
			break;
		default:
			setup_queue(&r);
			break;
		}
	}
	pop_all(&r);
	return 0;
}
