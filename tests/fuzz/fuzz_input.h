/* tests/fuzz/fuzz_input.h — reading a fuzz input as a stream of
 * little-endian values, and one bus access driven by those values. */
#ifndef NIMBUS_TESTS_FUZZ_INPUT_H
#define NIMBUS_TESTS_FUZZ_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus/bus.h"

struct input {
	const uint8_t *p;
	size_t n;
};

/* The next `bytes` bytes as a little-endian value (0 bytes past the end). */
static inline uint64_t take(struct input *in, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes && in->n; i++, in->p++, in->n--)
		v |= (uint64_t)in->p[0] << (8 * i);
	return v;
}

/* A read or a write of len (1..8) bytes of val through ops at off. */
static inline void do_access(const struct bus_ops *ops, void *opaque, uint64_t off, bool write, uint32_t len,
			     uint64_t val)
{
	uint8_t buf[8];
	for (unsigned i = 0; i < 8; i++)
		buf[i] = (uint8_t)(val >> (8 * i));
	if (write)
		ops->write(opaque, off, buf, len);
	else
		ops->read(opaque, off, buf, len);
}

#endif
