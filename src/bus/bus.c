/* bus/bus.c — sorted, non-overlapping range dispatch for PIO and MMIO. */
#include "bus/bus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

void bus_init(struct bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	pthread_rwlock_init(&bus->lock, NULL);
}

void bus_destroy(struct bus *bus)
{
	free(bus->ranges);
	pthread_rwlock_destroy(&bus->lock);
	memset(bus, 0, sizeof(*bus));
}

static int overlaps(const struct bus_range *r, uint64_t base, uint64_t last)
{
	uint64_t rlast = r->base + (r->len - 1);
	return base <= rlast && r->base <= last;
}

int bus_insert(struct bus *bus, uint64_t base, uint64_t len, const struct bus_ops *ops, void *opaque,
	       const char *name)
{
	if (len == 0 || base + (len - 1) < base || !ops)
		return -EINVAL;
	uint64_t last = base + (len - 1);
	int rc = 0;
	pthread_rwlock_wrlock(&bus->lock);
	unsigned pos = 0;
	for (unsigned i = 0; i < bus->nr; i++) {
		if (overlaps(&bus->ranges[i], base, last)) {
			rc = -EEXIST;
			goto out;
		}
		if (bus->ranges[i].base < base)
			pos = i + 1;
	}
	if (bus->nr == bus->cap) {
		unsigned cap = bus->cap ? bus->cap * 2 : 16;
		struct bus_range *n = realloc(bus->ranges, cap * sizeof(*n));
		if (!n) {
			rc = -ENOMEM;
			goto out;
		}
		bus->ranges = n;
		bus->cap = cap;
	}
	memmove(&bus->ranges[pos + 1], &bus->ranges[pos], (bus->nr - pos) * sizeof(bus->ranges[0]));
	bus->ranges[pos] = (struct bus_range){base, len, ops, opaque, name};
	bus->nr++;
out:
	pthread_rwlock_unlock(&bus->lock);
	return rc;
}

int bus_remove(struct bus *bus, uint64_t base)
{
	int rc = -ENOENT;
	pthread_rwlock_wrlock(&bus->lock);
	for (unsigned i = 0; i < bus->nr; i++) {
		if (bus->ranges[i].base == base) {
			memmove(&bus->ranges[i], &bus->ranges[i + 1], (bus->nr - i - 1) * sizeof(bus->ranges[0]));
			bus->nr--;
			rc = 0;
			break;
		}
	}
	pthread_rwlock_unlock(&bus->lock);
	return rc;
}

/* Binary search for the range holding [addr, addr+len). Caller holds the lock. */
static const struct bus_range *bus_find(const struct bus *bus, uint64_t addr, uint32_t len)
{
	unsigned lo = 0, hi = bus->nr;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct bus_range *r = &bus->ranges[mid];
		if (addr < r->base) {
			hi = mid;
		} else if (addr - r->base >= r->len) {
			lo = mid + 1;
		} else {
			/* Straddling the end of the range counts as unclaimed. */
			return (len <= r->len - (addr - r->base)) ? r : NULL;
		}
	}
	return NULL;
}

static void log_unclaimed(const struct bus *bus, const char *what, uint64_t addr, uint32_t len)
{
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT;
	log_ratelimited(&rl, LOG_DEBUG, "%s: unclaimed %s at 0x%llx (%u bytes)", bus->name, what,
			(unsigned long long)addr, len);
}

/* The range is copied under the lock and the device called without it, so a
 * device may change the bus from inside its handler (a PCI BAR moved by a
 * config write lands on the same bus). Devices outlive the vCPU threads, so
 * the copied ops and opaque stay valid. */
static bool bus_lookup(struct bus *bus, uint64_t addr, uint32_t len, struct bus_range *out)
{
	pthread_rwlock_rdlock(&bus->lock);
	const struct bus_range *r = bus_find(bus, addr, len);
	if (r)
		*out = *r;
	pthread_rwlock_unlock(&bus->lock);
	return r != NULL;
}

bool bus_read(struct bus *bus, uint64_t addr, uint8_t *data, uint32_t len)
{
	struct bus_range r;
	if (bus_lookup(bus, addr, len, &r) && r.ops->read) {
		r.ops->read(r.opaque, addr - r.base, data, len);
		return true;
	}
	memset(data, 0xff, len);
	log_unclaimed(bus, "read", addr, len);
	return false;
}

bool bus_write(struct bus *bus, uint64_t addr, const uint8_t *data, uint32_t len)
{
	struct bus_range r;
	if (bus_lookup(bus, addr, len, &r) && r.ops->write) {
		r.ops->write(r.opaque, addr - r.base, data, len);
		return true;
	}
	log_unclaimed(bus, "write", addr, len);
	return false;
}
