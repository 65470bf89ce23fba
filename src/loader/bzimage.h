/* loader/bzimage.h — parse a Linux x86 bzImage (boot protocol, pure function).
 *
 * Layout (Linux Documentation/arch/x86/boot.rst): a 512-byte boot sector
 * whose tail holds the start of the setup header at 0x1f1, then setup_sects
 * sectors of real-mode setup code (0 means 4), then the protected-mode
 * kernel at file offset (setup_sects + 1) * 512. The 64-bit entry point is
 * 0x200 bytes into the protected-mode kernel (needs XLF_KERNEL_64, which is
 * only defined from protocol 2.12 on).
 */
#ifndef NIMBUS_LOADER_BZIMAGE_H
#define NIMBUS_LOADER_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BZ_SETUP_HDR_OFFSET 0x1f1 /* offset of struct setup_header in the image and in boot_params */
/* Room for the setup header in boot_params: 0x1f1 up to 0x290 (the next
 * boot_params field). The copied header is never longer than this. */
#define BZ_SETUP_HEADER_MAX (0x290 - BZ_SETUP_HDR_OFFSET)
#define BZ_MIN_VERSION 0x0206     /* refused below this */
#define BZ_XLOADFLAGS_VERSION 0x020c /* xloadflags (and so XLF_KERNEL_64) exist from 2.12 */
#define BZ_LOADED_HIGH 0x01       /* loadflags: protected-mode code at 0x100000 */
#define BZ_XLF_KERNEL_64 0x0001   /* xloadflags: 64-bit entry at +0x200 */
#define BZ_XLF_CAN_BE_LOADED_ABOVE_4G 0x0002
#define BZ_ENTRY64_OFFSET 0x200   /* 64-bit entry relative to the protected-mode kernel */

struct bzimage_info {
	uint16_t version;          /* boot protocol, e.g. 0x020f */
	unsigned setup_sects;      /* effective count (0 in the header means 4) */
	uint64_t kernel_offset;    /* file offset of the protected-mode kernel */
	uint64_t kernel_size;      /* its length in the file (> 0) */
	uint8_t loadflags;
	uint16_t xloadflags;
	bool relocatable;          /* relocatable_kernel != 0 */
	uint32_t kernel_alignment; /* power of two when relocatable */
	uint64_t pref_address;     /* preferred (LOAD_PHYSICAL_ADDR) load address */
	uint32_t init_size;        /* bytes the kernel needs from its runtime start */
	uint32_t cmdline_size;     /* max command line length, without the NUL */
	uint32_t initrd_addr_max;  /* highest address the initrd may occupy */
	uint32_t payload_offset;   /* compressed payload, relative to kernel_offset */
	uint32_t payload_length;   /* payload_offset + payload_length <= kernel_size */
	size_t setup_header_len;   /* bytes in setup_header, <= BZ_SETUP_HEADER_MAX */
	uint8_t setup_header[BZ_SETUP_HEADER_MAX]; /* image bytes from 0x1f1, for boot_params.hdr */
};

/* True if the buffer has the "HdrS" magic at 0x202 (says nothing about validity). */
bool bzimage_is_bzimage(const uint8_t *img, size_t size);

/* Contract: img[0..size) is untrusted; every field is range-checked before
 * use. Requires: "HdrS" magic, boot_flag 0xAA55, protocol >= 2.06 (and >= 2.12
 * because XLF_KERNEL_64 is required), a short jump at 0x200 whose target
 * (the end of the header) covers the fields read here, setup sectors and a
 * protected-mode kernel longer than 0x200 bytes (so the 64-bit entry is in
 * it) inside the file, LOADED_HIGH,
 * XLF_KERNEL_64, a power-of-two kernel_alignment if relocatable, and the
 * payload inside the protected-mode kernel. The header copy is
 * 0x202 + byte[0x201] - 0x1f1 bytes, capped at BZ_SETUP_HEADER_MAX.
 * Returns 0 and fills *out, or -ENOEXEC (malformed) / -ENOTSUP (too old, not
 * 64-bit) with a short message in err[errlen]. */
__attribute__((warn_unused_result)) int bzimage_parse(const uint8_t *img, size_t size, struct bzimage_info *out,
						      char *err, size_t errlen);

#endif
