/* loader/initramfs.c — read an initramfs into the top of the allowed range. */
#include "loader/initramfs.h"

#include <errno.h>
#include <unistd.h>

#include "loader/loader_util.h"

int initramfs_place(uint64_t size, uint64_t min_addr, uint64_t max_addr, uint64_t *gpa)
{
	uint64_t top;

	if (min_addr >= max_addr || size == 0)
		return -EINVAL;
	if (size > max_addr - min_addr)
		return -ENOSPC;
	top = (max_addr - size) & ~(INITRAMFS_ALIGN - 1);
	if (top < min_addr)
		return -ENOSPC;
	*gpa = top;
	return 0;
}

/* Pick the address and check it is RAM; returns the host pointer. */
static int place_checked(const struct guest_mem *gm, const char *path, uint64_t size, uint64_t min_addr,
			 uint64_t max_addr, uint64_t *gpa, uint8_t **dst, char *err, size_t errlen)
{
	int ret = initramfs_place(size, min_addr, max_addr, gpa);

	if (ret == -EINVAL) {
		loader_seterr(err, errlen, "initramfs '%s': empty placement range 0x%llx-0x%llx", path,
			      (unsigned long long)min_addr, (unsigned long long)max_addr);
		return ret;
	}
	if (ret < 0) {
		loader_seterr(err, errlen, "initramfs '%s' (%llu bytes) is too big to fit between 0x%llx and 0x%llx",
			      path, (unsigned long long)size, (unsigned long long)min_addr,
			      (unsigned long long)max_addr);
		return ret;
	}
	*dst = gm_ptr(gm, *gpa, size);
	if (!*dst) {
		loader_seterr(err, errlen, "initramfs '%s' at 0x%llx (%llu bytes) does not fit in guest memory", path,
			      (unsigned long long)*gpa, (unsigned long long)size);
		return -ENOSPC;
	}
	return 0;
}

int initramfs_load(const struct guest_mem *gm, const char *path, uint64_t min_addr, uint64_t max_addr,
		   uint64_t *gpa, uint64_t *size, char *err, size_t errlen)
{
	uint64_t fsize, at = 0;
	uint8_t *dst = NULL;
	int fd, ret;

	ret = loader_open_file(path, "initramfs", UINT64_MAX, &fd, &fsize, err, errlen);
	if (ret < 0)
		return ret;
	ret = place_checked(gm, path, fsize, min_addr, max_addr, &at, &dst, err, errlen);
	if (ret == 0)
		ret = loader_read_full(fd, dst, fsize, path, "initramfs", err, errlen);
	close(fd);
	if (ret < 0)
		return ret;
	*gpa = at;
	*size = fsize;
	return 0;
}
