/* mem/guest_mem.c — memfd-backed guest RAM and the checked accessor. */
#include "mem/guest_mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int gm_add_region(struct guest_mem *gm, uint64_t gpa, uint64_t size, uint8_t *host, int fd)
{
	if (size == 0 || gpa + size < gpa || !host)
		return -EINVAL;
	if (gm->nr_regions >= GM_MAX_REGIONS)
		return -ENOSPC;
	unsigned pos = 0;
	for (unsigned i = 0; i < gm->nr_regions; i++) {
		const struct gm_region *r = &gm->regions[i];
		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return -EINVAL;
		if (r->gpa < gpa)
			pos = i + 1;
	}
	memmove(&gm->regions[pos + 1], &gm->regions[pos], (gm->nr_regions - pos) * sizeof(gm->regions[0]));
	gm->regions[pos] = (struct gm_region){.gpa = gpa, .size = size, .host = host, .fd = fd};
	gm->nr_regions++;
	return 0;
}

/* One memfd holds all of RAM; each region maps its own slice of it. */
int gm_create(struct guest_mem *gm, uint64_t size)
{
	memset(gm, 0, sizeof(*gm));
	if (size < GM_MIN_SIZE)
		return -EINVAL;
	int fd = memfd_create("nimbus-guest-ram", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	uint64_t low = size < GM_MMIO32_START ? size : GM_MMIO32_START;
	uint64_t high = size - low;
	struct {
		uint64_t gpa, len, off;
	} parts[2] = {{0, low, 0}, {GM_HIGH_RAM_START, high, low}};
	for (int i = 0; i < 2; i++) {
		if (!parts[i].len)
			continue;
		void *p = mmap(NULL, parts[i].len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd,
			       (off_t)parts[i].off);
		if (p == MAP_FAILED) {
			int err = -errno;
			if (gm->nr_regions)
				gm_destroy(gm); /* closes fd too */
			else
				close(fd);
			return err;
		}
		int rc = gm_add_region(gm, parts[i].gpa, parts[i].len, p, fd);
		if (rc < 0) {
			munmap(p, parts[i].len);
			if (gm->nr_regions)
				gm_destroy(gm); /* closes fd too */
			else
				close(fd);
			return rc;
		}
	}
	return 0;
}

void gm_destroy(struct guest_mem *gm)
{
	int fd = -1;
	for (unsigned i = 0; i < gm->nr_regions; i++) {
		struct gm_region *r = &gm->regions[i];
		if (r->fd >= 0) {
			munmap(r->host, r->size);
			fd = r->fd;
		}
	}
	if (fd >= 0)
		close(fd);
	memset(gm, 0, sizeof(*gm));
}

void *gm_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	if (len == 0 || gpa + len < gpa)
		return NULL;
	for (unsigned i = 0; i < gm->nr_regions; i++) {
		const struct gm_region *r = &gm->regions[i];
		if (gpa < r->gpa)
			return NULL; /* sorted: no later region can hold it */
		uint64_t off = gpa - r->gpa;
		if (off < r->size && len <= r->size - off)
			return r->host + off;
	}
	return NULL;
}

int gm_read(const struct guest_mem *gm, uint64_t gpa, void *dst, uint64_t len)
{
	const void *p = gm_ptr(gm, gpa, len);
	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

int gm_write(const struct guest_mem *gm, uint64_t gpa, const void *src, uint64_t len)
{
	void *p = gm_ptr(gm, gpa, len);
	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}

uint64_t gm_total_size(const struct guest_mem *gm)
{
	uint64_t total = 0;
	for (unsigned i = 0; i < gm->nr_regions; i++)
		total += gm->regions[i].size;
	return total;
}

uint64_t gm_end(const struct guest_mem *gm)
{
	if (!gm->nr_regions)
		return 0;
	const struct gm_region *r = &gm->regions[gm->nr_regions - 1];
	return r->gpa + r->size;
}
