/* mem/range_alloc.c — ordered first-fit range allocator. */
#include "mem/range_alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ra_init(struct range_alloc *ra, uint64_t start, uint64_t end)
{
	memset(ra, 0, sizeof(*ra));
	if (end < start)
		return -EINVAL;
	ra->start = start;
	ra->end = end;
	return 0;
}

void ra_destroy(struct range_alloc *ra)
{
	free(ra->used);
	memset(ra, 0, sizeof(*ra));
}

/* Last byte of [base, base+size), or 0 with *ok=0 when it wraps. */
static int range_last(uint64_t base, uint64_t size, uint64_t *last)
{
	if (size == 0 || base + (size - 1) < base)
		return 0;
	*last = base + (size - 1);
	return 1;
}

static int insert_at(struct range_alloc *ra, unsigned pos, uint64_t base, uint64_t size)
{
	if (ra->nr == ra->cap) {
		unsigned cap = ra->cap ? ra->cap * 2 : 16;
		struct ra_range *n = realloc(ra->used, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		ra->used = n;
		ra->cap = cap;
	}
	memmove(&ra->used[pos + 1], &ra->used[pos], (ra->nr - pos) * sizeof(ra->used[0]));
	ra->used[pos] = (struct ra_range){base, size};
	ra->nr++;
	return 0;
}

int ra_reserve(struct range_alloc *ra, uint64_t base, uint64_t size)
{
	uint64_t last;
	if (!range_last(base, size, &last) || base < ra->start || last > ra->end)
		return -EINVAL;
	unsigned pos = 0;
	while (pos < ra->nr && ra->used[pos].base < base)
		pos++;
	if (pos > 0) {
		const struct ra_range *prev = &ra->used[pos - 1];
		if (prev->base + (prev->size - 1) >= base)
			return -EEXIST;
	}
	if (pos < ra->nr && ra->used[pos].base <= last)
		return -EEXIST;
	return insert_at(ra, pos, base, size);
}

/* Round up v to align; returns 0 on overflow. */
static int align_up(uint64_t v, uint64_t align, uint64_t *out)
{
	if (align <= 1) {
		*out = v;
		return 1;
	}
	uint64_t r = (v + (align - 1)) & ~(align - 1);
	if (r < v)
		return 0;
	*out = r;
	return 1;
}

int ra_alloc(struct range_alloc *ra, uint64_t size, uint64_t align, uint64_t *base)
{
	if (size == 0 || (align > 1 && (align & (align - 1))))
		return -EINVAL;
	uint64_t cand = ra->start;
	for (unsigned i = 0; i <= ra->nr; i++) {
		uint64_t b, last;
		if (!align_up(cand, align, &b) || !range_last(b, size, &last) || last > ra->end)
			return -ENOSPC;
		if (i == ra->nr || last < ra->used[i].base) {
			int rc = insert_at(ra, i, b, size);
			if (rc == 0)
				*base = b;
			return rc;
		}
		const struct ra_range *u = &ra->used[i];
		uint64_t ulast = u->base + (u->size - 1);
		if (ulast == UINT64_MAX)
			return -ENOSPC;
		if (ulast + 1 > cand)
			cand = ulast + 1;
	}
	return -ENOSPC;
}

int ra_free(struct range_alloc *ra, uint64_t base)
{
	for (unsigned i = 0; i < ra->nr; i++) {
		if (ra->used[i].base == base) {
			memmove(&ra->used[i], &ra->used[i + 1], (ra->nr - i - 1) * sizeof(ra->used[0]));
			ra->nr--;
			return 0;
		}
	}
	return -ENOENT;
}
