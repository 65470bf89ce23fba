/* arch/x86/boot.h — boot information for the guest kernel: the e820 map, the
 * Linux zero page (boot_params) and the PVH hvm_start_info. */
#ifndef NIMBUS_ARCH_X86_BOOT_H
#define NIMBUS_ARCH_X86_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "mem/guest_mem.h"

#define E820_MAX 16
#define E820_RAM 1
#define E820_RESERVED 2

struct e820 {
	uint64_t addr, size;
	uint32_t type;
};

/* Build the guest's e820 map from its RAM regions: low RAM below the EBDA,
 * RAM from 1 MiB to the hole, RAM above 4 GiB. Returns the entry count
 * (>= 1), or -EINVAL if `gm` has no RAM at 0 or `max` is too small. */
__attribute__((warn_unused_result)) int e820_build(const struct guest_mem *gm, struct e820 *out, unsigned max);

struct boot_info {
	const char *cmdline;        /* NUL-terminated, may be "" */
	uint64_t initrd_gpa, initrd_size; /* size 0 = none */
	const uint8_t *setup_header; /* bzImage setup header copy (from 0x1f1), or NULL */
	size_t setup_header_len;
	uint64_t rsdp_gpa;          /* 0 = none */
};

/* Write the command line and the zero page (boot_params at X86_ZERO_PAGE_ADDR)
 * for the 64-bit Linux boot protocol. 0, -EINVAL (cmdline too long), -EFAULT. */
__attribute__((warn_unused_result)) int boot_write_linux(const struct guest_mem *gm, const struct boot_info *bi);
/* Write the command line and hvm_start_info (+ memory map, module list) at
 * X86_PVH_INFO_ADDR for the PVH entry. Same errors. */
__attribute__((warn_unused_result)) int boot_write_pvh(const struct guest_mem *gm, const struct boot_info *bi);

#endif
