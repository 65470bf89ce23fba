/* libFuzzer target: PCI config space (0xcf8/0xcfc and ECAM), BAR placement
 * and MSI-X, driven by a sequence of guest-like accesses.
 *
 * World: a root bus with the host bridge and one device at 00:01.0 with
 *   BAR0 mem64 16 KiB  (MSI-X table at 0, PBA at 0x1000, 8 vectors),
 *   BAR2 io 64 bytes   (a small register file),
 *   BAR3 mem32 4 KiB   (the same register file),
 *   a vendor capability with writable bytes and config hooks, then MSI-X.
 * bar_moved keeps real PIO/MMIO `struct bus`es up to date, the way the VMM
 * does, and refuses overlaps (a fake LAPIC page, the ECAM window, 0xcf8) or
 * everything while the input says so. BAR accesses go through those buses
 * when the BAR is mapped.
 *
 * Operation encoding: one opcode byte (bits 2:0 = what, bit 3 = write,
 * bits 5:4 = size 1/2/4/8), then operands, little-endian:
 *   0: CONFIG_ADDRESS write, 4-byte value
 *   1: CONFIG_DATA access at 0xcfc + (1 byte & 3), value
 *   2: any access to 0xcf8 + (1 byte & 7) that stays in the 8 ports, value
 *   3: ECAM access at (3 bytes) & 0xfffff, value
 *   4: ECAM access to 00:01.0 at (2 bytes) & 0xfff, value
 *   5: BAR access: 1 byte BAR selector, 2 bytes offset, value
 *   6: msix_notify(1 byte % 10)
 *   7: toggle "VMM refuses every placement"
 * Invariants are checked after every operation (__builtin_trap on failure):
 * what the buses hold matches pci_device_bar_mapped(), a mapped BAR has its
 * decode bit set and sits at its programmed address, identity registers
 * never change, absent devices read all-ones. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bus/bus.h"
#include "mem/range_alloc.h"
#include "pci/msix.h"
#include "pci/pci.h"
#include "util/log.h"

#include "fuzz_input.h"
#include "fuzz_pci.h"

#define SLOT 1
#define NVEC 8
#define ECAM_BASE 0xe0000000ULL
#define NONE PCI_BAR_NONE

struct world {
	struct bus pio, mmio;
	struct pci_bus *pci;
	struct pci_device *dev;
	struct msix *msix;
	uint64_t mapped[PCI_NUM_BARS];
	bool refuse_all;
	uint8_t regs[64];   /* the register file behind BAR2 and BAR3 */
	uint8_t capbuf[16]; /* what the cap hooks write */
	uint64_t deliveries;
};

static struct world W;

/* ---- the VMM side ---- */

static int bar_moved(void *ctx, const struct pci_bar_move *m)
{
	struct world *w = ctx;
	struct bus *b = m->kind == PCI_BAR_IO ? &w->pio : &w->mmio;
	trap_if(m->bar >= PCI_NUM_BARS || w->mapped[m->bar] != m->old_addr);
	trap_if(m->dev != w->dev || m->ops != &pci_bar_bus_ops);
	trap_if(m->size != pci_device_bar_size(w->dev, m->bar));
	if (m->old_addr != NONE)
		trap_if(bus_remove(b, m->old_addr) != 0);
	w->mapped[m->bar] = NONE;
	if (m->new_addr == NONE)
		return 0;
	trap_if(m->new_addr & (m->size - 1));
	if (w->refuse_all)
		return -EPERM;
	int rc = bus_insert(b, m->new_addr, m->size, m->ops, m->opaque, m->name);
	if (rc == 0)
		w->mapped[m->bar] = m->new_addr;
	return rc;
}

static void deliver(void *ctx, uint16_t vector, uint64_t addr, uint32_t data)
{
	struct world *w = ctx;
	trap_if(vector >= NVEC);
	w->deliveries++;
}

static void route_changed(void *ctx, uint16_t vector, uint64_t addr, uint32_t data, bool masked)
{
	trap_if(vector >= NVEC);
}

/* ---- device pieces ---- */

static void regs_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
	struct world *w = opaque;
	for (uint32_t i = 0; i < len; i++)
		data[i] = w->regs[(off + i) % sizeof(w->regs)];
}

static void regs_write(void *opaque, uint64_t off, const uint8_t *data, uint32_t len)
{
	struct world *w = opaque;
	for (uint32_t i = 0; i < len; i++)
		w->regs[(off + i) % sizeof(w->regs)] = data[i];
}

static const struct bus_ops regs_ops = {regs_read, regs_write};

static void cap_read(void *opaque, uint32_t off, uint8_t *data, uint32_t len)
{
	struct world *w = opaque;
	trap_if(len == 0 || off >= sizeof(w->capbuf) || len > sizeof(w->capbuf) - off);
	for (uint32_t i = 0; i < len; i++)
		if (off + i >= 12)
			data[i] = w->capbuf[off + i];
}

static void cap_write(void *opaque, uint32_t off, const uint8_t *data, uint32_t len)
{
	struct world *w = opaque;
	trap_if(len == 0 || off >= sizeof(w->capbuf) || len > sizeof(w->capbuf) - off);
	memcpy(&w->capbuf[off], data, len);
}

static const struct pci_cfg_hooks cap_hooks = {cap_read, cap_write};

static const struct pci_device_info dev_info = {
	.vendor_id = 0x1af4, .device_id = 0x1044, .class_code = 0x00ff00, .name = "fuzzdev"};

static bool add_device(struct world *w)
{
	if (pci_device_create(&dev_info, &w->dev))
		return false;
	if (pci_device_add_bar(w->dev, 0, PCI_BAR_MEM64, 0x4000, true) ||
	    pci_device_add_bar(w->dev, 2, PCI_BAR_IO, 0x40, false) ||
	    pci_device_add_bar(w->dev, 3, PCI_BAR_MEM32, 0x1000, false) ||
	    pci_bar_add_region(w->dev, 2, 0, 0x40, &regs_ops, w) ||
	    pci_bar_add_region(w->dev, 3, 0x100, 0x40, &regs_ops, w))
		return false;
	uint8_t cap[16] = {PCI_CAP_ID_VNDR, 0, 16, 1, 2, 3, 4, 5};
	uint8_t wm[16] = {0, 0, 0, 0xff, 0x0f, 0xf0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
	uint8_t off;
	if (pci_device_add_capability(w->dev, cap, 16, wm, &cap_hooks, w, &off))
		return false;
	struct msix_config mc = {NVEC, 0, 0, 0, 0x1000, deliver, route_changed, w};
	if (msix_create(w->dev, &mc, &w->msix))
		return false;
	return pci_bus_add_device(w->pci, w->dev, SLOT) == 0;
}

static bool allocate(struct world *w)
{
	struct range_alloc m32, m64, io;
	if (ra_init(&m32, 0xc0000000, 0xdfffffff) || ra_init(&m64, 1ULL << 32, (1ULL << 36) - 1) ||
	    ra_init(&io, 0x1000, 0xffff))
		return false;
	bool ok = pci_bus_allocate_bars(w->pci, &m32, &m64, &io) == 0;
	ra_destroy(&m32);
	ra_destroy(&m64);
	ra_destroy(&io);
	return ok;
}

static void reserved_ranges(struct world *w)
{
	static const struct bus_ops none = {NULL, NULL};
	trap_if(bus_insert(&w->mmio, 0xfee00000, 0x1000, &none, NULL, "lapic") != 0);
	trap_if(bus_insert(&w->mmio, ECAM_BASE, PCI_ECAM_SIZE, &pci_ecam_ops, w->pci, "ecam") != 0);
	trap_if(bus_insert(&w->pio, PCI_CFG_PIO_BASE, PCI_CFG_PIO_LEN, &pci_cfg_pio_ops, w->pci,
			   "pci-cfg") != 0);
}

static bool world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		w->mapped[i] = NONE;
	bus_init(&w->pio, "pio");
	bus_init(&w->mmio, "mmio");
	struct pci_bus_config cfg = {bar_moved, w};
	if (pci_bus_create(&cfg, &w->pci))
		return false;
	reserved_ranges(w);
	return add_device(w) && allocate(w);
}

static void world_fini(struct world *w)
{
	pci_bus_destroy(w->pci);
	msix_destroy(w->msix);
	bus_destroy(&w->pio);
	bus_destroy(&w->mmio);
}

/* ---- input ---- */

static void bar_access(struct world *w, unsigned sel, uint64_t off, bool write, uint32_t len, uint64_t val)
{
	static const unsigned bars[3] = {0, 2, 3};
	unsigned bar = bars[sel % 3];
	uint64_t size = pci_device_bar_size(w->dev, bar);
	off %= size;
	if (len > size - off)
		return; /* the bus never hands a BAR an access past its end */
	if (w->mapped[bar] == NONE) {
		do_access(&pci_bar_bus_ops, pci_bar_opaque(w->dev, bar), off, write, len, val);
		return;
	}
	fuzz_bus_access(bar == 2 ? &w->pio : &w->mmio, w->mapped[bar] + off, write, len, val);
}

static void run_op(struct world *w, struct input *in)
{
	uint8_t op = (uint8_t)take(in, 1);
	bool write = op & 8;
	uint32_t len = 1u << ((op >> 4) & 3);
	switch (op & 7) {
	case 0:
		fuzz_pci_cfg_address(w->pci, in);
		break;
	case 1:
		fuzz_pci_cfg_data(w->pci, in, write, len);
		break;
	case 2: {
		uint64_t off = take(in, 1) & 7;
		if (off + len <= PCI_CFG_PIO_LEN)
			do_access(&pci_cfg_pio_ops, w->pci, off, write, len, take(in, len));
		break;
	}
	case 3:
		fuzz_pci_ecam_any(w->pci, in, write, len);
		break;
	case 4:
		fuzz_pci_ecam_slot(w->pci, SLOT, in, write, len);
		break;
	case 5: {
		unsigned sel = (unsigned)take(in, 1);
		uint64_t off = take(in, 2);
		bar_access(w, sel, off, write, len, take(in, len));
		break;
	}
	case 6:
		(void)msix_notify(w->msix, (uint16_t)(take(in, 1) % 10));
		break;
	case 7:
		w->refuse_all = !w->refuse_all;
		break;
	}
}

static void check(struct world *w)
{
	uint16_t cmd = pci_device_command(w->dev);
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		trap_if(pci_device_bar_mapped(w->dev, i) != w->mapped[i]);
		if (w->mapped[i] == NONE)
			continue;
		uint16_t decode = i == 2 ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
		trap_if(!(cmd & decode) || pci_device_bar_addr(w->dev, i) != w->mapped[i]);
	}
	trap_if(fuzz_pci_ecam_read32(w->pci, 0, 0) != 0x0d578086);
	trap_if(fuzz_pci_ecam_read32(w->pci, SLOT, 0) != 0x10441af4);
	trap_if(fuzz_pci_ecam_read32(w->pci, SLOT, 8) >> 8 != 0x00ff00);
	trap_if(fuzz_pci_ecam_read32(w->pci, 2, 0) != 0xffffffff);
	trap_if((fuzz_pci_ecam_read32(w->pci, SLOT, 0x0c) >> 16 & 0xff) != 0); /* header type */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	if (!quiet) {
		log_set_level(LOG_ERROR); /* refusals are logged at warn */
		quiet = true;
	}
	struct input in = {data, size};
	if (!world_init(&W))
		__builtin_trap();
	check(&W);
	while (in.n) {
		run_op(&W, &in);
		check(&W);
	}
	world_fini(&W);
	return 0;
}
