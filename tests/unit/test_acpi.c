/* Unit tests for arch/x86/acpi and arch/x86/aml: table layout, lengths and
 * checksums, MADT contents, and the DSDT decompiled by iasl (acpica-tools). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

#include <cmocka.h>

#include "arch/x86/acpi.h"
#include "arch/x86/aml.h"
#include "mem/guest_mem.h"

#define MEM_SIZE (2u << 20)

struct fixture {
	struct guest_mem gm;
	uint8_t *ram;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->ram = calloc(1, MEM_SIZE);
	assert_int_equal(gm_add_region(&f->gm, 0, MEM_SIZE, f->ram, -1), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	free(f->ram);
	free(f);
	return 0;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* Returns the table with signature sig reached through RSDP → XSDT. */
static const uint8_t *find_table(struct fixture *f, uint64_t rsdp, const char *sig)
{
	const uint8_t *r = f->ram + rsdp;
	const uint8_t *x = f->ram + rd64(r + 24);
	uint32_t xlen = rd32(x + 4);
	for (uint32_t off = 36; off + 8 <= xlen; off += 8) {
		const uint8_t *t = f->ram + rd64(x + off);
		if (!memcmp(t, sig, 4))
			return t;
	}
	if (!strcmp(sig, "DSDT")) {
		const uint8_t *fadt = find_table(f, rsdp, "FACP");
		return fadt ? f->ram + rd64(fadt + 140) : NULL;
	}
	return NULL;
}

static void test_rsdp_and_checksums(void **state)
{
	struct fixture *f = *state;
	struct acpi_config cfg = {.ncpus = 2, .max_cpus = 4, .serial = true};
	uint64_t rsdp = 0;
	assert_int_equal(acpi_write_tables(&f->gm, &cfg, &rsdp), 0);
	assert_int_equal(rsdp, X86_ACPI_RSDP_ADDR);
	const uint8_t *r = f->ram + rsdp;
	assert_memory_equal(r, "RSD PTR ", 8);
	assert_int_equal(r[15], 2);             /* revision */
	assert_int_equal(rd32(r + 20), 36);     /* length */
	assert_int_equal(sum(r, 20), 0);
	assert_int_equal(sum(r, 36), 0);
	const char *sigs[] = {"FACP", "APIC", "DSDT"};
	for (int i = 0; i < 3; i++) {
		const uint8_t *t = find_table(f, rsdp, sigs[i]);
		assert_non_null(t);
		uint32_t len = rd32(t + 4);
		assert_true(len >= 36);
		assert_true((uint64_t)(t - f->ram) + len <= X86_ACPI_TABLES_END);
		assert_int_equal(sum(t, len), 0);
	}
	const uint8_t *x = f->ram + rd64(r + 24);
	assert_memory_equal(x, "XSDT", 4);
	assert_int_equal(rd32(x + 4), 36 + 2 * 8);
	assert_int_equal(sum(x, rd32(x + 4)), 0);
}

static void test_madt_iso_with_serial(void **state)
{
	struct fixture *f = *state;
	struct acpi_config cfg = {.ncpus = 1, .max_cpus = 1, .serial = true};
	uint64_t rsdp;
	assert_int_equal(acpi_write_tables(&f->gm, &cfg, &rsdp), 0);
	const uint8_t *m = find_table(f, rsdp, "APIC");
	uint32_t len = rd32(m + 4);
	unsigned isos = 0;
	for (uint32_t off = 44; off < len; off += m[off + 1]) {
		if (m[off] != 2)
			continue;
		isos++;
		assert_int_equal(m[off + 2], 0); /* ISA bus */
		assert_int_equal(m[off + 3], 4);
		assert_int_equal(rd32(m + off + 4), 4);
		uint16_t fl;
		memcpy(&fl, m + off + 8, 2);
		assert_int_equal(fl, 0x5); /* active high, edge */
	}
	assert_int_equal(isos, 1);
	assert_int_equal(sum(m, len), 0);
}

static void test_fadt_fields(void **state)
{
	struct fixture *f = *state;
	struct acpi_config cfg = {.ncpus = 1, .max_cpus = 1, .serial = true};
	uint64_t rsdp;
	assert_int_equal(acpi_write_tables(&f->gm, &cfg, &rsdp), 0);
	const uint8_t *fadt = find_table(f, rsdp, "FACP");
	assert_int_equal(rd32(fadt + 4), 276);
	assert_int_equal(fadt[8], 6);
	assert_true(rd32(fadt + 112) & (1u << 20)); /* HW_REDUCED_ACPI */
	const uint8_t *dsdt = f->ram + rd64(fadt + 140);
	assert_memory_equal(dsdt, "DSDT", 4);
	assert_int_equal(rd32(fadt + 40), (uint32_t)(dsdt - f->ram));
}

static void test_madt_cpus(void **state)
{
	struct fixture *f = *state;
	struct acpi_config cfg = {.ncpus = 3, .max_cpus = 5};
	uint64_t rsdp;
	assert_int_equal(acpi_write_tables(&f->gm, &cfg, &rsdp), 0);
	const uint8_t *m = find_table(f, rsdp, "APIC");
	uint32_t len = rd32(m + 4);
	assert_int_equal(rd32(m + 36), 0xfee00000u);
	unsigned lapics = 0, enabled = 0, ioapics = 0, nmis = 0, isos = 0;
	for (uint32_t off = 44; off < len;) {
		uint8_t type = m[off], l = m[off + 1];
		assert_true(l >= 2 && off + l <= len);
		if (type == 0) {
			assert_int_equal(m[off + 3], lapics); /* APIC ID */
			lapics++;
			uint32_t fl = rd32(m + off + 4);
			if (fl & 1)
				enabled++;
			else
				assert_int_equal(fl, 2); /* online capable */
		} else if (type == 1) {
			ioapics++;
			assert_int_equal(m[off + 2], 5);
			assert_int_equal(rd32(m + off + 4), 0xfec00000u);
		} else if (type == 2) {
			isos++;
			assert_int_equal(l, 10);
			assert_int_equal(m[off + 3], 4);          /* ISA IRQ 4 */
			assert_int_equal(rd32(m + off + 4), 4);   /* GSI 4 */
		} else if (type == 4) {
			nmis++;
		}
		off += l;
	}
	assert_int_equal(lapics, 5);
	assert_int_equal(enabled, 3);
	assert_int_equal(ioapics, 1);
	assert_int_equal(nmis, 1);
	assert_int_equal(isos, 0); /* no serial port in this config */
}

static void test_mcfg(void **state)
{
	struct fixture *f = *state;
	struct acpi_config cfg = {.ncpus = 1, .max_cpus = 1, .pci = true};
	uint64_t rsdp;
	assert_int_equal(acpi_write_tables(&f->gm, &cfg, &rsdp), 0);
	const uint8_t *m = find_table(f, rsdp, "MCFG");
	assert_non_null(m);
	assert_int_equal(rd32(m + 4), 60);
	assert_int_equal(sum(m, 60), 0);
	assert_int_equal(rd64(m + 44), 0xe0000000ULL);
	assert_int_equal(m[54], 0); /* start bus */
	assert_int_equal(m[55], 0); /* end bus */
	struct acpi_config nopci = {.ncpus = 1, .max_cpus = 1};
	memset(f->ram, 0, MEM_SIZE);
	assert_int_equal(acpi_write_tables(&f->gm, &nopci, &rsdp), 0);
	assert_null(find_table(f, rsdp, "MCFG"));
}

static void test_bad_config(void **state)
{
	struct fixture *f = *state;
	uint64_t rsdp;
	struct acpi_config zero = {.ncpus = 0}, less = {.ncpus = 4, .max_cpus = 2}, many = {.ncpus = 1, .max_cpus = 255};
	assert_int_equal(acpi_write_tables(&f->gm, &zero, &rsdp), -EINVAL);
	assert_int_equal(acpi_write_tables(&f->gm, &less, &rsdp), -EINVAL);
	assert_int_equal(acpi_write_tables(&f->gm, &many, &rsdp), -EINVAL);
	struct acpi_config max = {.ncpus = 254, .max_cpus = 254, .serial = true, .pci = true,
				  .pci_mmio64_start = 1ULL << 36, .pci_mmio64_end = (1ULL << 37) - 1};
	assert_int_equal(acpi_write_tables(&f->gm, &max, &rsdp), 0);
}

static void test_aml_pkg_length(void **state)
{
	(void)state;
	struct aml a;
	aml_init(&a);
	size_t s = aml_scope_begin(&a, "\\_SB_");
	aml_end(&a, s);
	assert_int_equal(aml_error(&a), 0);
	/* ScopeOp, PkgLength(1 byte: 1 + 5), '\', "_SB_" */
	uint8_t want[] = {0x10, 0x06, '\\', '_', 'S', 'B', '_'};
	assert_int_equal(a.len, sizeof(want));
	assert_memory_equal(a.buf, want, sizeof(want));
	aml_free(&a);
	/* A 100-byte buffer needs a 2-byte PkgLength. */
	aml_init(&a);
	size_t b = aml_buffer_begin(&a);
	uint8_t zeros[100] = {0};
	aml_bytes(&a, zeros, sizeof(zeros));
	aml_end(&a, b);
	assert_int_equal(aml_error(&a), 0);
	/* BufferOp, PkgLength(2), BytePrefix 100, 100 bytes → content = 2+2+100 */
	assert_int_equal(a.buf[0], 0x11);
	unsigned total = (a.buf[1] & 0x0f) | (unsigned)a.buf[2] << 4;
	assert_int_equal(a.buf[1] >> 6, 1);
	assert_int_equal(total, 2 + 2 + 100);
	assert_int_equal(a.buf[3], 0x0a);
	assert_int_equal(a.buf[4], 100);
	aml_free(&a);
}

static void test_aml_bad_names(void **state)
{
	(void)state;
	const char *bad[] = {"", "AB", "ABCDE", "abcd", "1ABC", "ABCD.", "ABCD.EF"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct aml a;
		aml_init(&a);
		aml_name(&a, bad[i]);
		assert_int_equal(aml_error(&a), -EINVAL);
		aml_free(&a);
	}
	struct aml a;
	aml_init(&a);
	aml_eisa_id(&a, "PNP05G1");
	assert_int_equal(aml_error(&a), -EINVAL);
	aml_free(&a);
	aml_init(&a);
	aml_eisa_id(&a, "PNP0501");
	uint8_t want[] = {0x0c, 0x41, 0xd0, 0x05, 0x01};
	assert_memory_equal(a.buf, want, sizeof(want));
	aml_free(&a);
}

/* Decompile the DSDT with iasl and check it names our devices. Requires
 * acpica-tools (installed by scripts/install-deps.sh): fails without it. */
static void test_dsdt_iasl(void **state)
{
	struct fixture *f = *state;
	struct acpi_config cfg = {.ncpus = 2, .max_cpus = 2, .serial = true, .pci = true,
				  .pci_mmio64_start = 0x1000000000ULL, .pci_mmio64_end = 0x1fffffffffULL};
	uint64_t rsdp;
	assert_int_equal(acpi_write_tables(&f->gm, &cfg, &rsdp), 0);
	const uint8_t *dsdt = find_table(f, rsdp, "DSDT");
	char dir[] = "/tmp/nimbus-acpi-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256], cmd[768], dsl[256];
	snprintf(path, sizeof(path), "%s/dsdt.dat", dir);
	snprintf(dsl, sizeof(dsl), "%s/dsdt.dsl", dir);
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(dsdt, 1, rd32(dsdt + 4), fp), rd32(dsdt + 4));
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "iasl -d %s > %s/iasl.log 2>&1", path, dir);
	int rc = system(cmd);
	assert_int_equal(rc, 0);
	fp = fopen(dsl, "r");
	assert_non_null(fp);
	char text[16384];
	size_t n = fread(text, 1, sizeof(text) - 1, fp);
	text[n] = '\0';
	fclose(fp);
	assert_non_null(strstr(text, "Device (COM1)"));
	assert_non_null(strstr(text, "EisaId (\"PNP0501\")"));
	assert_non_null(strstr(text, "IRQNoFlags ()"));
	assert_non_null(strstr(text, "Device (RTC)"));
	assert_non_null(strstr(text, "0x03F8"));
	assert_non_null(strstr(text, "Device (PCI0)"));
	assert_non_null(strstr(text, "EisaId (\"PNP0A08\")"));
	assert_non_null(strstr(text, "WordBusNumber"));
	assert_non_null(strstr(text, "DWordMemory"));
	assert_non_null(strstr(text, "QWordMemory"));
	assert_non_null(strstr(text, "0x0000001FFFFFFFFF"));
	assert_non_null(strstr(text, "EisaId (\"PNP0C02\")"));
	assert_non_null(strstr(text, "Name (_S5, Package (0x02)"));
	assert_non_null(strstr(text, "EisaId (\"PNP0C0C\")"));
	assert_non_null(strstr(text, "Device (GED)"));
	assert_non_null(strstr(text, "\"ACPI0013\""));
	assert_non_null(strstr(text, "OperationRegion (GDST, SystemIO, 0x0603, One)"));
	assert_non_null(strstr(text, "Method (_EVT, 1, NotSerialized)"));
	assert_non_null(strstr(text, "Notify (\\_SB.PWRB, 0x80)"));
	/* iasl reports problems in the disassembly as comments or on stderr. */
	char logpath[300];
	snprintf(logpath, sizeof(logpath), "%s/iasl.log", dir);
	fp = fopen(logpath, "r");
	assert_non_null(fp);
	n = fread(text, 1, sizeof(text) - 1, fp);
	text[n] = '\0';
	fclose(fp);
	assert_null(strstr(text, "Error"));
	assert_null(strstr(text, "error"));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rsdp_and_checksums, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fadt_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_madt_iso_with_serial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_madt_cpus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mcfg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_config, setup, teardown),
		cmocka_unit_test(test_aml_pkg_length),
		cmocka_unit_test(test_aml_bad_names),
		cmocka_unit_test_setup_teardown(test_dsdt_iasl, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
