/* tests/fuzz/fake_kernel_mem.h — the fake guest memory the kernel-image fuzz
 * targets load into: 4 MiB at 0 and 4 MiB at 16 MiB (with a gap), allocated
 * once per process. */
#ifndef NIMBUS_TESTS_FUZZ_FAKE_KERNEL_MEM_H
#define NIMBUS_TESTS_FUZZ_FAKE_KERNEL_MEM_H

#include <stdint.h>
#include <stdlib.h>

#include "mem/guest_mem.h"

#define LOW_SIZE (4u << 20)
#define HIGH_GPA (16u << 20)
#define HIGH_SIZE (4u << 20)

static inline struct guest_mem *fake_gm(void)
{
	static struct guest_mem gm;
	static uint8_t *low, *high;

	if (!low) {
		low = calloc(1, LOW_SIZE);
		high = calloc(1, HIGH_SIZE);
		if (!low || !high || gm_add_region(&gm, 0, LOW_SIZE, low, -1) != 0 ||
		    gm_add_region(&gm, HIGH_GPA, HIGH_SIZE, high, -1) != 0)
			abort();
	}
	return &gm;
}

#endif
