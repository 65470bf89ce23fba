/* virtio/queue.c — split virtqueue, device side. See queue.h for contracts. */
#include "virtio/queue.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "util/log.h"

/* Layout offsets inside the rings (virtio 1.2, 2.7.6 and 2.7.8). */
#define AVAIL_FLAGS 0
#define AVAIL_IDX 1
#define AVAIL_RING 2 /* in uint16_t units */
#define USED_FLAGS 0
#define USED_IDX 1
#define USED_RING_OFF 4 /* bytes */

static uint64_t desc_bytes(uint32_t size)
{
	return 16ull * size;
}
static uint64_t avail_bytes(uint32_t size)
{
	return 6ull + 2ull * size;
}
static uint64_t used_bytes(uint32_t size)
{
	return 6ull + 8ull * size;
}

/* [a, a+alen) and [b, b+blen) intersect (both already checked by gm_ptr,
 * so neither end overflows). */
static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static bool is_pow2(uint32_t x)
{
	return x && !(x & (x - 1));
}

int virtq_init(struct virtq *q, uint16_t max_size, const char *name)
{
	memset(q, 0, sizeof(*q));
	if (!is_pow2(max_size) || max_size > VIRTQ_SIZE_MAX)
		return -EINVAL;
	q->max_size = max_size;
	q->name = name;
	q->size = max_size;
	return 0;
}

void virtq_set_features(struct virtq *q, uint64_t features)
{
	q->indirect_desc = (features >> VIRTQ_F_INDIRECT_DESC) & 1;
	q->event_idx = (features >> VIRTQ_F_EVENT_IDX) & 1;
}

void virtq_reset(struct virtq *q)
{
	uint16_t max = q->max_size;
	const char *name = q->name;

	memset(q, 0, sizeof(*q));
	q->max_size = max;
	q->name = name;
	q->size = max;
}

int virtq_enable(struct virtq *q, const struct guest_mem *gm)
{
	uint32_t size = q->size;

	if (q->ready || !is_pow2(size) || size > q->max_size)
		return -EINVAL;
	if ((q->desc_addr & 15) || (q->avail_addr & 1) || (q->used_addr & 3))
		return -EINVAL;
	void *desc = gm_ptr(gm, q->desc_addr, desc_bytes(size));
	void *avail = gm_ptr(gm, q->avail_addr, avail_bytes(size));
	void *used = gm_ptr(gm, q->used_addr, used_bytes(size));
	if (!desc || !avail || !used)
		return -EINVAL;
	/* The device writes only the used ring. If it overlapped a driver ring,
	 * our own used-ring writes would publish "new" buffers or rewrite
	 * descriptors: a guest could make the device feed itself forever. */
	if (overlaps(q->used_addr, used_bytes(size), q->desc_addr, desc_bytes(size)) ||
	    overlaps(q->used_addr, used_bytes(size), q->avail_addr, avail_bytes(size)))
		return -EINVAL;
	q->desc = desc;
	q->avail = avail;
	q->used = used;
	q->last_avail_idx = q->avail_idx_shadow = 0;
	q->used_idx = q->signalled_used = 0;
	q->broken = false;
	q->broken_reason = NULL;
	q->ready = true;
	return 0;
}

void virtq_set_indices(struct virtq *q, uint16_t last_avail_idx, uint16_t used_idx)
{
	q->last_avail_idx = q->avail_idx_shadow = last_avail_idx;
	q->used_idx = q->signalled_used = used_idx;
}

/* Mark the queue broken and log the first reason (rate-limited across all
 * queues, since a guest can break and reset queues in a loop). */
static int fail(struct virtq *q, const char *why)
{
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT;

	if (!q->broken) {
		q->broken = true;
		q->broken_reason = why;
		log_ratelimited(&rl, LOG_WARN, "virtio: queue %s: %s; device needs reset", q->name ? q->name : "?",
				why);
	}
	return -EINVAL;
}

/* Copy one descriptor out of guest memory exactly once. The compiler barrier
 * stops the compiler from re-reading guest memory instead of using *out.
 * (Indirect tables need not be aligned, hence memcpy.) */
static void read_desc(const void *src, struct virtq_desc *out)
{
	memcpy(out, src, sizeof(*out));
	__asm__ volatile("" ::: "memory");
}

struct walk {
	uint64_t out_len, in_len;
	bool seen_writable;
};

/* Account one (non-indirect) descriptor. Returns NULL or the failure reason. */
static const char *add_buffer(const struct guest_mem *gm, struct virtq_chain *c, struct walk *w,
			      const struct virtq_desc *d)
{
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;

	if (!writable && w->seen_writable)
		return "readable descriptor after a writable one";
	w->seen_writable |= writable;
	if (d->len == 0)
		return NULL; /* allowed; no segment, counted in the walk budget */
	if (w->out_len + w->in_len + d->len > VIRTQ_MAX_CHAIN_BYTES)
		return "chain longer than 4 GiB";
	void *host = gm_ptr(gm, d->addr, d->len);
	if (!host)
		return "buffer outside guest RAM";
	if (c->nr_segs >= VIRTQ_MAX_SEGS)
		return "too many buffers in one chain";
	c->segs[c->nr_segs++] = (struct virtq_seg){.host = host, .len = d->len, .writable = writable};
	if (writable) {
		w->in_len += d->len;
		c->nr_in++;
	} else {
		w->out_len += d->len;
		c->nr_out++;
	}
	return NULL;
}

/* Walk the chain starting at `head` (already < size). Returns NULL or the
 * reason the chain is invalid. */
static const char *walk_chain(struct virtq *q, const struct guest_mem *gm, uint16_t head, struct virtq_chain *c)
{
	const uint8_t *table = (const uint8_t *)q->desc;
	uint32_t entries = q->size; /* entries in the current table */
	uint32_t budget = q->size;  /* descriptors this walk may still visit */
	uint32_t idx = head;
	bool indirect = false;
	struct walk w = {0, 0, false};

	c->head = head;
	c->nr_segs = c->nr_out = c->nr_in = 0;
	for (;;) {
		struct virtq_desc d;

		if (idx >= entries)
			return indirect ? "next index outside the indirect table" : "next index out of range";
		if (budget == 0)
			return "descriptor chain too long (loop?)";
		budget--;
		read_desc(table + (size_t)idx * sizeof(d), &d);

		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (!q->indirect_desc)
				return "indirect descriptor without VIRTIO_F_RING_INDIRECT_DESC";
			if (indirect)
				return "indirect table inside an indirect table";
			if (d.flags & VIRTQ_DESC_F_NEXT)
				return "indirect descriptor with NEXT";
			if (d.len == 0 || d.len % sizeof(d))
				return "indirect table length not a non-zero multiple of 16";
			if (d.len / sizeof(d) > VIRTQ_MAX_SEGS)
				return "indirect table too large";
			table = gm_ptr(gm, d.addr, d.len);
			if (!table)
				return "indirect table outside guest RAM";
			/* The WRITE flag of the table's own descriptor is ignored (2.7.5.3.2). */
			indirect = true;
			entries = budget = d.len / sizeof(d);
			idx = 0;
			continue;
		}
		const char *why = add_buffer(gm, c, &w, &d);
		if (why)
			return why;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		idx = d.next;
	}
	c->out_len = (uint32_t)w.out_len;
	c->in_len = (uint32_t)w.in_len;
	return NULL;
}

int virtq_pop(struct virtq *q, const struct guest_mem *gm, struct virtq_chain *chain)
{
	if (q->broken)
		return -EINVAL;
	if (!q->ready)
		return 0;
	if (q->avail_idx_shadow == q->last_avail_idx) {
		/* Acquire: the ring entry and descriptors the driver wrote before
		 * publishing idx are visible after this load. */
		uint16_t idx = __atomic_load_n(&q->avail[AVAIL_IDX], __ATOMIC_ACQUIRE);
		if ((uint16_t)(idx - q->last_avail_idx) > q->size)
			return fail(q, "avail idx moved by more than the queue size");
		q->avail_idx_shadow = idx;
		if (idx == q->last_avail_idx)
			return 0;
	}
	uint16_t slot = q->last_avail_idx & (q->size - 1);
	uint16_t head = __atomic_load_n(&q->avail[AVAIL_RING + slot], __ATOMIC_RELAXED);
	if (head >= q->size)
		return fail(q, "avail ring head index out of range");
	const char *why = walk_chain(q, gm, head, chain);
	if (why)
		return fail(q, why);
	q->last_avail_idx++;
	return 1;
}

int virtq_push(struct virtq *q, uint16_t head, uint32_t written)
{
	if (!q->ready || head >= q->size)
		return -EINVAL;
	if (q->broken)
		return -EIO;
	uint16_t slot = q->used_idx & (q->size - 1);
	struct virtq_used_elem *e = (struct virtq_used_elem *)((uint8_t *)q->used + USED_RING_OFF) + slot;
	__atomic_store_n(&e->id, (uint32_t)head, __ATOMIC_RELAXED);
	__atomic_store_n(&e->len, written, __ATOMIC_RELAXED);
	q->used_idx++;
	/* Release: the element is visible before the driver sees the new idx. */
	__atomic_store_n(&q->used[USED_IDX], q->used_idx, __ATOMIC_RELEASE);
	return 0;
}

bool virtq_should_notify(struct virtq *q)
{
	if (!q->ready || q->broken)
		return false;
	uint16_t old = q->signalled_used, new = q->used_idx;
	q->signalled_used = new;
	if (old == new)
		return false;
	/* Our used idx store must be globally visible before we read the
	 * driver's suppression field, or both sides could miss each other. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (q->event_idx) {
		uint16_t event = __atomic_load_n(&q->avail[AVAIL_RING + q->size], __ATOMIC_RELAXED);
		/* vring_need_event: did [old, new) step over event? */
		return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
	}
	return !(__atomic_load_n(&q->avail[AVAIL_FLAGS], __ATOMIC_RELAXED) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

static uint16_t *avail_event(struct virtq *q)
{
	return (uint16_t *)((uint8_t *)q->used + USED_RING_OFF + sizeof(struct virtq_used_elem) * q->size);
}

void virtq_set_avail_event(struct virtq *q)
{
	if (q->ready && q->event_idx)
		__atomic_store_n(avail_event(q), q->last_avail_idx, __ATOMIC_RELAXED);
}

void virtq_disable_notify(struct virtq *q)
{
	if (!q->ready || q->event_idx)
		return; /* with EVENT_IDX: leave avail_event behind */
	__atomic_store_n(&q->used[USED_FLAGS], (uint16_t)VIRTQ_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
}

bool virtq_enable_notify(struct virtq *q)
{
	if (!q->ready || q->broken)
		return false;
	if (q->event_idx)
		virtq_set_avail_event(q);
	else
		__atomic_store_n(&q->used[USED_FLAGS], (uint16_t)0, __ATOMIC_RELAXED);
	/* The flag/event store must be visible before we re-read avail idx:
	 * a driver that added a buffer just before seeing it would not notify. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return virtq_has_avail(q);
}

bool virtq_has_avail(struct virtq *q)
{
	if (!q->ready || q->broken)
		return false;
	return __atomic_load_n(&q->avail[AVAIL_IDX], __ATOMIC_ACQUIRE) != q->last_avail_idx;
}
