/* Unit tests for pci/pci: config space through 0xcf8/0xcfc and ECAM, BARs,
 * the bar_moved callback, capabilities, BAR allocation, region dispatch. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pci/pci.h"

#define SLOT 3
#define NONE PCI_BAR_NONE

enum how { PIO, ECAM };

/* ---- bar_moved recorder ---- */

#define MAX_MOVES 4096

struct move {
	unsigned slot, bar;
	enum pci_bar_kind kind;
	uint64_t size, old_addr, new_addr;
};

struct recorder {
	pthread_mutex_t lock;
	struct move moves[MAX_MOVES];
	unsigned n;
	int refuse_rc;           /* returned when new_addr == refuse_addr */
	uint64_t refuse_addr;
	uint64_t cur[PCI_MAX_DEVICES][PCI_NUM_BARS]; /* what the "VMM" has mapped */
	unsigned inconsistent;   /* old_addr did not match what was mapped */
};

static int on_bar_moved(void *ctx, const struct pci_bar_move *m)
{
	struct recorder *r = ctx;
	int rc = 0;
	unsigned slot = (unsigned)pci_device_slot(m->dev);
	pthread_mutex_lock(&r->lock);
	if (r->n < MAX_MOVES)
		r->moves[r->n++] = (struct move){slot, m->bar, m->kind, m->size, m->old_addr, m->new_addr};
	if (r->cur[slot][m->bar] != m->old_addr)
		r->inconsistent++;
	if (m->ops != &pci_bar_bus_ops || m->opaque != pci_bar_opaque(m->dev, m->bar))
		r->inconsistent++;
	if (r->refuse_rc && m->new_addr == r->refuse_addr)
		rc = r->refuse_rc;
	r->cur[slot][m->bar] = rc ? NONE : m->new_addr;
	pthread_mutex_unlock(&r->lock);
	return rc;
}

/* ---- fixture ---- */

struct fx {
	struct pci_bus *bus;
	struct pci_device *dev;
	struct recorder rec;
};

static const struct pci_device_info test_info = {
	.vendor_id = 0x1af4,
	.device_id = 0x1042,
	.subsystem_vendor_id = 0x1af4,
	.subsystem_id = 0x0002,
	.class_code = 0x018000,
	.revision = 0x01,
	.interrupt_pin = 1,
	.name = "testdev",
};

/* BAR0 mem32 4 KiB, BAR2-3 mem64 16 KiB prefetchable, BAR4 io 64 bytes. */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	pthread_mutex_init(&f->rec.lock, NULL);
	for (unsigned s = 0; s < PCI_MAX_DEVICES; s++)
		for (unsigned b = 0; b < PCI_NUM_BARS; b++)
			f->rec.cur[s][b] = NONE;
	struct pci_bus_config cfg = {on_bar_moved, &f->rec};
	assert_int_equal(pci_bus_create(&cfg, &f->bus), 0);
	assert_int_equal(pci_device_create(&test_info, &f->dev), 0);
	assert_int_equal(pci_device_add_bar(f->dev, 0, PCI_BAR_MEM32, 0x1000, false), 0);
	assert_int_equal(pci_device_add_bar(f->dev, 2, PCI_BAR_MEM64, 0x4000, true), 0);
	assert_int_equal(pci_device_add_bar(f->dev, 4, PCI_BAR_IO, 0x40, false), 0);
	assert_int_equal(pci_bus_add_device(f->bus, f->dev, SLOT), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	pci_bus_destroy(f->bus);
	pthread_mutex_destroy(&f->rec.lock);
	free(f);
	return 0;
}

/* ---- access helpers ---- */

static uint32_t le(const uint8_t *p, uint32_t len)
{
	uint32_t v = 0;
	for (uint32_t i = 0; i < len; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static void set_le(uint8_t *p, uint32_t v, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void cf8(struct pci_bus *bus, uint32_t addr)
{
	uint8_t b[4];
	set_le(b, addr, 4);
	pci_cfg_pio_ops.write(bus, 0, b, 4);
}

static uint32_t cf8_addr(unsigned busnr, unsigned dev, unsigned fn, uint32_t reg)
{
	return 0x80000000u | busnr << 16 | dev << 11 | fn << 8 | (reg & 0xfc);
}

static uint32_t cfg_read_fn(struct pci_bus *bus, enum how how, unsigned dev, unsigned fn, uint32_t reg,
			    uint32_t len)
{
	uint8_t b[4] = {0};
	if (how == PIO) {
		cf8(bus, cf8_addr(0, dev, fn, reg));
		pci_cfg_pio_ops.read(bus, 4 + (reg & 3), b, len);
	} else {
		pci_ecam_ops.read(bus, (uint64_t)dev << 15 | fn << 12 | reg, b, len);
	}
	return le(b, len);
}

static void cfg_write_fn(struct pci_bus *bus, enum how how, unsigned dev, unsigned fn, uint32_t reg,
			 uint32_t val, uint32_t len)
{
	uint8_t b[4];
	set_le(b, val, len);
	if (how == PIO) {
		cf8(bus, cf8_addr(0, dev, fn, reg));
		pci_cfg_pio_ops.write(bus, 4 + (reg & 3), b, len);
	} else {
		pci_ecam_ops.write(bus, (uint64_t)dev << 15 | fn << 12 | reg, b, len);
	}
}

static uint32_t cfg_read(struct pci_bus *bus, enum how how, unsigned dev, uint32_t reg, uint32_t len)
{
	return cfg_read_fn(bus, how, dev, 0, reg, len);
}

static void cfg_write(struct pci_bus *bus, enum how how, unsigned dev, uint32_t reg, uint32_t val,
		      uint32_t len)
{
	cfg_write_fn(bus, how, dev, 0, reg, val, len);
}

static const enum how hows[] = {PIO, ECAM};

/* ---- identity, absent devices, read-only fields ---- */

static void test_host_bridge(void **state)
{
	struct fx *f = *state;
	for (unsigned h = 0; h < 2; h++) {
		assert_int_equal(cfg_read(f->bus, hows[h], 0, PCI_VENDOR_ID, 2), PCI_HOST_BRIDGE_VENDOR_ID);
		assert_int_equal(cfg_read(f->bus, hows[h], 0, PCI_DEVICE_ID, 2), PCI_HOST_BRIDGE_DEVICE_ID);
		assert_int_equal(cfg_read(f->bus, hows[h], 0, PCI_REVISION_ID, 4) >> 8, 0x060000);
		assert_int_equal(cfg_read(f->bus, hows[h], 0, PCI_HEADER_TYPE, 1), 0);
		for (unsigned b = 0; b < PCI_NUM_BARS; b++)
			assert_int_equal(cfg_read(f->bus, hows[h], 0, PCI_BAR0 + 4 * b, 4), 0);
	}
	assert_non_null(pci_bus_device(f->bus, 0));
	assert_int_equal(pci_device_slot(pci_bus_device(f->bus, 0)), 0);
}

static void test_device_ids(void **state)
{
	struct fx *f = *state;
	for (unsigned h = 0; h < 2; h++) {
		assert_int_equal(cfg_read(f->bus, hows[h], SLOT, 0, 4), 0x10421af4);
		assert_int_equal(cfg_read(f->bus, hows[h], SLOT, PCI_VENDOR_ID, 2), 0x1af4);
		assert_int_equal(cfg_read(f->bus, hows[h], SLOT, PCI_DEVICE_ID, 2), 0x1042);
		assert_int_equal(cfg_read(f->bus, hows[h], SLOT, PCI_DEVICE_ID + 1, 1), 0x10);
		assert_int_equal(cfg_read(f->bus, hows[h], SLOT, PCI_REVISION_ID, 4), 0x01800001);
		assert_int_equal(cfg_read(f->bus, hows[h], SLOT, PCI_SUBSYSTEM_VENDOR_ID, 4), 0x00021af4);
		assert_int_equal(cfg_read(f->bus, hows[h], SLOT, PCI_INTERRUPT_PIN, 1), 1);
		assert_int_equal(cfg_read(f->bus, hows[h], SLOT, PCI_CAPABILITY_LIST, 1), 0);
		assert_int_equal(cfg_read(f->bus, hows[h], SLOT, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, 0);
	}
	assert_ptr_equal(pci_bus_device(f->bus, SLOT), f->dev);
	assert_string_equal(pci_device_name(f->dev), "testdev");
}

static void test_absent_all_ones(void **state)
{
	struct fx *f = *state;
	for (unsigned h = 0; h < 2; h++) {
		for (unsigned len = 1; len <= 4; len *= 2) {
			uint32_t ones = len == 4 ? 0xffffffffu : (1u << (8 * len)) - 1;
			assert_int_equal(cfg_read(f->bus, hows[h], 5, 0, len), ones);
			assert_int_equal(cfg_read(f->bus, hows[h], 31, 0x3c, len), ones);
			assert_int_equal(cfg_read_fn(f->bus, hows[h], SLOT, 1, 0, len), ones);
			assert_int_equal(cfg_read_fn(f->bus, hows[h], 0, 7, 0, len), ones);
		}
		cfg_write(f->bus, hows[h], 5, PCI_COMMAND, 0xffff, 2); /* ignored, no crash */
		cfg_write_fn(f->bus, hows[h], SLOT, 2, PCI_COMMAND, 0xffff, 2);
	}
	assert_int_equal(pci_device_command(f->dev), 0);
	/* Bus 1 through 0xcf8. */
	uint8_t b[4];
	cf8(f->bus, cf8_addr(1, SLOT, 0, 0));
	pci_cfg_pio_ops.read(f->bus, 4, b, 4);
	assert_int_equal(le(b, 4), 0xffffffffu);
	/* Enable bit clear. */
	cf8(f->bus, cf8_addr(0, SLOT, 0, 0) & 0x7fffffffu);
	pci_cfg_pio_ops.read(f->bus, 4, b, 4);
	assert_int_equal(le(b, 4), 0xffffffffu);
	set_le(b, PCI_COMMAND_MEMORY, 2);
	cf8(f->bus, (cf8_addr(0, SLOT, 0, PCI_COMMAND)) & 0x7fffffffu);
	pci_cfg_pio_ops.write(f->bus, 4, b, 2);
	assert_int_equal(pci_device_command(f->dev), 0);
	/* ECAM beyond bus 0's window. */
	pci_ecam_ops.read(f->bus, PCI_ECAM_SIZE, b, 4);
	assert_int_equal(le(b, 4), 0xffffffffu);
}

static void test_cf8_latch(void **state)
{
	struct fx *f = *state;
	uint8_t b[4];
	cf8(f->bus, 0xffffffffu);
	pci_cfg_pio_ops.read(f->bus, 0, b, 4);
	assert_int_equal(le(b, 4), 0x80fffffcu); /* reserved bits read 0 */
	/* Narrow accesses to 0xcf8-0xcfb are not CONFIG_ADDRESS. */
	pci_cfg_pio_ops.read(f->bus, 1, b, 1);
	assert_int_equal(b[0], 0xff);
	pci_cfg_pio_ops.read(f->bus, 0, b, 2);
	assert_int_equal(le(b, 2), 0xffff);
	b[0] = 0;
	pci_cfg_pio_ops.write(f->bus, 3, b, 1);
	pci_cfg_pio_ops.read(f->bus, 0, b, 4);
	assert_int_equal(le(b, 4), 0x80fffffcu);
	/* An 8-byte access across both registers is nonsense: all-ones. */
	uint8_t q[8];
	pci_cfg_pio_ops.read(f->bus, 0, q, 8);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(q[i], 0xff);
}

/* Every 1/2/4-byte CONFIG_DATA access inside 0xcfc-0xcff reads the right
 * bytes of the addressed dword. */
static void test_cfc_byte_lanes(void **state)
{
	struct fx *f = *state;
	uint8_t b[4];
	for (uint32_t off = 0; off < 4; off++) {
		for (uint32_t len = 1; len <= 4 - off; len *= 2) {
			if (off % len)
				continue;
			cf8(f->bus, cf8_addr(0, SLOT, 0, 0));
			memset(b, 0, sizeof(b));
			pci_cfg_pio_ops.read(f->bus, 4 + off, b, len);
			uint32_t want = (0x10421af4u >> (8 * off)) & (len == 4 ? ~0u : (1u << (8 * len)) - 1);
			assert_int_equal(le(b, len), want);
		}
	}
	/* Unaligned but inside 0xcfc-0xcff: 2 bytes at 0xcfd. */
	cf8(f->bus, cf8_addr(0, SLOT, 0, 0));
	pci_cfg_pio_ops.read(f->bus, 5, b, 2);
	assert_int_equal(le(b, 2), 0x421a);
}

static void test_ecam_extended_and_bounds(void **state)
{
	struct fx *f = *state;
	uint64_t base = (uint64_t)SLOT << 15;
	uint8_t b[8];
	for (uint32_t reg = 0x100; reg < 0x1000; reg += 0x1fc) {
		pci_ecam_ops.read(f->bus, base + reg, b, 4);
		assert_int_equal(le(b, 4), 0);
		set_le(b, 0xdeadbeef, 4);
		pci_ecam_ops.write(f->bus, base + reg, b, 4);
		pci_ecam_ops.read(f->bus, base + reg, b, 4);
		assert_int_equal(le(b, 4), 0);
	}
	/* Straddling 256: low bytes real, high bytes 0. */
	pci_ecam_ops.read(f->bus, base + 0xfe, b, 4);
	assert_int_equal(le(b, 4), 0);
	pci_ecam_ops.read(f->bus, base + 0x0e, b, 4);
	assert_int_equal(le(b, 4), 0);
	/* Straddling the function's 4 KiB: refused. */
	pci_ecam_ops.read(f->bus, base + 0xffe, b, 4);
	assert_int_equal(le(b, 4), 0xffffffffu);
	/* 8-byte access inside a function: served. */
	pci_ecam_ops.read(f->bus, base, b, 8);
	assert_int_equal(le(b, 4), 0x10421af4);
	/* Unaligned 2-byte read across a dword boundary. */
	pci_ecam_ops.read(f->bus, base + 3, b, 2);
	assert_int_equal(le(b, 2), 0x0010);
}

static void test_read_only_fields(void **state)
{
	struct fx *f = *state;
	static const uint32_t ro_regs[] = {0x00, 0x08, 0x28, 0x2c, 0x30, 0x34, 0x38};
	for (unsigned h = 0; h < 2; h++) {
		for (unsigned i = 0; i < sizeof(ro_regs) / sizeof(ro_regs[0]); i++) {
			uint32_t before = cfg_read(f->bus, hows[h], SLOT, ro_regs[i], 4);
			cfg_write(f->bus, hows[h], SLOT, ro_regs[i], 0xffffffff, 4);
			cfg_write(f->bus, hows[h], SLOT, ro_regs[i], 0, 4);
			assert_int_equal(cfg_read(f->bus, hows[h], SLOT, ro_regs[i], 4), before);
		}
		cfg_write(f->bus, hows[h], SLOT, PCI_HEADER_TYPE, 0xff, 1);
		assert_int_equal(cfg_read(f->bus, hows[h], SLOT, PCI_HEADER_TYPE, 1), 0);
		cfg_write(f->bus, hows[h], SLOT, PCI_INTERRUPT_PIN, 0xff, 1);
		assert_int_equal(cfg_read(f->bus, hows[h], SLOT, PCI_INTERRUPT_PIN, 1), 1);
		/* Writable: cache line size, interrupt line, some command bits. */
		cfg_write(f->bus, hows[h], SLOT, PCI_CACHE_LINE_SIZE, 0x10 + h, 1);
		assert_int_equal(cfg_read(f->bus, hows[h], SLOT, PCI_CACHE_LINE_SIZE, 1), 0x10 + h);
		cfg_write(f->bus, hows[h], SLOT, PCI_INTERRUPT_LINE, 0x0b - h, 1);
		assert_int_equal(cfg_read(f->bus, hows[h], SLOT, PCI_INTERRUPT_LINE, 1), 0x0b - h);
		cfg_write(f->bus, hows[h], SLOT, PCI_COMMAND, 0xffff, 2);
		assert_int_equal(cfg_read(f->bus, hows[h], SLOT, PCI_COMMAND, 2), 0x0547);
		cfg_write(f->bus, hows[h], SLOT, PCI_COMMAND, 0, 2);
		/* Host bridge identity is read-only too. */
		cfg_write(f->bus, hows[h], 0, 0, 0, 4);
		assert_int_equal(cfg_read(f->bus, hows[h], 0, 0, 4), 0x0d578086);
	}
}

static void test_status_w1c(void **state)
{
	struct fx *f = *state;
	for (unsigned h = 0; h < 2; h++) {
		pci_device_set_status(f->dev, 0x8000 | 0x2000 | 0x0100);
		assert_int_equal(cfg_read(f->bus, hows[h], SLOT, PCI_STATUS, 2), 0xa100);
		cfg_write(f->bus, hows[h], SLOT, PCI_STATUS, 0, 2); /* writing 0 clears nothing */
		assert_int_equal(cfg_read(f->bus, hows[h], SLOT, PCI_STATUS, 2), 0xa100);
		cfg_write(f->bus, hows[h], SLOT, PCI_STATUS, 0x2000, 2);
		assert_int_equal(cfg_read(f->bus, hows[h], SLOT, PCI_STATUS, 2), 0x8100);
		/* A dword write to command+status: status half clears, command set. */
		cfg_write(f->bus, hows[h], SLOT, PCI_COMMAND, 0x81000004u, 4);
		assert_int_equal(cfg_read(f->bus, hows[h], SLOT, PCI_COMMAND, 4), 0x00000004u);
		cfg_write(f->bus, hows[h], SLOT, PCI_COMMAND, 0, 2);
	}
	/* Byte write to the high status byte; read-only bits stay. */
	pci_device_set_status(f->dev, 0x4000 | PCI_STATUS_CAP_LIST);
	cfg_write(f->bus, PIO, SLOT, PCI_STATUS + 1, 0xff, 1);
	assert_int_equal(cfg_read(f->bus, PIO, SLOT, PCI_STATUS, 2), PCI_STATUS_CAP_LIST);
	cfg_write(f->bus, ECAM, SLOT, PCI_STATUS, 0xffff, 2);
	assert_int_equal(cfg_read(f->bus, ECAM, SLOT, PCI_STATUS, 2), PCI_STATUS_CAP_LIST);
}

/* ---- BARs ---- */

static void test_bar_sizing_mem32(void **state)
{
	struct fx *f = *state;
	for (unsigned h = 0; h < 2; h++) {
		cfg_write(f->bus, hows[h], SLOT, PCI_BAR0, 0xffffffff, 4);
		assert_int_equal(cfg_read(f->bus, hows[h], SLOT, PCI_BAR0, 4), 0xfffff000u);
		cfg_write(f->bus, hows[h], SLOT, PCI_BAR0, 0xc0000abc, 4); /* low bits read-only */
		assert_int_equal(cfg_read(f->bus, hows[h], SLOT, PCI_BAR0, 4), 0xc0000000u);
		assert_int_equal(pci_device_bar_addr(f->dev, 0), 0xc0000000u);
		cfg_write(f->bus, hows[h], SLOT, PCI_BAR0, 0, 4);
	}
	assert_int_equal(f->rec.n, 0); /* decode is off: nothing mapped */
	assert_int_equal(pci_device_bar_size(f->dev, 0), 0x1000);
	assert_int_equal(pci_device_bar_kind(f->dev, 0), PCI_BAR_MEM32);
}

static void test_bar_sizing_mem64(void **state)
{
	struct fx *f = *state;
	for (unsigned h = 0; h < 2; h++) {
		assert_int_equal(cfg_read(f->bus, hows[h], SLOT, PCI_BAR0 + 8, 4), 0x0000000cu);
		cfg_write(f->bus, hows[h], SLOT, PCI_BAR0 + 8, 0xffffffff, 4);
		assert_int_equal(cfg_read(f->bus, hows[h], SLOT, PCI_BAR0 + 8, 4), 0xffffc00cu);
		cfg_write(f->bus, hows[h], SLOT, PCI_BAR0 + 12, 0xffffffff, 4);
		assert_int_equal(cfg_read(f->bus, hows[h], SLOT, PCI_BAR0 + 12, 4), 0xffffffffu);
		cfg_write(f->bus, hows[h], SLOT, PCI_BAR0 + 8, 0x00004000, 4);
		cfg_write(f->bus, hows[h], SLOT, PCI_BAR0 + 12, 0x00000010, 4);
		assert_int_equal(pci_device_bar_addr(f->dev, 2), 0x1000004000ULL);
		cfg_write(f->bus, hows[h], SLOT, PCI_BAR0 + 8, 0, 4);
		cfg_write(f->bus, hows[h], SLOT, PCI_BAR0 + 12, 0, 4);
	}
	/* The upper slot is not a BAR of its own. */
	assert_int_equal(pci_device_bar_size(f->dev, 3), 0);
	assert_int_equal(pci_device_bar_addr(f->dev, 3), NONE);
	/* A BAR larger than 4 GiB: the low dword has no address bits. */
	struct pci_device *d;
	struct pci_device_info info = test_info;
	info.name = "big";
	assert_int_equal(pci_device_create(&info, &d), 0);
	assert_int_equal(pci_device_add_bar(d, 0, PCI_BAR_MEM64, 8ULL << 30, false), 0);
	assert_int_equal(pci_bus_add_device(f->bus, d, 7), 0);
	cfg_write(f->bus, ECAM, 7, PCI_BAR0, 0xffffffff, 4);
	cfg_write(f->bus, ECAM, 7, PCI_BAR0 + 4, 0xffffffff, 4);
	assert_int_equal(cfg_read(f->bus, ECAM, 7, PCI_BAR0, 4), 0x00000004u);
	assert_int_equal(cfg_read(f->bus, ECAM, 7, PCI_BAR0 + 4, 4), 0xfffffffeu);
}

static void test_bar_sizing_io(void **state)
{
	struct fx *f = *state;
	for (unsigned h = 0; h < 2; h++) {
		assert_int_equal(cfg_read(f->bus, hows[h], SLOT, PCI_BAR0 + 16, 4), 0x00000001u);
		cfg_write(f->bus, hows[h], SLOT, PCI_BAR0 + 16, 0xffffffff, 4);
		assert_int_equal(cfg_read(f->bus, hows[h], SLOT, PCI_BAR0 + 16, 4), 0x0000ffc1u);
		cfg_write(f->bus, hows[h], SLOT, PCI_BAR0 + 16, 0x12345, 4);
		assert_int_equal(cfg_read(f->bus, hows[h], SLOT, PCI_BAR0 + 16, 4), 0x00002341u);
		cfg_write(f->bus, hows[h], SLOT, PCI_BAR0 + 16, 0, 4);
	}
	/* BAR5 is not implemented: reads 0 even after all-ones. */
	cfg_write(f->bus, ECAM, SLOT, PCI_BAR0 + 20, 0xffffffff, 4);
	assert_int_equal(cfg_read(f->bus, ECAM, SLOT, PCI_BAR0 + 20, 4), 0);
}

static void expect_move(struct fx *f, unsigned i, unsigned bar, uint64_t old_addr, uint64_t new_addr)
{
	assert_true(i < f->rec.n);
	assert_int_equal(f->rec.moves[i].slot, SLOT);
	assert_int_equal(f->rec.moves[i].bar, bar);
	assert_int_equal(f->rec.moves[i].old_addr, old_addr);
	assert_int_equal(f->rec.moves[i].new_addr, new_addr);
}

static void test_bar_move_callbacks(void **state)
{
	struct fx *f = *state;
	for (unsigned h = 0; h < 2; h++) {
		f->rec.n = 0;
		cfg_write(f->bus, hows[h], SLOT, PCI_BAR0, 0xc0000000, 4);
		assert_int_equal(f->rec.n, 0);
		cfg_write(f->bus, hows[h], SLOT, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
		assert_int_equal(f->rec.n, 1);
		expect_move(f, 0, 0, NONE, 0xc0000000);
		assert_int_equal(f->rec.moves[0].size, 0x1000);
		assert_int_equal(f->rec.moves[0].kind, PCI_BAR_MEM32);
		assert_int_equal(pci_device_bar_mapped(f->dev, 0), 0xc0000000);
		/* Same value again: no call. */
		cfg_write(f->bus, hows[h], SLOT, PCI_BAR0, 0xc0000000, 4);
		assert_int_equal(f->rec.n, 1);
		/* Move, byte by byte: only the byte that changes the address calls. */
		cfg_write(f->bus, hows[h], SLOT, PCI_BAR0 + 1, 0x10, 1);
		assert_int_equal(f->rec.n, 2);
		expect_move(f, 1, 0, 0xc0000000, 0xc0001000);
		/* Sizing with decode on moves it to the size mask and back. */
		cfg_write(f->bus, hows[h], SLOT, PCI_BAR0, 0xffffffff, 4);
		cfg_write(f->bus, hows[h], SLOT, PCI_BAR0, 0xc0001000, 4);
		assert_int_equal(f->rec.n, 4);
		expect_move(f, 2, 0, 0xc0001000, 0xfffff000);
		expect_move(f, 3, 0, 0xfffff000, 0xc0001000);
		/* Address 0 = unassigned: off the bus. */
		cfg_write(f->bus, hows[h], SLOT, PCI_BAR0, 0, 4);
		expect_move(f, 4, 0, 0xc0001000, NONE);
		cfg_write(f->bus, hows[h], SLOT, PCI_BAR0, 0xc0002000, 4);
		expect_move(f, 5, 0, NONE, 0xc0002000);
		/* Decode off. */
		cfg_write(f->bus, hows[h], SLOT, PCI_COMMAND, 0, 2);
		assert_int_equal(f->rec.n, 7);
		expect_move(f, 6, 0, 0xc0002000, NONE);
		assert_int_equal(pci_device_bar_mapped(f->dev, 0), NONE);
		cfg_write(f->bus, hows[h], SLOT, PCI_BAR0, 0, 4);
	}
	assert_int_equal(f->rec.inconsistent, 0);
}

static void test_bar_move_mem64(void **state)
{
	struct fx *f = *state;
	cfg_write(f->bus, ECAM, SLOT, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	cfg_write(f->bus, ECAM, SLOT, PCI_BAR0 + 8, 0x00008000, 4);
	expect_move(f, 0, 2, NONE, 0x8000);
	assert_int_equal(f->rec.moves[0].kind, PCI_BAR_MEM64);
	cfg_write(f->bus, ECAM, SLOT, PCI_BAR0 + 12, 0x00000001, 4);
	expect_move(f, 1, 2, 0x8000, 0x100008000ULL);
	assert_int_equal(pci_device_bar_mapped(f->dev, 2), 0x100008000ULL);
	/* An 8-byte ECAM write updates both halves in one move. */
	uint8_t b[8];
	set_le(b, 0x0000c000, 4);
	set_le(b + 4, 0x00000002, 4);
	pci_ecam_ops.write(f->bus, (uint64_t)SLOT << 15 | (PCI_BAR0 + 8), b, 8);
	assert_int_equal(f->rec.n, 3);
	expect_move(f, 2, 2, 0x100008000ULL, 0x20000c000ULL);
	assert_int_equal(f->rec.inconsistent, 0);
}

static void test_decode_toggle(void **state)
{
	struct fx *f = *state;
	assert_int_equal(pci_device_set_bar_addr(f->dev, 0, 0xd0000000), 0);
	assert_int_equal(pci_device_set_bar_addr(f->dev, 2, 0x200000000ULL), 0);
	assert_int_equal(pci_device_set_bar_addr(f->dev, 4, 0x1040), 0);
	assert_int_equal(f->rec.n, 0);
	for (unsigned h = 0; h < 2; h++) {
		f->rec.n = 0;
		cfg_write(f->bus, hows[h], SLOT, PCI_COMMAND, PCI_COMMAND_IO, 2);
		assert_int_equal(f->rec.n, 1);
		expect_move(f, 0, 4, NONE, 0x1040);
		assert_int_equal(f->rec.moves[0].kind, PCI_BAR_IO);
		cfg_write(f->bus, hows[h], SLOT, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY, 2);
		assert_int_equal(f->rec.n, 3);
		expect_move(f, 1, 0, NONE, 0xd0000000);
		expect_move(f, 2, 2, NONE, 0x200000000ULL);
		cfg_write(f->bus, hows[h], SLOT, PCI_COMMAND, PCI_COMMAND_MEMORY, 1);
		assert_int_equal(f->rec.n, 4);
		expect_move(f, 3, 4, 0x1040, NONE);
		cfg_write(f->bus, hows[h], SLOT, PCI_COMMAND, 0, 4);
		assert_int_equal(f->rec.n, 6);
		expect_move(f, 4, 0, 0xd0000000, NONE);
		expect_move(f, 5, 2, 0x200000000ULL, NONE);
		for (unsigned b = 0; b < PCI_NUM_BARS; b++)
			assert_int_equal(pci_device_bar_mapped(f->dev, b), NONE);
	}
	assert_int_equal(f->rec.inconsistent, 0);
}

static void test_bar_refused(void **state)
{
	struct fx *f = *state;
	f->rec.refuse_rc = -EEXIST;
	f->rec.refuse_addr = 0xfee00000;
	assert_int_equal(pci_device_set_bar_addr(f->dev, 0, 0xfee00000), 0);
	cfg_write(f->bus, PIO, SLOT, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	assert_int_equal(f->rec.n, 1);
	assert_int_equal(pci_device_bar_mapped(f->dev, 0), NONE);
	/* Unrelated writes do not retry the refused placement. */
	cfg_write(f->bus, PIO, SLOT, PCI_INTERRUPT_LINE, 5, 1);
	cfg_write(f->bus, PIO, SLOT, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
	assert_int_equal(f->rec.n, 1);
	/* Decode off and on again retries. */
	cfg_write(f->bus, PIO, SLOT, PCI_COMMAND, 0, 2);
	assert_int_equal(f->rec.n, 1); /* nothing mapped: nothing to remove */
	cfg_write(f->bus, PIO, SLOT, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	assert_int_equal(f->rec.n, 2);
	expect_move(f, 1, 0, NONE, 0xfee00000);
	/* Moving it elsewhere works. */
	cfg_write(f->bus, PIO, SLOT, PCI_BAR0, 0xc0000000, 4);
	assert_int_equal(f->rec.n, 3);
	expect_move(f, 2, 0, NONE, 0xc0000000);
	assert_int_equal(pci_device_bar_mapped(f->dev, 0), 0xc0000000);
	assert_int_equal(f->rec.inconsistent, 0);
}

static void test_set_bar_addr_errors(void **state)
{
	struct fx *f = *state;
	assert_int_equal(pci_device_set_bar_addr(f->dev, 0, 0xc0000800), -EINVAL); /* unaligned */
	assert_int_equal(pci_device_set_bar_addr(f->dev, 0, 0x100000000ULL), -EINVAL);
	assert_int_equal(pci_device_set_bar_addr(f->dev, 4, 0x10000), -EINVAL);
	assert_int_equal(pci_device_set_bar_addr(f->dev, 5, 0x1000), -EINVAL);
	assert_int_equal(pci_device_set_bar_addr(f->dev, 3, 0x1000), -EINVAL);
	assert_int_equal(pci_device_set_bar_addr(f->dev, 2, 0xffffffffffffc000ULL), 0);
	assert_int_equal(pci_device_bar_addr(f->dev, 2), 0xffffffffffffc000ULL);
}

static void test_add_bar_errors(void **state)
{
	struct fx *f = *state;
	struct pci_device *d;
	struct pci_device_info info = test_info;
	assert_int_equal(pci_device_create(&info, &d), 0);
	assert_int_equal(pci_device_add_bar(d, 0, PCI_BAR_MEM32, 0x1800, false), -EINVAL);
	assert_int_equal(pci_device_add_bar(d, 0, PCI_BAR_MEM32, 8, false), -EINVAL);
	assert_int_equal(pci_device_add_bar(d, 0, PCI_BAR_MEM32, 1ULL << 32, false), -EINVAL);
	assert_int_equal(pci_device_add_bar(d, 0, PCI_BAR_IO, 512, false), -EINVAL);
	assert_int_equal(pci_device_add_bar(d, 0, PCI_BAR_IO, 2, false), -EINVAL);
	assert_int_equal(pci_device_add_bar(d, 0, PCI_BAR_IO, 16, true), -EINVAL);
	assert_int_equal(pci_device_add_bar(d, 5, PCI_BAR_MEM64, 0x1000, false), -EINVAL);
	assert_int_equal(pci_device_add_bar(d, 6, PCI_BAR_MEM32, 0x1000, false), -EINVAL);
	assert_int_equal(pci_device_add_bar(d, 1, PCI_BAR_MEM64, 0x1000, false), 0);
	assert_int_equal(pci_device_add_bar(d, 2, PCI_BAR_MEM32, 0x1000, false), -EINVAL);
	assert_int_equal(pci_device_add_bar(d, 0, PCI_BAR_MEM64, 0x1000, false), -EINVAL);
	assert_int_equal(pci_device_add_bar(d, 0, PCI_BAR_MEM32, 0x1000, false), 0);
	pci_device_destroy(d);
	(void)f;
}

static void test_add_device_errors(void **state)
{
	struct fx *f = *state;
	struct pci_device *d;
	struct pci_device_info bad = test_info;
	bad.vendor_id = 0xffff;
	assert_int_equal(pci_device_create(&bad, &d), -EINVAL);
	bad = test_info;
	bad.name = NULL;
	assert_int_equal(pci_device_create(&bad, &d), -EINVAL);
	assert_int_equal(pci_bus_add_device(f->bus, f->dev, 9), -EINVAL); /* already on a bus */
	assert_int_equal(pci_device_create(&test_info, &d), 0);
	assert_int_equal(pci_bus_add_device(f->bus, d, 0), -EINVAL);
	assert_int_equal(pci_bus_add_device(f->bus, d, 32), -EINVAL);
	assert_int_equal(pci_bus_add_device(f->bus, d, SLOT), -EBUSY);
	assert_int_equal(pci_bus_add_device(f->bus, d, -1), 0);
	assert_int_equal(pci_device_slot(d), 1);
	for (unsigned s = 2; s < PCI_MAX_DEVICES; s++) {
		if (s == SLOT)
			continue;
		assert_int_equal(pci_device_create(&test_info, &d), 0);
		assert_int_equal(pci_bus_add_device(f->bus, d, -1), 0);
		assert_int_equal(pci_device_slot(d), (int)s);
	}
	assert_int_equal(pci_device_create(&test_info, &d), 0);
	assert_int_equal(pci_bus_add_device(f->bus, d, -1), -ENOSPC);
	pci_device_destroy(d);
	for (unsigned s = 0; s < PCI_MAX_DEVICES; s++)
		assert_int_equal(cfg_read(f->bus, ECAM, s, PCI_VENDOR_ID, 2), s ? 0x1af4 : 0x8086);
}

/* ---- capabilities ---- */

struct hook_log {
	unsigned reads, writes;
	uint32_t last_off, last_len;
	uint8_t last[8];
};

static void hook_read(void *opaque, uint32_t off, uint8_t *data, uint32_t len)
{
	struct hook_log *h = opaque;
	h->reads++;
	for (uint32_t i = 0; i < len; i++)
		if (off + i == 4)
			data[i] = 0x5a; /* device-owned byte */
}

static void hook_write(void *opaque, uint32_t off, const uint8_t *data, uint32_t len)
{
	struct hook_log *h = opaque;
	h->writes++;
	h->last_off = off;
	h->last_len = len;
	memcpy(h->last, data, len < 8 ? len : 8);
}

static const struct pci_cfg_hooks test_hooks = {hook_read, hook_write};

static void test_capability_walk(void **state)
{
	struct fx *f = *state;
	uint8_t vndr[7] = {PCI_CAP_ID_VNDR, 0xee, 7, 0x11, 0x22, 0x33, 0x44};
	uint8_t wm[7] = {0xff, 0xff, 0xff, 0x0f, 0, 0, 0};
	uint8_t msi_like[10] = {0x05, 0x99, 1, 2, 3, 4, 5, 6, 7, 8};
	uint8_t last[4] = {PCI_CAP_ID_VNDR, 0, 4, 0xab};
	uint8_t off[3];
	struct hook_log hl = {0};
	assert_int_equal(pci_device_add_capability(f->dev, vndr, sizeof(vndr), wm, NULL, NULL, &off[0]), 0);
	assert_int_equal(pci_device_add_capability(f->dev, msi_like, sizeof(msi_like), NULL, &test_hooks,
						   &hl, &off[1]),
			 0);
	assert_int_equal(pci_device_add_capability(f->dev, last, sizeof(last), NULL, NULL, NULL, &off[2]), 0);
	assert_int_equal(off[0], 0x40);
	assert_int_equal(off[1], 0x48); /* dword aligned after 7 bytes */
	assert_int_equal(off[2], 0x54);
	static const uint8_t ids[3] = {PCI_CAP_ID_VNDR, 0x05, PCI_CAP_ID_VNDR};
	for (unsigned h = 0; h < 2; h++) {
		assert_true(cfg_read(f->bus, hows[h], SLOT, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
		uint32_t p = cfg_read(f->bus, hows[h], SLOT, PCI_CAPABILITY_LIST, 1);
		unsigned n = 0;
		while (p) {
			assert_true(n < 3);
			assert_int_equal(p, off[n]);
			assert_int_equal(p & 3, 0);
			assert_int_equal(cfg_read(f->bus, hows[h], SLOT, p, 1), ids[n]);
			p = cfg_read(f->bus, hows[h], SLOT, p + 1, 1);
			n++;
		}
		assert_int_equal(n, 3);
	}
	/* Vendor cap: header and length read-only, 0x0f of byte 3 writable. */
	cfg_write(f->bus, ECAM, SLOT, 0x40, 0xffffffff, 4);
	assert_int_equal(cfg_read(f->bus, ECAM, SLOT, 0x40, 4), 0x1f074809u);
	cfg_write(f->bus, PIO, SLOT, 0x43, 0x00, 1);
	assert_int_equal(cfg_read(f->bus, PIO, SLOT, 0x40, 4), 0x10074809u);
	cfg_write(f->bus, ECAM, SLOT, PCI_CAPABILITY_LIST, 0, 1);
	assert_int_equal(cfg_read(f->bus, ECAM, SLOT, PCI_CAPABILITY_LIST, 1), 0x40);
	/* Hooked cap: read hook patches byte 4, write hook sees the raw part. */
	assert_int_equal(cfg_read(f->bus, ECAM, SLOT, off[1] + 4, 4), 0x0605045au);
	assert_int_equal(cfg_read(f->bus, ECAM, SLOT, off[1] + 8, 4), 0x00000807u);
	hl.writes = 0;
	cfg_write(f->bus, ECAM, SLOT, off[1] + 8, 0xaabbccdd, 4); /* half inside the cap */
	assert_int_equal(hl.writes, 1);
	assert_int_equal(hl.last_off, 8);
	assert_int_equal(hl.last_len, 2);
	assert_int_equal(hl.last[0], 0xdd);
	assert_int_equal(hl.last[1], 0xcc);
	assert_int_equal(cfg_read(f->bus, ECAM, SLOT, off[1] + 8, 4), 0x00000807u); /* read-only */
	cfg_write(f->bus, ECAM, SLOT, 0x60, 0xffffffff, 4); /* no cap there: not hooked */
	assert_int_equal(hl.writes, 1);
	/* Device-side access. */
	uint8_t b[4];
	assert_int_equal(pci_device_config_get(f->dev, off[2], b, 4), 0);
	assert_int_equal(le(b, 4), 0xab040009u);
	b[3] = 0xcd;
	assert_int_equal(pci_device_config_set(f->dev, off[2], b, 4), 0);
	assert_int_equal(cfg_read(f->bus, PIO, SLOT, off[2] + 3, 1), 0xcd);
	assert_int_equal(pci_device_config_set(f->dev, PCI_COMMAND, b, 2), -EINVAL);
	assert_int_equal(pci_device_config_set(f->dev, 0xfe, b, 4), -EINVAL);
	assert_int_equal(pci_device_config_get(f->dev, 0xfe, b, 4), -EINVAL);
}

static void test_capability_errors(void **state)
{
	struct fx *f = *state;
	uint8_t cap[200] = {PCI_CAP_ID_VNDR, 0, 200};
	uint8_t off;
	cap[2] = 10; /* vendor length must match */
	assert_int_equal(pci_device_add_capability(f->dev, cap, 200, NULL, NULL, NULL, &off), -EINVAL);
	assert_int_equal(pci_device_add_capability(f->dev, cap, 1, NULL, NULL, NULL, &off), -EINVAL);
	cap[2] = 200;
	assert_int_equal(pci_device_add_capability(f->dev, cap, 200, NULL, NULL, NULL, &off), -ENOSPC);
	cap[2] = 192;
	assert_int_equal(pci_device_add_capability(f->dev, cap, 192, NULL, NULL, NULL, &off), 0);
	assert_int_equal(off, 0x40);
	cap[2] = 3;
	assert_int_equal(pci_device_add_capability(f->dev, cap, 3, NULL, NULL, NULL, &off), -ENOSPC);
	assert_int_equal(cfg_read(f->bus, ECAM, SLOT, 0x41, 1), 0);
}

/* ---- writes of every size at every offset against a model ---- */

static uint32_t rng_state = 12345;

static uint32_t rnd(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

static void model_write(uint8_t *model, const uint8_t *wm, const uint8_t *w1c, uint32_t reg,
			uint32_t val, uint32_t len)
{
	for (uint32_t i = 0; i < len && reg + i < 256; i++) {
		uint8_t v = (uint8_t)(val >> (8 * i));
		uint32_t r = reg + i;
		model[r] = (uint8_t)((model[r] & ~wm[r]) | (v & wm[r]));
		model[r] &= (uint8_t)~(v & w1c[r]);
	}
}

static void test_writes_every_offset(void **state)
{
	struct fx *f = *state;
	uint8_t vndr[8] = {PCI_CAP_ID_VNDR, 0, 8, 1, 2, 3, 4, 5};
	uint8_t vwm[8] = {0, 0, 0, 0xff, 0xf0, 0, 0x0f, 0};
	uint8_t off;
	assert_int_equal(pci_device_add_capability(f->dev, vndr, 8, vwm, NULL, NULL, &off), 0);
	uint8_t wm[256] = {0}, w1c[256] = {0}, model[256];
	wm[4] = 0x47, wm[5] = 0x05, w1c[7] = 0xf9, wm[0x0c] = 0xff, wm[0x3c] = 0xff;
	set_le(&wm[0x10], 0xfffff000u, 4);
	set_le(&wm[0x18], 0xffffc000u, 4);
	set_le(&wm[0x1c], 0xffffffffu, 4);
	set_le(&wm[0x20], 0x0000ffc0u, 4);
	memcpy(&wm[off], vwm, 8);
	for (uint32_t r = 0; r < 256; r++)
		model[r] = (uint8_t)cfg_read(f->bus, ECAM, SLOT, r, 1);
	pci_device_set_status(f->dev, 0xf900);
	model[7] |= 0xf9;
	for (unsigned h = 0; h < 2; h++) {
		for (uint32_t len = 1; len <= 4; len *= 2) {
			for (uint32_t reg = 0; reg < 256; reg++) {
				if (hows[h] == PIO && (reg & 3) + len > 4)
					continue; /* not expressible through 0xcfc */
				uint32_t val = rnd() | (rnd() << 24);
				cfg_write(f->bus, hows[h], SLOT, reg, val, len);
				model_write(model, wm, w1c, reg, val, len);
				for (uint32_t r = 0; r < 256; r += 4)
					assert_int_equal(cfg_read(f->bus, ECAM, SLOT, r, 4), le(&model[r], 4));
			}
		}
	}
	assert_int_equal(f->rec.inconsistent, 0);
	/* Whatever got mapped matches the registers and decode bits. */
	uint16_t cmd = pci_device_command(f->dev);
	uint64_t a0 = pci_device_bar_addr(f->dev, 0);
	assert_int_equal(pci_device_bar_mapped(f->dev, 0), (cmd & PCI_COMMAND_MEMORY) && a0 ? a0 : NONE);
	assert_int_equal(f->rec.cur[SLOT][0], pci_device_bar_mapped(f->dev, 0));
	assert_int_equal(f->rec.cur[SLOT][2], pci_device_bar_mapped(f->dev, 2));
	assert_int_equal(f->rec.cur[SLOT][4], pci_device_bar_mapped(f->dev, 4));
}

/* ---- BAR allocation ---- */

static void test_allocate_bars(void **state)
{
	struct fx *f = *state;
	struct range_alloc m32, m64, io;
	assert_int_equal(ra_init(&m32, 0xc0000000, 0xfebfffff), 0);
	assert_int_equal(ra_init(&m64, 1ULL << 36, (1ULL << 40) - 1), 0);
	assert_int_equal(ra_init(&io, 0x1000, 0xffff), 0);
	struct pci_device *d, *big;
	assert_int_equal(pci_device_create(&test_info, &d), 0);
	assert_int_equal(pci_device_add_bar(d, 0, PCI_BAR_MEM32, 0x100000, false), 0);
	assert_int_equal(pci_device_add_bar(d, 1, PCI_BAR_IO, 0x100, false), 0);
	assert_int_equal(pci_bus_add_device(f->bus, d, -1), 0);
	assert_int_equal(pci_device_create(&test_info, &big), 0);
	assert_int_equal(pci_device_add_bar(big, 0, PCI_BAR_MEM64, 2 * PCI_MEM64_LOW_MAX, false), 0);
	assert_int_equal(pci_bus_add_device(f->bus, big, -1), 0);
	/* A BAR already placed by the VMM is kept. */
	assert_int_equal(pci_device_set_bar_addr(f->dev, 4, 0x2000), 0);
	assert_int_equal(ra_reserve(&io, 0x2000, 0x40), 0);
	assert_int_equal(pci_bus_allocate_bars(f->bus, &m32, &m64, &io), 0);
	uint64_t a = pci_device_bar_addr(d, 0);
	assert_true(a >= 0xc0000000 && a < 0xfec00000 && (a & 0xfffff) == 0);
	assert_int_equal(a, 0xc0000000); /* largest first: 1 MiB, 16 KiB, 4 KiB */
	/* A large mem64 BAR goes above 4 GiB, a small one below. */
	assert_int_equal(pci_device_bar_addr(big, 0), 1ULL << 36);
	uint64_t a64 = pci_device_bar_addr(f->dev, 2);
	assert_int_equal(a64, 0xc0100000);
	assert_int_equal(pci_device_bar_addr(f->dev, 0), 0xc0104000);
	assert_int_equal(pci_device_bar_addr(f->dev, 4), 0x2000);
	uint64_t aio = pci_device_bar_addr(d, 1);
	assert_true(aio >= 0x1000 && aio <= 0xff00 && (aio & 0xff) == 0 && aio != 0x2000);
	assert_int_equal(f->rec.n, 0); /* decode still off */
	cfg_write(f->bus, ECAM, SLOT, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO, 2);
	assert_int_equal(f->rec.n, 3);
	assert_int_equal(f->rec.cur[SLOT][2], a64);
	/* Again: nothing left to do. */
	assert_int_equal(pci_bus_allocate_bars(f->bus, &m32, &m64, &io), 0);
	assert_int_equal(pci_device_bar_addr(d, 0), a);
	/* No 64-bit window: mem64 falls back to the 32-bit one. */
	struct pci_device *e;
	assert_int_equal(pci_device_create(&test_info, &e), 0);
	assert_int_equal(pci_device_add_bar(e, 0, PCI_BAR_MEM64, 0x10000, false), 0);
	assert_int_equal(pci_bus_add_device(f->bus, e, -1), 0);
	assert_int_equal(pci_bus_allocate_bars(f->bus, &m32, NULL, &io), 0);
	assert_true(pci_device_bar_addr(e, 0) >= 0xc0000000 && pci_device_bar_addr(e, 0) < 0xfec00000);
	/* A small mem64 BAR when the 32-bit window is full: above 4 GiB. */
	struct range_alloc full;
	assert_int_equal(ra_init(&full, 0xc0000000, 0xc0000fff), 0);
	assert_int_equal(ra_reserve(&full, 0xc0000000, 0x1000), 0);
	assert_int_equal(pci_device_create(&test_info, &e), 0);
	assert_int_equal(pci_device_add_bar(e, 0, PCI_BAR_MEM64, 0x4000, false), 0);
	assert_int_equal(pci_bus_add_device(f->bus, e, -1), 0);
	assert_int_equal(pci_bus_allocate_bars(f->bus, &full, &m64, &io), 0);
	assert_true(pci_device_bar_addr(e, 0) > 1ULL << 36);
	ra_destroy(&full);
	/* Out of room. */
	assert_int_equal(pci_device_create(&test_info, &e), 0);
	assert_int_equal(pci_device_add_bar(e, 0, PCI_BAR_MEM32, 1ULL << 31, false), 0);
	assert_int_equal(pci_bus_add_device(f->bus, e, -1), 0);
	assert_int_equal(pci_bus_allocate_bars(f->bus, &m32, &m64, &io), -ENOSPC);
	assert_int_equal(pci_bus_allocate_bars(f->bus, &m32, &m64, NULL), -ENOSPC);
	ra_destroy(&m32);
	ra_destroy(&m64);
	ra_destroy(&io);
}

/* A "32-bit" window above 4 GiB: a mem64 BAR may live there, a mem32 BAR
 * may not, and the space tried for it is given back. */
static void test_allocate_bad_window(void **state)
{
	struct fx *f = *state;
	struct range_alloc hi;
	assert_int_equal(ra_init(&hi, 1ULL << 32, (1ULL << 33) - 1), 0);
	assert_int_equal(pci_bus_allocate_bars(f->bus, &hi, NULL, NULL), -ENOSPC);
	assert_int_equal(pci_device_bar_addr(f->dev, 2), 1ULL << 32);
	assert_int_equal(pci_device_bar_addr(f->dev, 0), 0);
	assert_int_equal(hi.nr, 1);
	ra_destroy(&hi);
}

/* ---- BAR regions ---- */

struct region_dev {
	uint64_t off;
	uint32_t len;
	uint8_t tag;
	unsigned writes;
};

static void region_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
	struct region_dev *r = opaque;
	r->off = off;
	r->len = len;
	memset(data, r->tag, len);
}

static void region_write(void *opaque, uint64_t off, const uint8_t *data, uint32_t len)
{
	struct region_dev *r = opaque;
	r->off = off;
	r->len = len;
	r->writes++;
}

static const struct bus_ops region_ops = {region_read, region_write};

static void test_bar_regions(void **state)
{
	struct fx *f = *state;
	struct region_dev r1 = {.tag = 0x11}, r2 = {.tag = 0x22};
	assert_int_equal(pci_bar_add_region(f->dev, 0, 0x0, 0x100, &region_ops, &r1), 0);
	assert_int_equal(pci_bar_add_region(f->dev, 0, 0x800, 0x800, &region_ops, &r2), 0);
	assert_int_equal(pci_bar_add_region(f->dev, 0, 0x700, 0x200, &region_ops, &r2), -EEXIST);
	assert_int_equal(pci_bar_add_region(f->dev, 0, 0x800, 0x801, &region_ops, &r2), -EINVAL);
	assert_int_equal(pci_bar_add_region(f->dev, 0, 0x1000, 1, &region_ops, &r2), -EINVAL);
	assert_int_equal(pci_bar_add_region(f->dev, 0, UINT64_MAX, 2, &region_ops, &r2), -EINVAL);
	assert_int_equal(pci_bar_add_region(f->dev, 1, 0, 4, &region_ops, &r2), -EINVAL);
	assert_int_equal(pci_bar_add_region(f->dev, 3, 0, 4, &region_ops, &r2), -EINVAL);
	void *op = pci_bar_opaque(f->dev, 0);
	assert_non_null(op);
	assert_null(pci_bar_opaque(f->dev, 5));
	uint8_t b[8];
	pci_bar_bus_ops.read(op, 0x10, b, 4);
	assert_int_equal(le(b, 4), 0x11111111u);
	assert_int_equal(r1.off, 0x10);
	pci_bar_bus_ops.read(op, 0x804, b, 8);
	assert_int_equal(b[7], 0x22);
	assert_int_equal(r2.off, 4);
	pci_bar_bus_ops.read(op, 0x400, b, 4); /* hole: 0 */
	assert_int_equal(le(b, 4), 0);
	pci_bar_bus_ops.read(op, 0xfe, b, 4); /* straddles r1's end: 0 */
	assert_int_equal(le(b, 4), 0);
	pci_bar_bus_ops.write(op, 0xffc, b, 4);
	assert_int_equal(r2.writes, 1);
	assert_int_equal(r2.off, 0x7fc);
	pci_bar_bus_ops.write(op, 0x7fe, b, 4);
	assert_int_equal(r2.writes, 1);
	assert_int_equal(pci_bar_remove_region(f->dev, 0, 0x800), 0);
	assert_int_equal(pci_bar_remove_region(f->dev, 0, 0x800), -ENOENT);
	pci_bar_bus_ops.read(op, 0x804, b, 4);
	assert_int_equal(le(b, 4), 0);
}

/* ---- concurrency: vCPUs hammering one device ---- */

struct hammer {
	struct fx *f;
	unsigned id;
	unsigned bad_reads; /* cmocka asserts only on the main thread */
};

static void *hammer_thread(void *arg)
{
	struct hammer *h = arg;
	uint32_t seed = h->id * 7919u + 1;
	for (unsigned i = 0; i < 2000; i++) {
		seed = seed * 1103515245u + 12345u;
		uint32_t r = seed >> 8;
		enum how how = (r & 1) ? ECAM : PIO;
		switch ((r >> 1) % 4) {
		case 0:
			cfg_write(h->f->bus, ECAM, SLOT, PCI_COMMAND, (r >> 4) & 3, 2);
			break;
		case 1:
			cfg_write(h->f->bus, ECAM, SLOT, PCI_BAR0, (r >> 4) << 12, 4);
			break;
		case 2:
			cfg_write(h->f->bus, ECAM, SLOT, PCI_BAR0 + 16, (r >> 4) << 6, 4);
			break;
		default: /* PIO reads go through the shared latch: value unchecked */
			(void)cfg_read(h->f->bus, how, SLOT, PCI_VENDOR_ID, 2);
			if (cfg_read(h->f->bus, ECAM, SLOT, PCI_VENDOR_ID, 2) != 0x1af4)
				h->bad_reads++;
		}
	}
	return NULL;
}

static void test_concurrent_config(void **state)
{
	struct fx *f = *state;
	pthread_t t[4];
	struct hammer h[4];
	for (unsigned i = 0; i < 4; i++) {
		h[i] = (struct hammer){f, i, 0};
		assert_int_equal(pthread_create(&t[i], NULL, hammer_thread, &h[i]), 0);
	}
	for (unsigned i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(h[i].bad_reads, 0);
	}
	/* Settle: one final write from here brings everything in line. */
	cfg_write(f->bus, ECAM, SLOT, PCI_BAR0, 0xc0000000, 4);
	cfg_write(f->bus, ECAM, SLOT, PCI_BAR0 + 16, 0x1000, 4);
	cfg_write(f->bus, ECAM, SLOT, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO, 2);
	assert_int_equal(f->rec.inconsistent, 0);
	assert_int_equal(pci_device_bar_mapped(f->dev, 0), 0xc0000000);
	assert_int_equal(pci_device_bar_mapped(f->dev, 4), 0x1000);
	assert_int_equal(f->rec.cur[SLOT][0], 0xc0000000);
	assert_int_equal(f->rec.cur[SLOT][4], 0x1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_host_bridge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absent_all_ones, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cf8_latch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cfc_byte_lanes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ecam_extended_and_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_w1c, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_sizing_mem32, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_sizing_mem64, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_sizing_io, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_move_callbacks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_move_mem64, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decode_toggle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_bar_addr_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_bar_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_device_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capability_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capability_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writes_every_offset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allocate_bars, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allocate_bad_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_regions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_config, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
