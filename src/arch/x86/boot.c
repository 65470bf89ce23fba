/* arch/x86/boot.c — e820, zero page and PVH start_info. */
#include "arch/x86/boot.h"

#include <asm/bootparam.h>
#include <errno.h>
#include <string.h>

#include "arch/x86/layout.h"

static int e820_add(struct e820 *out, unsigned max, unsigned *n, uint64_t addr, uint64_t size, uint32_t type)
{
	if (size == 0)
		return 0;
	if (*n >= max)
		return -EINVAL;
	out[(*n)++] = (struct e820){addr, size, type};
	return 0;
}

int e820_build(const struct guest_mem *gm, struct e820 *out, unsigned max)
{
	unsigned n = 0;
	if (!gm->nr_regions || gm->regions[0].gpa != 0 || gm->regions[0].size <= X86_HIMEM_START)
		return -EINVAL;
	for (unsigned i = 0; i < gm->nr_regions; i++) {
		const struct gm_region *r = &gm->regions[i];
		int rc;
		if (r->gpa == 0) {
			rc = e820_add(out, max, &n, 0, X86_EBDA_START, E820_RAM);
			if (!rc)
				rc = e820_add(out, max, &n, X86_HIMEM_START, r->size - X86_HIMEM_START, E820_RAM);
		} else {
			rc = e820_add(out, max, &n, r->gpa, r->size, E820_RAM);
		}
		if (rc)
			return rc;
	}
	return (int)n;
}

static int write_cmdline(const struct guest_mem *gm, const char *cmdline, uint32_t *len_out)
{
	size_t len = strlen(cmdline);
	if (len + 1 > X86_CMDLINE_MAX)
		return -EINVAL;
	*len_out = (uint32_t)len;
	return gm_write(gm, X86_CMDLINE_ADDR, cmdline, len + 1);
}

int boot_write_linux(const struct guest_mem *gm, const struct boot_info *bi)
{
	struct boot_params bp;
	struct e820 map[E820_MAX];
	uint32_t cmdlen;
	memset(&bp, 0, sizeof(bp));
	int rc = write_cmdline(gm, bi->cmdline, &cmdlen);
	if (rc)
		return rc;
	if (bi->setup_header) {
		size_t n = bi->setup_header_len;
		if (n > sizeof(bp.hdr))
			n = sizeof(bp.hdr);
		memcpy(&bp.hdr, bi->setup_header, n);
	} else {
		bp.hdr.boot_flag = 0xAA55;
		bp.hdr.header = 0x53726448; /* "HdrS" */
		bp.hdr.kernel_alignment = 0x1000000;
	}
	bp.hdr.type_of_loader = 0xff;
	bp.hdr.loadflags |= LOADED_HIGH | KEEP_SEGMENTS;
	bp.hdr.cmd_line_ptr = (uint32_t)X86_CMDLINE_ADDR;
	bp.hdr.cmdline_size = cmdlen;
	bp.hdr.ramdisk_image = (uint32_t)bi->initrd_gpa;
	bp.hdr.ramdisk_size = (uint32_t)bi->initrd_size;
	bp.ext_ramdisk_image = (uint32_t)(bi->initrd_gpa >> 32);
	bp.ext_ramdisk_size = (uint32_t)(bi->initrd_size >> 32);
	bp.acpi_rsdp_addr = bi->rsdp_gpa;
	int n = e820_build(gm, map, E820_MAX);
	if (n < 0)
		return n;
	if ((unsigned)n > sizeof(bp.e820_table) / sizeof(bp.e820_table[0]))
		return -EINVAL;
	for (int i = 0; i < n; i++) {
		bp.e820_table[i].addr = map[i].addr;
		bp.e820_table[i].size = map[i].size;
		bp.e820_table[i].type = map[i].type;
	}
	bp.e820_entries = (uint8_t)n;
	return gm_write(gm, X86_ZERO_PAGE_ADDR, &bp, sizeof(bp));
}

/* hvm_start_info version 1 (Xen public ABI, arch-x86/hvm/start_info.h). */
#define PVH_MAGIC 0x336ec578U
struct pvh_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};
struct pvh_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};
struct pvh_module {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

int boot_write_pvh(const struct guest_mem *gm, const struct boot_info *bi)
{
	struct e820 map[E820_MAX];
	struct pvh_memmap_entry mm[E820_MAX];
	struct pvh_module mod = {bi->initrd_gpa, bi->initrd_size, 0, 0};
	uint32_t cmdlen;
	int rc = write_cmdline(gm, bi->cmdline, &cmdlen);
	if (rc)
		return rc;
	int n = e820_build(gm, map, E820_MAX);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		mm[i] = (struct pvh_memmap_entry){map[i].addr, map[i].size, map[i].type, 0};
	uint64_t mod_gpa = X86_PVH_INFO_ADDR + sizeof(struct pvh_start_info);
	uint64_t mm_gpa = mod_gpa + sizeof(mod);
	struct pvh_start_info si = {
		.magic = PVH_MAGIC,
		.version = 1,
		.nr_modules = bi->initrd_size ? 1 : 0,
		.modlist_paddr = bi->initrd_size ? mod_gpa : 0,
		.cmdline_paddr = X86_CMDLINE_ADDR,
		.rsdp_paddr = bi->rsdp_gpa,
		.memmap_paddr = mm_gpa,
		.memmap_entries = (uint32_t)n,
	};
	_Static_assert(sizeof(struct pvh_start_info) + sizeof(struct pvh_module) +
			       E820_MAX * sizeof(struct pvh_memmap_entry) <= X86_ZERO_PAGE_ADDR - X86_PVH_INFO_ADDR,
		       "PVH info overflows its page");
	rc = gm_write(gm, X86_PVH_INFO_ADDR, &si, sizeof(si));
	if (!rc)
		rc = gm_write(gm, mod_gpa, &mod, sizeof(mod));
	if (!rc)
		rc = gm_write(gm, mm_gpa, mm, (uint64_t)n * sizeof(mm[0]));
	return rc;
}
