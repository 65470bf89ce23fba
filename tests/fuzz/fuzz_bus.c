/* libFuzzer target: bus insert/remove/dispatch against a shadow model.
 *
 * The input is a sequence of operations on one bus with dummy devices. A
 * simple list of ranges tracks what the bus should contain; every result
 * (insert/remove return codes, which device a read or write reaches and
 * at which offset, 0xff fill on unclaimed reads) is checked against it.
 *
 * Operation encoding: one opcode byte, then its operands, little-endian.
 * Addresses are 16-bit (dense, so ranges collide) unless the opcode's bit 7
 * asks for a full 64-bit value (to reach the top of the address space). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"

#define MAX_RANGES 64

struct dev {
	unsigned id;
	bool hit;
	uint64_t off;
	uint32_t len;
};

struct model_range {
	uint64_t base, len;
	unsigned dev;
};

static struct dev devs[MAX_RANGES];
static struct model_range model[MAX_RANGES];
static unsigned nmodel;

static void dev_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
	struct dev *d = opaque;
	d->hit = true;
	d->off = offset;
	d->len = len;
	for (uint32_t i = 0; i < len; i++)
		data[i] = (uint8_t)(d->id ^ i);
}

static void dev_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
	struct dev *d = opaque;
	d->hit = true;
	d->off = offset;
	d->len = len;
}

static const struct bus_ops ops_rw = {.read = dev_read, .write = dev_write};

struct input {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct input *in, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes && in->n; i++, in->p++, in->n--)
		v |= (uint64_t)in->p[0] << (8 * i);
	return v;
}

static const struct model_range *model_find(uint64_t addr, uint32_t len)
{
	for (unsigned i = 0; i < nmodel; i++) {
		const struct model_range *m = &model[i];
		uint64_t mlast = m->base + (m->len - 1);
		uint64_t last = addr + (len - 1);
		if (last < addr)
			return NULL; /* access wraps: nobody can claim it */
		if (addr >= m->base && last <= mlast)
			return m;
	}
	return NULL;
}

static bool model_overlaps(uint64_t base, uint64_t last)
{
	for (unsigned i = 0; i < nmodel; i++) {
		uint64_t mlast = model[i].base + (model[i].len - 1);
		if (base <= mlast && model[i].base <= last)
			return true;
	}
	return false;
}

static void check_sorted(const struct bus *bus)
{
	if (bus->nr != nmodel)
		__builtin_trap();
	for (unsigned i = 1; i < bus->nr; i++) {
		const struct bus_range *a = &bus->ranges[i - 1], *b = &bus->ranges[i];
		if (a->base + (a->len - 1) >= b->base)
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bus bus;
	struct input in = {data, size};
	bus_init(&bus, "fuzz");
	nmodel = 0;
	for (unsigned i = 0; i < MAX_RANGES; i++)
		devs[i] = (struct dev){.id = i + 1};

	while (in.n) {
		uint8_t op = (uint8_t)take(&in, 1);
		bool wide = op & 0x80;
		uint64_t addr = take(&in, wide ? 8 : 2);
		switch (op & 3) {
		case 0: { /* insert */
			uint64_t len = take(&in, wide ? 8 : 1);
			if (nmodel >= MAX_RANGES)
				break;
			unsigned d = nmodel; /* device slot: reuse by index */
			for (unsigned k = 0; k < MAX_RANGES; k++) {
				bool used = false;
				for (unsigned m = 0; m < nmodel; m++)
					used |= model[m].dev == k;
				if (!used) {
					d = k;
					break;
				}
			}
			int want;
			if (len == 0 || addr + (len - 1) < addr)
				want = -EINVAL;
			else if (model_overlaps(addr, addr + (len - 1)))
				want = -EEXIST;
			else
				want = 0;
			int rc = bus_insert(&bus, addr, len, &ops_rw, &devs[d], "dev");
			if (rc != want)
				__builtin_trap();
			if (rc == 0)
				model[nmodel++] = (struct model_range){addr, len, d};
			break;
		}
		case 1: { /* remove */
			int want = -ENOENT;
			for (unsigned m = 0; m < nmodel; m++) {
				if (model[m].base == addr) {
					model[m] = model[--nmodel];
					want = 0;
					break;
				}
			}
			if (bus_remove(&bus, addr) != want)
				__builtin_trap();
			break;
		}
		case 2:   /* read */
		case 3: { /* write */
			static const uint32_t lens[4] = {1, 2, 4, 8};
			uint32_t len = lens[(op >> 2) & 3];
			const struct model_range *m = model_find(addr, len);
			for (unsigned k = 0; k < MAX_RANGES; k++)
				devs[k].hit = false;
			uint8_t buf[8];
			memset(buf, 0x5a, sizeof(buf));
			bool claimed = (op & 3) == 2 ? bus_read(&bus, addr, buf, len) : bus_write(&bus, addr, buf, len);
			if (claimed != (m != NULL))
				__builtin_trap();
			unsigned hits = 0;
			for (unsigned k = 0; k < MAX_RANGES; k++)
				hits += devs[k].hit;
			if (hits != (m ? 1u : 0u))
				__builtin_trap();
			if (m) {
				const struct dev *d = &devs[m->dev];
				if (!d->hit || d->off != addr - m->base || d->len != len)
					__builtin_trap();
				if ((op & 3) == 2 && buf[0] != (uint8_t)d->id)
					__builtin_trap();
			} else if ((op & 3) == 2) {
				for (uint32_t i = 0; i < len; i++)
					if (buf[i] != 0xff)
						__builtin_trap();
			}
			break;
		}
		}
		check_sorted(&bus);
	}
	bus_destroy(&bus);
	return 0;
}
