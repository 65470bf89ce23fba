/* pci/pci.c — root PCI bus, config space, BARs, capabilities. See pci.h. */
#include "pci/pci.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

#define MAX_BAR_REGIONS 8
#define MAX_CFG_HOOKS 16

/* Guest-writable command bits: I/O, memory, bus master, parity response,
 * SERR#, INTx disable. */
#define CMD_WMASK                                                                           \
	(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_PARITY |   \
	 PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE)

#define CF8_ENABLE 0x80000000u
#define CF8_MASK 0x80fffffcu /* reserved bits 30:24 and 1:0 read as 0 */

#define BAR_IO_SPACE 0x1u
#define BAR_MEM_TYPE_64 0x4u
#define BAR_MEM_PREFETCH 0x8u
#define BAR_IO_ADDR_MASK 0x0000fffcu  /* 16-bit I/O decode */
#define BAR_MEM_ADDR_MASK 0xfffffff0u

struct bar_region {
	uint64_t offset, len;
	const struct bus_ops *ops;
	void *opaque;
};

struct pci_bar {
	struct pci_device *dev;
	unsigned index;
	bool present; /* declared here (for mem64: the lower slot) */
	bool upper;   /* upper dword of the mem64 BAR at index - 1 */
	bool prefetch;
	enum pci_bar_kind kind;
	uint64_t size;
	uint64_t mapped;  /* where it is on the bus, or PCI_BAR_NONE */
	uint64_t refused; /* address the VMM refused, or PCI_BAR_NONE */
	struct bar_region regions[MAX_BAR_REGIONS];
	unsigned nr_regions;
};

struct cfg_hook {
	uint32_t start, len;
	const struct pci_cfg_hooks *hooks;
	void *opaque;
};

struct pci_device {
	pthread_mutex_t lock; /* cfg, wmask, w1c, BAR placement, syncing */
	struct pci_bus *bus;
	int slot;
	struct pci_device_info info;
	uint8_t cfg[PCI_CFG_SPACE_SIZE];
	uint8_t wmask[PCI_CFG_SPACE_SIZE];
	uint8_t w1c[PCI_CFG_SPACE_SIZE];
	unsigned cap_end;  /* next free capability offset */
	unsigned last_cap; /* offset of the last capability, 0 = none */
	struct pci_bar bars[PCI_NUM_BARS];
	bool syncing; /* a thread is calling bar_moved for this device */
	struct cfg_hook hooks[MAX_CFG_HOOKS];
	unsigned nr_hooks;
	struct log_ratelimit rl;
};

struct pci_bus {
	struct pci_bus_config cfg;
	_Atomic uint32_t cf8; /* CONFIG_ADDRESS latch */
	struct pci_device *devs[PCI_MAX_DEVICES];
};

/* ---- little-endian helpers ---- */

static uint32_t get_le(const uint8_t *p, unsigned n)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static void put_le(uint8_t *p, uint32_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- BAR helpers (device lock held where they touch cfg) ---- */

static unsigned bar_reg(unsigned index)
{
	return PCI_BAR0 + 4 * index;
}

static uint32_t bar_type_bits(const struct pci_bar *b)
{
	if (b->kind == PCI_BAR_IO)
		return BAR_IO_SPACE;
	return (b->kind == PCI_BAR_MEM64 ? BAR_MEM_TYPE_64 : 0) | (b->prefetch ? BAR_MEM_PREFETCH : 0);
}

/* Address bits the guest may write, as a 64-bit mask (upper half: mem64). */
static uint64_t bar_addr_mask(const struct pci_bar *b)
{
	uint64_t m = ~(b->size - 1);
	if (b->kind == PCI_BAR_IO)
		return m & BAR_IO_ADDR_MASK;
	if (b->kind == PCI_BAR_MEM32)
		return m & BAR_MEM_ADDR_MASK;
	return m & ~0xfULL;
}

static bool bar_size_ok(enum pci_bar_kind kind, uint64_t size)
{
	if (size == 0 || (size & (size - 1)))
		return false;
	switch (kind) {
	case PCI_BAR_IO:
		return size >= 4 && size <= 256;
	case PCI_BAR_MEM32:
		return size >= 16 && size <= (1ULL << 31);
	case PCI_BAR_MEM64:
		return size >= 16 && size <= (1ULL << 63);
	}
	return false;
}

static uint64_t bar_addr_locked(const struct pci_device *d, const struct pci_bar *b)
{
	uint32_t lo = get_le(&d->cfg[bar_reg(b->index)], 4);
	if (b->kind == PCI_BAR_IO)
		return lo & BAR_IO_ADDR_MASK;
	if (b->kind == PCI_BAR_MEM32)
		return lo & BAR_MEM_ADDR_MASK;
	uint64_t hi = get_le(&d->cfg[bar_reg(b->index + 1)], 4);
	return hi << 32 | (lo & BAR_MEM_ADDR_MASK);
}

static void bar_store_addr_locked(struct pci_device *d, const struct pci_bar *b, uint64_t addr)
{
	uint64_t v = (addr & bar_addr_mask(b)) | bar_type_bits(b);
	put_le(&d->cfg[bar_reg(b->index)], (uint32_t)v, 4);
	if (b->kind == PCI_BAR_MEM64)
		put_le(&d->cfg[bar_reg(b->index + 1)], (uint32_t)(v >> 32), 4);
}

/* Where the BAR should be on the bus, before considering a refusal. */
static uint64_t bar_want_locked(const struct pci_device *d, const struct pci_bar *b)
{
	if (!b->present)
		return PCI_BAR_NONE;
	uint16_t cmd = (uint16_t)get_le(&d->cfg[PCI_COMMAND], 2);
	uint16_t decode = b->kind == PCI_BAR_IO ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
	if (!(cmd & decode))
		return PCI_BAR_NONE;
	uint64_t addr = bar_addr_locked(d, b);
	if (addr == 0 || addr + (b->size - 1) < addr)
		return PCI_BAR_NONE;
	return addr;
}

static uint64_t bar_target_locked(const struct pci_device *d, const struct pci_bar *b)
{
	uint64_t want = bar_want_locked(d, b);
	return want == b->refused ? PCI_BAR_NONE : want;
}

static void bars_snapshot_locked(const struct pci_device *d, uint64_t want[PCI_NUM_BARS])
{
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		want[i] = bar_want_locked(d, &d->bars[i]);
}

/* A guest or VMM change moved a BAR's wanted placement: forget an old
 * refusal so the new placement is tried. */
static void bars_forget_refusals_locked(struct pci_device *d, const uint64_t before[PCI_NUM_BARS])
{
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		if (bar_want_locked(d, &d->bars[i]) != before[i])
			d->bars[i].refused = PCI_BAR_NONE;
}

static int bar_out_of_sync_locked(const struct pci_device *d)
{
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		if (d->bars[i].present && bar_target_locked(d, &d->bars[i]) != d->bars[i].mapped)
			return (int)i;
	return -1;
}

static int call_bar_moved(struct pci_device *d, const struct pci_bar_move *m)
{
	if (!d->bus || !d->bus->cfg.bar_moved)
		return 0;
	return d->bus->cfg.bar_moved(d->bus->cfg.ctx, m);
}

static void log_refusal(struct pci_device *d, const struct pci_bar_move *m, int rc)
{
	log_ratelimited(&d->rl, LOG_WARN, "pci 00:%02x.0 %s: BAR%u at 0x%llx refused (%s); left unmapped",
			d->slot, d->info.name, m->bar, (unsigned long long)m->new_addr, strerror(-rc));
}

/* Bring every BAR's bus placement in line with its registers, calling
 * bar_moved without the lock. If another thread is already doing it, that
 * thread picks up our change (it re-checks after each call). */
static void bars_sync(struct pci_device *d)
{
	pthread_mutex_lock(&d->lock);
	if (d->syncing) {
		pthread_mutex_unlock(&d->lock);
		return;
	}
	d->syncing = true;
	int i;
	while ((i = bar_out_of_sync_locked(d)) >= 0) {
		struct pci_bar *b = &d->bars[i];
		struct pci_bar_move m = {d, (unsigned)i, b->kind, b->size, b->mapped,
					 bar_target_locked(d, b), &pci_bar_bus_ops, b, d->info.name};
		pthread_mutex_unlock(&d->lock);
		int rc = call_bar_moved(d, &m);
		pthread_mutex_lock(&d->lock);
		b->mapped = rc == 0 ? m.new_addr : PCI_BAR_NONE;
		if (rc != 0 && m.new_addr != PCI_BAR_NONE) {
			b->refused = m.new_addr;
			log_refusal(d, &m, rc);
		}
	}
	d->syncing = false;
	pthread_mutex_unlock(&d->lock);
}

/* ---- device config access (guest path) ---- */

static void hooks_run(struct pci_device *d, uint32_t reg, uint8_t *rdata, const uint8_t *wdata,
		      uint32_t len)
{
	for (unsigned i = 0; i < d->nr_hooks; i++) {
		const struct cfg_hook *h = &d->hooks[i];
		uint32_t lo = reg > h->start ? reg : h->start;
		uint32_t hi_a = reg + len, hi_h = h->start + h->len;
		uint32_t hi = hi_a < hi_h ? hi_a : hi_h;
		if (lo >= hi)
			continue;
		if (rdata && h->hooks->read)
			h->hooks->read(h->opaque, lo - h->start, rdata + (lo - reg), hi - lo);
		else if (wdata && h->hooks->write)
			h->hooks->write(h->opaque, lo - h->start, wdata + (lo - reg), hi - lo);
	}
}

/* Contract: reg + len <= PCI_CFG_EXT_SIZE (checked by the callers); bytes
 * at or beyond 256 read 0. */
static void dev_cfg_read(struct pci_device *d, uint32_t reg, uint8_t *data, uint32_t len)
{
	memset(data, 0, len);
	pthread_mutex_lock(&d->lock);
	for (uint32_t i = 0; i < len && reg + i < PCI_CFG_SPACE_SIZE; i++)
		data[i] = d->cfg[reg + i];
	pthread_mutex_unlock(&d->lock);
	if (reg < PCI_CFG_SPACE_SIZE)
		hooks_run(d, reg, data, NULL, len);
}

static void cfg_write_byte_locked(struct pci_device *d, uint32_t r, uint8_t v)
{
	uint8_t m = d->wmask[r];
	d->cfg[r] = (uint8_t)((d->cfg[r] & ~m) | (v & m));
	d->cfg[r] &= (uint8_t)~(v & d->w1c[r]);
}

/* Contract: reg + len <= PCI_CFG_EXT_SIZE; data is the guest's value and
 * only ever goes through the masks. */
static void dev_cfg_write(struct pci_device *d, uint32_t reg, const uint8_t *data, uint32_t len)
{
	if (reg >= PCI_CFG_SPACE_SIZE)
		return;
	uint64_t before[PCI_NUM_BARS];
	pthread_mutex_lock(&d->lock);
	bars_snapshot_locked(d, before);
	for (uint32_t i = 0; i < len && reg + i < PCI_CFG_SPACE_SIZE; i++)
		cfg_write_byte_locked(d, reg + i, data[i]);
	bars_forget_refusals_locked(d, before);
	bool resync = bar_out_of_sync_locked(d) >= 0;
	pthread_mutex_unlock(&d->lock);
	hooks_run(d, reg, NULL, data, len);
	if (resync)
		bars_sync(d);
}

/* ---- bus-level routing ---- */

static struct pci_device *bus_lookup(struct pci_bus *bus, unsigned busnr, unsigned dev, unsigned fn)
{
	if (busnr != 0 || fn != 0 || dev >= PCI_MAX_DEVICES)
		return NULL;
	return bus->devs[dev];
}

static void bus_cfg_read(struct pci_bus *bus, unsigned busnr, unsigned dev, unsigned fn, uint32_t reg,
			 uint8_t *data, uint32_t len)
{
	struct pci_device *d = bus_lookup(bus, busnr, dev, fn);
	if (d)
		dev_cfg_read(d, reg, data, len);
	else
		memset(data, 0xff, len);
}

static void bus_cfg_write(struct pci_bus *bus, unsigned busnr, unsigned dev, unsigned fn, uint32_t reg,
			  const uint8_t *data, uint32_t len)
{
	struct pci_device *d = bus_lookup(bus, busnr, dev, fn);
	if (d)
		dev_cfg_write(d, reg, data, len);
}

/* ---- 0xcf8 / 0xcfc ---- */

/* A CONFIG_DATA access at `off` (4..7) of `len` bytes: decode the latch.
 * Returns false if the access is malformed or the enable bit is clear. */
static bool pio_decode(struct pci_bus *bus, uint64_t off, uint32_t len, unsigned *busnr, unsigned *dev,
		       unsigned *fn, uint32_t *reg)
{
	if (off < 4 || off >= PCI_CFG_PIO_LEN || len == 0 || len > PCI_CFG_PIO_LEN - off)
		return false;
	uint32_t a = atomic_load(&bus->cf8);
	if (!(a & CF8_ENABLE))
		return false;
	*busnr = (a >> 16) & 0xff;
	*dev = (a >> 11) & 0x1f;
	*fn = (a >> 8) & 0x7;
	*reg = (a & 0xfc) + (uint32_t)(off - 4);
	return true;
}

static void pio_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
	struct pci_bus *bus = opaque;
	unsigned busnr, dev, fn;
	uint32_t reg;
	if (off == 0 && len == 4) {
		put_le(data, atomic_load(&bus->cf8), 4);
		return;
	}
	if (pio_decode(bus, off, len, &busnr, &dev, &fn, &reg))
		bus_cfg_read(bus, busnr, dev, fn, reg, data, len);
	else
		memset(data, 0xff, len);
}

static void pio_write(void *opaque, uint64_t off, const uint8_t *data, uint32_t len)
{
	struct pci_bus *bus = opaque;
	unsigned busnr, dev, fn;
	uint32_t reg;
	if (off == 0 && len == 4) {
		atomic_store(&bus->cf8, get_le(data, 4) & CF8_MASK);
		return;
	}
	if (pio_decode(bus, off, len, &busnr, &dev, &fn, &reg))
		bus_cfg_write(bus, busnr, dev, fn, reg, data, len);
}

const struct bus_ops pci_cfg_pio_ops = {.read = pio_read, .write = pio_write};

/* ---- ECAM ---- */

static bool ecam_decode(uint64_t off, uint32_t len, unsigned *dev, unsigned *fn, uint32_t *reg)
{
	if (off >= PCI_ECAM_SIZE || len == 0 || len > 8)
		return false;
	*reg = (uint32_t)(off & (PCI_CFG_EXT_SIZE - 1));
	if (*reg + len > PCI_CFG_EXT_SIZE)
		return false;
	*dev = (unsigned)(off >> 15) & 0x1f;
	*fn = (unsigned)(off >> 12) & 0x7;
	return true;
}

static void ecam_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
	unsigned dev, fn;
	uint32_t reg;
	if (ecam_decode(off, len, &dev, &fn, &reg))
		bus_cfg_read(opaque, 0, dev, fn, reg, data, len);
	else
		memset(data, 0xff, len);
}

static void ecam_write(void *opaque, uint64_t off, const uint8_t *data, uint32_t len)
{
	unsigned dev, fn;
	uint32_t reg;
	if (ecam_decode(off, len, &dev, &fn, &reg))
		bus_cfg_write(opaque, 0, dev, fn, reg, data, len);
}

const struct bus_ops pci_ecam_ops = {.read = ecam_read, .write = ecam_write};

/* ---- BAR region dispatch ---- */

static const struct bar_region *region_find(const struct pci_bar *b, uint64_t off, uint32_t len)
{
	for (unsigned i = 0; i < b->nr_regions; i++) {
		const struct bar_region *r = &b->regions[i];
		if (off >= r->offset && off - r->offset < r->len)
			return len <= r->len - (off - r->offset) ? r : NULL;
	}
	return NULL;
}

static void bar_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
	const struct pci_bar *b = opaque;
	const struct bar_region *r = region_find(b, off, len);
	if (r && r->ops->read)
		r->ops->read(r->opaque, off - r->offset, data, len);
	else
		memset(data, 0, len);
}

static void bar_write(void *opaque, uint64_t off, const uint8_t *data, uint32_t len)
{
	const struct pci_bar *b = opaque;
	const struct bar_region *r = region_find(b, off, len);
	if (r && r->ops->write)
		r->ops->write(r->opaque, off - r->offset, data, len);
}

const struct bus_ops pci_bar_bus_ops = {.read = bar_read, .write = bar_write};

/* ---- devices ---- */

static void header_init(struct pci_device *d)
{
	const struct pci_device_info *in = &d->info;
	put_le(&d->cfg[PCI_VENDOR_ID], in->vendor_id, 2);
	put_le(&d->cfg[PCI_DEVICE_ID], in->device_id, 2);
	d->cfg[PCI_REVISION_ID] = in->revision;
	put_le(&d->cfg[PCI_CLASS_PROG], in->class_code & 0xffffff, 3);
	put_le(&d->cfg[PCI_SUBSYSTEM_VENDOR_ID], in->subsystem_vendor_id, 2);
	put_le(&d->cfg[PCI_SUBSYSTEM_ID], in->subsystem_id, 2);
	d->cfg[PCI_INTERRUPT_PIN] = in->interrupt_pin;
	put_le(&d->wmask[PCI_COMMAND], CMD_WMASK, 2);
	put_le(&d->w1c[PCI_STATUS], PCI_STATUS_W1C, 2);
	d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
	d->cap_end = PCI_CAP_START;
}

int pci_device_create(const struct pci_device_info *info, struct pci_device **out)
{
	*out = NULL;
	if (!info || !info->name || info->vendor_id == 0xffff || info->interrupt_pin > 4)
		return -EINVAL;
	struct pci_device *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	pthread_mutex_init(&d->lock, NULL);
	d->info = *info;
	d->slot = -1;
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		d->bars[i] = (struct pci_bar){.dev = d, .index = i, .mapped = PCI_BAR_NONE,
					      .refused = PCI_BAR_NONE};
	header_init(d);
	*out = d;
	return 0;
}

void pci_device_destroy(struct pci_device *dev)
{
	if (!dev)
		return;
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

int pci_bus_create(const struct pci_bus_config *cfg, struct pci_bus **out)
{
	*out = NULL;
	if (!cfg)
		return -EINVAL;
	struct pci_bus *bus = calloc(1, sizeof(*bus));
	if (!bus)
		return -ENOMEM;
	bus->cfg = *cfg;
	atomic_init(&bus->cf8, 0);
	struct pci_device_info hb = {.vendor_id = PCI_HOST_BRIDGE_VENDOR_ID,
				     .device_id = PCI_HOST_BRIDGE_DEVICE_ID,
				     .class_code = PCI_CLASS_HOST_BRIDGE,
				     .name = "host bridge"};
	int rc = pci_device_create(&hb, &bus->devs[0]);
	if (rc) {
		free(bus);
		return rc;
	}
	bus->devs[0]->bus = bus;
	bus->devs[0]->slot = 0;
	*out = bus;
	return 0;
}

void pci_bus_destroy(struct pci_bus *bus)
{
	if (!bus)
		return;
	for (unsigned i = 0; i < PCI_MAX_DEVICES; i++)
		pci_device_destroy(bus->devs[i]);
	free(bus);
}

int pci_bus_add_device(struct pci_bus *bus, struct pci_device *dev, int slot)
{
	if (!bus || !dev || dev->bus || slot == 0 || slot >= PCI_MAX_DEVICES)
		return -EINVAL;
	if (slot < 0) {
		for (slot = 1; slot < PCI_MAX_DEVICES && bus->devs[slot]; slot++)
			;
		if (slot == PCI_MAX_DEVICES)
			return -ENOSPC;
	} else if (bus->devs[slot]) {
		return -EBUSY;
	}
	pthread_mutex_lock(&dev->lock);
	dev->bus = bus;
	dev->slot = slot;
	pthread_mutex_unlock(&dev->lock);
	bus->devs[slot] = dev;
	return 0;
}

struct pci_device *pci_bus_device(struct pci_bus *bus, unsigned slot)
{
	return slot < PCI_MAX_DEVICES ? bus->devs[slot] : NULL;
}

/* ---- BAR set-up ---- */

static bool bar_slot_free(const struct pci_device *d, unsigned bar)
{
	return !d->bars[bar].present && !d->bars[bar].upper;
}

int pci_device_add_bar(struct pci_device *dev, unsigned bar, enum pci_bar_kind kind, uint64_t size,
		       bool prefetchable)
{
	unsigned slots = kind == PCI_BAR_MEM64 ? 2 : 1;
	if (bar + slots > PCI_NUM_BARS || !bar_size_ok(kind, size))
		return -EINVAL;
	if (kind == PCI_BAR_IO && prefetchable)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	int rc = -EINVAL;
	if (bar_slot_free(dev, bar) && (slots == 1 || bar_slot_free(dev, bar + 1))) {
		struct pci_bar *b = &dev->bars[bar];
		b->present = true;
		b->kind = kind;
		b->size = size;
		b->prefetch = prefetchable;
		if (slots == 2)
			dev->bars[bar + 1].upper = true;
		uint64_t m = bar_addr_mask(b);
		put_le(&dev->wmask[bar_reg(bar)], (uint32_t)m, 4);
		if (slots == 2)
			put_le(&dev->wmask[bar_reg(bar + 1)], (uint32_t)(m >> 32), 4);
		bar_store_addr_locked(dev, b, 0);
		rc = 0;
	}
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

static struct pci_bar *bar_get(struct pci_device *dev, unsigned bar)
{
	if (!dev || bar >= PCI_NUM_BARS || !dev->bars[bar].present)
		return NULL;
	return &dev->bars[bar];
}

int pci_bar_add_region(struct pci_device *dev, unsigned bar, uint64_t offset, uint64_t len,
		       const struct bus_ops *ops, void *opaque)
{
	struct pci_bar *b = bar_get(dev, bar);
	if (!b || !ops || len == 0 || len > b->size || offset > b->size - len)
		return -EINVAL;
	for (unsigned i = 0; i < b->nr_regions; i++) {
		const struct bar_region *r = &b->regions[i];
		if (offset < r->offset + r->len && r->offset < offset + len)
			return -EEXIST;
	}
	if (b->nr_regions == MAX_BAR_REGIONS)
		return -ENOSPC;
	b->regions[b->nr_regions++] = (struct bar_region){offset, len, ops, opaque};
	return 0;
}

int pci_bar_remove_region(struct pci_device *dev, unsigned bar, uint64_t offset)
{
	struct pci_bar *b = bar_get(dev, bar);
	if (!b)
		return -ENOENT;
	for (unsigned i = 0; i < b->nr_regions; i++) {
		if (b->regions[i].offset == offset) {
			b->regions[i] = b->regions[--b->nr_regions];
			return 0;
		}
	}
	return -ENOENT;
}

void *pci_bar_opaque(struct pci_device *dev, unsigned bar)
{
	return bar_get(dev, bar);
}

/* Contract: addr comes from the VMM (allocator or fixed layout). */
static bool bar_addr_fits(const struct pci_bar *b, uint64_t addr)
{
	if (addr & (b->size - 1))
		return false;
	if (b->kind == PCI_BAR_IO)
		return addr <= 0x10000 - b->size;
	if (b->kind == PCI_BAR_MEM32)
		return addr <= (1ULL << 32) - b->size;
	return addr + (b->size - 1) >= addr;
}

int pci_device_set_bar_addr(struct pci_device *dev, unsigned bar, uint64_t addr)
{
	struct pci_bar *b = bar_get(dev, bar);
	if (!b || !bar_addr_fits(b, addr))
		return -EINVAL;
	uint64_t before[PCI_NUM_BARS];
	pthread_mutex_lock(&dev->lock);
	bars_snapshot_locked(dev, before);
	bar_store_addr_locked(dev, b, addr);
	bars_forget_refusals_locked(dev, before);
	pthread_mutex_unlock(&dev->lock);
	bars_sync(dev);
	return 0;
}

uint64_t pci_device_bar_addr(struct pci_device *dev, unsigned bar)
{
	struct pci_bar *b = bar_get(dev, bar);
	if (!b)
		return PCI_BAR_NONE;
	pthread_mutex_lock(&dev->lock);
	uint64_t a = bar_addr_locked(dev, b);
	pthread_mutex_unlock(&dev->lock);
	return a;
}

uint64_t pci_device_bar_mapped(struct pci_device *dev, unsigned bar)
{
	struct pci_bar *b = bar_get(dev, bar);
	if (!b)
		return PCI_BAR_NONE;
	pthread_mutex_lock(&dev->lock);
	uint64_t a = b->mapped;
	pthread_mutex_unlock(&dev->lock);
	return a;
}

uint64_t pci_device_bar_size(struct pci_device *dev, unsigned bar)
{
	struct pci_bar *b = bar_get(dev, bar);
	return b ? b->size : 0;
}

enum pci_bar_kind pci_device_bar_kind(struct pci_device *dev, unsigned bar)
{
	struct pci_bar *b = bar_get(dev, bar);
	return b ? b->kind : PCI_BAR_MEM32;
}

/* ---- BAR allocation ---- */

struct bar_ref {
	struct pci_device *dev;
	struct pci_bar *bar;
};

/* Unassigned BARs of every device, largest first. Returns how many. */
static unsigned collect_unassigned(struct pci_bus *bus, struct bar_ref *refs)
{
	unsigned n = 0;
	for (unsigned s = 0; s < PCI_MAX_DEVICES; s++) {
		struct pci_device *d = bus->devs[s];
		for (unsigned i = 0; d && i < PCI_NUM_BARS; i++) {
			struct pci_bar *b = &d->bars[i];
			if (!b->present || pci_device_bar_addr(d, i) != 0)
				continue;
			unsigned k = n++;
			while (k > 0 && refs[k - 1].bar->size < b->size) {
				refs[k] = refs[k - 1];
				k--;
			}
			refs[k] = (struct bar_ref){d, b};
		}
	}
	return n;
}

/* Allocate a naturally aligned place for b from ra. An address the BAR
 * kind cannot hold (the VMM passed a window above 4 GiB for mem32, or above
 * 64 KiB for io) is given back and counts as no room. */
static int alloc_from(struct range_alloc *ra, const struct pci_bar *b, uint64_t *addr)
{
	if (!ra)
		return -ENOSPC;
	int rc = ra_alloc(ra, b->size, b->size, addr);
	if (rc == 0 && !bar_addr_fits(b, *addr)) {
		if (ra_free(ra, *addr) != 0)
			abort(); /* just allocated: a bug if it is gone */
		rc = -ENOSPC;
	}
	return rc;
}

/* io from io; mem32 from mmio32; a mem64 BAR of at most PCI_MEM64_LOW_MAX
 * bytes from mmio32 while it has room, else from mmio64; a larger one from
 * mmio64, else mmio32. */
static int alloc_one(const struct pci_bar *b, struct range_alloc *mmio32, struct range_alloc *mmio64,
		     struct range_alloc *io, uint64_t *addr)
{
	if (b->kind == PCI_BAR_IO)
		return alloc_from(io, b, addr);
	if (b->kind == PCI_BAR_MEM32)
		return alloc_from(mmio32, b, addr);
	bool low_first = b->size <= PCI_MEM64_LOW_MAX;
	int rc = alloc_from(low_first ? mmio32 : mmio64, b, addr);
	if (rc != 0)
		rc = alloc_from(low_first ? mmio64 : mmio32, b, addr);
	return rc;
}

int pci_bus_allocate_bars(struct pci_bus *bus, struct range_alloc *mmio32, struct range_alloc *mmio64,
			  struct range_alloc *io)
{
	struct bar_ref refs[PCI_MAX_DEVICES * PCI_NUM_BARS];
	unsigned n = collect_unassigned(bus, refs);
	for (unsigned k = 0; k < n; k++) {
		struct pci_bar *b = refs[k].bar;
		uint64_t addr = 0;
		int rc = alloc_one(b, mmio32, mmio64, io, &addr);
		if (rc == 0)
			rc = pci_device_set_bar_addr(refs[k].dev, b->index, addr);
		if (rc != 0) {
			log_error("pci: no room for %s BAR%u (%llu bytes): %s", refs[k].dev->info.name,
				  b->index, (unsigned long long)b->size, strerror(-rc));
			return -ENOSPC;
		}
	}
	return 0;
}

/* ---- capabilities ---- */

static bool cap_args_ok(const uint8_t *cap, uint8_t len, uint8_t *offset)
{
	if (!cap || !offset || len < 2)
		return false;
	return cap[0] != PCI_CAP_ID_VNDR || (len >= 3 && cap[2] == len);
}

static void cap_link_locked(struct pci_device *d, unsigned start)
{
	if (d->last_cap == 0)
		d->cfg[PCI_CAPABILITY_LIST] = (uint8_t)start;
	else
		d->cfg[d->last_cap + 1] = (uint8_t)start;
	d->last_cap = start;
	uint16_t st = (uint16_t)get_le(&d->cfg[PCI_STATUS], 2);
	put_le(&d->cfg[PCI_STATUS], st | PCI_STATUS_CAP_LIST, 2);
}

int pci_device_add_capability(struct pci_device *dev, const uint8_t *cap, uint8_t len,
			      const uint8_t *wmask, const struct pci_cfg_hooks *hooks, void *opaque,
			      uint8_t *offset)
{
	if (!dev || !cap_args_ok(cap, len, offset))
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	unsigned start = dev->cap_end;
	int rc = 0;
	if (start + len > PCI_CFG_SPACE_SIZE || (hooks && dev->nr_hooks == MAX_CFG_HOOKS)) {
		rc = -ENOSPC;
	} else {
		memcpy(&dev->cfg[start], cap, len);
		dev->cfg[start + 1] = 0;
		/* The header, and a vendor capability's length byte, stay read-only. */
		for (unsigned i = cap[0] == PCI_CAP_ID_VNDR ? 3 : 2; wmask && i < len; i++)
			dev->wmask[start + i] = wmask[i];
		cap_link_locked(dev, start);
		dev->cap_end = (start + len + 3) & ~3u;
		if (hooks)
			dev->hooks[dev->nr_hooks++] = (struct cfg_hook){start, len, hooks, opaque};
		*offset = (uint8_t)start;
	}
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

/* ---- device-side access ---- */

int pci_device_config_get(struct pci_device *dev, uint32_t off, uint8_t *data, uint32_t len)
{
	if (off > PCI_CFG_SPACE_SIZE || len > PCI_CFG_SPACE_SIZE - off)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	memcpy(data, &dev->cfg[off], len);
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

int pci_device_config_set(struct pci_device *dev, uint32_t off, const uint8_t *data, uint32_t len)
{
	if (off < PCI_CAP_START || off > PCI_CFG_SPACE_SIZE || len > PCI_CFG_SPACE_SIZE - off)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	memcpy(&dev->cfg[off], data, len);
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

void pci_device_set_status(struct pci_device *dev, uint16_t bits)
{
	pthread_mutex_lock(&dev->lock);
	uint16_t st = (uint16_t)get_le(&dev->cfg[PCI_STATUS], 2);
	put_le(&dev->cfg[PCI_STATUS], st | bits, 2);
	pthread_mutex_unlock(&dev->lock);
}

uint16_t pci_device_command(struct pci_device *dev)
{
	pthread_mutex_lock(&dev->lock);
	uint16_t cmd = (uint16_t)get_le(&dev->cfg[PCI_COMMAND], 2);
	pthread_mutex_unlock(&dev->lock);
	return cmd;
}

int pci_device_slot(const struct pci_device *dev)
{
	return dev->slot;
}

void *pci_device_owner(const struct pci_device *dev)
{
	return dev->info.owner;
}

const char *pci_device_name(const struct pci_device *dev)
{
	return dev->info.name;
}
