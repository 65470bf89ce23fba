/* mem/guest_mem.h — guest physical memory.
 *
 * Guest RAM is a set of non-overlapping regions, each backed by a memfd mapped
 * into the VMM. gm_ptr() is THE checked accessor: every access to guest memory
 * by address goes through it (or the copy helpers built on it). No other code
 * does arithmetic on guest addresses to get host pointers.
 */
#ifndef NIMBUS_MEM_GUEST_MEM_H
#define NIMBUS_MEM_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

#define GM_MAX_REGIONS 8

struct gm_region {
	uint64_t gpa;   /* guest physical start */
	uint64_t size;  /* bytes, > 0 */
	uint8_t *host;  /* host mapping of [gpa, gpa+size) */
	int fd;         /* backing memfd, or -1 (tests: plain malloc'd memory) */
};

struct guest_mem {
	struct gm_region regions[GM_MAX_REGIONS];
	unsigned nr_regions;  /* sorted by gpa, non-overlapping */
};

/* Layout of the x86 guest address space. RAM below MMIO32_START, then the
 * 32-bit MMIO hole (PCI, ECAM, IOAPIC, LAPIC), then RAM from 4 GiB on. */
#define GM_MMIO32_START 0xC0000000ULL  /* 3 GiB */
#define GM_HIGH_RAM_START 0x100000000ULL /* 4 GiB */
#define GM_MIN_SIZE (64ULL << 20)

/* Create memfd-backed RAM of `size` bytes split around the 32-bit hole.
 * Returns 0 or -errno; on error *gm is left empty. */
__attribute__((warn_unused_result)) int gm_create(struct guest_mem *gm, uint64_t size);
void gm_destroy(struct guest_mem *gm);

/* Add an existing host buffer as a region (unit tests, fuzzers). Returns 0,
 * -EINVAL if it overlaps another region or wraps, -ENOSPC if full. */
__attribute__((warn_unused_result)) int gm_add_region(struct guest_mem *gm, uint64_t gpa, uint64_t size,
						      uint8_t *host, int fd);

/* Contract: returns a host pointer to [gpa, gpa+len) only if that whole range
 * lies inside ONE region; NULL if any byte is outside guest RAM, if len is 0,
 * or if gpa+len overflows. */
void *gm_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len);

/* Copy to/from guest memory through gm_ptr. Return 0 or -EFAULT. */
__attribute__((warn_unused_result)) int gm_read(const struct guest_mem *gm, uint64_t gpa, void *dst, uint64_t len);
__attribute__((warn_unused_result)) int gm_write(const struct guest_mem *gm, uint64_t gpa, const void *src,
						 uint64_t len);

/* Total bytes of RAM, and the highest guest address + 1. */
uint64_t gm_total_size(const struct guest_mem *gm);
uint64_t gm_end(const struct guest_mem *gm);

#endif
