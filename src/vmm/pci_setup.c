/* vmm/pci_setup.c — PCI bus, BAR placement, MSI-X routing, virtio-pci devices. */
#include "vmm/pci_setup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "arch/x86/layout.h"
#include "kvm/irq_routing.h"
#include "pci/msix.h"
#include "pci/pci.h"
#include "util/log.h"
#include "virtio/virtio_pci.h"

#define PCI_SETUP_MAX_VIRTIO 16
#define MAX_VECTORS (VIRTIO_MAX_QUEUES + 1)

struct pvdev {
	struct pci_setup *ps;
	struct virtio_device vdev;
	bool vdev_ok;
	struct virtio_pci *vp;
	char name[24];
	unsigned nr_vectors;
	uint32_t gsi[MAX_VECTORS];
	int irq_efd[MAX_VECTORS];
	uint64_t notify_at[2]; /* where the notify ioeventfds are (NOTIFY_MEM, NOTIFY_PIO), or PCI_BAR_NONE */
};

struct pci_setup {
	struct pci_setup_config cfg;
	struct pci_bus *bus;
	struct gsi_routes routes;
	bool routes_ok;
	bool cfg_pio_on, ecam_on;
	struct range_alloc mmio32, mmio64, io;
	bool ra_ok;
	struct pvdev *devs[PCI_SETUP_MAX_VIRTIO];
	unsigned nr_devs;
};

static struct log_ratelimit rl_irq = LOG_RATELIMIT_INIT;

void pci_setup_mmio64_window(uint64_t ram_end, uint64_t *start, uint64_t *end)
{
	uint64_t s = ram_end < GM_HIGH_RAM_START ? GM_HIGH_RAM_START : ram_end;
	s = (s + (1ULL << 30) - 1) & ~((1ULL << 30) - 1);
	*start = s;
	*end = s + X86_PCI_MMIO64_SIZE - 1;
}

/* ---- notify ioeventfds ------------------------------------------------------ */

enum { NOTIFY_MEM, NOTIFY_PIO }; /* the notify registers in BAR 0 and in BAR 2 */

/* Which notify BAR a BAR move concerns, or -1. */
static int notify_kind(const struct pvdev *d, unsigned bar)
{
	if (!d)
		return -1;
	return bar == VIRTIO_PCI_BAR ? NOTIFY_MEM : bar == VIRTIO_PCI_PIO_BAR ? NOTIFY_PIO : -1;
}

static void set_ioeventfds(struct pvdev *d, int kind, uint64_t base, bool assign)
{
	for (unsigned q = 0; q < d->vdev.ops->nr_queues; q++) {
		uint64_t a = kind == NOTIFY_PIO ? virtio_pci_notify_port(base, q) : virtio_pci_notify_addr(base, q);
		int rc = kvm_ioeventfd(d->ps->cfg.kvm, virtio_device_kick_fd(&d->vdev, q), a, 2, kind == NOTIFY_PIO,
				       assign);
		if (rc)
			log_ratelimited(&rl_irq, LOG_WARN, "%s: ioeventfd %s at %s 0x%llx: %s (notifications exit to the VMM)",
					d->name, assign ? "assign" : "deassign", kind == NOTIFY_PIO ? "port" : "address",
					(unsigned long long)a, strerror(-rc));
	}
}

/* ---- BAR placement (vCPU threads) ------------------------------------------ */

static int bar_moved(void *ctx, const struct pci_bar_move *m)
{
	struct pci_setup *ps = ctx;
	struct bus *bus = m->kind == PCI_BAR_IO ? ps->cfg.pio : ps->cfg.mmio;
	struct pvdev *d = pci_device_owner(m->dev);
	int kind = notify_kind(d, m->bar);
	if (m->old_addr != PCI_BAR_NONE) {
		if (bus_remove(bus, m->old_addr))
			log_ratelimited(&rl_irq, LOG_WARN, "%s: BAR%u was not on the bus at 0x%llx", m->name, m->bar,
					(unsigned long long)m->old_addr);
		if (kind >= 0 && d->notify_at[kind] == m->old_addr) {
			set_ioeventfds(d, kind, m->old_addr, false);
			d->notify_at[kind] = PCI_BAR_NONE;
		}
	}
	if (m->new_addr == PCI_BAR_NONE)
		return 0;
	int rc = bus_insert(bus, m->new_addr, m->size, m->ops, m->opaque, m->name);
	if (rc) {
		log_ratelimited(&rl_irq, LOG_WARN, "%s: BAR%u refused at 0x%llx: %s", m->name, m->bar,
				(unsigned long long)m->new_addr, strerror(-rc));
		return rc;
	}
	if (kind >= 0) {
		set_ioeventfds(d, kind, m->new_addr, true);
		d->notify_at[kind] = m->new_addr;
	}
	log_debug("%s: BAR%u at 0x%llx", m->name, m->bar, (unsigned long long)m->new_addr);
	return 0;
}

/* ---- MSI-X (vCPU threads, device threads) --------------------------------- */

static void msix_deliver(void *ctx, uint16_t vector, uint64_t addr, uint32_t data)
{
	struct pvdev *d = ctx;
	(void)addr, (void)data;
	if (vector >= d->nr_vectors)
		return;
	uint64_t one = 1;
	if (write(d->irq_efd[vector], &one, sizeof(one)) < 0)
		log_ratelimited(&rl_irq, LOG_WARN, "%s: irqfd write: %s", d->name, strerror(errno));
}

static void msix_route_changed(void *ctx, uint16_t vector, uint64_t addr, uint32_t data, bool masked)
{
	struct pvdev *d = ctx;
	if (vector >= d->nr_vectors)
		return;
	int rc = kvm_irq_set_msi_route(&d->ps->routes, d->gsi[vector], addr, data, !masked);
	if (rc)
		log_ratelimited(&rl_irq, LOG_WARN, "%s: MSI route for vector %u: %s", d->name, vector, strerror(-rc));
}

/* ---- set-up ---------------------------------------------------------------- */

int pci_setup_create(const struct pci_setup_config *cfg, struct pci_setup **out)
{
	*out = NULL;
	struct pci_setup *ps = calloc(1, sizeof(*ps));
	if (!ps)
		return -ENOMEM;
	ps->cfg = *cfg;
	int rc = gsi_routes_init(&ps->routes, cfg->kvm);
	ps->routes_ok = rc == 0;
	if (!rc)
		rc = ra_init(&ps->mmio32, X86_PCI_MMIO32_START, X86_PCI_MMIO32_START + X86_PCI_MMIO32_SIZE - 1);
	if (!rc)
		rc = ra_init(&ps->mmio64, cfg->mmio64_start, cfg->mmio64_end);
	if (!rc)
		rc = ra_init(&ps->io, X86_PCI_IO_START, X86_PCI_IO_END);
	ps->ra_ok = rc == 0;
	struct pci_bus_config bc = {bar_moved, ps};
	if (!rc)
		rc = pci_bus_create(&bc, &ps->bus);
	if (!rc) {
		rc = bus_insert(cfg->pio, PCI_CFG_PIO_BASE, PCI_CFG_PIO_LEN, &pci_cfg_pio_ops, ps->bus, "pci-cfg");
		ps->cfg_pio_on = rc == 0;
	}
	if (!rc) {
		rc = bus_insert(cfg->mmio, X86_PCI_ECAM_ADDR, X86_PCI_ECAM_SIZE, &pci_ecam_ops, ps->bus, "pci-ecam");
		ps->ecam_on = rc == 0;
	}
	if (rc) {
		log_error("cannot create the PCI bus: %s", strerror(-rc));
		pci_setup_destroy(ps);
		return rc;
	}
	*out = ps;
	return 0;
}

static int pvdev_irqs(struct pvdev *d)
{
	for (unsigned v = 0; v < d->nr_vectors; v++) {
		int rc = kvm_irq_alloc_msi_gsi(&d->ps->routes, &d->gsi[v]);
		if (rc)
			return rc;
		d->irq_efd[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (d->irq_efd[v] < 0)
			return -errno;
		rc = kvm_irqfd(d->ps->cfg.kvm, d->irq_efd[v], d->gsi[v], true);
		if (rc)
			return rc;
	}
	return 0;
}

static void pvdev_free_irqs(struct pvdev *d)
{
	for (unsigned v = 0; v < d->nr_vectors; v++) {
		if (d->irq_efd[v] >= 0) {
			if (d->gsi[v] && kvm_irqfd(d->ps->cfg.kvm, d->irq_efd[v], d->gsi[v], false)) {
				/* VM is going away anyway */
			}
			close(d->irq_efd[v]);
		}
		if (d->gsi[v])
			kvm_irq_free_msi_gsi(&d->ps->routes, d->gsi[v]);
	}
}

static int add_device(struct pci_setup *ps, const char *type_name, const struct virtio_device_ops *ops, void *priv,
		      int create_rc);

int pci_setup_add_virtio(struct pci_setup *ps, const struct virtio_device_type *type, const struct virtio_backend *be)
{
	void *priv = NULL;
	int rc = type->create(be, &priv);
	return add_device(ps, type->name, type->ops, priv, rc);
}

int pci_setup_add_virtio_ops(struct pci_setup *ps, const char *type_name, const struct virtio_device_ops *ops,
			     void *priv)
{
	return add_device(ps, type_name, ops, priv, 0);
}

/* priv is owned from here (freed through ops->destroy), unless create_rc
 * says there is none. */
static int add_device(struct pci_setup *ps, const char *type_name, const struct virtio_device_ops *ops, void *priv,
		      int create_rc)
{
	if (ps->nr_devs >= PCI_SETUP_MAX_VIRTIO) {
		if (!create_rc && ops->destroy)
			ops->destroy(priv);
		return -ENOSPC;
	}
	struct pvdev *d = calloc(1, sizeof(*d));
	if (!d) {
		if (!create_rc && ops->destroy)
			ops->destroy(priv);
		return -ENOMEM;
	}
	d->ps = ps;
	d->notify_at[NOTIFY_MEM] = d->notify_at[NOTIFY_PIO] = PCI_BAR_NONE;
	for (unsigned v = 0; v < MAX_VECTORS; v++)
		d->irq_efd[v] = -1;
	ps->devs[ps->nr_devs++] = d;
	snprintf(d->name, sizeof(d->name), "virtio-%s%u", type_name, ps->nr_devs - 1);
	int rc = create_rc;
	if (!rc) {
		rc = virtio_device_init(&d->vdev, ops, priv, d->name, ps->cfg.gm);
		d->vdev_ok = true; /* destroy frees priv and fds */
	}
	if (!rc) {
		d->nr_vectors = ops->nr_queues + 1;
		rc = pvdev_irqs(d);
	}
	if (!rc)
		rc = virtio_device_start(&d->vdev); /* here, on the control thread: not inherited from a vCPU */
	struct virtio_pci_config vc = {msix_deliver, msix_route_changed, d, d};
	if (!rc)
		rc = virtio_pci_create(&d->vdev, &vc, &d->vp);
	if (!rc)
		rc = virtio_pci_add_to_bus(d->vp, ps->bus, -1);
	if (rc)
		log_error("cannot create %s: %s", d->name, strerror(-rc));
	else
		log_info("%s on PCI slot %d", d->name, pci_device_slot(virtio_pci_pci_device(d->vp)));
	return rc;
}

int pci_setup_allocate_bars(struct pci_setup *ps)
{
	int rc = pci_bus_allocate_bars(ps->bus, &ps->mmio32, &ps->mmio64, &ps->io);
	if (rc)
		log_error("cannot place the PCI BARs: %s", strerror(-rc));
	return rc;
}

void pci_setup_pause(struct pci_setup *ps, bool pause)
{
	for (unsigned i = 0; ps && i < ps->nr_devs; i++) {
		struct pvdev *d = ps->devs[i];
		if (!d || !d->vdev_ok)
			continue;
		if (pause)
			virtio_device_pause(&d->vdev);
		else
			virtio_device_resume(&d->vdev);
	}
}

void pci_setup_destroy(struct pci_setup *ps)
{
	if (!ps)
		return;
	for (unsigned i = 0; i < ps->nr_devs; i++) {
		struct pvdev *d = ps->devs[i];
		for (int kind = NOTIFY_MEM; kind <= NOTIFY_PIO; kind++) {
			if (d->notify_at[kind] != PCI_BAR_NONE)
				set_ioeventfds(d, kind, d->notify_at[kind], false); /* needs the device's queue count */
			d->notify_at[kind] = PCI_BAR_NONE;
		}
		if (d->vdev_ok)
			virtio_device_destroy(&d->vdev); /* stops its I/O thread */
	}
	if (ps->ecam_on && bus_remove(ps->cfg.mmio, X86_PCI_ECAM_ADDR)) {
		/* cannot fail: inserted above */
	}
	if (ps->cfg_pio_on && bus_remove(ps->cfg.pio, PCI_CFG_PIO_BASE)) {
		/* cannot fail: inserted above */
	}
	if (ps->bus)
		pci_bus_destroy(ps->bus);
	for (unsigned i = 0; i < ps->nr_devs; i++) {
		struct pvdev *d = ps->devs[i];
		virtio_pci_destroy(d->vp);
		pvdev_free_irqs(d);
		free(d);
	}
	if (ps->ra_ok) {
		ra_destroy(&ps->mmio32);
		ra_destroy(&ps->mmio64);
		ra_destroy(&ps->io);
	}
	if (ps->routes_ok)
		gsi_routes_destroy(&ps->routes);
	free(ps);
}
