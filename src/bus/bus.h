/* bus/bus.h — PIO and MMIO dispatch.
 *
 * A bus is a sorted array of non-overlapping ranges [base, base+len), each
 * mapping to a device's ops. Insertion refuses overlap and wrap-around.
 * Dispatch is called from vCPU threads concurrently; the lookup takes the
 * read lock and the device is called without it (so a handler may insert or
 * remove ranges); devices do their own locking and must outlive the vCPUs. Accesses nobody claims read as all-ones and are ignored.
 */
#ifndef NIMBUS_BUS_BUS_H
#define NIMBUS_BUS_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* offset is relative to the range's base; len is 1, 2, 4 or 8. */
struct bus_ops {
	void (*read)(void *opaque, uint64_t offset, uint8_t *data, uint32_t len);
	void (*write)(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len);
};

struct bus_range {
	uint64_t base;
	uint64_t len;
	const struct bus_ops *ops;
	void *opaque;
	const char *name;
};

struct bus {
	const char *name; /* "pio" or "mmio", for logs */
	pthread_rwlock_t lock;
	struct bus_range *ranges; /* sorted by base */
	unsigned nr, cap;
};

void bus_init(struct bus *bus, const char *name);
void bus_destroy(struct bus *bus);
/* Returns 0, -EINVAL (len 0 / wraps), -EEXIST (overlap), -ENOMEM. */
__attribute__((warn_unused_result)) int bus_insert(struct bus *bus, uint64_t base, uint64_t len,
						   const struct bus_ops *ops, void *opaque, const char *name);
/* Remove the range starting exactly at base. Returns 0 or -ENOENT. */
__attribute__((warn_unused_result)) int bus_remove(struct bus *bus, uint64_t base);
/* Dispatch. Return true if a device claimed addr; otherwise a read fills
 * data with 0xff and a write is dropped (debug log, rate-limited). An access
 * that straddles the end of a range is treated as unclaimed. */
bool bus_read(struct bus *bus, uint64_t addr, uint8_t *data, uint32_t len);
bool bus_write(struct bus *bus, uint64_t addr, const uint8_t *data, uint32_t len);

#endif
