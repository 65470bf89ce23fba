/* tests/fuzz/fuzz_guest.h — the fake guest the virtio device fuzz targets
 * (virtio_blk, virtio_net) share: 128 KiB of RAM at guest address 0, a
 * descriptor table of FUZZ_QSIZE entries at FUZZ_DESC and a buffer area
 * from FUZZ_BUF, both filled from the input (each target puts its rings
 * between them), and the queue heads the input offers. */
#ifndef NIMBUS_TESTS_FUZZ_GUEST_H
#define NIMBUS_TESTS_FUZZ_GUEST_H

#include <stdint.h>

#include "mem/guest_mem.h"
#include "virtio/queue.h"

#include "fuzz_input.h"

#define FUZZ_RAM_SIZE 0x20000ull
#define FUZZ_DESC 0x0ull
#define FUZZ_BUF 0x4000ull
#define FUZZ_QSIZE 16

struct fuzz_guest {
	uint8_t *ram; /* FUZZ_RAM_SIZE bytes, page-aligned */
	struct guest_mem gm;
};

/* Allocates the RAM and maps it at guest address 0, the first time it is
 * called for g (aborts on failure). */
void fuzz_guest_init(struct fuzz_guest *g);

/* The next 2 input bytes as a queue head folded into 0..FUZZ_QSIZE (mostly
 * valid, sometimes out of range); 0, taking nothing, when fewer are left. */
uint16_t fuzz_guest_head(struct input *in);

/* Zeroes the RAM, fills the descriptor table from the input (16 bytes per
 * descriptor while 16 are left; addr folded into RAM plus a little beyond
 * it, next into 0..FUZZ_QSIZE) and copies the rest of the input to the
 * buffer area, as much as fits. */
void fuzz_guest_load(struct fuzz_guest *g, struct input *in);

/* What the driver writes before enabling q: features, FUZZ_QSIZE entries,
 * the descriptor table at FUZZ_DESC and the rings at avail and used. */
void fuzz_guest_setq(struct virtq *q, uint64_t features, uint64_t avail, uint64_t used);

#endif
