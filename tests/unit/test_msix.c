/* Unit tests for pci/msix: the capability seen through ECAM, the table and
 * PBA through the BAR's bus_ops, masking, pending bits, callbacks. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pci/msix.h"
#include "pci/pci.h"

#define SLOT 2
#define NVEC 8
#define TABLE_OFF 0x2000
#define PBA_OFF 0x3000
#define MAX_EVENTS 4096

struct event {
	uint16_t vector;
	uint64_t addr;
	uint32_t data;
	bool masked;
};

struct fx {
	struct pci_bus *bus;
	struct pci_device *dev;
	struct msix *msix;
	pthread_mutex_t lock; /* deliveries may come from other threads */
	struct event delivered[MAX_EVENTS];
	unsigned nd;
	struct event routes[MAX_EVENTS];
	unsigned nr;
	uint8_t cap;
};

static void on_deliver(void *ctx, uint16_t vector, uint64_t addr, uint32_t data)
{
	struct fx *f = ctx;
	pthread_mutex_lock(&f->lock);
	if (f->nd < MAX_EVENTS)
		f->delivered[f->nd] = (struct event){vector, addr, data, false};
	f->nd++;
	pthread_mutex_unlock(&f->lock);
}

static void on_route(void *ctx, uint16_t vector, uint64_t addr, uint32_t data, bool masked)
{
	struct fx *f = ctx;
	pthread_mutex_lock(&f->lock);
	if (f->nr < MAX_EVENTS)
		f->routes[f->nr] = (struct event){vector, addr, data, masked};
	f->nr++;
	pthread_mutex_unlock(&f->lock);
}

static const struct pci_device_info info = {
	.vendor_id = 0x1af4, .device_id = 0x1041, .class_code = 0x020000, .name = "msixdev"};

static struct msix_config base_cfg(struct fx *f)
{
	return (struct msix_config){.nr_vectors = NVEC,
				    .table_bar = 0,
				    .table_offset = TABLE_OFF,
				    .pba_bar = 0,
				    .pba_offset = PBA_OFF,
				    .deliver = on_deliver,
				    .route_changed = on_route,
				    .ctx = f};
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	pthread_mutex_init(&f->lock, NULL);
	struct pci_bus_config bc = {NULL, NULL};
	assert_int_equal(pci_bus_create(&bc, &f->bus), 0);
	assert_int_equal(pci_device_create(&info, &f->dev), 0);
	assert_int_equal(pci_device_add_bar(f->dev, 0, PCI_BAR_MEM32, 0x4000, false), 0);
	assert_int_equal(pci_device_add_bar(f->dev, 1, PCI_BAR_IO, 0x20, false), 0);
	assert_int_equal(pci_device_add_bar(f->dev, 2, PCI_BAR_MEM64, 0x1000, true), 0);
	uint8_t vndr[4] = {PCI_CAP_ID_VNDR, 0, 4, 0x77};
	uint8_t off;
	assert_int_equal(pci_device_add_capability(f->dev, vndr, 4, NULL, NULL, NULL, &off), 0);
	struct msix_config c = base_cfg(f);
	assert_int_equal(msix_create(f->dev, &c, &f->msix), 0);
	assert_int_equal(pci_bus_add_device(f->bus, f->dev, SLOT), 0);
	f->cap = msix_cap_offset(f->msix);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	pci_bus_destroy(f->bus);
	msix_destroy(f->msix);
	pthread_mutex_destroy(&f->lock);
	free(f);
	return 0;
}

/* ---- helpers ---- */

static uint64_t le(const uint8_t *p, uint32_t len)
{
	uint64_t v = 0;
	for (uint32_t i = 0; i < len; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void set_le(uint8_t *p, uint64_t v, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t cfg_read(struct fx *f, uint32_t reg, uint32_t len)
{
	uint8_t b[4];
	pci_ecam_ops.read(f->bus, (uint64_t)SLOT << 15 | reg, b, len);
	return (uint32_t)le(b, len);
}

static void cfg_write(struct fx *f, uint32_t reg, uint32_t val, uint32_t len)
{
	uint8_t b[4];
	set_le(b, val, len);
	pci_ecam_ops.write(f->bus, (uint64_t)SLOT << 15 | reg, b, len);
}

static uint64_t bar_read(struct fx *f, uint64_t off, uint32_t len)
{
	uint8_t b[8];
	pci_bar_bus_ops.read(pci_bar_opaque(f->dev, 0), off, b, len);
	return le(b, len);
}

static void bar_write(struct fx *f, uint64_t off, uint64_t val, uint32_t len)
{
	uint8_t b[8];
	set_le(b, val, len);
	pci_bar_bus_ops.write(pci_bar_opaque(f->dev, 0), off, b, len);
}

static uint64_t ent(uint16_t v, unsigned dw)
{
	return TABLE_OFF + (uint64_t)v * MSIX_ENTRY_SIZE + 4 * dw;
}

/* Program vector v (still masked as it was) with addr/data. */
static void program(struct fx *f, uint16_t v, uint64_t addr, uint32_t data)
{
	bar_write(f, ent(v, 0), (uint32_t)addr, 4);
	bar_write(f, ent(v, 1), addr >> 32, 4);
	bar_write(f, ent(v, 2), data, 4);
}

static void set_vector_mask(struct fx *f, uint16_t v, bool masked)
{
	bar_write(f, ent(v, 3), masked ? 1 : 0, 4);
}

static void set_ctrl(struct fx *f, uint16_t bits)
{
	cfg_write(f, f->cap + 2, bits, 2);
}

/* ---- tests ---- */

static void test_capability(void **state)
{
	struct fx *f = *state;
	/* Walk the list to the MSI-X capability. */
	uint32_t p = cfg_read(f, PCI_CAPABILITY_LIST, 1);
	unsigned hops = 0;
	while (p && cfg_read(f, p, 1) != PCI_CAP_ID_MSIX) {
		p = cfg_read(f, p + 1, 1);
		assert_true(++hops < 48);
	}
	assert_int_equal(p, f->cap);
	assert_int_equal(p, 0x44);
	assert_int_equal(cfg_read(f, p + 1, 1), 0); /* last */
	assert_int_equal(cfg_read(f, p + 2, 2), NVEC - 1);
	assert_int_equal(cfg_read(f, p + 4, 4), TABLE_OFF | 0);
	assert_int_equal(cfg_read(f, p + 8, 4), PBA_OFF | 0);
	assert_int_equal(msix_nr_vectors(f->msix), NVEC);
	/* Everything but enable/function mask is read-only. */
	cfg_write(f, p, 0xffffffff, 4);
	cfg_write(f, p + 4, 0xffffffff, 4);
	cfg_write(f, p + 8, 0, 4);
	assert_int_equal(cfg_read(f, p, 4), (uint32_t)(0xc000 | (NVEC - 1)) << 16 | PCI_CAP_ID_MSIX);
	assert_int_equal(cfg_read(f, p + 4, 4), TABLE_OFF);
	assert_int_equal(cfg_read(f, p + 8, 4), PBA_OFF);
	assert_true(msix_enabled(f->msix));
	assert_true(msix_function_masked(f->msix));
	/* Byte writes to the high control byte. */
	cfg_write(f, p + 3, 0x80, 1);
	assert_true(msix_enabled(f->msix));
	assert_false(msix_function_masked(f->msix));
	cfg_write(f, p + 2, 0xff, 1); /* low byte: table size, read-only */
	assert_int_equal(cfg_read(f, p + 2, 2), 0x8000 | (NVEC - 1));
	cfg_write(f, p + 3, 0x00, 1);
	assert_false(msix_enabled(f->msix));
	assert_int_equal(cfg_read(f, p + 3, 1), 0);
}

static void test_table_reset_state(void **state)
{
	struct fx *f = *state;
	for (uint16_t v = 0; v < NVEC; v++) {
		assert_int_equal(bar_read(f, ent(v, 0), 4), 0);
		assert_int_equal(bar_read(f, ent(v, 1), 4), 0);
		assert_int_equal(bar_read(f, ent(v, 2), 4), 0);
		assert_int_equal(bar_read(f, ent(v, 3), 4), MSIX_VECTOR_MASKED);
		assert_false(msix_pending(f->msix, v));
	}
	assert_int_equal(bar_read(f, PBA_OFF, 8), 0);
	assert_false(msix_enabled(f->msix));
	assert_false(msix_function_masked(f->msix));
}

static void test_table_rw(void **state)
{
	struct fx *f = *state;
	program(f, 3, 0xfee01000ULL | 0x123456700000000ULL, 0x4041);
	assert_int_equal(bar_read(f, ent(3, 0), 4), 0xfee01000u);
	assert_int_equal(bar_read(f, ent(3, 1), 4), 0x01234567u);
	assert_int_equal(bar_read(f, ent(3, 2), 4), 0x4041);
	assert_int_equal(bar_read(f, ent(3, 0), 8), 0x01234567fee01000ULL);
	/* 8-byte writes: address, then data + control. */
	bar_write(f, ent(4, 0), 0x00000000fee02000ULL, 8);
	bar_write(f, ent(4, 2), 0x0000000100000051ULL, 8);
	assert_int_equal(bar_read(f, ent(4, 2), 8), 0x0000000100000051ULL);
	uint64_t a;
	uint32_t d;
	bool m;
	assert_int_equal(msix_get_vector(f->msix, 4, &a, &d, &m), 0);
	assert_int_equal(a, 0xfee02000);
	assert_int_equal(d, 0x51);
	assert_true(m);
	assert_int_equal(msix_get_vector(f->msix, NVEC, &a, &d, &m), -EINVAL);
	/* Reserved bits: address bits 1:0, vector control 31:1. */
	bar_write(f, ent(5, 0), 0xfee00003, 4);
	assert_int_equal(bar_read(f, ent(5, 0), 4), 0xfee00000u);
	bar_write(f, ent(5, 3), 0xfffffffe, 4);
	assert_int_equal(bar_read(f, ent(5, 3), 4), 0);
	bar_write(f, ent(5, 3), 0xffffffff, 4);
	assert_int_equal(bar_read(f, ent(5, 3), 4), 1);
}

static void test_table_bad_accesses(void **state)
{
	struct fx *f = *state;
	program(f, 1, 0xfee00000, 0x1234);
	unsigned routes = f->nr;
	/* Wrong sizes and misaligned accesses: reads 0, writes ignored. */
	assert_int_equal(bar_read(f, ent(1, 2), 2), 0);
	assert_int_equal(bar_read(f, ent(1, 2), 1), 0);
	assert_int_equal(bar_read(f, ent(1, 2) + 1, 4), 0);
	assert_int_equal(bar_read(f, ent(1, 1), 8), 0); /* 8 bytes at a 4-aligned offset */
	bar_write(f, ent(1, 2), 0xffff, 2);
	bar_write(f, ent(1, 2) + 2, 0xffffffff, 4);
	bar_write(f, ent(1, 1), 0xffffffffffffffffULL, 8);
	bar_write(f, ent(1, 3), 0, 1);
	assert_int_equal(bar_read(f, ent(1, 2), 4), 0x1234);
	assert_int_equal(bar_read(f, ent(1, 1), 4), 0);
	assert_int_equal(bar_read(f, ent(1, 3), 4), 1);
	assert_int_equal(f->nr, routes);
	/* Past the table inside the BAR: no region, 0. */
	assert_int_equal(bar_read(f, TABLE_OFF + NVEC * MSIX_ENTRY_SIZE, 4), 0);
	/* PBA: writes ignored, bad sizes read 0. */
	assert_true(!msix_notify(f->msix, 1));
	assert_int_equal(bar_read(f, PBA_OFF, 8), 2);
	bar_write(f, PBA_OFF, 0, 8);
	bar_write(f, PBA_OFF, 0, 4);
	assert_int_equal(bar_read(f, PBA_OFF, 4), 2);
	assert_int_equal(bar_read(f, PBA_OFF + 4, 4), 0);
	assert_int_equal(bar_read(f, PBA_OFF, 2), 0);
	assert_int_equal(bar_read(f, PBA_OFF + 2, 4), 0);
}

static void test_deliver_when_unmasked(void **state)
{
	struct fx *f = *state;
	program(f, 2, 0xfee00000, 0x31);
	set_vector_mask(f, 2, false);
	set_ctrl(f, MSIX_CTRL_ENABLE);
	assert_true(msix_notify(f->msix, 2));
	assert_int_equal(f->nd, 1);
	assert_int_equal(f->delivered[0].vector, 2);
	assert_int_equal(f->delivered[0].addr, 0xfee00000);
	assert_int_equal(f->delivered[0].data, 0x31);
	assert_false(msix_pending(f->msix, 2));
	/* Out of range (virtio's "no vector"): ignored. */
	assert_false(msix_notify(f->msix, NVEC));
	assert_false(msix_notify(f->msix, 0xffff));
	assert_int_equal(f->nd, 1);
}

static void test_vector_mask_pending(void **state)
{
	struct fx *f = *state;
	program(f, 6, 0xfee00000, 0x66);
	set_ctrl(f, MSIX_CTRL_ENABLE);
	assert_false(msix_notify(f->msix, 6)); /* vector masked */
	assert_false(msix_notify(f->msix, 6)); /* coalesces */
	assert_int_equal(f->nd, 0);
	assert_true(msix_pending(f->msix, 6));
	assert_int_equal(bar_read(f, PBA_OFF, 8), 1u << 6);
	assert_int_equal(bar_read(f, PBA_OFF, 4), 1u << 6);
	set_vector_mask(f, 6, false);
	assert_int_equal(f->nd, 1);
	assert_int_equal(f->delivered[0].vector, 6);
	assert_int_equal(f->delivered[0].data, 0x66);
	assert_false(msix_pending(f->msix, 6));
	assert_int_equal(bar_read(f, PBA_OFF, 8), 0);
	/* Mask again: next notify pends, unmask via an 8-byte write delivers. */
	set_vector_mask(f, 6, true);
	assert_false(msix_notify(f->msix, 6));
	bar_write(f, ent(6, 2), 0x67, 8); /* data 0x67, control 0 */
	assert_int_equal(f->nd, 2);
	assert_int_equal(f->delivered[1].data, 0x67);
}

static void test_function_mask(void **state)
{
	struct fx *f = *state;
	program(f, 0, 0xfee00000, 0x20);
	program(f, 1, 0xfee00000, 0x21);
	set_vector_mask(f, 0, false);
	set_ctrl(f, MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK);
	assert_false(msix_notify(f->msix, 0));
	assert_false(msix_notify(f->msix, 1));
	assert_true(msix_pending(f->msix, 0));
	assert_true(msix_pending(f->msix, 1));
	assert_int_equal(f->nd, 0);
	/* Unmasking vector 0 alone does nothing while the function is masked. */
	set_vector_mask(f, 0, false);
	assert_int_equal(f->nd, 0);
	set_ctrl(f, MSIX_CTRL_ENABLE);
	assert_int_equal(f->nd, 1); /* vector 0 only; 1 is still masked */
	assert_int_equal(f->delivered[0].vector, 0);
	assert_false(msix_pending(f->msix, 0));
	assert_true(msix_pending(f->msix, 1));
	set_vector_mask(f, 1, false);
	assert_int_equal(f->nd, 2);
	assert_int_equal(f->delivered[1].vector, 1);
	assert_int_equal(f->delivered[1].data, 0x21);
}

static void test_enable_bit(void **state)
{
	struct fx *f = *state;
	program(f, 7, 0xfee00000, 0x77);
	set_vector_mask(f, 7, false);
	assert_false(msix_notify(f->msix, 7)); /* MSI-X disabled */
	assert_true(msix_pending(f->msix, 7));
	set_ctrl(f, MSIX_CTRL_ENABLE);
	assert_int_equal(f->nd, 1);
	assert_true(msix_notify(f->msix, 7));
	assert_int_equal(f->nd, 2);
	set_ctrl(f, 0);
	assert_false(msix_enabled(f->msix));
	assert_false(msix_notify(f->msix, 7));
	assert_int_equal(f->nd, 2);
	/* A 4-byte config write covering ID, next and control. */
	cfg_write(f, f->cap, (uint32_t)MSIX_CTRL_ENABLE << 16, 4);
	assert_true(msix_enabled(f->msix));
	assert_int_equal(f->nd, 3);
}

static void test_route_changed(void **state)
{
	struct fx *f = *state;
	/* Table writes while disabled: address/data changes are reported, masked. */
	bar_write(f, ent(2, 0), 0xfee00000, 4);
	assert_int_equal(f->nr, 1);
	assert_int_equal(f->routes[0].vector, 2);
	assert_int_equal(f->routes[0].addr, 0xfee00000);
	assert_true(f->routes[0].masked);
	bar_write(f, ent(2, 0), 0xfee00000, 4); /* same value: nothing */
	assert_int_equal(f->nr, 1);
	bar_write(f, ent(2, 2), 0x45, 4);
	assert_int_equal(f->nr, 2);
	assert_int_equal(f->routes[1].data, 0x45);
	/* Unmask while disabled: effective state unchanged, nothing. */
	set_vector_mask(f, 2, false);
	assert_int_equal(f->nr, 2);
	/* Enable: only vector 2 (unmasked) becomes deliverable. */
	set_ctrl(f, MSIX_CTRL_ENABLE);
	assert_int_equal(f->nr, 3);
	assert_int_equal(f->routes[2].vector, 2);
	assert_false(f->routes[2].masked);
	assert_int_equal(f->routes[2].data, 0x45);
	/* Function mask and unmask. */
	set_ctrl(f, MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK);
	assert_int_equal(f->nr, 4);
	assert_true(f->routes[3].masked);
	set_ctrl(f, MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK); /* no change */
	assert_int_equal(f->nr, 4);
	set_ctrl(f, MSIX_CTRL_ENABLE);
	assert_int_equal(f->nr, 5);
	assert_false(f->routes[4].masked);
	/* Per-vector mask. */
	set_vector_mask(f, 2, true);
	assert_int_equal(f->nr, 6);
	assert_true(f->routes[5].masked);
	/* Unmask everything: every vector reports when enable toggles. */
	for (uint16_t v = 0; v < NVEC; v++)
		set_vector_mask(f, v, false);
	unsigned n = f->nr;
	assert_int_equal(n, 6 + NVEC);
	set_ctrl(f, 0);
	assert_int_equal(f->nr, n + NVEC);
	for (unsigned i = n; i < f->nr; i++)
		assert_true(f->routes[i].masked);
	assert_int_equal(f->nd, 0);
}

static void test_create_errors(void **state)
{
	struct fx *f = *state;
	struct pci_device *d;
	struct msix *m;
	assert_int_equal(pci_device_create(&info, &d), 0);
	assert_int_equal(pci_device_add_bar(d, 0, PCI_BAR_MEM32, 0x1000, false), 0);
	assert_int_equal(pci_device_add_bar(d, 1, PCI_BAR_IO, 0x100, false), 0);
	assert_int_equal(pci_device_add_bar(d, 2, PCI_BAR_MEM64, 0x10000, false), 0);
	struct msix_config c = base_cfg(f);
	c.table_offset = 0;
	c.pba_offset = 0x800;
	struct msix_config bad = c;
	bad.nr_vectors = 0;
	assert_int_equal(msix_create(d, &bad, &m), -EINVAL);
	bad = c;
	bad.nr_vectors = MSIX_MAX_VECTORS + 1;
	assert_int_equal(msix_create(d, &bad, &m), -EINVAL);
	bad = c;
	bad.deliver = NULL;
	assert_int_equal(msix_create(d, &bad, &m), -EINVAL);
	bad = c;
	bad.table_bar = 1; /* io */
	assert_int_equal(msix_create(d, &bad, &m), -EINVAL);
	bad = c;
	bad.table_bar = 3; /* upper half of BAR2 */
	assert_int_equal(msix_create(d, &bad, &m), -EINVAL);
	bad = c;
	bad.table_offset = 4; /* not 8-aligned */
	assert_int_equal(msix_create(d, &bad, &m), -EINVAL);
	bad = c;
	bad.pba_offset = 0x40; /* overlaps the table */
	assert_int_equal(msix_create(d, &bad, &m), -EINVAL);
	bad = c;
	bad.table_offset = 0xff8; /* does not fit in the BAR */
	assert_int_equal(msix_create(d, &bad, &m), -EINVAL);
	bad = c;
	bad.nr_vectors = 256; /* 4 KiB table: fills the BAR, hits the PBA */
	assert_int_equal(msix_create(d, &bad, &m), -EINVAL);
	/* Capability space full: -ENOSPC and the BAR regions are rolled back. */
	uint8_t big[188] = {PCI_CAP_ID_VNDR, 0, 188};
	uint8_t off;
	assert_int_equal(pci_device_add_capability(d, big, sizeof(big), NULL, NULL, NULL, &off), 0);
	assert_int_equal(msix_create(d, &c, &m), -ENOSPC);
	assert_null(m);
	static const struct bus_ops nop = {NULL, NULL};
	assert_int_equal(pci_bar_add_region(d, 0, 0, 0x1000, &nop, NULL), 0);
	pci_device_destroy(d);
	/* Table and PBA in different BARs, many vectors. */
	assert_int_equal(pci_device_create(&info, &d), 0);
	assert_int_equal(pci_device_add_bar(d, 0, PCI_BAR_MEM32, 0x1000, false), 0);
	assert_int_equal(pci_device_add_bar(d, 2, PCI_BAR_MEM64, 0x10000, false), 0);
	c.nr_vectors = MSIX_MAX_VECTORS;
	c.table_bar = 2;
	c.table_offset = 0x8000;
	c.pba_bar = 0;
	c.pba_offset = 0x100;
	assert_int_equal(msix_create(d, &c, &m), 0);
	uint8_t cap = msix_cap_offset(m);
	uint8_t b[12];
	assert_int_equal(pci_device_config_get(d, cap, b, 12), 0);
	assert_int_equal(le(b + 2, 2), MSIX_MAX_VECTORS - 1);
	assert_int_equal(le(b + 4, 4), 0x8002);
	assert_int_equal(le(b + 8, 4), 0x100);
	pci_device_destroy(d);
	msix_destroy(m);
}

/* PBA words beyond the first, and 4-byte reads of the upper half. */
static void test_pba_many_vectors(void **state)
{
	struct fx *f = *state;
	struct pci_device *d;
	struct msix *m;
	assert_int_equal(pci_device_create(&info, &d), 0);
	assert_int_equal(pci_device_add_bar(d, 0, PCI_BAR_MEM32, 0x2000, false), 0);
	struct msix_config c = base_cfg(f);
	c.nr_vectors = 100;
	c.table_offset = 0;
	c.pba_offset = 0x1000;
	assert_int_equal(msix_create(d, &c, &m), 0);
	assert_false(msix_notify(m, 99));
	assert_false(msix_notify(m, 40));
	void *op = pci_bar_opaque(d, 0);
	uint8_t b[8];
	pci_bar_bus_ops.read(op, 0x1000, b, 8);
	assert_int_equal(le(b, 8), 1ULL << 40);
	pci_bar_bus_ops.read(op, 0x1004, b, 4);
	assert_int_equal(le(b, 4), 1u << 8);
	pci_bar_bus_ops.read(op, 0x1008, b, 8);
	assert_int_equal(le(b, 8), 1ULL << 35);
	pci_bar_bus_ops.read(op, 0x100c, b, 4);
	assert_int_equal(le(b, 4), 1u << 3);
	pci_bar_bus_ops.read(op, 0x1010, b, 4); /* beyond the PBA */
	assert_int_equal(le(b, 4), 0);
	pci_bar_bus_ops.read(op, 99 * 16 + 12, b, 4);
	assert_int_equal(le(b, 4), 1);
	pci_device_destroy(d);
	msix_destroy(m);
}

/* A device thread notifies while a vCPU thread flips the mask: every
 * notification is either delivered or left pending, and nothing is lost. */
struct notifier {
	struct fx *f;
	unsigned delivered_now;
};

static void *notify_thread(void *arg)
{
	struct notifier *n = arg;
	for (unsigned i = 0; i < 20000; i++)
		n->delivered_now += msix_notify(n->f->msix, 3);
	return NULL;
}

static void test_concurrent_notify(void **state)
{
	struct fx *f = *state;
	program(f, 3, 0xfee00000, 0x33);
	set_ctrl(f, MSIX_CTRL_ENABLE);
	struct notifier n = {f, 0};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, notify_thread, &n), 0);
	for (unsigned i = 0; i < 2000; i++)
		set_vector_mask(f, 3, i & 1);
	pthread_join(t, NULL);
	set_vector_mask(f, 3, false);
	assert_false(msix_pending(f->msix, 3));
	assert_true(f->nd >= n.delivered_now);
	assert_true(f->nd >= 1);
	for (unsigned i = 0; i < f->nd && i < MAX_EVENTS; i++)
		assert_int_equal(f->delivered[i].data, 0x33);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_capability, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_reset_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_rw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_bad_accesses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deliver_when_unmasked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vector_mask_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_function_mask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enable_bit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_route_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pba_many_vectors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_notify, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
