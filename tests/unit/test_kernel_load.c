/* Unit tests for kernel_load() and initramfs_load(): the file-reading paths
 * (missing, directory, empty, garbage, valid) and initramfs placement. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "loader/initramfs.h"
#include "loader/kernel.h"
#include "mem/guest_mem.h"

#include "../le_put.h"

#define RAM_SIZE (32u << 20)

struct ctx {
	char dir[64];
	char path[128];
	struct guest_mem gm;
	uint8_t *ram;
};


/* Minimal vmlinux: one PT_LOAD of 0x40 bytes (memsz 0x100) at 16 MiB. */
static size_t make_elf(uint8_t *b)
{
	memset(b, 0, 0x100);
	memcpy(b, "\177ELF", 4);
	b[4] = 2;
	b[5] = 1;
	b[6] = 1;
	put16(b + 16, 2);
	put16(b + 18, 62);
	put32(b + 20, 1);
	put64(b + 24, 0x1000000);
	put64(b + 32, 64);
	put16(b + 54, 56);
	put16(b + 56, 1);
	put32(b + 64, 1);
	put64(b + 64 + 8, 0xc0);
	put64(b + 64 + 24, 0x1000000);
	put64(b + 64 + 32, 0x40);
	put64(b + 64 + 40, 0x100);
	for (int i = 0; i < 0x40; i++)
		b[0xc0 + i] = (uint8_t)(0xc0 + i);
	return 0x100;
}

/* Minimal bzImage: 1 setup sector, 0x400 bytes of kernel, init_size 1 MiB at 2 MiB. */
static size_t make_bzimage(uint8_t *b)
{
	memset(b, 0, 0x800);
	b[0x1f1] = 1;
	put16(b + 0x1fe, 0xaa55);
	b[0x200] = 0xeb;
	b[0x201] = 0x6a;
	memcpy(b + 0x202, "HdrS", 4);
	put16(b + 0x206, 0x020f);
	b[0x211] = 1;
	put32(b + 0x230, 0x200000);
	b[0x234] = 1;
	put16(b + 0x236, 1);
	put32(b + 0x238, 255);
	put64(b + 0x258, 0x200000);
	put32(b + 0x260, 0x100000);
	for (int i = 0; i < 0x400; i++)
		b[0x400 + i] = (uint8_t)i;
	return 0x800;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	if (len)
		assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	strcpy(c->dir, "/tmp/nimbus-loader-XXXXXX");
	if (!mkdtemp(c->dir))
		return -1;
	snprintf(c->path, sizeof(c->path), "%s/file", c->dir);
	c->ram = calloc(1, RAM_SIZE);
	if (!c->ram || gm_add_region(&c->gm, 0, RAM_SIZE, c->ram, -1) != 0)
		return -1;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	unlink(c->path);
	rmdir(c->dir);
	free(c->ram);
	free(c);
	return 0;
}

/* ---- kernel_load -------------------------------------------------------- */

static void test_kernel_missing(void **state)
{
	struct ctx *c = *state;
	struct loaded_kernel lk;
	char err[256] = "";

	assert_int_equal(kernel_load(&c->gm, c->path, KERNEL_PREFER_LINUX64, &lk, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, c->path));
	assert_int_equal(kernel_load(&c->gm, "", KERNEL_PREFER_LINUX64, &lk, err, sizeof(err)), -EINVAL);
	assert_int_equal(kernel_load(&c->gm, NULL, KERNEL_PREFER_LINUX64, &lk, err, sizeof(err)), -EINVAL);
}

static void test_kernel_directory(void **state)
{
	struct ctx *c = *state;
	struct loaded_kernel lk;
	char err[256] = "";

	assert_int_equal(kernel_load(&c->gm, c->dir, KERNEL_PREFER_LINUX64, &lk, err, sizeof(err)), -EISDIR);
	assert_non_null(strstr(err, c->dir));
	assert_non_null(strstr(err, "directory"));
}

static void test_kernel_empty(void **state)
{
	struct ctx *c = *state;
	struct loaded_kernel lk;
	char err[256] = "";

	write_file(c->path, NULL, 0);
	assert_int_equal(kernel_load(&c->gm, c->path, KERNEL_PREFER_LINUX64, &lk, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "empty"));
	assert_non_null(strstr(err, c->path));
}

static void test_kernel_not_regular(void **state)
{
	struct ctx *c = *state;
	struct loaded_kernel lk;
	char err[256] = "";

	assert_int_equal(kernel_load(&c->gm, "/dev/null", KERNEL_PREFER_LINUX64, &lk, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
}

static void test_kernel_garbage(void **state)
{
	struct ctx *c = *state;
	struct loaded_kernel lk;
	char err[256] = "";

	write_file(c->path, "hello, world\n", 13);
	assert_int_equal(kernel_load(&c->gm, c->path, KERNEL_PREFER_LINUX64, &lk, err, sizeof(err)), -ENOEXEC);
	assert_non_null(strstr(err, c->path));
	assert_non_null(strstr(err, "neither"));
}

static void test_kernel_elf_file(void **state)
{
	struct ctx *c = *state;
	struct loaded_kernel lk;
	uint8_t img[0x100];
	char err[256] = "";

	write_file(c->path, img, make_elf(img));
	memset(c->ram + 0x1000000, 0xee, 0x100);
	assert_int_equal(kernel_load(&c->gm, c->path, KERNEL_PREFER_LINUX64, &lk, err, sizeof(err)), 0);
	assert_int_equal(lk.entry, 0x1000000);
	assert_int_equal(lk.kernel_end, 0x1000100);
	assert_memory_equal(c->ram + 0x1000000, img + 0xc0, 0x40);
	assert_int_equal(c->ram[0x1000040], 0);
	assert_int_equal(c->ram[0x10000ff], 0);
	/* Asking for PVH: error names the path. */
	assert_int_equal(kernel_load(&c->gm, c->path, KERNEL_PREFER_PVH, &lk, err, sizeof(err)), -ENOTSUP);
	assert_non_null(strstr(err, c->path));
	assert_non_null(strstr(err, "PVH"));
}

static void test_kernel_bzimage_file(void **state)
{
	struct ctx *c = *state;
	struct loaded_kernel lk;
	uint8_t img[0x800];
	char err[256] = "";

	write_file(c->path, img, make_bzimage(img));
	assert_int_equal(kernel_load(&c->gm, c->path, KERNEL_PREFER_LINUX64, &lk, err, sizeof(err)), 0);
	assert_true(lk.is_bzimage);
	assert_int_equal(lk.entry, 0x100200);
	assert_int_equal(lk.kernel_end, 0x300000);
	assert_int_equal(lk.cmdline_size, 255);
	assert_memory_equal(c->ram + 0x100000, img + 0x400, 0x400);
}

static void test_kernel_does_not_fit_names_path(void **state)
{
	struct ctx *c = *state;
	struct guest_mem small = {0};
	struct loaded_kernel lk;
	uint8_t img[0x100];
	char err[256] = "";

	assert_int_equal(gm_add_region(&small, 0, 0x800000, c->ram, -1), 0);
	write_file(c->path, img, make_elf(img));
	assert_int_equal(kernel_load(&small, c->path, KERNEL_PREFER_LINUX64, &lk, err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, c->path));
	assert_non_null(strstr(err, "kernel segment at 0x1000000 (256 bytes) does not fit in guest memory"));
}

/* ---- initramfs ---------------------------------------------------------- */

static void test_place(void **state)
{
	uint64_t gpa = 0;

	assert_int_equal(initramfs_place(5000, 0x100000, 0x1000000, &gpa), 0);
	assert_int_equal(gpa, 0xffe000); /* (16 MiB - 5000) rounded down to a page */
	assert_int_equal(initramfs_place(0x1000, 0x100000, 0x1000000, &gpa), 0);
	assert_int_equal(gpa, 0xfff000);
	assert_int_equal(initramfs_place(0x1000, 0x1000, 0x2000, &gpa), 0);
	assert_int_equal(gpa, 0x1000);
	assert_int_equal(initramfs_place(0x1001, 0x1001, 0x2002, &gpa), -ENOSPC); /* only fits unaligned */
	assert_int_equal(initramfs_place(0x2000, 0x1000, 0x2000, &gpa), -ENOSPC);
	assert_int_equal(initramfs_place(UINT64_MAX, 0, UINT64_MAX, &gpa), 0);
	assert_int_equal(gpa, 0);
	assert_int_equal(initramfs_place(1, 0x2000, 0x2000, &gpa), -EINVAL);
	assert_int_equal(initramfs_place(0, 0x1000, 0x2000, &gpa), -EINVAL);
}

static void test_initramfs_load(void **state)
{
	struct ctx *c = *state;
	uint8_t data[5000];
	uint64_t gpa = 0, size = 0;
	char err[256] = "";

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13);
	write_file(c->path, data, sizeof(data));
	assert_int_equal(initramfs_load(&c->gm, c->path, 0x1100000, RAM_SIZE, &gpa, &size, err, sizeof(err)), 0);
	assert_int_equal(size, sizeof(data));
	assert_int_equal(gpa, (RAM_SIZE - sizeof(data)) & ~0xfffULL);
	assert_int_equal(gpa % 4096, 0);
	assert_memory_equal(c->ram + gpa, data, sizeof(data));
}

static void test_initramfs_errors(void **state)
{
	struct ctx *c = *state;
	uint8_t data[5000] = {1};
	uint64_t gpa = 7, size = 7;
	char err[256] = "";

	assert_int_equal(initramfs_load(&c->gm, c->path, 0, RAM_SIZE, &gpa, &size, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, c->path));
	assert_int_equal(initramfs_load(&c->gm, c->dir, 0, RAM_SIZE, &gpa, &size, err, sizeof(err)), -EISDIR);
	assert_non_null(strstr(err, "directory"));
	write_file(c->path, NULL, 0);
	assert_int_equal(initramfs_load(&c->gm, c->path, 0, RAM_SIZE, &gpa, &size, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "empty"));
	write_file(c->path, data, sizeof(data));
	/* Range too small. */
	assert_int_equal(initramfs_load(&c->gm, c->path, RAM_SIZE - 4096, RAM_SIZE, &gpa, &size, err, sizeof(err)),
			 -ENOSPC);
	assert_non_null(strstr(err, "too big to fit"));
	/* Range beyond guest RAM. */
	assert_int_equal(initramfs_load(&c->gm, c->path, RAM_SIZE, 2ULL * RAM_SIZE, &gpa, &size, err, sizeof(err)),
			 -ENOSPC);
	assert_non_null(strstr(err, "does not fit in guest memory"));
	/* Inverted range. */
	assert_int_equal(initramfs_load(&c->gm, c->path, RAM_SIZE, 0x1000, &gpa, &size, err, sizeof(err)), -EINVAL);
	assert_int_equal(gpa, 7); /* outputs untouched on error */
	assert_int_equal(size, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kernel_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_not_regular, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_elf_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_bzimage_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_does_not_fit_names_path, setup, teardown),
		cmocka_unit_test(test_place),
		cmocka_unit_test_setup_teardown(test_initramfs_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_initramfs_errors, setup, teardown),
	};
	return cmocka_run_group_tests_name("kernel_load", tests, NULL, NULL);
}
