/* Unit tests for loader/elf.c (parser) and ELF loading via kernel_load_image. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loader/elf.h"
#include "loader/kernel.h"
#include "mem/guest_mem.h"

#include "../le_put.h"

/* ---- synthetic image ---------------------------------------------------- */

#define IMG_MAX 0x1000
#define PHOFF 0x40
#define PHSZ 56
#define SEG1_OFF 0x100
#define SEG1_LEN 0x80
#define SEG1_PA 0x1000000ULL
#define SEG2_OFF 0x180
#define SEG2_LEN 0x40
#define SEG2_MEM 0x200
#define SEG2_PA 0x1001000ULL
#define NOTE_OFF 0x1c0
#define PVH_ENTRY 0x1000010U

struct img {
	uint8_t b[IMG_MAX];
	size_t size;
};


static uint8_t *phdr(struct img *im, unsigned i)
{
	return im->b + PHOFF + i * PHSZ;
}

static void set_phdr(struct img *im, unsigned i, uint32_t type, uint64_t off, uint64_t pa, uint64_t filesz,
		     uint64_t memsz, uint64_t align)
{
	uint8_t *p = phdr(im, i);
	put32(p, type);
	put32(p + 4, 5);
	put64(p + 8, off);
	put64(p + 16, 0xffffffff80000000ULL + pa);
	put64(p + 24, pa);
	put64(p + 32, filesz);
	put64(p + 40, memsz);
	put64(p + 48, align);
}

/* Write one note at im->b[off]; returns bytes used (padded to 4). */
static size_t put_note(struct img *im, size_t off, const char *name, uint32_t type, const void *desc, uint32_t dsz)
{
	uint32_t nsz = (uint32_t)strlen(name) + 1;
	size_t npad = (nsz + 3) & ~3u, dpad = (dsz + 3) & ~3u;
	put32(im->b + off, nsz);
	put32(im->b + off + 4, dsz);
	put32(im->b + off + 8, type);
	memcpy(im->b + off + 12, name, nsz);
	memcpy(im->b + off + 12 + npad, desc, dsz);
	return 12 + npad + dpad;
}

/* Valid vmlinux-like image: 2 PT_LOAD (second with bss) and, if pvh_dsz is
 * 4 or 8, a PT_NOTE with a GNU build-id note then the Xen PHYS32_ENTRY note. */
static void build(struct img *im, unsigned pvh_dsz)
{
	memset(im, 0, sizeof(*im));
	uint8_t *e = im->b;
	memcpy(e, "\177ELF", 4);
	e[4] = 2; /* ELFCLASS64 */
	e[5] = 1; /* LSB */
	e[6] = 1;
	put16(e + 16, 2);  /* ET_EXEC */
	put16(e + 18, 62); /* EM_X86_64 */
	put32(e + 20, 1);
	put64(e + 24, SEG1_PA);
	put64(e + 32, PHOFF);
	put16(e + 52, 64);
	put16(e + 54, PHSZ);
	put16(e + 56, pvh_dsz ? 3 : 2);
	set_phdr(im, 0, 1, SEG1_OFF, SEG1_PA, SEG1_LEN, SEG1_LEN, 0x200000);
	set_phdr(im, 1, 1, SEG2_OFF, SEG2_PA, SEG2_LEN, SEG2_MEM, 0x200000);
	for (unsigned i = 0; i < SEG1_LEN; i++)
		im->b[SEG1_OFF + i] = (uint8_t)(0x10 + i);
	for (unsigned i = 0; i < SEG2_LEN; i++)
		im->b[SEG2_OFF + i] = (uint8_t)(0x80 + i);
	im->size = NOTE_OFF;
	if (!pvh_dsz)
		return;
	uint8_t id[8] = {1, 2, 3, 4, 5, 6, 7, 8}, d[8];
	put64(d, PVH_ENTRY);
	size_t n = put_note(im, NOTE_OFF, "GNU", 3, id, sizeof(id));
	n += put_note(im, NOTE_OFF + n, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, d, pvh_dsz);
	set_phdr(im, 2, 4, NOTE_OFF, 0, n, n, 4);
	im->size = NOTE_OFF + n;
}

static int parse(const struct img *im, struct elf_info *ei, char *err)
{
	return elf_parse(im->b, im->size, ei, err, 128);
}

/* Parse must fail with `want` and leave a non-empty message. */
static void expect_fail(const struct img *im, int want)
{
	struct elf_info ei;
	char err[128] = "";
	int ret = parse(im, &ei, err);
	assert_int_equal(ret, want);
	assert_true(strlen(err) > 0);
	assert_int_equal(ei.nr_segments, 0);
}

/* ---- parser: valid images ----------------------------------------------- */

static void test_valid_with_pvh(void **state)
{
	struct img im;
	struct elf_info ei;
	char err[128] = "";

	build(&im, 4);
	assert_int_equal(parse(&im, &ei, err), 0);
	assert_int_equal(ei.entry, SEG1_PA);
	assert_int_equal(ei.nr_segments, 2);
	assert_int_equal(ei.segments[0].offset, SEG1_OFF);
	assert_int_equal(ei.segments[0].filesz, SEG1_LEN);
	assert_int_equal(ei.segments[0].memsz, SEG1_LEN);
	assert_int_equal(ei.segments[0].paddr, SEG1_PA);
	assert_int_equal(ei.segments[1].offset, SEG2_OFF);
	assert_int_equal(ei.segments[1].filesz, SEG2_LEN);
	assert_int_equal(ei.segments[1].memsz, SEG2_MEM);
	assert_int_equal(ei.segments[1].paddr, SEG2_PA);
	assert_true(ei.has_pvh_entry);
	assert_int_equal(ei.pvh_entry, PVH_ENTRY);
}

static void test_valid_pvh_8byte(void **state)
{
	struct img im;
	struct elf_info ei;

	build(&im, 8);
	assert_int_equal(parse(&im, &ei, NULL), 0);
	assert_true(ei.has_pvh_entry);
	assert_int_equal(ei.pvh_entry, PVH_ENTRY);
}

static void test_valid_no_note(void **state)
{
	struct img im;
	struct elf_info ei;

	build(&im, 0);
	assert_int_equal(parse(&im, &ei, NULL), 0);
	assert_false(ei.has_pvh_entry);
	assert_int_equal(ei.nr_segments, 2);
}

static void test_memsz_zero_skipped(void **state)
{
	struct img im;
	struct elf_info ei;

	build(&im, 4);
	put64(phdr(&im, 0) + 32, 0);
	put64(phdr(&im, 0) + 40, 0);
	assert_int_equal(parse(&im, &ei, NULL), 0);
	assert_int_equal(ei.nr_segments, 1);
	assert_int_equal(ei.segments[0].paddr, SEG2_PA);
}

static void test_is_elf(void **state)
{
	struct img im;

	build(&im, 0);
	assert_true(elf_is_elf(im.b, im.size));
	assert_false(elf_is_elf(im.b, 3));
	assert_false(elf_is_elf(NULL, 64));
	im.b[1] = 'X';
	assert_false(elf_is_elf(im.b, im.size));
}

/* ---- parser: truncation and header errors ------------------------------- */

static void test_truncated_everywhere(void **state)
{
	struct img im;

	build(&im, 4);
	size_t full = im.size;
	for (size_t n = 0; n < full; n++) {
		struct elf_info ei;
		char err[128] = "";
		int ret = elf_parse(im.b, n, &ei, err, sizeof(err));
		assert_true(ret < 0);
		assert_true(strlen(err) > 0);
	}
}

static void test_null_image(void **state)
{
	struct elf_info ei;
	char err[64] = "";
	assert_int_equal(elf_parse(NULL, 100, &ei, err, sizeof(err)), -EINVAL);
}

static void test_bad_ident(void **state)
{
	struct img im;

	build(&im, 4);
	im.b[0] = 0x7e;
	expect_fail(&im, -ENOEXEC);
	build(&im, 4);
	im.b[4] = 1; /* ELFCLASS32 */
	expect_fail(&im, -ENOTSUP);
	build(&im, 4);
	im.b[5] = 2; /* big-endian */
	expect_fail(&im, -ENOTSUP);
	build(&im, 4);
	im.b[6] = 0;
	expect_fail(&im, -ENOEXEC);
}

static void test_wrong_machine_type_version(void **state)
{
	struct img im;

	build(&im, 4);
	put16(im.b + 18, 3); /* EM_386 */
	expect_fail(&im, -ENOTSUP);
	build(&im, 4);
	put16(im.b + 18, 183); /* EM_AARCH64 */
	expect_fail(&im, -ENOTSUP);
	build(&im, 4);
	put16(im.b + 16, 3); /* ET_DYN */
	expect_fail(&im, -ENOTSUP);
	build(&im, 4);
	put32(im.b + 20, 2);
	expect_fail(&im, -ENOEXEC);
}

static void test_phentsize(void **state)
{
	struct img im;

	build(&im, 4);
	put16(im.b + 54, 32);
	expect_fail(&im, -ENOEXEC);
	build(&im, 4);
	put16(im.b + 54, 64);
	expect_fail(&im, -ENOEXEC);
}

static void test_phnum(void **state)
{
	struct img im;

	build(&im, 4);
	put16(im.b + 56, 0);
	expect_fail(&im, -ENOEXEC);
	build(&im, 4);
	put16(im.b + 56, 0xffff); /* PN_XNUM */
	expect_fail(&im, -E2BIG);
	build(&im, 4);
	put16(im.b + 56, ELF_MAX_PHDRS + 1);
	expect_fail(&im, -E2BIG);
	build(&im, 4);
	put16(im.b + 56, 40); /* 40 * 56 bytes do not fit in the file */
	expect_fail(&im, -ENOEXEC);
}

static void test_phoff(void **state)
{
	struct img im;

	build(&im, 4);
	put64(im.b + 32, im.size + 1);
	expect_fail(&im, -ENOEXEC);
	build(&im, 4);
	put64(im.b + 32, im.size - PHSZ + 1); /* first phdr straddles the end */
	expect_fail(&im, -ENOEXEC);
	build(&im, 4);
	put64(im.b + 32, UINT64_MAX - 8); /* offset + length would wrap */
	expect_fail(&im, -ENOEXEC);
}

/* ---- parser: segment errors --------------------------------------------- */

static void test_filesz_gt_memsz(void **state)
{
	struct img im;

	build(&im, 4);
	put64(phdr(&im, 1) + 40, SEG2_LEN - 1);
	expect_fail(&im, -ENOEXEC);
}

static void test_segment_beyond_file(void **state)
{
	struct img im;

	build(&im, 4);
	put64(phdr(&im, 0) + 8, im.size - SEG1_LEN + 1);
	expect_fail(&im, -ENOEXEC);
	build(&im, 4);
	put64(phdr(&im, 1) + 32, 0x10000);
	put64(phdr(&im, 1) + 40, 0x10000);
	expect_fail(&im, -ENOEXEC);
}

static void test_segment_offset_overflow(void **state)
{
	struct img im;

	build(&im, 4);
	put64(phdr(&im, 0) + 8, UINT64_MAX - 0x10); /* offset + filesz (0x80) wraps */
	expect_fail(&im, -ENOEXEC);
	build(&im, 4);
	put64(phdr(&im, 0) + 32, UINT64_MAX); /* filesz huge, memsz too */
	put64(phdr(&im, 0) + 40, UINT64_MAX);
	expect_fail(&im, -ENOEXEC);
}

static void test_segment_paddr_overflow(void **state)
{
	struct img im;

	build(&im, 4);
	put64(phdr(&im, 1) + 24, UINT64_MAX - 0x100); /* paddr + memsz (0x200) wraps */
	expect_fail(&im, -ENOEXEC);
}

static void test_too_many_segments(void **state)
{
	struct img im;
	struct elf_info ei;

	build(&im, 0);
	im.size = IMG_MAX;
	for (unsigned i = 0; i < ELF_MAX_SEGMENTS; i++)
		set_phdr(&im, i, 1, 0, 0x100000 * (i + 1), 0x10, 0x10, 0x1000);
	put16(im.b + 56, ELF_MAX_SEGMENTS);
	put64(im.b + 24, 0x100000);
	assert_int_equal(parse(&im, &ei, NULL), 0);
	assert_int_equal(ei.nr_segments, ELF_MAX_SEGMENTS);
	set_phdr(&im, ELF_MAX_SEGMENTS, 1, 0, 0x7000000, 0x10, 0x10, 0x1000);
	put16(im.b + 56, ELF_MAX_SEGMENTS + 1);
	expect_fail(&im, -E2BIG);
}

static void test_no_load_segments(void **state)
{
	struct img im;

	build(&im, 4);
	put32(phdr(&im, 0), 6); /* PT_PHDR */
	put32(phdr(&im, 1), 0); /* PT_NULL */
	expect_fail(&im, -ENOEXEC);
}

/* ---- parser: notes ------------------------------------------------------ */

#define NOTE2_OFF (NOTE_OFF + 12 + 4 + 8) /* the Xen note follows the GNU note */

static void test_note_namesz_overflow(void **state)
{
	struct img im;

	build(&im, 4);
	put32(im.b + NOTE_OFF, 0xffffffff);
	expect_fail(&im, -ENOEXEC);
	build(&im, 4);
	put32(im.b + NOTE2_OFF, 0xfffffffd); /* aligns up to 2^32 */
	expect_fail(&im, -ENOEXEC);
	build(&im, 4);
	put32(im.b + NOTE2_OFF, 16); /* just past the segment end */
	expect_fail(&im, -ENOEXEC);
}

static void test_note_descsz_overflow(void **state)
{
	struct img im;

	build(&im, 4);
	put32(im.b + NOTE_OFF + 4, 0xffffffff);
	expect_fail(&im, -ENOEXEC);
	build(&im, 4);
	put32(im.b + NOTE2_OFF + 4, 0xfffffff0);
	expect_fail(&im, -ENOEXEC);
	build(&im, 4);
	put32(im.b + NOTE2_OFF + 4, 5); /* 1 byte past the end */
	expect_fail(&im, -ENOEXEC);
}

static void test_note_truncated_header(void **state)
{
	struct img im;

	build(&im, 4);
	put64(phdr(&im, 2) + 32, 24 + 11); /* GNU note + 11 bytes of the next header */
	expect_fail(&im, -ENOEXEC);
}

static void test_note_segment_beyond_file(void **state)
{
	struct img im;

	build(&im, 4);
	put64(phdr(&im, 2) + 32, 0x1000);
	expect_fail(&im, -ENOEXEC);
	build(&im, 4);
	put64(phdr(&im, 2) + 8, UINT64_MAX - 4);
	expect_fail(&im, -ENOEXEC);
}

static void test_note_alignment(void **state)
{
	struct img im;
	struct elf_info ei;

	build(&im, 4);
	put64(phdr(&im, 2) + 48, 16);
	expect_fail(&im, -ENOEXEC);
	build(&im, 4);
	put64(phdr(&im, 2) + 8, NOTE_OFF + 2); /* misaligned offset */
	expect_fail(&im, -ENOEXEC);
	/* 8-byte aligned notes: name "Xen\0" (4) pads to 8, so rebuild by hand. */
	build(&im, 0);
	uint8_t *n = im.b + NOTE_OFF;
	put32(n, 4);
	put32(n + 4, 4);
	put32(n + 8, XEN_ELFNOTE_PHYS32_ENTRY);
	memcpy(n + 12, "Xen", 4);
	put32(n + 20, PVH_ENTRY); /* name padded to 8: desc at 12 + 8 */
	put16(im.b + 56, 3);
	set_phdr(&im, 2, 4, NOTE_OFF, 0, 24, 24, 8);
	im.size = NOTE_OFF + 24;
	assert_int_equal(parse(&im, &ei, NULL), 0);
	assert_true(ei.has_pvh_entry);
	assert_int_equal(ei.pvh_entry, PVH_ENTRY);
}

static void test_note_bad_xen_desc(void **state)
{
	struct img im;

	build(&im, 4);
	put32(im.b + NOTE2_OFF + 4, 2); /* descsz 2 */
	expect_fail(&im, -ENOEXEC);
	build(&im, 8);
	put64(im.b + NOTE2_OFF + 16, 0x100000000ULL); /* above 4 GiB */
	expect_fail(&im, -ENOEXEC);
}

static void test_note_other_names_ignored(void **state)
{
	struct img im;
	struct elf_info ei;

	build(&im, 4);
	im.b[NOTE2_OFF + 12] = 'Y'; /* "Yen" */
	assert_int_equal(parse(&im, &ei, NULL), 0);
	assert_false(ei.has_pvh_entry);
	build(&im, 4);
	put32(im.b + NOTE2_OFF + 8, 17); /* other Xen note type */
	assert_int_equal(parse(&im, &ei, NULL), 0);
	assert_false(ei.has_pvh_entry);
}

static void test_err_truncation(void **state)
{
	struct img im;
	struct elf_info ei;
	char err[8];

	build(&im, 4);
	im.b[4] = 1;
	memset(err, 'x', sizeof(err));
	assert_int_equal(elf_parse(im.b, im.size, &ei, err, sizeof(err)), -ENOTSUP);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_int_equal(elf_parse(im.b, im.size, &ei, err, 0), -ENOTSUP);
}

/* ---- loading into fake guest memory ------------------------------------- */

#define GM_SIZE (32u << 20)

struct fake {
	struct guest_mem gm;
	uint8_t *ram;
};

static int setup_gm(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->ram = calloc(1, GM_SIZE);
	if (!f->ram || gm_add_region(&f->gm, 0, GM_SIZE, f->ram, -1) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown_gm(void **state)
{
	struct fake *f = *state;
	free(f->ram);
	free(f);
	return 0;
}

static void test_load_linux64(void **state)
{
	struct fake *f = *state;
	struct img im;
	struct loaded_kernel lk;
	char err[128] = "";

	build(&im, 4);
	memset(f->ram + SEG2_PA, 0xaa, SEG2_MEM + 16); /* bss must be zeroed, byte after not */
	assert_int_equal(kernel_load_image(&f->gm, im.b, im.size, KERNEL_PREFER_LINUX64, &lk, err, sizeof(err)),
			 0);
	assert_int_equal(lk.mode, KERNEL_ENTRY_LINUX64);
	assert_int_equal(lk.entry, SEG1_PA);
	assert_false(lk.is_bzimage);
	assert_int_equal(lk.setup_header_len, 0);
	assert_int_equal(lk.kernel_start, SEG1_PA);
	assert_int_equal(lk.kernel_end, SEG2_PA + SEG2_MEM);
	assert_memory_equal(f->ram + SEG1_PA, im.b + SEG1_OFF, SEG1_LEN);
	assert_memory_equal(f->ram + SEG2_PA, im.b + SEG2_OFF, SEG2_LEN);
	for (unsigned i = SEG2_LEN; i < SEG2_MEM; i++)
		assert_int_equal(f->ram[SEG2_PA + i], 0);
	assert_int_equal(f->ram[SEG2_PA + SEG2_MEM], 0xaa);
}

static void test_load_pvh(void **state)
{
	struct fake *f = *state;
	struct img im;
	struct loaded_kernel lk;
	char err[128] = "";

	build(&im, 8);
	assert_int_equal(kernel_load_image(&f->gm, im.b, im.size, KERNEL_PREFER_PVH, &lk, err, sizeof(err)), 0);
	assert_int_equal(lk.mode, KERNEL_ENTRY_PVH);
	assert_int_equal(lk.entry, PVH_ENTRY);
	build(&im, 0);
	assert_int_equal(kernel_load_image(&f->gm, im.b, im.size, KERNEL_PREFER_PVH, &lk, err, sizeof(err)),
			 -ENOTSUP);
	assert_non_null(strstr(err, "PVH"));
}

static void test_load_entry_outside(void **state)
{
	struct fake *f = *state;
	struct img im;
	struct loaded_kernel lk;
	char err[128] = "";

	build(&im, 0);
	put64(im.b + 24, SEG2_PA + SEG2_MEM); /* one past the end of the bss */
	assert_int_equal(kernel_load_image(&f->gm, im.b, im.size, KERNEL_PREFER_LINUX64, &lk, err, sizeof(err)),
			 -ENOEXEC);
	build(&im, 4);
	put64(im.b + NOTE2_OFF + 16, 0x2000); /* PVH entry not loaded */
	assert_int_equal(kernel_load_image(&f->gm, im.b, im.size, KERNEL_PREFER_PVH, &lk, err, sizeof(err)),
			 -ENOEXEC);
}

static void test_load_does_not_fit(void **state)
{
	struct fake *f = *state;
	struct img im;
	struct loaded_kernel lk;
	char err[160] = "";

	build(&im, 0);
	put64(phdr(&im, 1) + 24, GM_SIZE - 0x100); /* bss runs past the end of RAM */
	memset(f->ram + SEG1_PA, 0x55, SEG1_LEN);
	assert_int_equal(kernel_load_image(&f->gm, im.b, im.size, KERNEL_PREFER_LINUX64, &lk, err, sizeof(err)),
			 -ERANGE);
	assert_non_null(strstr(err, "does not fit in guest memory"));
	assert_non_null(strstr(err, "0x1ffff00"));
	assert_int_equal(f->ram[SEG1_PA], 0x55); /* nothing written before the check */
	assert_int_equal(lk.entry, 0);
}

static void test_load_straddles_regions(void **state)
{
	struct guest_mem gm = {0};
	uint8_t *a = calloc(1, 0x1000000), *b = calloc(1, 0x1000000);
	struct img im;
	struct loaded_kernel lk;
	char err[160] = "";

	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(gm_add_region(&gm, 0, 0x1000000, a, -1), 0);
	assert_int_equal(gm_add_region(&gm, 0x1000000, 0x1000000, b, -1), 0);
	build(&im, 0);
	put64(phdr(&im, 0) + 24, 0x1000000 - 0x40); /* across the region boundary */
	put64(im.b + 24, 0x1000000 - 0x40);
	assert_int_equal(kernel_load_image(&gm, im.b, im.size, KERNEL_PREFER_LINUX64, &lk, err, sizeof(err)),
			 -ERANGE);
	free(a);
	free(b);
}

static void test_load_garbage(void **state)
{
	struct fake *f = *state;
	struct loaded_kernel lk;
	uint8_t junk[600] = {0x4d, 0x5a};
	char err[128] = "";

	assert_int_equal(kernel_load_image(&f->gm, junk, sizeof(junk), KERNEL_PREFER_LINUX64, &lk, err, sizeof(err)),
			 -ENOEXEC);
	assert_non_null(strstr(err, "neither"));
	assert_int_equal(kernel_load_image(&f->gm, junk, 0, KERNEL_PREFER_LINUX64, &lk, err, sizeof(err)),
			 -ENOEXEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_with_pvh),
		cmocka_unit_test(test_valid_pvh_8byte),
		cmocka_unit_test(test_valid_no_note),
		cmocka_unit_test(test_memsz_zero_skipped),
		cmocka_unit_test(test_is_elf),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_null_image),
		cmocka_unit_test(test_bad_ident),
		cmocka_unit_test(test_wrong_machine_type_version),
		cmocka_unit_test(test_phentsize),
		cmocka_unit_test(test_phnum),
		cmocka_unit_test(test_phoff),
		cmocka_unit_test(test_filesz_gt_memsz),
		cmocka_unit_test(test_segment_beyond_file),
		cmocka_unit_test(test_segment_offset_overflow),
		cmocka_unit_test(test_segment_paddr_overflow),
		cmocka_unit_test(test_too_many_segments),
		cmocka_unit_test(test_no_load_segments),
		cmocka_unit_test(test_note_namesz_overflow),
		cmocka_unit_test(test_note_descsz_overflow),
		cmocka_unit_test(test_note_truncated_header),
		cmocka_unit_test(test_note_segment_beyond_file),
		cmocka_unit_test(test_note_alignment),
		cmocka_unit_test(test_note_bad_xen_desc),
		cmocka_unit_test(test_note_other_names_ignored),
		cmocka_unit_test(test_err_truncation),
		cmocka_unit_test_setup_teardown(test_load_linux64, setup_gm, teardown_gm),
		cmocka_unit_test_setup_teardown(test_load_pvh, setup_gm, teardown_gm),
		cmocka_unit_test_setup_teardown(test_load_entry_outside, setup_gm, teardown_gm),
		cmocka_unit_test_setup_teardown(test_load_does_not_fit, setup_gm, teardown_gm),
		cmocka_unit_test(test_load_straddles_regions),
		cmocka_unit_test_setup_teardown(test_load_garbage, setup_gm, teardown_gm),
	};
	return cmocka_run_group_tests_name("elf", tests, NULL, NULL);
}
