/* loader/initramfs.h — place an initramfs (initrd) image in guest RAM. */
#ifndef NIMBUS_LOADER_INITRAMFS_H
#define NIMBUS_LOADER_INITRAMFS_H

#include <stddef.h>
#include <stdint.h>

#include "mem/guest_mem.h"

#define INITRAMFS_ALIGN 0x1000ULL /* page-aligned start */

/* Compute where an image of `size` bytes goes: the highest page-aligned gpa
 * with gpa >= min_addr and gpa + size <= max_addr (max_addr is EXCLUSIVE:
 * pass min(low RAM end, GM_MMIO32_START) or the kernel's initrd_addr_max + 1).
 * Returns 0 and *gpa, or -ENOSPC if it cannot fit, -EINVAL if min >= max. */
__attribute__((warn_unused_result)) int initramfs_place(uint64_t size, uint64_t min_addr, uint64_t max_addr,
							uint64_t *gpa);

/* Read the file at `path` (a non-empty regular file) straight into guest RAM
 * at the address initramfs_place() picks (min_addr is normally the kernel's
 * end). Contract: the whole destination range is checked with gm_ptr before
 * any byte is written. Returns 0 with *gpa and *size set, or a negative errno
 * with a message naming the path in err[errlen]: -ENOENT, -EISDIR, -EINVAL
 * (empty, not a regular file, bad range), -ENOSPC (does not fit in
 * [min_addr, max_addr) or not in guest RAM), -EIO (read failed/short). */
__attribute__((warn_unused_result)) int initramfs_load(const struct guest_mem *gm, const char *path,
						       uint64_t min_addr, uint64_t max_addr, uint64_t *gpa,
						       uint64_t *size, char *err, size_t errlen);

#endif
