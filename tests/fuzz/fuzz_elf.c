/* libFuzzer target: ELF vmlinux parser and loader.
 *
 * Feeds the input to elf_parse(), checks the invariants it promises on
 * success, then loads it (both entry preferences) into a small fake guest
 * memory: [0, 4 MiB) and [16 MiB, 20 MiB). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loader/elf.h"
#include "loader/kernel.h"
#include "mem/guest_mem.h"

#include "fake_kernel_mem.h"

static void check_info(const struct elf_info *ei, size_t size)
{
	if (ei->nr_segments == 0 || ei->nr_segments > ELF_MAX_SEGMENTS)
		__builtin_trap();
	for (unsigned i = 0; i < ei->nr_segments; i++) {
		const struct elf_segment *s = &ei->segments[i];
		if (s->filesz > s->memsz || s->memsz == 0 || s->offset > size || s->filesz > size - s->offset ||
		    s->paddr > UINT64_MAX - s->memsz)
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_info ei;
	struct loaded_kernel lk;
	char err[128];

	if (elf_parse(data, size, &ei, err, sizeof(err)) == 0)
		check_info(&ei, size);
	if (kernel_load_image(fake_gm(), data, size, KERNEL_PREFER_LINUX64, &lk, err, sizeof(err)) == 0 &&
	    (lk.kernel_end <= lk.kernel_start || lk.entry < lk.kernel_start || lk.entry >= lk.kernel_end))
		__builtin_trap();
	if (kernel_load_image(fake_gm(), data, size, KERNEL_PREFER_PVH, &lk, err, sizeof(err)) == 0 &&
	    (lk.mode != KERNEL_ENTRY_PVH || lk.entry > UINT32_MAX))
		__builtin_trap();
	return 0;
}
