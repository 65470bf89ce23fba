/* Unit tests for virtio/virtio_pci.c and virtio/device.c: a fake driver
 * finds the virtio capabilities through ECAM config accesses, places BAR 0
 * on a test MMIO bus and programs the common configuration through bus
 * accesses, with rings in fake guest memory. The device is virtio-rng fed
 * from a pipe-less source (/dev/zero), so the I/O thread is exercised too. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "bus/bus.h"
#include "mem/guest_mem.h"
#include "pci/msix.h"
#include "pci/pci.h"
#include "util/log.h"
#include "virtio/registry.h"
#include "virtio/virtio_pci.h"

#define RAM_SIZE 0x100000ull
#define BAR_ADDR 0x80000000ull
#define DESC 0x1000ull
#define AVAIL 0x2000ull
#define USED 0x3000ull
#define BUF 0x10000ull
#define QSIZE 8
#define PORT_BASE 0x1000u

struct fx {
	struct guest_mem gm;
	uint8_t *ram;
	struct bus mmio, pio;
	struct pci_bus *pbus;
	struct virtio_device vdev;
	struct virtio_pci *vp;
	int slot;
	int src_fd;
	_Atomic unsigned delivered[4];
	uint8_t cap_off[256]; /* by cfg_type */
};

static int on_bar_moved(void *ctx, const struct pci_bar_move *m)
{
	struct fx *f = ctx;
	struct bus *b = m->kind == PCI_BAR_IO ? &f->pio : &f->mmio;
	if (m->old_addr != PCI_BAR_NONE)
		assert_int_equal(bus_remove(b, m->old_addr), 0);
	if (m->new_addr != PCI_BAR_NONE)
		return bus_insert(b, m->new_addr, m->size, m->ops, m->opaque, m->name);
	return 0;
}

static void on_deliver(void *ctx, uint16_t vector, uint64_t addr, uint32_t data)
{
	struct fx *f = ctx;
	(void)addr, (void)data;
	if (vector < 4)
		f->delivered[vector]++;
}

/* ---- config space and BAR helpers ------------------------------------------ */

static uint32_t cfg_rd(struct fx *f, uint32_t reg, uint32_t len)
{
	uint8_t b[4] = {0};
	pci_ecam_ops.read(f->pbus, (uint64_t)f->slot << 15 | reg, b, len);
	uint32_t v = 0;
	memcpy(&v, b, len);
	return v;
}

static void cfg_wr(struct fx *f, uint32_t reg, uint32_t v, uint32_t len)
{
	pci_ecam_ops.write(f->pbus, (uint64_t)f->slot << 15 | reg, (uint8_t *)&v, len);
}

static uint64_t bar_rd(struct fx *f, uint64_t off, uint32_t len)
{
	uint64_t v = 0;
	assert_true(bus_read(&f->mmio, BAR_ADDR + off, (uint8_t *)&v, len));
	return v;
}

static void bar_wr(struct fx *f, uint64_t off, uint64_t v, uint32_t len)
{
	assert_true(bus_write(&f->mmio, BAR_ADDR + off, (uint8_t *)&v, len));
}

#define COMMON(reg) (VIRTIO_PCI_COMMON_OFF + (reg))

static uint8_t status(struct fx *f)
{
	return (uint8_t)bar_rd(f, COMMON(VIRTIO_PCI_COMMON_STATUS), 1);
}

static void set_status(struct fx *f, uint8_t s)
{
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_STATUS), s, 1);
}

/* ---- fixture ------------------------------------------------------------------ */

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->ram = calloc(1, RAM_SIZE);
	assert_int_equal(gm_add_region(&f->gm, 0, RAM_SIZE, f->ram, -1), 0);
	bus_init(&f->mmio, "mmio");
	bus_init(&f->pio, "pio");
	struct pci_bus_config bc = {on_bar_moved, f};
	assert_int_equal(pci_bus_create(&bc, &f->pbus), 0);
	f->src_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	assert_true(f->src_fd >= 0);
	struct virtio_backend be = {.in_fd = f->src_fd, .out_fd = -1};
	void *priv;
	assert_int_equal(virtio_rng_type.create(&be, &priv), 0);
	assert_int_equal(virtio_device_init(&f->vdev, virtio_rng_type.ops, priv, "rng-test", &f->gm), 0);
	struct virtio_pci_config vc = {on_deliver, NULL, f, f};
	assert_int_equal(virtio_pci_create(&f->vdev, &vc, &f->vp), 0);
	assert_int_equal(virtio_pci_add_to_bus(f->vp, f->pbus, 3), 0);
	f->slot = 3;
	/* Firmware's job: place BAR 0 (mem64) and BAR 2 (I/O), enable decoding. */
	cfg_wr(f, PCI_BAR0, (uint32_t)BAR_ADDR, 4);
	cfg_wr(f, PCI_BAR0 + 4, 0, 4);
	cfg_wr(f, PCI_BAR0 + 8, PORT_BASE, 4);
	cfg_wr(f, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO | PCI_COMMAND_MASTER, 2);
	assert_int_equal(pci_device_bar_mapped(virtio_pci_pci_device(f->vp), 0), BAR_ADDR);
	assert_int_equal(pci_device_bar_mapped(virtio_pci_pci_device(f->vp), VIRTIO_PCI_PIO_BAR), PORT_BASE);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	virtio_device_destroy(&f->vdev);
	pci_bus_destroy(f->pbus);
	virtio_pci_destroy(f->vp);
	bus_destroy(&f->mmio);
	bus_destroy(&f->pio);
	close(f->src_fd);
	free(f->ram);
	free(f);
	return 0;
}

/* ---- tests ------------------------------------------------------------------- */

static void test_identity_and_caps(void **state)
{
	struct fx *f = *state;
	assert_int_equal(cfg_rd(f, PCI_VENDOR_ID, 2), 0x1af4);
	assert_int_equal(cfg_rd(f, PCI_DEVICE_ID, 2), 0x1044);
	assert_int_equal(cfg_rd(f, PCI_REVISION_ID, 1), 1);
	assert_int_equal(cfg_rd(f, PCI_INTERRUPT_PIN, 1), 0);
	assert_true(cfg_rd(f, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	unsigned seen = 0, n = 0;
	bool msix = false;
	/* First in the list, so preferred by drivers: notifications by port I/O
	 * in BAR 2 (virtio 1.2, 4.1.4), one 4-byte register per queue. */
	uint32_t first = cfg_rd(f, PCI_CAPABILITY_LIST, 1);
	assert_int_equal(cfg_rd(f, first, 1), PCI_CAP_ID_VNDR);
	assert_int_equal(cfg_rd(f, first + 3, 1), VIRTIO_PCI_CAP_NOTIFY_CFG);
	assert_int_equal(cfg_rd(f, first + 4, 1), VIRTIO_PCI_PIO_BAR);
	assert_int_equal(cfg_rd(f, first + 8, 4), 0);
	assert_int_equal(cfg_rd(f, first + 12, 4), VIRTIO_PCI_NOTIFY_MULT); /* rng: one queue */
	assert_int_equal(cfg_rd(f, first + 16, 4), VIRTIO_PCI_NOTIFY_MULT);
	for (uint32_t p = cfg_rd(f, first + 1, 1); p && n < 48; p = cfg_rd(f, p + 1, 1), n++) {
		uint32_t id = cfg_rd(f, p, 1);
		if (id == PCI_CAP_ID_MSIX) {
			msix = true;
			assert_int_equal(cfg_rd(f, p + 2, 2) & MSIX_CTRL_SIZE_MASK, 1); /* 2 vectors */
			continue;
		}
		assert_int_equal(id, PCI_CAP_ID_VNDR);
		uint32_t type = cfg_rd(f, p + 3, 1), bar = cfg_rd(f, p + 4, 1);
		uint32_t off = cfg_rd(f, p + 8, 4), len = cfg_rd(f, p + 12, 4);
		assert_int_equal(bar, 0);
		assert_true(type >= 1 && type <= 5);
		seen |= 1u << type;
		f->cap_off[type] = (uint8_t)p;
		if (type == VIRTIO_PCI_CAP_PCI_CFG) {
			/* struct virtio_pci_cfg_cap: fields start at 0 */
			assert_int_equal(cfg_rd(f, p + 2, 1), VIRTIO_PCI_CFG_CAP_LEN);
			assert_true(off == 0 && len == 0);
			assert_int_equal(cfg_rd(f, p + VIRTIO_PCI_CFG_CAP_DATA, 4), 0);
		}
		if (type == VIRTIO_PCI_CAP_COMMON_CFG)
			assert_true(off == VIRTIO_PCI_COMMON_OFF && len >= 0x38);
		if (type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
			assert_int_equal(cfg_rd(f, p + 2, 1), 20);
			assert_int_equal(cfg_rd(f, p + 16, 4), VIRTIO_PCI_NOTIFY_MULT);
			assert_int_equal(off, VIRTIO_PCI_NOTIFY_OFF);
		}
		if (type == VIRTIO_PCI_CAP_ISR_CFG)
			assert_int_equal(off, VIRTIO_PCI_ISR_OFF);
	}
	assert_true(msix);
	/* rng has no device config: common, notify, ISR, PCI config window. */
	assert_int_equal(seen, (1u << 1) | (1u << 2) | (1u << 3) | (1u << 5));
	/* Read-only: writes to the capability and IDs do nothing. */
	uint8_t p = f->cap_off[VIRTIO_PCI_CAP_COMMON_CFG];
	cfg_wr(f, p + 8, 0x1234, 4);
	assert_int_equal(cfg_rd(f, p + 8, 4), VIRTIO_PCI_COMMON_OFF);
	cfg_wr(f, PCI_DEVICE_ID, 0, 2);
	assert_int_equal(cfg_rd(f, PCI_DEVICE_ID, 2), 0x1044);
	assert_int_equal(bar_rd(f, COMMON(VIRTIO_PCI_COMMON_NUMQ), 2), 1);
}

static void test_features(void **state)
{
	struct fx *f = *state;
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_DFSELECT), 0, 4);
	uint32_t lo = (uint32_t)bar_rd(f, COMMON(VIRTIO_PCI_COMMON_DF), 4);
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_DFSELECT), 1, 4);
	uint32_t hi = (uint32_t)bar_rd(f, COMMON(VIRTIO_PCI_COMMON_DF), 4);
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_DFSELECT), 7, 4);
	assert_int_equal(bar_rd(f, COMMON(VIRTIO_PCI_COMMON_DF), 4), 0);
	assert_true(hi & 1);                       /* VERSION_1 */
	assert_true(lo & (1u << VIRTQ_F_INDIRECT_DESC));
	assert_true(lo & (1u << VIRTQ_F_EVENT_IDX));

	set_status(f, VIRTIO_STATUS_ACKNOWLEDGE);
	set_status(f, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	/* Without VERSION_1: FEATURES_OK does not stick. */
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_GFSELECT), 0, 4);
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_GF), 1u << VIRTQ_F_EVENT_IDX, 4);
	set_status(f, 3 | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(status(f), 3);
	/* A feature the device does not offer: refused too. */
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_GFSELECT), 1, 4);
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_GF), 1 | 2, 4);
	set_status(f, 3 | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(status(f), 3);
	/* VERSION_1 + EVENT_IDX: accepted, then frozen. */
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_GF), 1, 4);
	set_status(f, 3 | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(status(f), 3 | VIRTIO_STATUS_FEATURES_OK);
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_GF), 0, 4);
	assert_int_equal(bar_rd(f, COMMON(VIRTIO_PCI_COMMON_GF), 4), 1);
	assert_true(f->vdev.queues[0].event_idx);
	assert_false(f->vdev.queues[0].indirect_desc);
}

static void test_status_machine_and_reset(void **state)
{
	struct fx *f = *state;
	/* DRIVER_OK without FEATURES_OK is refused. */
	set_status(f, 3);
	set_status(f, 3 | VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(status(f), 3);
	/* Clearing bits (other than by reset) is refused. */
	set_status(f, VIRTIO_STATUS_ACKNOWLEDGE);
	assert_int_equal(status(f), 3);
	/* The driver cannot set NEEDS_RESET itself. */
	set_status(f, 3 | VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(status(f), 3);
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_MSIX), 0, 2);
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_GFSELECT), 1, 4);
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_GF), 1, 4);
	set_status(f, 3 | VIRTIO_STATUS_FEATURES_OK);
	set_status(f, 3 | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(status(f), 0xf);
	assert_true(f->vdev.running);
	/* Reset from DRIVER_OK: thread stopped, everything back to defaults. */
	set_status(f, 0);
	assert_int_equal(status(f), 0);
	assert_false(f->vdev.running);
	assert_int_equal(bar_rd(f, COMMON(VIRTIO_PCI_COMMON_MSIX), 2), VIRTIO_PCI_NO_VECTOR);
	assert_int_equal(bar_rd(f, COMMON(VIRTIO_PCI_COMMON_GF), 4), 0);
	/* ...and again from a half-negotiated state. */
	set_status(f, 1);
	set_status(f, 0);
	assert_int_equal(status(f), 0);
}

/* Program queue 0 with rings at the fixture addresses (64-bit fields written
 * as two dwords, as Linux does). */
static void setup_queue(struct fx *f, uint64_t desc, uint16_t size)
{
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 0, 2);
	assert_int_equal(bar_rd(f, COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 2), 256);
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_SIZE), size, 2);
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_DESCLO), (uint32_t)desc, 4);
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_DESCHI), (uint32_t)(desc >> 32), 4);
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_AVAILLO), AVAIL, 4);
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_AVAILHI), 0, 4);
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_USEDLO), USED, 4);
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_USEDHI), 0, 4);
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_MSIX), 1, 2);
	assert_int_equal(bar_rd(f, COMMON(VIRTIO_PCI_COMMON_Q_DESCLO), 8), desc);
}

static void negotiate(struct fx *f)
{
	set_status(f, 3);
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_GFSELECT), 1, 4);
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_GF), 1, 4);
	set_status(f, 3 | VIRTIO_STATUS_FEATURES_OK);
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_MSIX), 0, 2);
}

static void test_bad_ring_needs_reset(void **state)
{
	struct fx *f = *state;
	negotiate(f);
	setup_queue(f, RAM_SIZE - 16, QSIZE); /* descriptor table runs off RAM */
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 1, 2);
	assert_int_equal(bar_rd(f, COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 2), 0);
	assert_true(status(f) & VIRTIO_STATUS_NEEDS_RESET);
	/* Config-change interrupt: ISR bit 1 (read clears), config vector 0
	 * pending because MSI-X is not enabled. */
	assert_int_equal(bar_rd(f, VIRTIO_PCI_ISR_OFF, 1), VIRTIO_PCI_ISR_CONFIG);
	assert_int_equal(bar_rd(f, VIRTIO_PCI_ISR_OFF, 1), 0);
	assert_true(msix_pending(virtio_pci_msix(f->vp), 0));
	/* DRIVER_OK now does not start the device. */
	set_status(f, 0xf);
	assert_false(f->vdev.running);
	/* Reset clears it; the queue can then be set up properly. */
	set_status(f, 0);
	assert_int_equal(status(f), 0);
	negotiate(f);
	setup_queue(f, DESC, QSIZE);
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 1, 2);
	assert_int_equal(bar_rd(f, COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 2), 1);
	assert_false(status(f) & VIRTIO_STATUS_NEEDS_RESET);
	/* Queue registers are frozen while the queue is enabled. */
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_DESCLO), 0x5000, 4);
	assert_int_equal(bar_rd(f, COMMON(VIRTIO_PCI_COMMON_Q_DESCLO), 8), DESC);
	/* Bad size (not a power of two) on a fresh reset. */
	set_status(f, 0);
	negotiate(f);
	setup_queue(f, DESC, 6);
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 1, 2);
	assert_true(status(f) & VIRTIO_STATUS_NEEDS_RESET);
}

static void wait_used(struct fx *f, uint16_t want)
{
	for (int i = 0; i < 2000; i++) {
		uint16_t idx;
		assert_int_equal(gm_read(&f->gm, USED + 2, &idx, 2), 0);
		if (idx == want)
			return;
		usleep(1000);
	}
	fail_msg("used idx never reached %u", want);
}

static void test_end_to_end_with_thread(void **state)
{
	struct fx *f = *state;
	struct msix *m = virtio_pci_msix(f->vp);
	/* Enable MSI-X and unmask vectors 0 and 1 like a driver would. */
	uint8_t cap = msix_cap_offset(m);
	cfg_wr(f, cap + 2, MSIX_CTRL_ENABLE, 2);
	for (unsigned v = 0; v < 2; v++) {
		bar_wr(f, VIRTIO_PCI_MSIX_TABLE_OFF + 16 * v, 0xfee00000, 4);
		bar_wr(f, VIRTIO_PCI_MSIX_TABLE_OFF + 16 * v + 8, 0x40 + v, 4);
		bar_wr(f, VIRTIO_PCI_MSIX_TABLE_OFF + 16 * v + 12, 0, 4);
	}
	negotiate(f);
	setup_queue(f, DESC, QSIZE);
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 1, 2);
	set_status(f, 0xf);
	assert_true(f->vdev.running);
	/* One 100-byte writable buffer, pre-filled with 0xaa. */
	memset(f->ram + BUF, 0xaa, 100);
	struct virtq_desc d = {BUF, 100, VIRTQ_DESC_F_WRITE, 0};
	assert_int_equal(gm_write(&f->gm, DESC, &d, sizeof(d)), 0);
	uint16_t head = 0, idx = 1;
	assert_int_equal(gm_write(&f->gm, AVAIL + 4, &head, 2), 0);
	assert_int_equal(gm_write(&f->gm, AVAIL + 2, &idx, 2), 0);
	bar_wr(f, VIRTIO_PCI_NOTIFY_OFF, 0, 2); /* kick queue 0 */
	wait_used(f, 1);
	uint32_t len;
	assert_int_equal(gm_read(&f->gm, USED + 8, &len, 4), 0);
	assert_int_equal(len, 100);
	assert_int_equal(f->ram[BUF], 0); /* /dev/zero */
	for (int i = 0; i < 1000 && f->delivered[1] == 0; i++)
		usleep(1000);
	assert_int_equal(f->delivered[1], 1);
	/* Pause/resume with the thread running, then a broken chain (loop):
	 * NEEDS_RESET and a config interrupt on vector 0. */
	virtio_device_pause(&f->vdev);
	virtio_device_resume(&f->vdev);
	struct virtq_desc loop = {BUF, 10, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1};
	struct virtq_desc loop2 = {BUF, 10, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0};
	assert_int_equal(gm_write(&f->gm, DESC, &loop, sizeof(loop)), 0);
	assert_int_equal(gm_write(&f->gm, DESC + 16, &loop2, sizeof(loop2)), 0);
	idx = 2;
	assert_int_equal(gm_write(&f->gm, AVAIL + 6, &head, 2), 0);
	assert_int_equal(gm_write(&f->gm, AVAIL + 2, &idx, 2), 0);
	uint16_t q0 = 0; /* this time kick queue 0 through its port */
	assert_true(bus_write(&f->pio, PORT_BASE, (uint8_t *)&q0, 2));
	for (int i = 0; i < 2000 && !(status(f) & VIRTIO_STATUS_NEEDS_RESET); i++)
		usleep(1000);
	assert_true(status(f) & VIRTIO_STATUS_NEEDS_RESET);
	for (int i = 0; i < 1000 && f->delivered[0] == 0; i++)
		usleep(1000);
	assert_int_equal(f->delivered[0], 1);
	/* The driver resets: the thread stops, the device is usable again. */
	set_status(f, 0);
	assert_false(f->vdev.running);
	assert_int_equal(status(f), 0);
}

/* ---- VIRTIO_PCI_CAP_PCI_CFG ----------------------------------------------------- */

static uint8_t find_pci_cfg_cap(struct fx *f)
{
	unsigned n = 0;
	for (uint32_t p = cfg_rd(f, PCI_CAPABILITY_LIST, 1); p && n < 48; p = cfg_rd(f, p + 1, 1), n++)
		if (cfg_rd(f, p, 1) == PCI_CAP_ID_VNDR && cfg_rd(f, p + 3, 1) == VIRTIO_PCI_CAP_PCI_CFG)
			return (uint8_t)p;
	fail_msg("no VIRTIO_PCI_CAP_PCI_CFG capability");
	return 0;
}

/* Select [off, off + len) of `bar` in the window. */
static void win_select(struct fx *f, uint8_t cap, uint8_t bar, uint32_t off, uint32_t len)
{
	cfg_wr(f, cap + VIRTIO_PCI_CFG_CAP_BAR, bar, 1);
	cfg_wr(f, cap + VIRTIO_PCI_CFG_CAP_OFFSET, off, 4);
	cfg_wr(f, cap + VIRTIO_PCI_CFG_CAP_LENGTH, len, 4);
}

static uint32_t win_rd(struct fx *f, uint8_t cap, uint32_t off, uint32_t len)
{
	win_select(f, cap, 0, off, len);
	return cfg_rd(f, cap + VIRTIO_PCI_CFG_CAP_DATA, 4);
}

static void win_wr(struct fx *f, uint8_t cap, uint32_t off, uint32_t v, uint32_t len)
{
	win_select(f, cap, 0, off, len);
	cfg_wr(f, cap + VIRTIO_PCI_CFG_CAP_DATA, v, 4);
}

static void test_pci_cfg_window(void **state)
{
	struct fx *f = *state;
	uint8_t cap = find_pci_cfg_cap(f);
	/* The fields read back; the header and cfg_type stay read-only. */
	win_select(f, cap, 0, 0x12345678, 0xabcdef01);
	assert_int_equal(cfg_rd(f, cap + VIRTIO_PCI_CFG_CAP_OFFSET, 4), 0x12345678);
	assert_int_equal(cfg_rd(f, cap + VIRTIO_PCI_CFG_CAP_LENGTH, 4), 0xabcdef01);
	cfg_wr(f, cap + 2, 0xffff, 2);
	assert_int_equal(cfg_rd(f, cap + 2, 1), VIRTIO_PCI_CFG_CAP_LEN);
	assert_int_equal(cfg_rd(f, cap + 3, 1), VIRTIO_PCI_CAP_PCI_CFG);

	/* Reads: the same registers as through the BAR, each width. */
	assert_int_equal(win_rd(f, cap, COMMON(VIRTIO_PCI_COMMON_NUMQ), 2), 1);
	assert_int_equal(win_rd(f, cap, COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 2), 256);
	assert_int_equal(win_rd(f, cap, COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 1), 0); /* low byte of 0x100 */
	assert_int_equal(win_rd(f, cap, COMMON(VIRTIO_PCI_COMMON_Q_SIZE + 1), 1), 1);
	/* A narrower config read of pci_cfg_data does the BAR access too. */
	win_select(f, cap, 0, COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 2);
	assert_int_equal(cfg_rd(f, cap + VIRTIO_PCI_CFG_CAP_DATA + 1, 1), 1);
	assert_int_equal(cfg_rd(f, cap + VIRTIO_PCI_CFG_CAP_DATA, 2), 256);

	/* Writes: feature negotiation and status entirely through the window,
	 * checked through the BAR. */
	win_wr(f, cap, COMMON(VIRTIO_PCI_COMMON_DFSELECT), 1, 4);
	assert_int_equal(bar_rd(f, COMMON(VIRTIO_PCI_COMMON_DFSELECT), 4), 1);
	assert_int_equal(win_rd(f, cap, COMMON(VIRTIO_PCI_COMMON_DF), 4) & 1, 1); /* VERSION_1 */
	win_wr(f, cap, COMMON(VIRTIO_PCI_COMMON_STATUS), 3, 1);
	assert_int_equal(status(f), 3);
	win_wr(f, cap, COMMON(VIRTIO_PCI_COMMON_GFSELECT), 1, 4);
	win_wr(f, cap, COMMON(VIRTIO_PCI_COMMON_GF), 1, 4);
	/* length 1: only the first data byte goes out (0xb = FEATURES_OK | 3) */
	win_wr(f, cap, COMMON(VIRTIO_PCI_COMMON_STATUS), 0xffffff0b, 1);
	assert_int_equal(status(f), 0xb);
	assert_int_equal(bar_rd(f, COMMON(VIRTIO_PCI_COMMON_GF), 4), 1);

	/* MSI-X table and notify are reachable as well. */
	win_wr(f, cap, VIRTIO_PCI_MSIX_TABLE_OFF + 8, 0x4242, 4);
	assert_int_equal(bar_rd(f, VIRTIO_PCI_MSIX_TABLE_OFF + 8, 4), 0x4242);
	win_wr(f, cap, VIRTIO_PCI_NOTIFY_OFF, 0, 2);
	struct pollfd pfd = {virtio_device_kick_fd(&f->vdev, 0), POLLIN, 0};
	assert_int_equal(poll(&pfd, 1, 0), 1);

	/* ISR is read-to-clear through the window too: a bad ring raises a
	 * config interrupt. */
	setup_queue(f, RAM_SIZE - 16, QSIZE);
	bar_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 1, 2);
	assert_true(status(f) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(win_rd(f, cap, VIRTIO_PCI_ISR_OFF, 1), VIRTIO_PCI_ISR_CONFIG);
	assert_int_equal(win_rd(f, cap, VIRTIO_PCI_ISR_OFF, 1), 0);

	/* Reset through the window, with memory decoding off: the window does
	 * not need the BAR to be mapped (that is what it is for). */
	cfg_wr(f, PCI_COMMAND, 0, 2);
	assert_int_equal(pci_device_bar_mapped(virtio_pci_pci_device(f->vp), 0), PCI_BAR_NONE);
	win_wr(f, cap, COMMON(VIRTIO_PCI_COMMON_STATUS), 0, 1);
	assert_int_equal(virtio_pci_status(f->vp), 0);
	assert_int_equal(win_rd(f, cap, COMMON(VIRTIO_PCI_COMMON_NUMQ), 2), 1);
}

static void test_pci_cfg_window_bounds(void **state)
{
	struct fx *f = *state;
	uint8_t cap = find_pci_cfg_cap(f);
	static const struct {
		uint8_t bar;
		uint32_t off, len;
	} bad[] = {
		{0, COMMON(VIRTIO_PCI_COMMON_STATUS), 0},  /* length 0 */
		{0, COMMON(VIRTIO_PCI_COMMON_STATUS), 3},  /* not 1, 2, 4 */
		{0, COMMON(VIRTIO_PCI_COMMON_STATUS), 8},  /* wider than the window */
		{0, COMMON(VIRTIO_PCI_COMMON_STATUS), 0xffffffff},
		{0, COMMON(VIRTIO_PCI_COMMON_STATUS) + 1, 2}, /* unaligned */
		{0, COMMON(VIRTIO_PCI_COMMON_STATUS) - 1, 4}, /* unaligned */
		{0, VIRTIO_PCI_BAR_SIZE, 1},               /* past the BAR */
		{0, VIRTIO_PCI_BAR_SIZE + COMMON(VIRTIO_PCI_COMMON_STATUS), 1},
		{0, 0xfffffffc, 4},                        /* offset + length wraps */
		{0, 0xffffffff, 1},
		{1, COMMON(VIRTIO_PCI_COMMON_STATUS), 1},  /* upper half of BAR 0 */
		{2, COMMON(VIRTIO_PCI_COMMON_STATUS), 1},  /* no such BAR */
		{5, COMMON(VIRTIO_PCI_COMMON_STATUS), 1},
		{0xff, COMMON(VIRTIO_PCI_COMMON_STATUS), 1},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		win_select(f, cap, bad[i].bar, bad[i].off, bad[i].len);
		/* write ACKNOWLEDGE: must not reach the status register */
		cfg_wr(f, cap + VIRTIO_PCI_CFG_CAP_DATA, 0x01010101, 4);
		if (status(f) != 0)
			fail_msg("case %zu: bar %u off 0x%x len %u wrote status", i, bad[i].bar, bad[i].off, bad[i].len);
		/* reads give 0 (NUMQ would be 1) */
		win_select(f, cap, bad[i].bar, bad[i].off - COMMON(VIRTIO_PCI_COMMON_STATUS) +
						      COMMON(VIRTIO_PCI_COMMON_NUMQ), bad[i].len);
		assert_int_equal(cfg_rd(f, cap + VIRTIO_PCI_CFG_CAP_DATA, 4), 0);
	}
	/* Edges that are valid: the last dword and the last byte of the BAR
	 * (the PBA: reads 0, writes ignored), and an 8-byte ECAM access that
	 * sets length and data at once. */
	assert_int_equal(win_rd(f, cap, VIRTIO_PCI_BAR_SIZE - 4, 4), 0);
	assert_int_equal(win_rd(f, cap, VIRTIO_PCI_BAR_SIZE - 1, 1), 0);
	win_select(f, cap, 0, COMMON(VIRTIO_PCI_COMMON_STATUS), 0);
	uint64_t len_and_data = 1 | (uint64_t)1 << 32; /* length 1, data ACKNOWLEDGE */
	pci_ecam_ops.write(f->pbus, (uint64_t)f->slot << 15 | (uint32_t)(cap + VIRTIO_PCI_CFG_CAP_LENGTH),
			   (uint8_t *)&len_and_data, 8);
	assert_int_equal(status(f), VIRTIO_STATUS_ACKNOWLEDGE);
	/* A config write that does not touch pci_cfg_data does no BAR access. */
	cfg_wr(f, cap + VIRTIO_PCI_CFG_CAP_OFFSET, COMMON(VIRTIO_PCI_COMMON_STATUS), 4);
	cfg_wr(f, cap + VIRTIO_PCI_CFG_CAP_LENGTH, 1, 4);
	assert_int_equal(status(f), VIRTIO_STATUS_ACKNOWLEDGE);
	/* Through 0xcf8/0xcfc as well (a 1-byte access to the data's first byte). */
	uint32_t addr = 0x80000000u | (uint32_t)f->slot << 11 | (uint32_t)(cap + VIRTIO_PCI_CFG_CAP_DATA);
	pci_cfg_pio_ops.write(f->pbus, 0, (uint8_t *)&addr, 4);
	uint8_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	pci_cfg_pio_ops.write(f->pbus, 4, &st, 1);
	assert_int_equal(status(f), 3);
	uint8_t rd = 0;
	pci_cfg_pio_ops.read(f->pbus, 4, &rd, 1);
	assert_int_equal(rd, 3);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity_and_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_features, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_machine_and_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_ring_needs_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_end_to_end_with_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pci_cfg_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pci_cfg_window_bounds, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
