/* virtio/blk.h — virtio block device (virtio 1.2, 5.2): guest ABI constants,
 * the pure request parser, and the parameters the VMM passes to the device.
 *
 * A request is one descriptor chain: a 16-byte device-readable header
 * {le32 type, le32 reserved, le64 sector}, then data (device-readable for
 * OUT, DISCARD and WRITE_ZEROES; device-writable for IN and GET_ID), then
 * one device-writable status byte, the last byte of the chain. The device
 * does not assume any framing: the header may span descriptors and the
 * status byte may share a descriptor with data.
 */
#ifndef NIMBUS_VIRTIO_BLK_H
#define NIMBUS_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "block/blk_backend.h"
#include "util/counter.h"
#include "virtio/device.h"
#include "virtio/queue.h"

#define VIRTIO_ID_BLOCK 2

/* Feature bits */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_TOPOLOGY 10
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* Request types and status values */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP 1u

#define VIRTIO_BLK_ID_BYTES 20
#define VIRTIO_BLK_HDR_SIZE 16
#define VIRTIO_BLK_DISCARD_SEG_SIZE 16 /* {le64 sector, le32 num_sectors, le32 flags} */
#define VIRTIO_BLK_CONFIG_SIZE 60      /* through write_zeroes_may_unmap + padding */

/* Limits the device advertises and enforces. */
#define VIRTIO_BLK_SEG_MAX 126u          /* data segments per request */
#define VIRTIO_BLK_SIZE_MAX (4u << 20)   /* bytes per segment (advertised) */
#define VIRTIO_BLK_MAX_DISCARD_SECTORS 0x400000u /* 2 GiB per discard/write-zeroes */
#define VIRTIO_BLK_MAX_QUEUES 8u

struct virtio_blk_limits {
	uint64_t capacity; /* sectors */
	bool readonly;
	uint32_t seg_max;             /* <= VIRTIO_BLK_SEG_MAX */
	uint32_t max_discard_sectors; /* also for write-zeroes */
};

/* A parsed, validated request. iov[] point into the chain's host segments
 * (valid until the chain is pushed). */
struct virtio_blk_req {
	uint32_t type;
	uint64_t sector;
	uint64_t off, len; /* disk byte range (IN, OUT, DISCARD, WRITE_ZEROES) */
	bool unmap;        /* WRITE_ZEROES with the UNMAP flag */
	struct iovec iov[VIRTIO_BLK_SEG_MAX];
	unsigned iovcnt;   /* data buffers: IN/GET_ID writable, OUT readable */
	uint64_t data_len; /* sum of iov lengths */
	uint8_t *status;   /* last byte of the chain, or NULL if it has none writable */
};

/* Parse and validate one popped chain; pure (reads only the chain's
 * readable bytes, writes only *r). Returns VIRTIO_BLK_S_OK when the request
 * may be executed, else the status to complete it with (IOERR: malformed,
 * out of range, not a multiple of 512, write to a read-only disk, too many
 * segments; UNSUPP: unknown type or flags). When r->status is NULL the
 * request cannot be answered: give the chain back with 0 bytes written.
 * Contract: the chain's segments were mapped through gm_ptr by virtq_pop;
 * the header and discard segment are copied out once (no double fetch). */
uint8_t virtio_blk_parse(const struct virtq_chain *c, const struct virtio_blk_limits *lim,
			 struct virtio_blk_req *r);

/* Per-device counters (cloud-hypervisor's vm.counters keys): completed
 * reads and writes and their bytes. Written by the device thread. */
struct virtio_blk_counters {
	counter_t read_bytes, write_bytes, read_ops, write_ops;
};

/* What the VMM passes to virtio_blk_create. The backend stays the VMM's:
 * the device never closes it. */
struct virtio_blk_params {
	struct blk_backend *backend;
	unsigned num_queues; /* 1..VIRTIO_BLK_MAX_QUEUES */
	unsigned queue_size; /* power of two, 2..1024 */
	const char *id;      /* GET_ID string (<= 20 bytes used), or NULL */
	bool force_sync;     /* tests/fuzzing: synchronous I/O instead of io_uring */
};

/* Create a device: per-instance ops (queue count and size, RO/MQ features)
 * and private state, for pci_setup_add_virtio_ops / virtio_device_init;
 * ops->destroy frees both. 0 or -errno (-EINVAL for bad parameters). */
struct virtio_device_ops;
__attribute__((warn_unused_result)) int virtio_blk_create(const struct virtio_blk_params *p,
							  const struct virtio_device_ops **ops, void **priv);
/* The counters of a device made by virtio_blk_create (valid until destroy). */
const struct virtio_blk_counters *virtio_blk_counters(void *priv);

#endif
