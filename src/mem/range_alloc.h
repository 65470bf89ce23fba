/* mem/range_alloc.h — an allocator over an address or number space.
 *
 * Keeps the ranges handed out in an ordered array (by base) and refuses
 * overlaps. Used for the MMIO windows (BARs), and for GSIs/IRQ numbers.
 * Not thread-safe: used from set-up code and the control thread.
 */
#ifndef NIMBUS_MEM_RANGE_ALLOC_H
#define NIMBUS_MEM_RANGE_ALLOC_H

#include <stdint.h>

struct ra_range {
	uint64_t base, size;
};

struct range_alloc {
	uint64_t start, end; /* managed space [start, end] inclusive */
	struct ra_range *used; /* sorted by base, non-overlapping */
	unsigned nr, cap;
};

/* Manage [start, end] (inclusive, so the whole 64-bit space is expressible).
 * Returns 0 or -EINVAL if end < start. */
__attribute__((warn_unused_result)) int ra_init(struct range_alloc *ra, uint64_t start, uint64_t end);
void ra_destroy(struct range_alloc *ra);
/* Reserve exactly [base, base+size). 0, -EINVAL (size 0, wrap, outside the
 * space), -EEXIST (overlaps something reserved), -ENOMEM. */
__attribute__((warn_unused_result)) int ra_reserve(struct range_alloc *ra, uint64_t base, uint64_t size);
/* First fit of `size` bytes aligned to `align` (a power of two, or 0/1 for
 * none). Returns 0 and *base, -EINVAL, or -ENOSPC. */
__attribute__((warn_unused_result)) int ra_alloc(struct range_alloc *ra, uint64_t size, uint64_t align,
						 uint64_t *base);
/* Free the range that starts at base. 0 or -ENOENT. */
__attribute__((warn_unused_result)) int ra_free(struct range_alloc *ra, uint64_t base);

#endif
