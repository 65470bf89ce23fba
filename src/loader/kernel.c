/* loader/kernel.c — put an ELF vmlinux or a bzImage into guest RAM. */
#include "loader/kernel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loader/elf.h"
#include "loader/loader_util.h"

/* Check that [gpa, gpa+len) is guest RAM, else a "does not fit" error. */
static int check_fits(const struct guest_mem *gm, uint64_t gpa, uint64_t len, const char *what, char *err,
		      size_t errlen)
{
	if (gm_ptr(gm, gpa, len))
		return 0;
	loader_seterr(err, errlen, "%s at 0x%llx (%llu bytes) does not fit in guest memory", what,
		      (unsigned long long)gpa, (unsigned long long)len);
	return -ERANGE;
}

static bool entry_in_segments(const struct elf_info *ei, uint64_t entry)
{
	for (unsigned i = 0; i < ei->nr_segments; i++) {
		const struct elf_segment *s = &ei->segments[i];
		if (entry >= s->paddr && entry - s->paddr < s->memsz)
			return true;
	}
	return false;
}

static int elf_pick_entry(const struct elf_info *ei, enum kernel_entry_pref pref, struct loaded_kernel *out,
			  char *err, size_t errlen)
{
	if (pref == KERNEL_PREFER_PVH) {
		if (!ei->has_pvh_entry) {
			loader_seterr(err, errlen, "PVH boot requested but the ELF has no Xen PHYS32_ENTRY note");
			return -ENOTSUP;
		}
		out->mode = KERNEL_ENTRY_PVH;
		out->entry = ei->pvh_entry;
	} else {
		out->mode = KERNEL_ENTRY_LINUX64;
		out->entry = ei->entry;
	}
	if (!entry_in_segments(ei, out->entry)) {
		loader_seterr(err, errlen, "ELF entry 0x%llx is not inside any loadable segment",
			      (unsigned long long)out->entry);
		return -ENOEXEC;
	}
	return 0;
}

/* Contract: the segments were validated against the image by elf_parse();
 * each is checked against guest RAM before any is written. */
static int load_elf(const struct guest_mem *gm, const uint8_t *img, size_t size, enum kernel_entry_pref pref,
		    struct loaded_kernel *out, char *err, size_t errlen)
{
	struct elf_info ei;
	int ret = elf_parse(img, size, &ei, err, errlen);

	if (ret == 0)
		ret = elf_pick_entry(&ei, pref, out, err, errlen);
	for (unsigned i = 0; ret == 0 && i < ei.nr_segments; i++)
		ret = check_fits(gm, ei.segments[i].paddr, ei.segments[i].memsz, "kernel segment", err, errlen);
	if (ret < 0)
		return ret;
	out->kernel_start = UINT64_MAX;
	for (unsigned i = 0; i < ei.nr_segments; i++) {
		const struct elf_segment *s = &ei.segments[i];
		uint8_t *dst = gm_ptr(gm, s->paddr, s->memsz);

		memcpy(dst, img + s->offset, s->filesz);
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
		if (s->paddr < out->kernel_start)
			out->kernel_start = s->paddr;
		if (s->paddr + s->memsz > out->kernel_end)
			out->kernel_end = s->paddr + s->memsz;
	}
	return 0;
}

/* Where the decompressor will run: for a relocatable kernel the load address
 * aligned up to kernel_alignment but not below pref_address (the kernel's
 * LOAD_PHYSICAL_ADDR); otherwise pref_address. It then uses init_size bytes. */
static int bz_runtime_end(const struct bzimage_info *bi, uint64_t *end, char *err, size_t errlen)
{
	uint64_t start = bi->pref_address;

	if (bi->relocatable) {
		uint64_t a = bi->kernel_alignment; /* power of two, checked by the parser */
		uint64_t aligned = (KERNEL_BZIMAGE_LOAD_ADDR + a - 1) & ~(a - 1);
		if (aligned > start)
			start = aligned;
	}
	if (start > UINT64_MAX - bi->init_size) {
		loader_seterr(err, errlen, "bzImage pref_address 0x%llx + init_size 0x%x overflows",
			      (unsigned long long)start, bi->init_size);
		return -ENOEXEC;
	}
	*end = start + bi->init_size;
	return 0;
}

static void bz_fill_out(const struct bzimage_info *bi, uint64_t rt_end, struct loaded_kernel *out)
{
	uint64_t load_end = KERNEL_BZIMAGE_LOAD_ADDR + bi->kernel_size;

	out->mode = KERNEL_ENTRY_LINUX64;
	out->entry = KERNEL_BZIMAGE_LOAD_ADDR + BZ_ENTRY64_OFFSET;
	out->kernel_start = KERNEL_BZIMAGE_LOAD_ADDR;
	out->kernel_end = rt_end > load_end ? rt_end : load_end;
	out->is_bzimage = true;
	memcpy(out->setup_header, bi->setup_header, bi->setup_header_len);
	out->setup_header_len = bi->setup_header_len;
	out->boot_protocol = bi->version;
	out->cmdline_size = bi->cmdline_size;
	out->initrd_addr_max = bi->initrd_addr_max;
	out->xloadflags = bi->xloadflags;
}

/* Contract: kernel bytes come from the parsed, bounds-checked image; the
 * destination and the init_size area are checked with gm_ptr first. */
static int load_bzimage(const struct guest_mem *gm, const uint8_t *img, size_t size, enum kernel_entry_pref pref,
			struct loaded_kernel *out, char *err, size_t errlen)
{
	struct bzimage_info bi;
	uint64_t rt_end = 0;
	int ret = bzimage_parse(img, size, &bi, err, errlen);

	if (ret == 0 && pref == KERNEL_PREFER_PVH) {
		loader_seterr(err, errlen, "PVH boot requested but a bzImage has no PVH entry (use a vmlinux)");
		ret = -ENOTSUP;
	}
	if (ret == 0)
		ret = check_fits(gm, KERNEL_BZIMAGE_LOAD_ADDR, bi.kernel_size, "kernel", err, errlen);
	if (ret == 0)
		ret = bz_runtime_end(&bi, &rt_end, err, errlen);
	if (ret == 0 && bi.init_size > 0)
		ret = check_fits(gm, rt_end - bi.init_size, bi.init_size, "kernel init_size area", err, errlen);
	if (ret < 0)
		return ret;
	memcpy(gm_ptr(gm, KERNEL_BZIMAGE_LOAD_ADDR, bi.kernel_size), img + bi.kernel_offset, bi.kernel_size);
	bz_fill_out(&bi, rt_end, out);
	return 0;
}

int kernel_load_image(const struct guest_mem *gm, const uint8_t *img, size_t size, enum kernel_entry_pref pref,
		      struct loaded_kernel *out, char *err, size_t errlen)
{
	int ret;

	memset(out, 0, sizeof(*out));
	if (elf_is_elf(img, size))
		ret = load_elf(gm, img, size, pref, out, err, errlen);
	else if (bzimage_is_bzimage(img, size))
		ret = load_bzimage(gm, img, size, pref, out, err, errlen);
	else {
		loader_seterr(err, errlen, "neither an ELF vmlinux nor a bzImage");
		ret = -ENOEXEC;
	}
	if (ret < 0)
		memset(out, 0, sizeof(*out));
	return ret;
}

int kernel_load(const struct guest_mem *gm, const char *path, enum kernel_entry_pref pref,
		struct loaded_kernel *out, char *err, size_t errlen)
{
	char msg[256] = "";
	uint8_t *buf;
	uint64_t size;
	int fd, ret;

	memset(out, 0, sizeof(*out));
	ret = loader_open_file(path, "kernel", KERNEL_MAX_FILE_SIZE, &fd, &size, err, errlen);
	if (ret < 0)
		return ret;
	buf = malloc(size);
	if (!buf) {
		close(fd);
		loader_seterr(err, errlen, "kernel '%s': out of memory for %llu bytes", path,
			      (unsigned long long)size);
		return -ENOMEM;
	}
	ret = loader_read_full(fd, buf, size, path, "kernel", err, errlen);
	close(fd);
	if (ret == 0) {
		ret = kernel_load_image(gm, buf, size, pref, out, msg, sizeof(msg));
		if (ret < 0)
			loader_seterr(err, errlen, "kernel '%s': %s", path, msg);
	}
	free(buf);
	return ret;
}
