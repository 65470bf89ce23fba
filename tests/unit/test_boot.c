/* Unit tests for arch/x86/boot.c: e820, the Linux zero page and PVH start_info,
 * written into fake guest memory and parsed back independently. */
#include <asm/bootparam.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/boot.h"
#include "arch/x86/layout.h"
#include "mem/guest_mem.h"

#define LOW_SIZE (2ULL << 20)   /* RAM at 0 */
#define HIGH_SIZE (1ULL << 20)  /* RAM at 4 GiB */
#define GIB4 0x100000000ULL

struct fake {
	struct guest_mem gm;
	uint8_t *low, *high;
};

/* Low RAM [0, low_size), and optionally RAM at 4 GiB; filled with garbage so
 * that fields the writer forgets show up. */
static void fake_init(struct fake *f, uint64_t low_size, int with_high)
{
	memset(&f->gm, 0, sizeof(f->gm));
	f->low = malloc(low_size);
	assert_non_null(f->low);
	memset(f->low, 0xcc, low_size);
	assert_int_equal(gm_add_region(&f->gm, 0, low_size, f->low, -1), 0);
	f->high = NULL;
	if (with_high) {
		f->high = calloc(1, HIGH_SIZE);
		assert_non_null(f->high);
		assert_int_equal(gm_add_region(&f->gm, GIB4, HIGH_SIZE, f->high, -1), 0);
	}
}

static void fake_free(struct fake *f)
{
	free(f->low);
	free(f->high);
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static void get_zero_page(const struct fake *f, struct boot_params *bp)
{
	_Static_assert(sizeof(struct boot_params) == 4096, "zero page is one page");
	memcpy(bp, f->low + X86_ZERO_PAGE_ADDR, sizeof(*bp));
}

/* ---- e820_build ----------------------------------------------------------- */

static void test_e820_small(void **state)
{
	struct fake f;
	struct e820 map[E820_MAX];
	fake_init(&f, 64ULL << 20, 0);
	int n = e820_build(&f.gm, map, E820_MAX);
	assert_int_equal(n, 2);
	assert_int_equal(map[0].addr, 0);
	assert_int_equal(map[0].size, 0x9fc00);
	assert_int_equal(map[0].type, E820_RAM);
	assert_int_equal(map[1].addr, 0x100000);
	assert_int_equal(map[1].size, (64ULL << 20) - 0x100000);
	assert_int_equal(map[1].type, E820_RAM);
	fake_free(&f);
}

static void test_e820_split(void **state)
{
	struct fake f;
	struct e820 map[E820_MAX];
	fake_init(&f, LOW_SIZE, 1);
	int n = e820_build(&f.gm, map, E820_MAX);
	assert_int_equal(n, 3);
	assert_int_equal(map[0].addr, 0);
	assert_int_equal(map[0].size, 0x9fc00);
	assert_int_equal(map[1].addr, 0x100000);
	assert_int_equal(map[1].size, LOW_SIZE - 0x100000);
	assert_int_equal(map[2].addr, GIB4);
	assert_int_equal(map[2].size, HIGH_SIZE);
	for (int i = 0; i < n; i++)
		assert_int_equal(map[i].type, E820_RAM);
	/* no entry reaches into the legacy hole 0x9fc00..0x100000 */
	for (int i = 0; i < n; i++)
		assert_true(map[i].addr + map[i].size <= 0x9fc00 || map[i].addr >= 0x100000);
	/* max exactly enough / too small */
	assert_int_equal(e820_build(&f.gm, map, 3), 3);
	assert_int_equal(e820_build(&f.gm, map, 2), -EINVAL);
	assert_int_equal(e820_build(&f.gm, map, 1), -EINVAL);
	assert_int_equal(e820_build(&f.gm, map, 0), -EINVAL);
	fake_free(&f);
}

/* The real layout: gm_create of 3 GiB + 1 GiB (memfd, lazily allocated). */
static void test_e820_gm_create_split(void **state)
{
	struct guest_mem gm;
	struct e820 map[E820_MAX];
	assert_int_equal(gm_create(&gm, GM_MMIO32_START + (1ULL << 30)), 0);
	int n = e820_build(&gm, map, E820_MAX);
	assert_int_equal(n, 3);
	assert_int_equal(map[1].addr, 0x100000);
	assert_int_equal(map[1].size, GM_MMIO32_START - 0x100000);
	assert_int_equal(map[2].addr, GM_HIGH_RAM_START);
	assert_int_equal(map[2].size, 1ULL << 30);
	gm_destroy(&gm);
}

static void test_e820_invalid(void **state)
{
	struct guest_mem gm;
	struct e820 map[E820_MAX];
	static uint8_t buf[0x100000 + 0x1000];
	memset(&gm, 0, sizeof(gm));
	assert_int_equal(e820_build(&gm, map, E820_MAX), -EINVAL); /* no RAM */
	/* no RAM at 0 */
	assert_int_equal(gm_add_region(&gm, 0x1000, 0x100000, buf, -1), 0);
	assert_int_equal(e820_build(&gm, map, E820_MAX), -EINVAL);
	/* RAM at 0 but not above 1 MiB */
	memset(&gm, 0, sizeof(gm));
	assert_int_equal(gm_add_region(&gm, 0, 0x100000, buf, -1), 0);
	assert_int_equal(e820_build(&gm, map, E820_MAX), -EINVAL);
	/* one page above 1 MiB is enough */
	memset(&gm, 0, sizeof(gm));
	assert_int_equal(gm_add_region(&gm, 0, sizeof(buf), buf, -1), 0);
	assert_int_equal(e820_build(&gm, map, E820_MAX), 2);
	assert_int_equal(map[1].addr, 0x100000);
	assert_int_equal(map[1].size, 0x1000);
}

/* ---- boot_write_linux ----------------------------------------------------- */

static void make_setup_header(struct setup_header *sh)
{
	memset(sh, 0, sizeof(*sh));
	sh->setup_sects = 0x1b;
	sh->syssize = 0x12345;
	sh->boot_flag = 0xAA55;
	sh->header = 0x53726448;
	sh->version = 0x020f;
	sh->type_of_loader = 0x00;
	sh->loadflags = LOADED_HIGH | CAN_USE_HEAP;
	sh->initrd_addr_max = 0x7fffffff;
	sh->kernel_alignment = 0x200000;
	sh->relocatable_kernel = 1;
	sh->min_alignment = 21;
	sh->xloadflags = XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G;
	sh->cmdline_size = 2047;
	sh->init_size = 0x2000000;
	sh->pref_address = 0x1000000;
}

static void test_linux_with_header(void **state)
{
	struct fake f;
	struct boot_params bp;
	struct setup_header sh;
	fake_init(&f, LOW_SIZE, 1);
	make_setup_header(&sh);
	const char *cmd = "console=ttyS0 root=/dev/vda";
	struct boot_info bi = {.cmdline = cmd,
			       .initrd_gpa = 0x1800000,
			       .initrd_size = 0x123456,
			       .setup_header = (const uint8_t *)&sh,
			       .setup_header_len = sizeof(sh),
			       .rsdp_gpa = 0xe0000};
	assert_int_equal(boot_write_linux(&f.gm, &bi), 0);
	get_zero_page(&f, &bp);

	/* copied from the given header */
	assert_int_equal(bp.hdr.setup_sects, 0x1b);
	assert_int_equal(bp.hdr.syssize, 0x12345);
	assert_int_equal(bp.hdr.boot_flag, 0xAA55);
	assert_int_equal(bp.hdr.header, 0x53726448);
	assert_int_equal(bp.hdr.version, 0x020f);
	assert_int_equal(bp.hdr.initrd_addr_max, 0x7fffffff);
	assert_int_equal(bp.hdr.kernel_alignment, 0x200000);
	assert_int_equal(bp.hdr.relocatable_kernel, 1);
	assert_int_equal(bp.hdr.min_alignment, 21);
	assert_int_equal(bp.hdr.xloadflags, XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G);
	assert_int_equal(bp.hdr.init_size, 0x2000000);
	assert_int_equal(bp.hdr.pref_address, 0x1000000);
	/* filled in by the loader */
	assert_int_equal(bp.hdr.type_of_loader, 0xff);
	assert_int_equal(bp.hdr.loadflags, LOADED_HIGH | CAN_USE_HEAP | KEEP_SEGMENTS);
	assert_int_equal(bp.hdr.cmd_line_ptr, X86_CMDLINE_ADDR);
	assert_int_equal(bp.ext_cmd_line_ptr, 0);
	assert_string_equal((const char *)f.low + bp.hdr.cmd_line_ptr, cmd);
	assert_int_equal(bp.hdr.ramdisk_image, 0x1800000);
	assert_int_equal(bp.hdr.ramdisk_size, 0x123456);
	assert_int_equal(bp.ext_ramdisk_image, 0);
	assert_int_equal(bp.ext_ramdisk_size, 0);
	assert_int_equal(bp.acpi_rsdp_addr, 0xe0000);

	/* e820 */
	assert_int_equal(bp.e820_entries, 3);
	assert_int_equal(bp.e820_table[0].addr, 0);
	assert_int_equal(bp.e820_table[0].size, 0x9fc00);
	assert_int_equal(bp.e820_table[0].type, 1);
	assert_int_equal(bp.e820_table[1].addr, 0x100000);
	assert_int_equal(bp.e820_table[1].size, LOW_SIZE - 0x100000);
	assert_int_equal(bp.e820_table[1].type, 1);
	assert_int_equal(bp.e820_table[2].addr, GIB4);
	assert_int_equal(bp.e820_table[2].size, HIGH_SIZE);
	assert_int_equal(bp.e820_table[2].type, 1);
	assert_int_equal(bp.e820_table[3].size, 0);

	/* the rest of the zero page is cleared, not left as garbage */
	assert_int_equal(bp.screen_info.orig_video_isVGA, 0);
	assert_int_equal(bp.alt_mem_k, 0);
	assert_int_equal(bp.hdr.code32_start, 0);
	assert_int_equal(bp.sentinel, 0);
	for (size_t i = 0; i < sizeof(bp.e820_table) - 3 * sizeof(bp.e820_table[0]); i++)
		assert_int_equal(((const uint8_t *)&bp.e820_table[3])[i], 0);
	fake_free(&f);
}

static void test_linux_default_header(void **state)
{
	struct fake f;
	struct boot_params bp;
	fake_init(&f, 64ULL << 20, 0);
	struct boot_info bi = {.cmdline = ""};
	assert_int_equal(boot_write_linux(&f.gm, &bi), 0);
	get_zero_page(&f, &bp);
	assert_int_equal(bp.hdr.boot_flag, 0xAA55);
	assert_int_equal(bp.hdr.header, 0x53726448);
	assert_int_equal(bp.hdr.type_of_loader, 0xff);
	assert_true(bp.hdr.loadflags & LOADED_HIGH);
	assert_int_equal(bp.hdr.cmd_line_ptr, X86_CMDLINE_ADDR);
	assert_int_equal(f.low[X86_CMDLINE_ADDR], '\0');
	assert_int_equal(bp.hdr.ramdisk_image, 0);
	assert_int_equal(bp.hdr.ramdisk_size, 0);
	assert_int_equal(bp.acpi_rsdp_addr, 0);
	assert_int_equal(bp.e820_entries, 2);
	assert_int_equal(bp.e820_table[1].size, (64ULL << 20) - 0x100000);
	fake_free(&f);
}

static void test_linux_header_len(void **state)
{
	struct fake f;
	struct boot_params bp;
	/* longer than struct setup_header: only the header is copied */
	uint8_t big[sizeof(struct setup_header) + 64];
	memset(big, 0x77, sizeof(big));
	fake_init(&f, LOW_SIZE, 0);
	struct boot_info bi = {.cmdline = "x", .setup_header = big, .setup_header_len = sizeof(big)};
	assert_int_equal(boot_write_linux(&f.gm, &bi), 0);
	get_zero_page(&f, &bp);
	assert_int_equal(bp.hdr.setup_sects, 0x77);
	assert_int_equal(bp.hdr.kernel_alignment, 0x77777777);
	/* the byte after the header in the zero page is not from `big` */
	const uint8_t *after = (const uint8_t *)&bp.hdr + sizeof(bp.hdr);
	assert_int_equal(*after, 0);

	/* shorter: the rest of hdr stays zero */
	struct setup_header sh;
	make_setup_header(&sh);
	bi.setup_header = (const uint8_t *)&sh;
	bi.setup_header_len = offsetof(struct setup_header, header); /* up to boot_flag */
	assert_int_equal(boot_write_linux(&f.gm, &bi), 0);
	get_zero_page(&f, &bp);
	assert_int_equal(bp.hdr.setup_sects, 0x1b);
	assert_int_equal(bp.hdr.boot_flag, 0xAA55);
	assert_int_equal(bp.hdr.header, 0);
	assert_int_equal(bp.hdr.kernel_alignment, 0);
	fake_free(&f);
}

static void test_linux_initrd_above_4g(void **state)
{
	struct fake f;
	struct boot_params bp;
	fake_init(&f, LOW_SIZE, 1);
	struct boot_info bi = {.cmdline = "a", .initrd_gpa = 0x123456789000ULL, .initrd_size = 0x100001000ULL};
	assert_int_equal(boot_write_linux(&f.gm, &bi), 0);
	get_zero_page(&f, &bp);
	assert_int_equal(bp.hdr.ramdisk_image, 0x56789000);
	assert_int_equal(bp.ext_ramdisk_image, 0x1234);
	assert_int_equal(bp.hdr.ramdisk_size, 0x00001000);
	assert_int_equal(bp.ext_ramdisk_size, 0x1);
	fake_free(&f);
}

static void test_cmdline_limits(void **state)
{
	struct fake f;
	struct boot_params bp;
	char *cmd = malloc(X86_CMDLINE_MAX + 2);
	assert_non_null(cmd);
	fake_init(&f, LOW_SIZE, 0);

	/* 4095 characters + NUL: fits exactly */
	memset(cmd, 'k', X86_CMDLINE_MAX - 1);
	cmd[X86_CMDLINE_MAX - 1] = '\0';
	struct boot_info bi = {.cmdline = cmd};
	assert_int_equal(boot_write_linux(&f.gm, &bi), 0);
	get_zero_page(&f, &bp);
	assert_int_equal(strnlen((const char *)f.low + X86_CMDLINE_ADDR, X86_CMDLINE_MAX), X86_CMDLINE_MAX - 1);
	assert_int_equal(boot_write_pvh(&f.gm, &bi), 0);

	/* 4096 characters: too long, and the guest's memory after the
	 * command line area is not touched */
	memset(f.low, 0xcc, LOW_SIZE);
	memset(cmd, 'k', X86_CMDLINE_MAX);
	cmd[X86_CMDLINE_MAX] = '\0';
	assert_int_equal(boot_write_linux(&f.gm, &bi), -EINVAL);
	assert_int_equal(boot_write_pvh(&f.gm, &bi), -EINVAL);
	assert_int_equal(f.low[X86_CMDLINE_ADDR], 0xcc);
	assert_int_equal(f.low[X86_CMDLINE_ADDR + X86_CMDLINE_MAX], 0xcc);
	assert_int_equal(f.low[X86_ZERO_PAGE_ADDR], 0xcc);
	assert_int_equal(f.low[X86_PVH_INFO_ADDR], 0xcc);
	free(cmd);
	fake_free(&f);
}

static void test_linux_bad_memory(void **state)
{
	struct guest_mem gm;
	static uint8_t buf[0x30000];
	struct boot_info bi = {.cmdline = "x"};
	memset(&gm, 0, sizeof(gm));
	assert_int_equal(boot_write_linux(&gm, &bi), -EFAULT);
	assert_int_equal(boot_write_pvh(&gm, &bi), -EFAULT);
	/* room for the structures but no RAM above 1 MiB: no e820 possible */
	assert_int_equal(gm_add_region(&gm, 0, sizeof(buf), buf, -1), 0);
	assert_int_equal(boot_write_linux(&gm, &bi), -EINVAL);
	assert_int_equal(boot_write_pvh(&gm, &bi), -EINVAL);
}

/* ---- boot_write_pvh ------------------------------------------------------- */

/* Offsets of struct hvm_start_info (Xen public ABI, version 1). */
#define SI_MAGIC 0
#define SI_VERSION 4
#define SI_FLAGS 8
#define SI_NR_MODULES 12
#define SI_MODLIST 16
#define SI_CMDLINE 24
#define SI_RSDP 32
#define SI_MEMMAP 40
#define SI_MEMMAP_ENTRIES 48
#define MEMMAP_ENTRY_SIZE 24 /* addr, size, type, reserved */
#define MODULE_SIZE 32       /* paddr, size, cmdline_paddr, reserved */

static void test_pvh(void **state)
{
	struct fake f;
	fake_init(&f, LOW_SIZE, 1);
	const char *cmd = "console=hvc0 quiet";
	struct boot_info bi = {.cmdline = cmd, .initrd_gpa = 0x1c00000, .initrd_size = 0x54321, .rsdp_gpa = 0xf0000};
	assert_int_equal(boot_write_pvh(&f.gm, &bi), 0);
	const uint8_t *si = f.low + X86_PVH_INFO_ADDR;
	assert_int_equal(rd32(si + SI_MAGIC), 0x336ec578);
	assert_int_equal(rd32(si + SI_VERSION), 1);
	assert_int_equal(rd32(si + SI_FLAGS), 0);
	assert_int_equal(rd64(si + SI_CMDLINE), X86_CMDLINE_ADDR);
	assert_string_equal((const char *)f.low + rd64(si + SI_CMDLINE), cmd);
	assert_int_equal(rd64(si + SI_RSDP), 0xf0000);

	/* module list: one module, the initrd */
	assert_int_equal(rd32(si + SI_NR_MODULES), 1);
	uint64_t modlist = rd64(si + SI_MODLIST);
	assert_true(modlist > X86_PVH_INFO_ADDR && modlist + MODULE_SIZE <= X86_ZERO_PAGE_ADDR);
	const uint8_t *mod = f.low + modlist;
	assert_int_equal(rd64(mod + 0), 0x1c00000);
	assert_int_equal(rd64(mod + 8), 0x54321);
	assert_int_equal(rd64(mod + 16), 0);

	/* memory map */
	uint32_t n = rd32(si + SI_MEMMAP_ENTRIES);
	uint64_t mm = rd64(si + SI_MEMMAP);
	assert_int_equal(n, 3);
	assert_true(mm > X86_PVH_INFO_ADDR && mm + n * MEMMAP_ENTRY_SIZE <= X86_ZERO_PAGE_ADDR);
	/* memmap and module list must not overlap each other or the info */
	assert_true(mm >= modlist + MODULE_SIZE || modlist >= mm + n * MEMMAP_ENTRY_SIZE);
	assert_true(mm >= X86_PVH_INFO_ADDR + 56 && modlist >= X86_PVH_INFO_ADDR + 56);
	const uint8_t *e = f.low + mm;
	static const uint64_t want[3][2] = {{0, 0x9fc00}, {0x100000, LOW_SIZE - 0x100000}, {GIB4, HIGH_SIZE}};
	for (unsigned i = 0; i < 3; i++, e += MEMMAP_ENTRY_SIZE) {
		assert_int_equal(rd64(e + 0), want[i][0]);
		assert_int_equal(rd64(e + 8), want[i][1]);
		assert_int_equal(rd32(e + 16), 1); /* XEN_HVM_MEMMAP_TYPE_RAM */
		assert_int_equal(rd32(e + 20), 0);
	}
	fake_free(&f);
}

static void test_pvh_no_initrd(void **state)
{
	struct fake f;
	fake_init(&f, 64ULL << 20, 0);
	struct boot_info bi = {.cmdline = ""};
	assert_int_equal(boot_write_pvh(&f.gm, &bi), 0);
	const uint8_t *si = f.low + X86_PVH_INFO_ADDR;
	assert_int_equal(rd32(si + SI_MAGIC), 0x336ec578);
	assert_int_equal(rd32(si + SI_NR_MODULES), 0);
	assert_int_equal(rd64(si + SI_MODLIST), 0);
	assert_int_equal(rd64(si + SI_RSDP), 0);
	assert_int_equal(rd32(si + SI_MEMMAP_ENTRIES), 2);
	assert_int_equal(f.low[X86_CMDLINE_ADDR], '\0');
	const uint8_t *e = f.low + rd64(si + SI_MEMMAP) + MEMMAP_ENTRY_SIZE;
	assert_int_equal(rd64(e + 0), 0x100000);
	assert_int_equal(rd64(e + 8), (64ULL << 20) - 0x100000);
	fake_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e820_small),
		cmocka_unit_test(test_e820_split),
		cmocka_unit_test(test_e820_gm_create_split),
		cmocka_unit_test(test_e820_invalid),
		cmocka_unit_test(test_linux_with_header),
		cmocka_unit_test(test_linux_default_header),
		cmocka_unit_test(test_linux_header_len),
		cmocka_unit_test(test_linux_initrd_above_4g),
		cmocka_unit_test(test_cmdline_limits),
		cmocka_unit_test(test_linux_bad_memory),
		cmocka_unit_test(test_pvh),
		cmocka_unit_test(test_pvh_no_initrd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
