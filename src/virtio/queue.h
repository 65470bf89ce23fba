/* virtio/queue.h — split virtqueue, device side (virtio 1.2, section 2.7).
 *
 * The driver (guest) owns three rings in guest RAM: the descriptor table, the
 * available ring and the used ring. This module validates them when the
 * driver enables the queue, pops descriptor chains as host segments, pushes
 * used elements and decides when to interrupt the guest.
 *
 * Trust: everything in the rings is guest-controlled and may change at any
 * moment. Each guest value is read once into a local (single atomic load or a
 * copy followed by a compiler barrier), validated, and only the local is used.
 * Every guest address goes through gm_ptr(). Multi-byte ring fields are
 * little-endian (virtio 1.x); nimbus runs on x86_64, so plain loads are the
 * right byte order (a big-endian port would add le16toh()/le32toh() here).
 *
 * A guest that breaks the rules makes virtq_pop() return -EINVAL: the queue is
 * then `broken` (it stays so until virtq_reset()), one rate-limited line is
 * logged, and the caller sets DEVICE_NEEDS_RESET. Nothing a guest writes can
 * crash, hang or make the VMM touch memory outside guest RAM.
 *
 * Threads: one queue is used by one thread at a time (its device thread);
 * the transport sets it up and resets it while the device is quiescent.
 *
 * Ring lifetime: virtq_enable() resolves the three rings to host pointers
 * once. The guest_mem must keep those mappings until virtq_reset() (nimbus
 * never unmaps RAM of a running guest).
 */
#ifndef NIMBUS_VIRTIO_QUEUE_H
#define NIMBUS_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "mem/guest_mem.h"

/* The largest queue size the split ring allows (virtio 1.2, 2.7). */
#define VIRTQ_SIZE_MAX 32768u

/* Feature bits that change the ring layout or semantics. */
#define VIRTQ_F_INDIRECT_DESC 28 /* VIRTIO_F_RING_INDIRECT_DESC */
#define VIRTQ_F_EVENT_IDX 29     /* VIRTIO_F_RING_EVENT_IDX */

/* Descriptor flags, avail/used ring flags (guest ABI). */
#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_DESC_F_INDIRECT 4u
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_USED_F_NO_NOTIFY 1u

/* Limits of one popped chain (all guest-triggered, all enforced):
 *  - a chain in the descriptor table has at most `size` descriptors, an
 *    indirect table at most its own len/16 entries (so every walk ends);
 *  - an indirect table holds at most VIRTQ_MAX_SEGS entries;
 *  - at most VIRTQ_MAX_SEGS non-empty buffers per chain;
 *  - the buffer lengths sum to at most VIRTQ_MAX_CHAIN_BYTES. */
#define VIRTQ_MAX_SEGS 1024u
#define VIRTQ_MAX_CHAIN_BYTES 0xFFFFFFFFull /* fits the used element's 32-bit len */

/* Guest ABI structures (little-endian). */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_used_elem {
	uint32_t id;  /* head index of the completed chain */
	uint32_t len; /* bytes the device wrote into the chain */
};

/* One guest buffer of a chain, as a host mapping. */
struct virtq_seg {
	void *host;    /* valid until the chain is pushed back (virtq_push) */
	uint32_t len;  /* > 0 */
	bool writable; /* device writes ("in"); else device reads ("out") */
};

/* A popped descriptor chain. Device-readable segments come first, then the
 * device-writable ones. Zero-length descriptors are valid, produce no
 * segment, and still count against the chain length limit. */
struct virtq_chain {
	uint16_t head;      /* pass to virtq_push() */
	uint32_t nr_segs;   /* nr_out + nr_in */
	uint32_t nr_out;    /* readable segments: segs[0, nr_out) */
	uint32_t nr_in;     /* writable segments: segs[nr_out, nr_segs) */
	uint32_t out_len;   /* total readable bytes */
	uint32_t in_len;    /* total writable bytes */
	struct virtq_seg segs[VIRTQ_MAX_SEGS];
};

struct virtq {
	/* Set by the device when it creates the queue (virtq_init). */
	uint16_t max_size;
	const char *name; /* for log lines, e.g. "blk0.rq"; may be NULL */

	/* Set by the transport from the driver's writes while the queue is not
	 * ready; read only by virtq_enable(). */
	uint16_t size;
	uint64_t desc_addr, avail_addr, used_addr;
	bool indirect_desc; /* VIRTIO_F_RING_INDIRECT_DESC negotiated */
	bool event_idx;     /* VIRTIO_F_RING_EVENT_IDX negotiated */

	/* State (read-only for users). */
	bool ready;
	bool broken;               /* guest broke the rules; needs reset */
	const char *broken_reason; /* static string, for logs and tests */
	uint16_t last_avail_idx;   /* next avail ring slot the device pops */
	uint16_t avail_idx_shadow; /* last validated avail->idx */
	uint16_t used_idx;         /* next used ring slot the device fills */
	uint16_t signalled_used;   /* used_idx at the last notify decision */

	/* Host views of the rings, resolved by virtq_enable() through gm_ptr. */
	struct virtq_desc *desc;
	uint16_t *avail; /* flags, idx, ring[size], used_event */
	uint16_t *used;  /* flags, idx, then ring[size] of virtq_used_elem, avail_event */
};

/* Initialise an idle queue the device offers with at most `max_size` entries
 * (a power of two, 1..VIRTQ_SIZE_MAX). Returns 0 or -EINVAL. The driver's
 * `size` starts at max_size (virtio-pci reports it as the default). */
__attribute__((warn_unused_result)) int virtq_init(struct virtq *q, uint16_t max_size, const char *name);

/* Take the negotiated feature bits (VIRTQ_F_INDIRECT_DESC, VIRTQ_F_EVENT_IDX). */
void virtq_set_features(struct virtq *q, uint64_t features);

/* The driver wrote queue_enable = 1. Contract: validates size (power of two,
 * 1..max_size), alignment (desc 16, avail 2, used 4) and that each ring (desc
 * 16*size, avail 6+2*size, used 6+8*size bytes) lies entirely inside one
 * region of guest RAM, and that the used ring (the only one the device
 * writes) overlaps neither the descriptor table nor the avail ring. Returns 0
 * (queue ready, indices 0) or -EINVAL (queue unchanged and not ready; also
 * when it is already ready). */
__attribute__((warn_unused_result)) int virtq_enable(struct virtq *q, const struct guest_mem *gm);

/* Back to the state after virtq_init() (device reset): not ready, not
 * broken, addresses and indices 0, size = max_size. */
void virtq_reset(struct virtq *q);

/* Pop the next available chain. Returns 1 and fills *chain, 0 if there is no
 * new buffer (or the queue is not ready), or -EINVAL if the guest broke the
 * rules (the queue is now broken: every later call returns -EINVAL; set
 * DEVICE_NEEDS_RESET). Contract: reads avail->idx with acquire ordering, then
 * each descriptor once; every buffer is mapped through gm_ptr. On success
 * the chain's host pointers stay valid until it is pushed back. */
__attribute__((warn_unused_result)) int virtq_pop(struct virtq *q, const struct guest_mem *gm,
						  struct virtq_chain *chain);

/* Give chain `head` back with `written` bytes written into its writable
 * part: writes the used element, then the used idx with release ordering.
 * The device pushes each popped chain exactly once, with written <= in_len;
 * after that the chain's host pointers must not be used. Not checked here
 * (the queue keeps no per-chain state).
 * Returns 0, -EINVAL if head >= size or the queue is not ready (device bug),
 * -EIO if the queue is broken. */
__attribute__((warn_unused_result)) int virtq_push(struct virtq *q, uint16_t head, uint32_t written);

/* Call after pushing a batch: true if the guest wants an interrupt for the
 * used buffers pushed since the previous call. With EVENT_IDX it compares
 * the driver's used_event (vring_need_event, 16-bit wrap-around), otherwise
 * it honours VIRTQ_AVAIL_F_NO_INTERRUPT. Full fence before reading the
 * driver's field. False when nothing was pushed since the last call. */
bool virtq_should_notify(struct virtq *q);

/* Driver-to-device notification suppression while the device is busy
 * draining the queue. Usage (the classic race-free loop):
 *
 *	for (;;) {
 *		virtq_disable_notify(q);
 *		while ((rc = virtq_pop(q, gm, chain)) == 1)
 *			handle(chain);
 *		if (rc < 0) -> NEEDS_RESET
 *		if (!virtq_enable_notify(q))
 *			break;   // nothing arrived in the window: sleep
 *	}
 *
 * Without EVENT_IDX this sets / clears VIRTQ_USED_F_NO_NOTIFY; with EVENT_IDX
 * disabling does nothing (avail_event is simply not advanced) and enabling
 * publishes avail_event = last_avail_idx. virtq_enable_notify() then issues
 * a full fence and returns true if buffers arrived in the meantime. */
void virtq_disable_notify(struct virtq *q);
bool virtq_enable_notify(struct virtq *q);

/* True if the driver has made buffers available that virtq_pop has not taken
 * (one acquire load of avail idx; false when not ready or broken). For
 * polling a little before virtq_enable_notify re-arms notifications. */
bool virtq_has_avail(struct virtq *q);

/* Publish avail_event = last_avail_idx (EVENT_IDX only; no-op otherwise):
 * the driver notifies again once it makes the next buffer available. */
void virtq_set_avail_event(struct virtq *q);

/* Restore device-side indices (snapshot restore; tests of index wrap-around).
 * Only on a ready queue before any pop. */
void virtq_set_indices(struct virtq *q, uint16_t last_avail_idx, uint16_t used_idx);

#endif
