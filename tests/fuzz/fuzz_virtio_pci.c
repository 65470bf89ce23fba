/* libFuzzer target: the virtio-pci transport (virtio/virtio_pci.c) and the
 * device core (virtio/device.c) of a virtio-rng and a virtio-console device
 * on a PCI root bus, driven by an arbitrary guest.
 *
 * World (rebuilt for every input): 64 KiB of fake guest RAM at 0; a PCI bus
 * with rng at 00:01.0 and console at 00:02.0 (console output to /dev/null,
 * no input); BAR 0 of each placed by "firmware" with memory decode on, and
 * bar_moved keeping a real MMIO `struct bus` up to date (the guest may move
 * or unmap the BARs). MSI-X deliver/route_changed are stubs that record and
 * check the vector. No KVM: notify writes reach the transport's own notify
 * region (no ioeventfd). Config accesses also reach the
 * VIRTIO_PCI_CAP_PCI_CFG window (BAR 0 through config space).
 * FUZZ_VIRTIO_PCI_TRACE=1 prints each device's final state (seed checks).
 *
 * The I/O thread: DRIVER_OK starts one per device. To keep runs
 * deterministic, the devices use a copy of their ops table whose
 * process_queue, on the I/O thread, does nothing; the queue work is done
 * synchronously by operation 5 on the fuzzer's thread with the real
 * process_queue, exactly as the I/O thread's run_queue would (skip when not
 * running, not ready or NEEDS_RESET; NEEDS_RESET on -EINVAL). Threads are
 * joined by resets and by virtio_device_destroy at the end of each input.
 *
 * Operation encoding: one opcode byte (bits 2:0 = what, bit 3 = write,
 * bits 5:4 = size 1/2/4/8, bit 6 = device: 0 rng, 1 console), then operands,
 * little-endian:
 *   0: CONFIG_ADDRESS (0xcf8) write, 4-byte value
 *   1: CONFIG_DATA access at 0xcfc + (1 byte & 3) (skipped if it would leave
 *      0xcfc-0xcff), value
 *   2: ECAM access to the device at (2 bytes) & 0xfff, value
 *   3: BAR access: 1 byte region (% 8: BAR 0's common, ISR, device cfg,
 *      notify, MSI-X table, PBA, anywhere in BAR 0; 7: the port notify BAR
 *      2), 2 bytes offset inside it, value
 *   4: guest RAM write: 2 bytes address, 1 byte n (% 33), n bytes
 *   5: the I/O thread's turn: run queue (1 byte % nr_queues) of the device
 *   6: ECAM access anywhere on bus 0: 3 bytes offset, value
 *   7: msix_notify of the device (1 byte vector)
 * Invariants checked after every operation (__builtin_trap): the status
 * byte obeys the transport's rules, a running device has DRIVER_OK, a ready
 * queue's rings lie inside guest RAM, interrupts only for existing vectors,
 * the identity registers never change. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus/bus.h"
#include "mem/guest_mem.h"
#include "pci/msix.h"
#include "pci/pci.h"
#include "util/log.h"
#include "virtio/registry.h"
#include "virtio/virtio_pci.h"

#include "fuzz_input.h"
#include "fuzz_pci.h"

#define RAM_SIZE 0x10000ull
#define NDEV 2
#define BAR_BASE 0xc0000000ull

struct fdev {
	const struct virtio_device_type *type;
	struct virtio_device_ops ops; /* copy with the deferred process_queue */
	struct virtio_device vdev;
	struct virtio_pci *vp;
	bool vdev_init;
	int slot;
	uint64_t mapped;     /* where BAR 0 is on the MMIO bus, or PCI_BAR_NONE */
	uint64_t mapped_pio; /* where BAR 2 is on the port bus, or PCI_BAR_NONE */
	uint16_t nvec;
	uint64_t deliveries, route_changes;
};

struct world {
	struct guest_mem gm;
	struct bus mmio, pio;
	struct pci_bus *pci;
	struct fdev dev[NDEV];
};

static struct world W;
static uint8_t ram[RAM_SIZE];
static int zero_fd = -1, null_fd = -1;

/* ---- the VMM side ---- */

static struct fdev *fdev_of(struct world *w, const struct pci_device *pdev)
{
	for (unsigned i = 0; i < NDEV; i++)
		if (w->dev[i].vp && virtio_pci_pci_device(w->dev[i].vp) == pdev)
			return &w->dev[i];
	return NULL;
}

static int bar_moved(void *ctx, const struct pci_bar_move *m)
{
	struct world *w = ctx;
	struct fdev *d = fdev_of(w, m->dev);
	trap_if(!d);
	bool port = m->bar == VIRTIO_PCI_PIO_BAR;
	if (port)
		trap_if(m->kind != PCI_BAR_IO || m->size != VIRTIO_PCI_PIO_SIZE);
	else
		trap_if(m->bar != VIRTIO_PCI_BAR || m->kind != PCI_BAR_MEM64 || m->size != VIRTIO_PCI_BAR_SIZE);
	uint64_t *mapped = port ? &d->mapped_pio : &d->mapped;
	struct bus *bus = port ? &w->pio : &w->mmio;
	trap_if(*mapped != m->old_addr);
	if (m->old_addr != PCI_BAR_NONE)
		trap_if(bus_remove(bus, m->old_addr) != 0);
	*mapped = PCI_BAR_NONE;
	if (m->new_addr == PCI_BAR_NONE)
		return 0;
	int rc = bus_insert(bus, m->new_addr, m->size, m->ops, m->opaque, m->name);
	if (rc == 0)
		*mapped = m->new_addr;
	return rc;
}

static void deliver(void *ctx, uint16_t vector, uint64_t addr, uint32_t data)
{
	struct fdev *d = ctx;
	(void)addr, (void)data;
	trap_if(vector >= d->nvec);
	d->deliveries++;
}

static void route_changed(void *ctx, uint16_t vector, uint64_t addr, uint32_t data, bool masked)
{
	struct fdev *d = ctx;
	(void)addr, (void)data, (void)masked;
	trap_if(vector >= d->nvec);
	d->route_changes++;
}

/* On the I/O thread: leave the work to operation 5. */
static int deferred_process(void *priv, struct virtio_device *vdev, unsigned q)
{
	(void)priv, (void)vdev, (void)q;
	return 0;
}

/* ---- world ---- */

static bool add_device(struct world *w, struct fdev *d, const struct virtio_device_type *type, int slot,
		       struct virtio_backend be)
{
	void *priv;
	d->type = type;
	d->slot = slot;
	d->mapped = d->mapped_pio = PCI_BAR_NONE;
	d->ops = *type->ops;
	d->ops.process_queue = deferred_process;
	d->nvec = (uint16_t)(d->ops.nr_queues + 1);
	if (type->create(&be, &priv))
		return false;
	if (virtio_device_init(&d->vdev, &d->ops, priv, type->name, &w->gm)) {
		type->ops->destroy(priv);
		return false;
	}
	d->vdev_init = true;
	struct virtio_pci_config vc = {deliver, route_changed, d, d};
	if (virtio_pci_create(&d->vdev, &vc, &d->vp))
		return false;
	if (virtio_pci_add_to_bus(d->vp, w->pci, slot))
		return false;
	struct pci_device *p = virtio_pci_pci_device(d->vp);
	/* Firmware: BAR 0 in the 32-bit window, memory decode on. */
	if (pci_device_set_bar_addr(p, VIRTIO_PCI_BAR, BAR_BASE + (uint64_t)slot * VIRTIO_PCI_BAR_SIZE))
		return false;
	uint16_t cmd = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	pci_ecam_ops.write(w->pci, (uint64_t)slot << 15 | PCI_COMMAND, (const uint8_t *)&cmd, 2);
	return d->mapped != PCI_BAR_NONE;
}

static bool world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	memset(ram, 0, sizeof(ram));
	if (gm_add_region(&w->gm, 0, RAM_SIZE, ram, -1))
		return false;
	bus_init(&w->mmio, "mmio");
	bus_init(&w->pio, "pio");
	struct pci_bus_config cfg = {bar_moved, w};
	if (pci_bus_create(&cfg, &w->pci))
		return false;
	return add_device(w, &w->dev[0], &virtio_rng_type, 1, (struct virtio_backend){zero_fd, -1}) &&
	       add_device(w, &w->dev[1], &virtio_console_type, 2, (struct virtio_backend){-1, null_fd});
}

static void world_fini(struct world *w)
{
	/* Devices first: this joins their I/O threads. */
	for (unsigned i = 0; i < NDEV; i++)
		if (w->dev[i].vdev_init)
			virtio_device_destroy(&w->dev[i].vdev);
	pci_bus_destroy(w->pci);
	for (unsigned i = 0; i < NDEV; i++)
		virtio_pci_destroy(w->dev[i].vp);
	bus_destroy(&w->mmio);
	bus_destroy(&w->pio);
}

/* ---- input ---- */

static void bar_access(struct fdev *d, unsigned region, uint64_t off, bool write, uint32_t len, uint64_t val)
{
	static const uint64_t base[6] = {VIRTIO_PCI_COMMON_OFF,	 VIRTIO_PCI_ISR_OFF,	    VIRTIO_PCI_DEVICE_OFF,
					 VIRTIO_PCI_NOTIFY_OFF,	 VIRTIO_PCI_MSIX_TABLE_OFF, VIRTIO_PCI_MSIX_PBA_OFF};
	region %= 8;
	if (region == 7) { /* the port notify BAR */
		off %= VIRTIO_PCI_PIO_SIZE;
		if (len <= VIRTIO_PCI_PIO_SIZE - off && d->mapped_pio != PCI_BAR_NONE)
			fuzz_bus_access(&W.pio, d->mapped_pio + off, write, len, val);
		return;
	}
	if (region < 6)
		off = base[region] + off % 0x100; /* registers are near the start of each region */
	else
		off %= VIRTIO_PCI_BAR_SIZE;
	if (len > VIRTIO_PCI_BAR_SIZE - off)
		return; /* the bus never hands a BAR an access past its end */
	if (d->mapped == PCI_BAR_NONE) {
		/* Not decoded: reach the regions anyway (as if through an
		 * ioeventfd-less path); the transport must not care. */
		do_access(&pci_bar_bus_ops, pci_bar_opaque(virtio_pci_pci_device(d->vp), VIRTIO_PCI_BAR), off,
			  write, len, val);
		return;
	}
	fuzz_bus_access(&W.mmio, d->mapped + off, write, len, val);
}

/* What the I/O thread's run_queue does, on this thread. */
static void run_queue(struct fdev *d, unsigned q)
{
	struct virtio_device *vd = &d->vdev;
	if (!vd->running || (atomic_load(&vd->status) & VIRTIO_STATUS_NEEDS_RESET) || !vd->queues[q].ready)
		return;
	if (d->type->ops->process_queue(vd->priv, vd, q) < 0)
		virtio_device_set_needs_reset(vd, vd->queues[q].broken_reason ? vd->queues[q].broken_reason
									       : "bad request");
}

static void run_op(struct world *w, struct input *in)
{
	uint8_t op = (uint8_t)take(in, 1);
	bool write = op & 8;
	uint32_t len = 1u << ((op >> 4) & 3);
	struct fdev *d = &w->dev[(op >> 6) & 1];
	switch (op & 7) {
	case 0:
		fuzz_pci_cfg_address(w->pci, in);
		break;
	case 1:
		fuzz_pci_cfg_data(w->pci, in, write, len);
		break;
	case 2:
		fuzz_pci_ecam_slot(w->pci, (unsigned)d->slot, in, write, len);
		break;
	case 3: {
		unsigned region = (unsigned)take(in, 1);
		uint64_t off = take(in, 2);
		bar_access(d, region, off, write, len, take(in, len));
		break;
	}
	case 4: {
		uint64_t gpa = take(in, 2);
		unsigned n = (unsigned)(take(in, 1) % 33);
		for (unsigned i = 0; i < n && in->n; i++)
			ram[(gpa + i) % RAM_SIZE] = (uint8_t)take(in, 1);
		break;
	}
	case 5:
		run_queue(d, (unsigned)(take(in, 1) % d->ops.nr_queues));
		break;
	case 6:
		fuzz_pci_ecam_any(w->pci, in, write, len);
		break;
	case 7:
		(void)msix_notify(virtio_pci_msix(d->vp), (uint16_t)take(in, 1));
		break;
	}
}

static bool in_ram(const void *p, uint64_t len)
{
	const uint8_t *b = p;
	return b >= ram && b <= ram + RAM_SIZE && len <= (uint64_t)(ram + RAM_SIZE - b);
}

static void check(struct world *w)
{
	for (unsigned i = 0; i < NDEV; i++) {
		struct fdev *d = &w->dev[i];
		struct virtio_device *vd = &d->vdev;
		uint8_t st = atomic_load(&vd->status);
		if (st & VIRTIO_STATUS_DRIVER_OK)
			trap_if(!(st & VIRTIO_STATUS_FEATURES_OK));
		if (st & VIRTIO_STATUS_FEATURES_OK)
			trap_if((vd->driver_features & ~vd->device_features) ||
				!(vd->driver_features & (1ULL << VIRTIO_F_VERSION_1)));
		if (vd->running)
			trap_if(!(st & VIRTIO_STATUS_DRIVER_OK));
		trap_if(virtio_pci_status(d->vp) != st);
		for (unsigned q = 0; q < d->ops.nr_queues; q++) {
			const struct virtq *vq = &vd->queues[q];
			if (!vq->ready)
				continue;
			trap_if(!in_ram(vq->desc, 16ull * vq->size) || !in_ram(vq->avail, 6 + 2ull * vq->size) ||
				!in_ram(vq->used, 6 + 8ull * vq->size));
		}
		trap_if(fuzz_pci_ecam_read32(w->pci, (unsigned)d->slot, 0) !=
			(VIRTIO_PCI_VENDOR_ID | (uint32_t)(VIRTIO_PCI_DEVICE_ID_BASE + d->ops.device_id) << 16));
		trap_if(pci_device_bar_mapped(virtio_pci_pci_device(d->vp), VIRTIO_PCI_BAR) != d->mapped);
	}
	trap_if(fuzz_pci_ecam_read32(w->pci, 0, 0) != 0x0d578086);
	trap_if(fuzz_pci_ecam_read32(w->pci, 3, 0) != 0xffffffff);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (zero_fd < 0) {
		log_set_level(LOG_ERROR); /* guest mistakes are logged at warn */
		zero_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
		null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		trap_if(zero_fd < 0 || null_fd < 0);
	}
	struct input in = {data, size};
	trap_if(!world_init(&W));
	check(&W);
	while (in.n) {
		run_op(&W, &in);
		check(&W);
	}
	if (getenv("FUZZ_VIRTIO_PCI_TRACE")) /* seed checking */
		for (unsigned i = 0; i < NDEV; i++)
			fprintf(stderr, "%s: status 0x%x, %llu interrupts, %llu route changes\n", W.dev[i].type->name,
				virtio_pci_status(W.dev[i].vp), (unsigned long long)W.dev[i].deliveries,
				(unsigned long long)W.dev[i].route_changes);
	world_fini(&W);
	return 0;
}
