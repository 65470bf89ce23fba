/* pci/msix.c — MSI-X capability, table and PBA. See msix.h. */
#include "pci/msix.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

/* Capability layout (offsets from the capability start). */
#define CAP_CTRL 2
#define CAP_TABLE 4
#define CAP_PBA 8
#define BIR_MASK 0x7u

/* Dwords of a table entry. */
enum { ENT_ADDR_LO, ENT_ADDR_HI, ENT_DATA, ENT_CTRL };

struct msix_entry {
	uint32_t dw[4];
};

struct vec_state {
	uint64_t addr;
	uint32_t data;
	bool masked;
};

struct msix {
	pthread_mutex_t lock; /* everything below */
	struct msix_config cfg;
	struct pci_device *dev;
	struct msix_entry *table;
	uint64_t *pba;
	bool enabled, fmask;
	uint8_t cap_off;
	struct log_ratelimit rl;
};

/* ---- vector state (lock held) ---- */

static bool masked_with(const struct msix *m, uint16_t v, bool enabled, bool fmask)
{
	return !enabled || fmask || (m->table[v].dw[ENT_CTRL] & MSIX_VECTOR_MASKED);
}

static struct vec_state vec_state_locked(const struct msix *m, uint16_t v)
{
	const struct msix_entry *e = &m->table[v];
	return (struct vec_state){(uint64_t)e->dw[ENT_ADDR_HI] << 32 | e->dw[ENT_ADDR_LO], e->dw[ENT_DATA],
				  masked_with(m, v, m->enabled, m->fmask)};
}

static bool pending_locked(const struct msix *m, uint16_t v)
{
	return m->pba[v / 64] >> (v % 64) & 1;
}

static void set_pending_locked(struct msix *m, uint16_t v, bool on)
{
	if (on)
		m->pba[v / 64] |= 1ULL << (v % 64);
	else
		m->pba[v / 64] &= ~(1ULL << (v % 64));
}

/* Vector v's state may have changed from `before`: tell the VMM, then
 * deliver it if it is pending and now deliverable. */
static void vec_changed_locked(struct msix *m, uint16_t v, const struct vec_state *before)
{
	struct vec_state now = vec_state_locked(m, v);
	bool changed = now.addr != before->addr || now.data != before->data || now.masked != before->masked;
	if (changed && m->cfg.route_changed)
		m->cfg.route_changed(m->cfg.ctx, v, now.addr, now.data, now.masked);
	if (!now.masked && pending_locked(m, v)) {
		set_pending_locked(m, v, false);
		m->cfg.deliver(m->cfg.ctx, v, now.addr, now.data);
	}
}

/* ---- message control (config hooks; off relative to the capability) ---- */

static uint16_t ctrl_value_locked(const struct msix *m)
{
	return (uint16_t)((m->cfg.nr_vectors - 1) | (m->enabled ? MSIX_CTRL_ENABLE : 0) |
			  (m->fmask ? MSIX_CTRL_FMASK : 0));
}

static void cap_read(void *opaque, uint32_t off, uint8_t *data, uint32_t len)
{
	struct msix *m = opaque;
	pthread_mutex_lock(&m->lock);
	uint16_t ctrl = ctrl_value_locked(m);
	pthread_mutex_unlock(&m->lock);
	for (uint32_t i = 0; i < len; i++) {
		uint32_t r = off + i;
		if (r == CAP_CTRL || r == CAP_CTRL + 1)
			data[i] = (uint8_t)(ctrl >> (8 * (r - CAP_CTRL)));
	}
}

static void set_ctrl(struct msix *m, bool enabled, bool fmask)
{
	pthread_mutex_lock(&m->lock);
	bool old_en = m->enabled, old_fm = m->fmask;
	m->enabled = enabled;
	m->fmask = fmask;
	for (uint16_t v = 0; v < m->cfg.nr_vectors && (old_en != enabled || old_fm != fmask); v++) {
		struct vec_state before = vec_state_locked(m, v);
		before.masked = masked_with(m, v, old_en, old_fm);
		vec_changed_locked(m, v, &before);
	}
	pthread_mutex_unlock(&m->lock);
}

/* Contract: data is the guest's raw value; only bits 15 and 14 of message
 * control are taken from it (the table size byte is read-only). */
static void cap_write(void *opaque, uint32_t off, const uint8_t *data, uint32_t len)
{
	uint32_t hi = CAP_CTRL + 1;
	if (hi < off || hi - off >= len)
		return; /* the byte holding enable/function mask is not written */
	uint8_t b = data[hi - off];
	set_ctrl(opaque, b & (MSIX_CTRL_ENABLE >> 8), b & (MSIX_CTRL_FMASK >> 8));
}

static const struct pci_cfg_hooks cap_hooks = {.read = cap_read, .write = cap_write};

/* ---- table and PBA (BAR regions) ---- */

static bool access_ok(struct msix *m, uint64_t off, uint32_t len, uint64_t size, const char *what)
{
	if ((len == 4 || len == 8) && (off & (len - 1)) == 0 && off < size && len <= size - off)
		return true;
	log_ratelimited(&m->rl, LOG_DEBUG, "msix %s: ignored %u-byte %s access at 0x%llx",
			pci_device_name(m->dev), len, what, (unsigned long long)off);
	return false;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void table_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
	struct msix *m = opaque;
	memset(data, 0, len);
	if (!access_ok(m, off, len, MSIX_TABLE_SIZE(m->cfg.nr_vectors), "table"))
		return;
	uint16_t v = (uint16_t)(off / MSIX_ENTRY_SIZE);
	unsigned dw = (unsigned)(off % MSIX_ENTRY_SIZE) / 4;
	pthread_mutex_lock(&m->lock);
	for (unsigned k = 0; k < len / 4; k++)
		put32(data + 4 * k, m->table[v].dw[dw + k]);
	pthread_mutex_unlock(&m->lock);
}

/* Contract: guest values; reserved bits are dropped (address bits 1:0,
 * vector control bits 31:1). */
static void entry_store(struct msix_entry *e, unsigned dw, uint32_t val)
{
	if (dw == ENT_ADDR_LO)
		val &= ~3u;
	else if (dw == ENT_CTRL)
		val &= MSIX_VECTOR_MASKED;
	e->dw[dw] = val;
}

static void table_write(void *opaque, uint64_t off, const uint8_t *data, uint32_t len)
{
	struct msix *m = opaque;
	if (!access_ok(m, off, len, MSIX_TABLE_SIZE(m->cfg.nr_vectors), "table"))
		return;
	uint16_t v = (uint16_t)(off / MSIX_ENTRY_SIZE);
	unsigned dw = (unsigned)(off % MSIX_ENTRY_SIZE) / 4;
	pthread_mutex_lock(&m->lock);
	struct vec_state before = vec_state_locked(m, v);
	for (unsigned k = 0; k < len / 4; k++)
		entry_store(&m->table[v], dw + k, get32(data + 4 * k));
	vec_changed_locked(m, v, &before);
	pthread_mutex_unlock(&m->lock);
}

static void pba_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
	struct msix *m = opaque;
	memset(data, 0, len);
	if (!access_ok(m, off, len, MSIX_PBA_SIZE(m->cfg.nr_vectors), "PBA"))
		return;
	pthread_mutex_lock(&m->lock);
	uint64_t word = m->pba[off / 8];
	pthread_mutex_unlock(&m->lock);
	if (len == 4)
		put32(data, (uint32_t)(word >> (off % 8 ? 32 : 0)));
	else
		for (unsigned i = 0; i < 8; i++)
			data[i] = (uint8_t)(word >> (8 * i));
}

static void pba_write(void *opaque, uint64_t off, const uint8_t *data, uint32_t len)
{
	struct msix *m = opaque;
	log_ratelimited(&m->rl, LOG_DEBUG, "msix %s: ignored write to the PBA at 0x%llx",
			pci_device_name(m->dev), (unsigned long long)off);
}

static const struct bus_ops table_ops = {.read = table_read, .write = table_write};
static const struct bus_ops pba_ops = {.read = pba_read, .write = pba_write};

/* ---- creation ---- */

static bool bar_region_ok(struct pci_device *dev, unsigned bar, uint32_t off, uint64_t len)
{
	uint64_t size = pci_device_bar_size(dev, bar);
	if (size == 0 || pci_device_bar_kind(dev, bar) == PCI_BAR_IO || (off & 7))
		return false;
	return len <= size && off <= size - len;
}

static bool config_ok(struct pci_device *dev, const struct msix_config *c)
{
	if (!dev || !c || !c->deliver || c->nr_vectors == 0 || c->nr_vectors > MSIX_MAX_VECTORS)
		return false;
	uint64_t tlen = MSIX_TABLE_SIZE(c->nr_vectors), plen = MSIX_PBA_SIZE(c->nr_vectors);
	if (!bar_region_ok(dev, c->table_bar, c->table_offset, tlen) ||
	    !bar_region_ok(dev, c->pba_bar, c->pba_offset, plen))
		return false;
	if (c->table_bar != c->pba_bar)
		return true;
	return c->table_offset + tlen <= c->pba_offset || c->pba_offset + plen <= c->table_offset;
}

static struct msix *msix_alloc(struct pci_device *dev, const struct msix_config *c)
{
	struct msix *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->table = calloc(c->nr_vectors, sizeof(*m->table));
	m->pba = calloc(MSIX_PBA_SIZE(c->nr_vectors) / 8, sizeof(uint64_t));
	if (!m->table || !m->pba) {
		free(m->table);
		free(m->pba);
		free(m);
		return NULL;
	}
	for (uint16_t v = 0; v < c->nr_vectors; v++)
		m->table[v].dw[ENT_CTRL] = MSIX_VECTOR_MASKED;
	pthread_mutex_init(&m->lock, NULL);
	m->cfg = *c;
	m->dev = dev;
	return m;
}

static void cap_bytes(const struct msix_config *c, uint8_t cap[MSIX_CAP_LEN])
{
	memset(cap, 0, MSIX_CAP_LEN);
	cap[0] = PCI_CAP_ID_MSIX;
	uint16_t ctrl = (uint16_t)(c->nr_vectors - 1);
	cap[CAP_CTRL] = (uint8_t)ctrl;
	cap[CAP_CTRL + 1] = (uint8_t)(ctrl >> 8);
	put32(&cap[CAP_TABLE], c->table_offset | (c->table_bar & BIR_MASK));
	put32(&cap[CAP_PBA], c->pba_offset | (c->pba_bar & BIR_MASK));
}

/* Table region, PBA region, capability; undone in reverse on failure. */
static int msix_attach(struct msix *m)
{
	const struct msix_config *c = &m->cfg;
	struct pci_device *dev = m->dev;
	int rc = pci_bar_add_region(dev, c->table_bar, c->table_offset, MSIX_TABLE_SIZE(c->nr_vectors),
				    &table_ops, m);
	if (rc)
		return rc;
	rc = pci_bar_add_region(dev, c->pba_bar, c->pba_offset, MSIX_PBA_SIZE(c->nr_vectors), &pba_ops, m);
	if (rc)
		goto undo_table;
	uint8_t cap[MSIX_CAP_LEN];
	cap_bytes(c, cap);
	rc = pci_device_add_capability(dev, cap, MSIX_CAP_LEN, NULL, &cap_hooks, m, &m->cap_off);
	if (rc == 0)
		return 0;
	if (pci_bar_remove_region(dev, c->pba_bar, c->pba_offset))
		abort(); /* just added: a bug if it is gone */
undo_table:
	if (pci_bar_remove_region(dev, c->table_bar, c->table_offset))
		abort();
	return rc;
}

int msix_create(struct pci_device *dev, const struct msix_config *cfg, struct msix **out)
{
	*out = NULL;
	if (!config_ok(dev, cfg))
		return -EINVAL;
	struct msix *m = msix_alloc(dev, cfg);
	if (!m)
		return -ENOMEM;
	int rc = msix_attach(m);
	if (rc) {
		msix_destroy(m);
		return rc;
	}
	*out = m;
	return 0;
}

void msix_destroy(struct msix *msix)
{
	if (!msix)
		return;
	pthread_mutex_destroy(&msix->lock);
	free(msix->table);
	free(msix->pba);
	free(msix);
}

/* ---- device side ---- */

bool msix_notify(struct msix *m, uint16_t vector)
{
	if (vector >= m->cfg.nr_vectors)
		return false;
	pthread_mutex_lock(&m->lock);
	struct vec_state s = vec_state_locked(m, vector);
	if (s.masked)
		set_pending_locked(m, vector, true);
	else
		m->cfg.deliver(m->cfg.ctx, vector, s.addr, s.data);
	pthread_mutex_unlock(&m->lock);
	return !s.masked;
}

bool msix_enabled(struct msix *m)
{
	pthread_mutex_lock(&m->lock);
	bool r = m->enabled;
	pthread_mutex_unlock(&m->lock);
	return r;
}

bool msix_function_masked(struct msix *m)
{
	pthread_mutex_lock(&m->lock);
	bool r = m->fmask;
	pthread_mutex_unlock(&m->lock);
	return r;
}

int msix_get_vector(struct msix *m, uint16_t vector, uint64_t *addr, uint32_t *data, bool *masked)
{
	if (vector >= m->cfg.nr_vectors)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	struct vec_state s = vec_state_locked(m, vector);
	pthread_mutex_unlock(&m->lock);
	*addr = s.addr;
	*data = s.data;
	*masked = s.masked;
	return 0;
}

bool msix_pending(struct msix *m, uint16_t vector)
{
	if (vector >= m->cfg.nr_vectors)
		return false;
	pthread_mutex_lock(&m->lock);
	bool r = pending_locked(m, vector);
	pthread_mutex_unlock(&m->lock);
	return r;
}

uint16_t msix_nr_vectors(const struct msix *m)
{
	return m->cfg.nr_vectors;
}

uint8_t msix_cap_offset(const struct msix *m)
{
	return m->cap_off;
}
