/* util/checksum.h — the 8-bit "sum of all bytes is zero" checksum used by the
 * MP table and ACPI tables. */
#ifndef NIMBUS_UTIL_CHECKSUM_H
#define NIMBUS_UTIL_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* The byte that makes the sum of p[0..n) plus it equal 0 mod 256 (compute it
 * with the checksum field set to 0). */
static inline uint8_t byte_checksum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum = (uint8_t)(sum + b[i]);
	return (uint8_t)(0 - sum);
}

#endif
