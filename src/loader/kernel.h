/* loader/kernel.h — load a guest kernel (ELF vmlinux or bzImage) into guest RAM.
 *
 * ELF vmlinux: every PT_LOAD segment is copied to its p_paddr and its bss
 * tail (memsz - filesz) zeroed. Entry is e_entry (physical startup_64, entered
 * in 64-bit long mode with a boot_params in RSI) or, when asked for, the Xen
 * PVH entry note (entered in 32-bit protected mode with start_info in EBX).
 * bzImage: the protected-mode kernel is copied to KERNEL_BZIMAGE_LOAD_ADDR;
 * the 64-bit entry is that address + 0x200. The caller copies setup_header
 * into boot_params.hdr (offset 0x1f1) before filling in its own fields.
 */
#ifndef NIMBUS_LOADER_KERNEL_H
#define NIMBUS_LOADER_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loader/bzimage.h"
#include "mem/guest_mem.h"

#define KERNEL_BZIMAGE_LOAD_ADDR 0x100000ULL /* 1 MiB, where LOADED_HIGH kernels go */
#define KERNEL_MAX_FILE_SIZE (1ULL << 30)    /* refuse kernel files above 1 GiB */

enum kernel_entry_pref {
	KERNEL_PREFER_LINUX64 = 0, /* default: 64-bit Linux boot protocol entry */
	KERNEL_PREFER_PVH,         /* PVH entry from the Xen note; error if absent */
};

enum kernel_entry_mode {
	KERNEL_ENTRY_LINUX64, /* long mode, RSI = boot_params */
	KERNEL_ENTRY_PVH,     /* 32-bit protected mode, EBX = hvm_start_info */
};

struct loaded_kernel {
	enum kernel_entry_mode mode;
	uint64_t entry;        /* guest physical entry address */
	uint64_t kernel_start; /* lowest gpa written */
	uint64_t kernel_end;   /* highest gpa used + 1 (bzImage: includes init_size) */
	bool is_bzimage;
	/* bzImage only (zero for ELF): */
	uint8_t setup_header[BZ_SETUP_HEADER_MAX];
	size_t setup_header_len;
	uint16_t boot_protocol;   /* e.g. 0x020f */
	uint32_t cmdline_size;    /* max command line length */
	uint32_t initrd_addr_max; /* highest byte address the initrd may use */
	uint16_t xloadflags;
};

/* Contract: img[0..size) is untrusted. Parses it as ELF or bzImage (by
 * magic), checks that every byte to be written (and, for a bzImage, the
 * init_size area the kernel will use) lies in guest RAM BEFORE writing
 * anything, then writes through gm_ptr only. The entry point must lie inside
 * a loaded ELF segment. Returns 0 and fills *out, or a negative errno with a
 * message in err[errlen]: -ENOEXEC unknown format or malformed image,
 * -ENOTSUP unsupported (e.g. PVH requested but no note, or a bzImage),
 * -ERANGE a segment does not fit in guest memory. */
__attribute__((warn_unused_result)) int kernel_load_image(const struct guest_mem *gm, const uint8_t *img,
							  size_t size, enum kernel_entry_pref pref,
							  struct loaded_kernel *out, char *err, size_t errlen);

/* Read the kernel file at `path` (must be a non-empty regular file of at most
 * KERNEL_MAX_FILE_SIZE bytes) and load it with kernel_load_image(). Error
 * messages name the path. Returns 0 or a negative errno. */
__attribute__((warn_unused_result)) int kernel_load(const struct guest_mem *gm, const char *path,
						    enum kernel_entry_pref pref, struct loaded_kernel *out, char *err,
						    size_t errlen);

#endif
