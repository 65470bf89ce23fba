/* tests/fuzz/fuzz_guest.c — see fuzz_guest.h. */
#include "fuzz_guest.h"

#include <stdlib.h>
#include <string.h>

void fuzz_guest_init(struct fuzz_guest *g)
{
	if (g->ram)
		return;
	g->ram = aligned_alloc(4096, FUZZ_RAM_SIZE);
	if (!g->ram || gm_add_region(&g->gm, 0, FUZZ_RAM_SIZE, g->ram, -1))
		abort();
}

uint16_t fuzz_guest_head(struct input *in)
{
	if (in->n < 2)
		return 0;
	return (uint16_t)(take(in, 2) % (FUZZ_QSIZE + 1));
}

void fuzz_guest_load(struct fuzz_guest *g, struct input *in)
{
	memset(g->ram, 0, FUZZ_RAM_SIZE);
	for (unsigned i = 0; i < FUZZ_QSIZE && in->n >= 16; i++) {
		struct virtq_desc d;
		memcpy(&d, in->p, 16);
		d.addr %= FUZZ_RAM_SIZE + 0x100;
		d.next %= FUZZ_QSIZE + 1;
		memcpy(g->ram + FUZZ_DESC + 16 * i, &d, 16);
		in->p += 16;
		in->n -= 16;
	}
	size_t n = in->n < FUZZ_RAM_SIZE - FUZZ_BUF ? in->n : FUZZ_RAM_SIZE - FUZZ_BUF;
	memcpy(g->ram + FUZZ_BUF, in->p, n);
	in->p += n;
	in->n -= n;
}

void fuzz_guest_setq(struct virtq *q, uint64_t features, uint64_t avail, uint64_t used)
{
	virtq_set_features(q, features);
	q->size = FUZZ_QSIZE;
	q->desc_addr = FUZZ_DESC;
	q->avail_addr = avail;
	q->used_addr = used;
}
