/* Unit tests for loader/bzimage.c (parser) and bzImage loading. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loader/bzimage.h"
#include "loader/kernel.h"
#include "mem/guest_mem.h"

#include "../le_put.h"

#define SETUP_SECTS 4
#define KOFF ((SETUP_SECTS + 1) * 512)
#define KLEN 0x400
#define IMG_MAX (256 * 512 + KLEN)
#define PREF 0x1000000ULL
#define ALIGN 0x200000U
#define INIT_SIZE 0x100000U

struct img {
	uint8_t b[IMG_MAX];
	size_t size;
};


/* A minimal protocol-2.15 bzImage: 4 setup sectors, KLEN bytes of "kernel". */
static void build(struct img *im)
{
	uint8_t *b = im->b;

	memset(im, 0, sizeof(*im));
	b[0] = 0x4d;
	b[1] = 0x5a;
	b[0x1f1] = SETUP_SECTS;
	put16(b + 0x1fe, 0xaa55);
	b[0x200] = 0xeb;
	b[0x201] = 0x6a; /* header ends at 0x26c */
	memcpy(b + 0x202, "HdrS", 4);
	put16(b + 0x206, 0x020f);
	b[0x211] = 0x01;                  /* LOADED_HIGH */
	put32(b + 0x22c, 0x7fffffff);     /* initrd_addr_max */
	put32(b + 0x230, ALIGN);          /* kernel_alignment */
	b[0x234] = 1;                     /* relocatable */
	put16(b + 0x236, 0x0003);         /* XLF_KERNEL_64 | CAN_BE_LOADED_ABOVE_4G */
	put32(b + 0x238, 2048);           /* cmdline_size */
	put32(b + 0x248, 0x100);          /* payload_offset */
	put32(b + 0x24c, 0x200);          /* payload_length */
	put64(b + 0x258, PREF);
	put32(b + 0x260, INIT_SIZE);
	for (unsigned i = 0; i < KLEN; i++)
		b[KOFF + i] = (uint8_t)(i * 7 + 1);
	im->size = KOFF + KLEN;
}

static void expect_fail(const struct img *im, int want)
{
	struct bzimage_info bi;
	char err[128] = "";
	int ret = bzimage_parse(im->b, im->size, &bi, err, sizeof(err));
	assert_int_equal(ret, want);
	assert_true(strlen(err) > 0);
	assert_int_equal(bi.kernel_size, 0);
	assert_int_equal(bi.setup_header_len, 0);
}

static void test_valid(void **state)
{
	static struct img im;
	struct bzimage_info bi;
	char err[128] = "";

	build(&im);
	assert_true(bzimage_is_bzimage(im.b, im.size));
	assert_int_equal(bzimage_parse(im.b, im.size, &bi, err, sizeof(err)), 0);
	assert_int_equal(bi.version, 0x020f);
	assert_int_equal(bi.setup_sects, SETUP_SECTS);
	assert_int_equal(bi.kernel_offset, KOFF);
	assert_int_equal(bi.kernel_size, KLEN);
	assert_int_equal(bi.loadflags, 0x01);
	assert_int_equal(bi.xloadflags, 0x0003);
	assert_true(bi.relocatable);
	assert_int_equal(bi.kernel_alignment, ALIGN);
	assert_int_equal(bi.pref_address, PREF);
	assert_int_equal(bi.init_size, INIT_SIZE);
	assert_int_equal(bi.cmdline_size, 2048);
	assert_int_equal(bi.initrd_addr_max, 0x7fffffff);
	assert_int_equal(bi.payload_offset, 0x100);
	assert_int_equal(bi.payload_length, 0x200);
	assert_int_equal(bi.setup_header_len, 0x26c - 0x1f1);
	assert_memory_equal(bi.setup_header, im.b + 0x1f1, 0x26c - 0x1f1);
}

static void test_setup_sects_zero_means_four(void **state)
{
	static struct img im;
	struct bzimage_info bi;

	build(&im);
	im.b[0x1f1] = 0;
	assert_int_equal(bzimage_parse(im.b, im.size, &bi, NULL, 0), 0);
	assert_int_equal(bi.setup_sects, 4);
	assert_int_equal(bi.kernel_offset, 5 * 512);
	assert_int_equal(bi.kernel_size, KLEN);
}

static void test_setup_sects_one(void **state)
{
	static struct img im;
	struct bzimage_info bi;

	build(&im);
	im.b[0x1f1] = 1;
	assert_int_equal(bzimage_parse(im.b, im.size, &bi, NULL, 0), 0);
	assert_int_equal(bi.kernel_offset, 1024);
	assert_int_equal(bi.kernel_size, im.size - 1024);
}

static void test_setup_sects_huge(void **state)
{
	static struct img im;

	build(&im);
	im.b[0x1f1] = 255; /* 128 KiB of setup in a 3 KiB file */
	expect_fail(&im, -ENOEXEC);
	build(&im);
	im.size = 6 * 512; /* setup ends exactly at the end: no kernel */
	im.b[0x1f1] = 5;
	expect_fail(&im, -ENOEXEC);
}

static void test_kernel_too_short_for_entry(void **state)
{
	static struct img im;
	struct bzimage_info bi;
	char err[128] = "";

	build(&im);
	put32(im.b + 0x248, 0); /* no payload, so only the entry bounds the size */
	put32(im.b + 0x24c, 0);
	assert_int_equal(bzimage_parse(im.b, KOFF + 0x200, &bi, err, sizeof(err)), -ENOEXEC);
	assert_non_null(strstr(err, "64-bit entry"));
	assert_int_equal(bzimage_parse(im.b, KOFF + 0x201, &bi, err, sizeof(err)), 0);
	assert_int_equal(bi.kernel_size, 0x201);
}

static void test_header_len_capped(void **state)
{
	static struct img im;
	struct bzimage_info bi;

	build(&im);
	im.b[0x201] = 0xff; /* header would end at 0x301 */
	assert_int_equal(bzimage_parse(im.b, im.size, &bi, NULL, 0), 0);
	assert_int_equal(bi.setup_header_len, BZ_SETUP_HEADER_MAX);
	assert_int_equal(BZ_SETUP_HEADER_MAX, 0x9f);
	build(&im);
	im.b[0x201] = 0x66; /* protocol 2.12-2.14 size: ends at 0x268 */
	assert_int_equal(bzimage_parse(im.b, im.size, &bi, NULL, 0), 0);
	assert_int_equal(bi.setup_header_len, 0x268 - 0x1f1);
}

static void test_header_too_short_or_no_jump(void **state)
{
	static struct img im;

	build(&im);
	im.b[0x201] = 0x61; /* ends at 0x263, before init_size ends */
	expect_fail(&im, -ENOEXEC);
	build(&im);
	im.b[0x200] = 0xe9;
	expect_fail(&im, -ENOEXEC);
}

static void test_too_short(void **state)
{
	static struct img im;

	build(&im);
	for (size_t n = 0; n <= KOFF; n++) {
		struct bzimage_info bi;
		char err[128] = "";
		assert_true(bzimage_parse(im.b, n, &bi, err, sizeof(err)) < 0);
		assert_true(strlen(err) > 0);
	}
	/* Kernel truncated into the payload: the payload no longer fits. */
	for (size_t n = KOFF + 1; n < KOFF + 0x300; n++) {
		struct bzimage_info bi;
		assert_int_equal(bzimage_parse(im.b, n, &bi, NULL, 0), -ENOEXEC);
	}
	struct bzimage_info bi;
	assert_int_equal(bzimage_parse(im.b, KOFF + 0x300, &bi, NULL, 0), 0);
	assert_int_equal(bi.kernel_size, 0x300);
	assert_int_equal(bzimage_parse(NULL, 4096, &bi, NULL, 0), -EINVAL);
}

static void test_bad_magic(void **state)
{
	static struct img im;

	build(&im);
	im.b[0x205] = 'T';
	assert_false(bzimage_is_bzimage(im.b, im.size));
	expect_fail(&im, -ENOEXEC);
	build(&im);
	put16(im.b + 0x1fe, 0x55aa);
	expect_fail(&im, -ENOEXEC);
}

static void test_old_protocol(void **state)
{
	static struct img im;
	struct bzimage_info bi;
	char err[128] = "";

	build(&im);
	put16(im.b + 0x206, 0x0205);
	assert_int_equal(bzimage_parse(im.b, im.size, &bi, err, sizeof(err)), -ENOTSUP);
	assert_non_null(strstr(err, "2.05"));
	build(&im);
	put16(im.b + 0x206, 0x0200);
	expect_fail(&im, -ENOTSUP);
	/* 2.06..2.11 parse as a protocol but have no xloadflags/64-bit entry. */
	build(&im);
	put16(im.b + 0x206, 0x020b);
	assert_int_equal(bzimage_parse(im.b, im.size, &bi, err, sizeof(err)), -ENOTSUP);
	assert_non_null(strstr(err, "2.12"));
	build(&im);
	put16(im.b + 0x206, 0x020c);
	assert_int_equal(bzimage_parse(im.b, im.size, &bi, NULL, 0), 0);
	assert_int_equal(bi.version, 0x020c);
}

static void test_no_kernel64(void **state)
{
	static struct img im;
	struct bzimage_info bi;
	char err[128] = "";

	build(&im);
	put16(im.b + 0x236, 0x0002);
	assert_int_equal(bzimage_parse(im.b, im.size, &bi, err, sizeof(err)), -ENOTSUP);
	assert_non_null(strstr(err, "XLF_KERNEL_64"));
}

static void test_not_loaded_high(void **state)
{
	static struct img im;

	build(&im);
	im.b[0x211] = 0x80;
	expect_fail(&im, -ENOTSUP);
}

static void test_kernel_alignment(void **state)
{
	static struct img im;
	struct bzimage_info bi;

	build(&im);
	put32(im.b + 0x230, 0x300000);
	expect_fail(&im, -ENOEXEC);
	build(&im);
	put32(im.b + 0x230, 0);
	expect_fail(&im, -ENOEXEC);
	build(&im);
	put32(im.b + 0x230, 0);
	im.b[0x234] = 0; /* not relocatable: alignment unused */
	assert_int_equal(bzimage_parse(im.b, im.size, &bi, NULL, 0), 0);
	assert_false(bi.relocatable);
}

static void test_payload_out_of_range(void **state)
{
	static struct img im;

	build(&im);
	put32(im.b + 0x248, KLEN - 0x1ff);
	expect_fail(&im, -ENOEXEC);
	build(&im);
	put32(im.b + 0x248, 0xffffffff);
	put32(im.b + 0x24c, 0x10); /* wraps in 32 bits */
	expect_fail(&im, -ENOEXEC);
}

/* ---- loading ------------------------------------------------------------ */

struct fake {
	struct guest_mem gm;
	uint8_t *ram;
	uint64_t size;
};

static int setup_size(void **state, uint64_t size)
{
	struct fake *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->size = size;
	f->ram = calloc(1, size);
	if (!f->ram || gm_add_region(&f->gm, 0, size, f->ram, -1) != 0)
		return -1;
	*state = f;
	return 0;
}

static int setup_32m(void **state)
{
	return setup_size(state, 32u << 20);
}

static int setup_16m(void **state)
{
	return setup_size(state, 16u << 20);
}

static int teardown(void **state)
{
	struct fake *f = *state;
	free(f->ram);
	free(f);
	return 0;
}

static void test_load(void **state)
{
	struct fake *f = *state;
	static struct img im;
	struct loaded_kernel lk;
	char err[128] = "";

	build(&im);
	assert_int_equal(kernel_load_image(&f->gm, im.b, im.size, KERNEL_PREFER_LINUX64, &lk, err, sizeof(err)), 0);
	assert_true(lk.is_bzimage);
	assert_int_equal(lk.mode, KERNEL_ENTRY_LINUX64);
	assert_int_equal(lk.entry, 0x100200);
	assert_int_equal(lk.kernel_start, 0x100000);
	/* Relocatable: runs at max(align_up(1 MiB, 2 MiB), pref 16 MiB), needs init_size. */
	assert_int_equal(lk.kernel_end, PREF + INIT_SIZE);
	assert_memory_equal(f->ram + 0x100000, im.b + KOFF, KLEN);
	assert_int_equal(f->ram[0x100000 + KLEN], 0);
	assert_int_equal(lk.setup_header_len, 0x26c - 0x1f1);
	assert_memory_equal(lk.setup_header, im.b + 0x1f1, lk.setup_header_len);
	assert_int_equal(lk.boot_protocol, 0x020f);
	assert_int_equal(lk.cmdline_size, 2048);
	assert_int_equal(lk.initrd_addr_max, 0x7fffffff);
	assert_int_equal(lk.xloadflags, 3);
}

static void test_load_runtime_addr(void **state)
{
	struct fake *f = *state;
	static struct img im;
	struct loaded_kernel lk;

	build(&im);
	put64(im.b + 0x258, 0x100000); /* pref below the aligned load address */
	assert_int_equal(kernel_load_image(&f->gm, im.b, im.size, KERNEL_PREFER_LINUX64, &lk, NULL, 0), 0);
	assert_int_equal(lk.kernel_end, 0x200000 + INIT_SIZE);
	build(&im);
	put32(im.b + 0x260, 0x10); /* tiny init_size: the copied kernel is the end */
	put64(im.b + 0x258, 0x100000);
	put32(im.b + 0x230, 0x1000);
	assert_int_equal(kernel_load_image(&f->gm, im.b, im.size, KERNEL_PREFER_LINUX64, &lk, NULL, 0), 0);
	assert_int_equal(lk.kernel_end, 0x100000 + KLEN);
	build(&im);
	im.b[0x234] = 0; /* not relocatable: runs at pref_address */
	put64(im.b + 0x258, 0x1800000);
	assert_int_equal(kernel_load_image(&f->gm, im.b, im.size, KERNEL_PREFER_LINUX64, &lk, NULL, 0), 0);
	assert_int_equal(lk.kernel_end, 0x1800000 + INIT_SIZE);
}

static void test_load_init_area_does_not_fit(void **state)
{
	struct fake *f = *state;
	static struct img im;
	struct loaded_kernel lk;
	char err[160] = "";

	build(&im); /* needs [16 MiB, 17 MiB) but RAM ends at 16 MiB */
	assert_int_equal(kernel_load_image(&f->gm, im.b, im.size, KERNEL_PREFER_LINUX64, &lk, err, sizeof(err)),
			 -ERANGE);
	assert_non_null(strstr(err, "init_size"));
	assert_non_null(strstr(err, "does not fit in guest memory"));
	assert_int_equal(f->ram[0x100000], 0); /* nothing copied */
	build(&im);
	put64(im.b + 0x258, UINT64_MAX - 0x10); /* pref + init_size overflows */
	assert_int_equal(kernel_load_image(&f->gm, im.b, im.size, KERNEL_PREFER_LINUX64, &lk, err, sizeof(err)),
			 -ENOEXEC);
}

static void test_load_kernel_does_not_fit(void **state)
{
	struct guest_mem gm = {0};
	uint8_t *ram = calloc(1, 0x100000 + 0x200);
	static struct img im;
	struct loaded_kernel lk;
	char err[160] = "";

	assert_non_null(ram);
	assert_int_equal(gm_add_region(&gm, 0, 0x100000 + 0x200, ram, -1), 0);
	build(&im);
	assert_int_equal(kernel_load_image(&gm, im.b, im.size, KERNEL_PREFER_LINUX64, &lk, err, sizeof(err)),
			 -ERANGE);
	assert_non_null(strstr(err, "0x100000 (1024 bytes) does not fit"));
	free(ram);
}

static void test_load_pvh_refused(void **state)
{
	struct fake *f = *state;
	static struct img im;
	struct loaded_kernel lk;
	char err[128] = "";

	build(&im);
	assert_int_equal(kernel_load_image(&f->gm, im.b, im.size, KERNEL_PREFER_PVH, &lk, err, sizeof(err)),
			 -ENOTSUP);
	assert_non_null(strstr(err, "PVH"));
	assert_false(lk.is_bzimage);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_setup_sects_zero_means_four),
		cmocka_unit_test(test_setup_sects_one),
		cmocka_unit_test(test_setup_sects_huge),
		cmocka_unit_test(test_kernel_too_short_for_entry),
		cmocka_unit_test(test_header_len_capped),
		cmocka_unit_test(test_header_too_short_or_no_jump),
		cmocka_unit_test(test_too_short),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_old_protocol),
		cmocka_unit_test(test_no_kernel64),
		cmocka_unit_test(test_not_loaded_high),
		cmocka_unit_test(test_kernel_alignment),
		cmocka_unit_test(test_payload_out_of_range),
		cmocka_unit_test_setup_teardown(test_load, setup_32m, teardown),
		cmocka_unit_test_setup_teardown(test_load_runtime_addr, setup_32m, teardown),
		cmocka_unit_test_setup_teardown(test_load_init_area_does_not_fit, setup_16m, teardown),
		cmocka_unit_test(test_load_kernel_does_not_fit),
		cmocka_unit_test_setup_teardown(test_load_pvh_refused, setup_32m, teardown),
	};
	return cmocka_run_group_tests_name("bzimage", tests, NULL, NULL);
}
