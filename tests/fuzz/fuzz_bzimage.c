/* libFuzzer target: bzImage (Linux x86 boot protocol) parser and loader.
 *
 * Feeds the input to bzimage_parse(), checks the invariants it promises on
 * success, then loads it into a small fake guest memory: [0, 4 MiB) holds
 * the kernel at 1 MiB, [16 MiB, 20 MiB) an init_size area at 16 MiB. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loader/bzimage.h"
#include "loader/kernel.h"
#include "mem/guest_mem.h"

#include "fake_kernel_mem.h"

static void check_info(const struct bzimage_info *bi, const uint8_t *data, size_t size)
{
	if (bi->kernel_size == 0 || bi->kernel_offset + bi->kernel_size != size ||
	    bi->kernel_offset != (uint64_t)(bi->setup_sects + 1) * 512 ||
	    bi->setup_header_len > BZ_SETUP_HEADER_MAX ||
	    memcmp(bi->setup_header, data + BZ_SETUP_HDR_OFFSET, bi->setup_header_len) != 0 ||
	    (uint64_t)bi->payload_offset + bi->payload_length > bi->kernel_size ||
	    !(bi->xloadflags & BZ_XLF_KERNEL_64) || bi->version < BZ_XLOADFLAGS_VERSION)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bzimage_info bi;
	struct loaded_kernel lk;
	char err[128];

	if (bzimage_parse(data, size, &bi, err, sizeof(err)) == 0)
		check_info(&bi, data, size);
	if (kernel_load_image(fake_gm(), data, size, KERNEL_PREFER_LINUX64, &lk, err, sizeof(err)) == 0 &&
	    lk.is_bzimage && (lk.entry != KERNEL_BZIMAGE_LOAD_ADDR + BZ_ENTRY64_OFFSET || lk.kernel_end <= lk.entry))
		__builtin_trap();
	return 0;
}
