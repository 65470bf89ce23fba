/* virtio/virtio_pci.c — the virtio-pci modern transport. */
#include "virtio/virtio_pci.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

struct virtio_pci {
	struct virtio_device *vdev;
	struct pci_device *pdev; /* owned by the bus once added */
	bool pdev_on_bus;
	struct msix *msix;
	pthread_mutex_t lock; /* common config registers */
	uint32_t dfselect, gfselect;
	uint16_t config_vector;
	uint16_t queue_select;
	uint16_t queue_vector[VIRTIO_MAX_QUEUES];
	uint8_t config_generation;
	_Atomic uint8_t isr;
	uint8_t pci_cfg_off; /* config-space offset of the PCI_CFG capability */
};

static struct log_ratelimit rl_guest = LOG_RATELIMIT_INIT;

/* ---- interrupts (I/O thread) ------------------------------------------ */

static void signal_queue(void *ctx, unsigned q)
{
	struct virtio_pci *vp = ctx;
	atomic_fetch_or(&vp->isr, VIRTIO_PCI_ISR_QUEUE);
	msix_notify(vp->msix, __atomic_load_n(&vp->queue_vector[q], __ATOMIC_ACQUIRE));
}

static void signal_config(void *ctx)
{
	struct virtio_pci *vp = ctx;
	atomic_fetch_or(&vp->isr, VIRTIO_PCI_ISR_CONFIG);
	msix_notify(vp->msix, __atomic_load_n(&vp->config_vector, __ATOMIC_ACQUIRE));
}

/* ---- common configuration ---------------------------------------------- */

static struct virtq *selected_queue(struct virtio_pci *vp)
{
	return vp->queue_select < vp->vdev->ops->nr_queues ? &vp->vdev->queues[vp->queue_select] : NULL;
}

/* Value of the register at `off` (a field start), with its width in *size. */
static uint64_t common_get(struct virtio_pci *vp, uint32_t off, uint32_t *size)
{
	struct virtio_device *vd = vp->vdev;
	struct virtq *q = selected_queue(vp);
	*size = 4;
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT: return vp->dfselect;
	case VIRTIO_PCI_COMMON_DF:
		return vp->dfselect < 2 ? (uint32_t)(vd->device_features >> (32 * vp->dfselect)) : 0;
	case VIRTIO_PCI_COMMON_GFSELECT: return vp->gfselect;
	case VIRTIO_PCI_COMMON_GF:
		return vp->gfselect < 2 ? (uint32_t)(vd->driver_features >> (32 * vp->gfselect)) : 0;
	case VIRTIO_PCI_COMMON_MSIX: *size = 2; return vp->config_vector;
	case VIRTIO_PCI_COMMON_NUMQ: *size = 2; return vd->ops->nr_queues;
	case VIRTIO_PCI_COMMON_STATUS: *size = 1; return atomic_load(&vd->status);
	case VIRTIO_PCI_COMMON_CFGGENERATION: *size = 1; return vp->config_generation;
	case VIRTIO_PCI_COMMON_Q_SELECT: *size = 2; return vp->queue_select;
	case VIRTIO_PCI_COMMON_Q_SIZE: *size = 2; return q ? q->size : 0;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		*size = 2;
		return q ? vp->queue_vector[vp->queue_select] : VIRTIO_PCI_NO_VECTOR;
	case VIRTIO_PCI_COMMON_Q_ENABLE: *size = 2; return q ? q->ready : 0;
	case VIRTIO_PCI_COMMON_Q_NOFF: *size = 2; return q ? vp->queue_select : 0;
	case VIRTIO_PCI_COMMON_Q_DESCLO: *size = 8; return q ? q->desc_addr : 0;
	case VIRTIO_PCI_COMMON_Q_AVAILLO: *size = 8; return q ? q->avail_addr : 0;
	case VIRTIO_PCI_COMMON_Q_USEDLO: *size = 8; return q ? q->used_addr : 0;
	}
	*size = 1;
	return 0;
}

static void device_reset(struct virtio_pci *vp)
{
	virtio_device_reset(vp->vdev);
	vp->dfselect = vp->gfselect = 0;
	vp->queue_select = 0;
	__atomic_store_n(&vp->config_vector, VIRTIO_PCI_NO_VECTOR, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		__atomic_store_n(&vp->queue_vector[i], VIRTIO_PCI_NO_VECTOR, __ATOMIC_RELEASE);
	atomic_store(&vp->isr, 0);
}

static void set_status(struct virtio_pci *vp, uint8_t new)
{
	struct virtio_device *vd = vp->vdev;
	uint8_t old = atomic_load(&vd->status);
	if (new == 0) {
		device_reset(vp);
		return;
	}
	/* NEEDS_RESET is the device's bit: keep it, the driver cannot set it. */
	new = (uint8_t)((new & ~VIRTIO_STATUS_NEEDS_RESET) | (old & VIRTIO_STATUS_NEEDS_RESET));
	if ((old & new) != old) {
		log_ratelimited(&rl_guest, LOG_WARN, "virtio %s: driver cleared status bits (0x%x -> 0x%x)", vd->name,
				old, new);
		return;
	}
	uint8_t added = new & (uint8_t)~old;
	if (added & VIRTIO_STATUS_FEATURES_OK) {
		uint64_t f = vd->driver_features;
		if ((f & ~vd->device_features) || !(f & (1ULL << VIRTIO_F_VERSION_1))) {
			log_ratelimited(&rl_guest, LOG_WARN, "virtio %s: driver features 0x%llx refused", vd->name,
					(unsigned long long)f);
			new &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
		} else {
			for (unsigned i = 0; i < vd->ops->nr_queues; i++)
				virtq_set_features(&vd->queues[i], f);
		}
	}
	if ((added & VIRTIO_STATUS_DRIVER_OK) && !(new & VIRTIO_STATUS_FEATURES_OK)) {
		log_ratelimited(&rl_guest, LOG_WARN, "virtio %s: DRIVER_OK without FEATURES_OK", vd->name);
		new &= (uint8_t)~VIRTIO_STATUS_DRIVER_OK;
	}
	atomic_store(&vd->status, new);
	if ((new & VIRTIO_STATUS_DRIVER_OK) && (added & VIRTIO_STATUS_DRIVER_OK) &&
	    !(new & VIRTIO_STATUS_NEEDS_RESET)) {
		int rc = virtio_device_activate(vd);
		if (rc) {
			log_error("virtio %s: cannot start the device: %s", vd->name, strerror(-rc));
			virtio_device_set_needs_reset(vd, "activation failed");
		}
	}
}

static bool queue_writable(struct virtio_pci *vp, struct virtq *q)
{
	if (!q || q->ready || (atomic_load(&vp->vdev->status) & VIRTIO_STATUS_DRIVER_OK)) {
		log_ratelimited(&rl_guest, LOG_WARN, "virtio %s: write to queue %u registers refused (%s)",
				vp->vdev->name, vp->queue_select, !q ? "no such queue" : "queue live");
		return false;
	}
	return true;
}

static void enable_queue(struct virtio_pci *vp, struct virtq *q, uint16_t v)
{
	if (v != 1) {
		log_ratelimited(&rl_guest, LOG_WARN, "virtio %s: queue_enable %u ignored", vp->vdev->name, v);
		return;
	}
	if (virtq_enable(q, vp->vdev->gm)) {
		virtio_device_set_needs_reset(vp->vdev, "queue enabled with invalid rings");
		return;
	}
}

static void common_set(struct virtio_pci *vp, uint32_t off, uint64_t v)
{
	struct virtio_device *vd = vp->vdev;
	struct virtq *q = selected_queue(vp);
	uint8_t status = atomic_load(&vd->status);
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT: vp->dfselect = (uint32_t)v; break;
	case VIRTIO_PCI_COMMON_GFSELECT: vp->gfselect = (uint32_t)v; break;
	case VIRTIO_PCI_COMMON_GF:
		if (status & VIRTIO_STATUS_FEATURES_OK) {
			log_ratelimited(&rl_guest, LOG_WARN, "virtio %s: feature write after FEATURES_OK", vd->name);
		} else if (vp->gfselect < 2) {
			unsigned sh = 32 * vp->gfselect;
			vd->driver_features = (vd->driver_features & ~(0xffffffffULL << sh)) | ((v & 0xffffffffULL) << sh);
		}
		break;
	case VIRTIO_PCI_COMMON_MSIX:
		__atomic_store_n(&vp->config_vector, (uint16_t)v, __ATOMIC_RELEASE);
		break;
	case VIRTIO_PCI_COMMON_STATUS: set_status(vp, (uint8_t)v); break;
	case VIRTIO_PCI_COMMON_Q_SELECT: vp->queue_select = (uint16_t)v; break;
	case VIRTIO_PCI_COMMON_Q_SIZE:
		if (queue_writable(vp, q))
			q->size = (uint16_t)v; /* validated by virtq_enable */
		break;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		if (q)
			__atomic_store_n(&vp->queue_vector[vp->queue_select], (uint16_t)v, __ATOMIC_RELEASE);
		break;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		if (queue_writable(vp, q))
			enable_queue(vp, q, (uint16_t)v);
		break;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
		if (queue_writable(vp, q))
			q->desc_addr = v;
		break;
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
		if (queue_writable(vp, q))
			q->avail_addr = v;
		break;
	case VIRTIO_PCI_COMMON_Q_USEDLO:
		if (queue_writable(vp, q))
			q->used_addr = v;
		break;
	default: break; /* read-only */
	}
}

/* Field starts, in order; each field ends where the next begins. */
static const uint32_t field_starts[] = {
	VIRTIO_PCI_COMMON_DFSELECT, VIRTIO_PCI_COMMON_DF,	  VIRTIO_PCI_COMMON_GFSELECT,
	VIRTIO_PCI_COMMON_GF,	    VIRTIO_PCI_COMMON_MSIX,	  VIRTIO_PCI_COMMON_NUMQ,
	VIRTIO_PCI_COMMON_STATUS,   VIRTIO_PCI_COMMON_CFGGENERATION, VIRTIO_PCI_COMMON_Q_SELECT,
	VIRTIO_PCI_COMMON_Q_SIZE,   VIRTIO_PCI_COMMON_Q_MSIX,	  VIRTIO_PCI_COMMON_Q_ENABLE,
	VIRTIO_PCI_COMMON_Q_NOFF,   VIRTIO_PCI_COMMON_Q_DESCLO,	  VIRTIO_PCI_COMMON_Q_AVAILLO,
	VIRTIO_PCI_COMMON_Q_USEDLO,
};
#define NR_FIELDS (sizeof(field_starts) / sizeof(field_starts[0]))

static void common_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
	struct virtio_pci *vp = opaque;
	memset(data, 0, len);
	pthread_mutex_lock(&vp->lock);
	for (unsigned i = 0; i < NR_FIELDS; i++) {
		uint32_t size, start = field_starts[i];
		uint64_t v = common_get(vp, start, &size);
		for (uint32_t b = 0; b < size; b++) {
			uint64_t at = (uint64_t)start + b;
			if (at >= offset && at < offset + len)
				data[at - offset] = (uint8_t)(v >> (8 * b));
		}
	}
	pthread_mutex_unlock(&vp->lock);
}

/* Contract: the guest value is untrusted; each overlapped field is merged
 * byte-wise (so 64-bit addresses may be written as two dwords) and applied
 * through common_set, which checks the state machine. */
static void common_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
	struct virtio_pci *vp = opaque;
	pthread_mutex_lock(&vp->lock);
	for (unsigned i = 0; i < NR_FIELDS; i++) {
		uint32_t size, start = field_starts[i];
		if (start >= offset + len || start + 8 <= offset)
			continue;
		uint64_t v = common_get(vp, start, &size);
		bool hit = false;
		for (uint32_t b = 0; b < size; b++) {
			uint64_t at = (uint64_t)start + b;
			if (at >= offset && at < offset + len) {
				v = (v & ~(0xffULL << (8 * b))) | ((uint64_t)data[at - offset] << (8 * b));
				hit = true;
			}
		}
		if (hit)
			common_set(vp, start, v);
	}
	pthread_mutex_unlock(&vp->lock);
}

static const struct bus_ops common_ops = {common_read, common_write};

/* ---- ISR, device config, notify ---------------------------------------- */

static void isr_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
	struct virtio_pci *vp = opaque;
	memset(data, 0, len);
	if (offset == 0)
		data[0] = atomic_exchange(&vp->isr, 0); /* read clears */
}

static void ignore_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
	(void)opaque, (void)offset, (void)data, (void)len;
}

static const struct bus_ops isr_ops = {isr_read, ignore_write};

static void devcfg_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
	struct virtio_pci *vp = opaque;
	const struct virtio_device_ops *ops = vp->vdev->ops;
	memset(data, 0, len);
	if (offset + len <= ops->config_size && ops->config_read)
		ops->config_read(vp->vdev->priv, (uint32_t)offset, data, len);
}

static void devcfg_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
	struct virtio_pci *vp = opaque;
	const struct virtio_device_ops *ops = vp->vdev->ops;
	if (offset + len <= ops->config_size && ops->config_write)
		ops->config_write(vp->vdev->priv, (uint32_t)offset, data, len);
}

static const struct bus_ops devcfg_ops = {devcfg_read, devcfg_write};

static void notify_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
	(void)opaque, (void)offset;
	memset(data, 0, len);
}

/* Reached only when no KVM ioeventfd covers the address (unit tests, or
 * before the VMM registered them). */
static void notify_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
	struct virtio_pci *vp = opaque;
	(void)data, (void)len;
	uint64_t q = offset / VIRTIO_PCI_NOTIFY_MULT;
	if (q >= vp->vdev->ops->nr_queues)
		return;
	uint64_t one = 1;
	if (write(virtio_device_kick_fd(vp->vdev, (unsigned)q), &one, sizeof(one)) < 0) {
		/* counter full: a wake-up is pending anyway */
	}
}

static const struct bus_ops notify_ops = {notify_read, notify_write};
_Static_assert(VIRTIO_PCI_PIO_SIZE >= VIRTIO_MAX_QUEUES * VIRTIO_PCI_NOTIFY_MULT, "port notify BAR too small");

/* ---- VIRTIO_PCI_CAP_PCI_CFG: BAR 0 through config space ------------------ */

/* The BAR access the capability's fields select, if it is one we execute.
 * Contract: the fields are guest-written (any value); *off + *len <= BAR
 * size and *len is 1, 2 or 4 on success. */
static bool pci_cfg_target(struct virtio_pci *vp, const uint8_t *cap, uint32_t *off, uint32_t *len)
{
	uint32_t o, l;
	memcpy(&o, &cap[VIRTIO_PCI_CFG_CAP_OFFSET], 4);
	memcpy(&l, &cap[VIRTIO_PCI_CFG_CAP_LENGTH], 4);
	if (cap[VIRTIO_PCI_CFG_CAP_BAR] != VIRTIO_PCI_BAR || (l != 1 && l != 2 && l != 4) || o % l ||
	    o >= VIRTIO_PCI_BAR_SIZE || l > VIRTIO_PCI_BAR_SIZE - o) {
		/* length 0 is the reset state: config-space dumps (lspci -xxx)
		 * read pci_cfg_data, which is not worth a warning */
		if (l)
			log_ratelimited(&rl_guest, LOG_WARN,
					"virtio %s: pci_cfg access refused (bar %u offset 0x%x length %u)", vp->vdev->name,
					cap[VIRTIO_PCI_CFG_CAP_BAR], o, l);
		return false;
	}
	*off = o;
	*len = l;
	return true;
}

static bool touches_data(uint32_t off, uint32_t len)
{
	return off + len > VIRTIO_PCI_CFG_CAP_DATA;
}

/* A config read of [off, off + len) of the capability (data holds the
 * stored bytes): if it touches pci_cfg_data, do the BAR read now. */
static void pci_cfg_read(void *opaque, uint32_t off, uint8_t *data, uint32_t len)
{
	struct virtio_pci *vp = opaque;
	uint8_t cap[VIRTIO_PCI_CFG_CAP_LEN];
	uint32_t boff, blen;
	if (!touches_data(off, len) || pci_device_config_get(vp->pdev, vp->pci_cfg_off, cap, sizeof(cap)))
		return;
	uint8_t val[4] = {0};
	if (pci_cfg_target(vp, cap, &boff, &blen))
		pci_bar_bus_ops.read(pci_bar_opaque(vp->pdev, VIRTIO_PCI_BAR), boff, val, blen);
	if (pci_device_config_set(vp->pdev, vp->pci_cfg_off + VIRTIO_PCI_CFG_CAP_DATA, val, sizeof(val))) {
		/* cannot happen: the capability is inside the device area */
	}
	for (uint32_t i = off > VIRTIO_PCI_CFG_CAP_DATA ? off : VIRTIO_PCI_CFG_CAP_DATA; i < off + len; i++)
		data[i - off] = val[i - VIRTIO_PCI_CFG_CAP_DATA];
}

/* A config write (already stored through the write mask): if it touched
 * pci_cfg_data, write its first `length` bytes to the BAR. */
static void pci_cfg_write(void *opaque, uint32_t off, const uint8_t *data, uint32_t len)
{
	struct virtio_pci *vp = opaque;
	uint8_t cap[VIRTIO_PCI_CFG_CAP_LEN];
	uint32_t boff, blen;
	(void)data; /* the stored bytes are the ones to send */
	if (!touches_data(off, len) || pci_device_config_get(vp->pdev, vp->pci_cfg_off, cap, sizeof(cap)))
		return;
	if (pci_cfg_target(vp, cap, &boff, &blen))
		pci_bar_bus_ops.write(pci_bar_opaque(vp->pdev, VIRTIO_PCI_BAR), boff, &cap[VIRTIO_PCI_CFG_CAP_DATA],
				      blen);
}

static const struct pci_cfg_hooks pci_cfg_hooks = {pci_cfg_read, pci_cfg_write};

static int add_pci_cfg_cap(struct virtio_pci *vp)
{
	uint8_t cap[VIRTIO_PCI_CFG_CAP_LEN] = {0}, wmask[VIRTIO_PCI_CFG_CAP_LEN] = {0};
	cap[0] = PCI_CAP_ID_VNDR;
	cap[2] = VIRTIO_PCI_CFG_CAP_LEN;
	cap[3] = VIRTIO_PCI_CAP_PCI_CFG;
	wmask[VIRTIO_PCI_CFG_CAP_BAR] = 0xff;
	memset(&wmask[VIRTIO_PCI_CFG_CAP_OFFSET], 0xff, VIRTIO_PCI_CFG_CAP_LEN - VIRTIO_PCI_CFG_CAP_OFFSET);
	return pci_device_add_capability(vp->pdev, cap, sizeof(cap), wmask, &pci_cfg_hooks, vp, &vp->pci_cfg_off);
}

/* ---- creation ------------------------------------------------------------ */

static int add_cap(struct pci_device *pdev, uint8_t type, uint8_t bar, uint32_t off, uint32_t len, bool notify)
{
	uint8_t cap[20] = {0};
	uint8_t cap_len = notify ? 20 : 16;
	cap[0] = PCI_CAP_ID_VNDR;
	cap[2] = cap_len;
	cap[3] = type;
	cap[4] = bar;
	memcpy(&cap[8], &off, 4);
	memcpy(&cap[12], &len, 4);
	if (notify) {
		uint32_t mult = VIRTIO_PCI_NOTIFY_MULT;
		memcpy(&cap[16], &mult, 4);
	}
	uint8_t where;
	return pci_device_add_capability(pdev, cap, cap_len, NULL, NULL, NULL, &where);
}

int virtio_pci_create(struct virtio_device *vdev, const struct virtio_pci_config *cfg, struct virtio_pci **out)
{
	*out = NULL;
	if (!vdev || !vdev->ops || !cfg || !cfg->deliver || vdev->ops->config_size > VIRTIO_PCI_REGION_SIZE)
		return -EINVAL;
	struct virtio_pci *vp = calloc(1, sizeof(*vp));
	if (!vp)
		return -ENOMEM;
	vp->vdev = vdev;
	pthread_mutex_init(&vp->lock, NULL);
	vp->config_vector = VIRTIO_PCI_NO_VECTOR;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		vp->queue_vector[i] = VIRTIO_PCI_NO_VECTOR;
	const struct virtio_device_ops *ops = vdev->ops;
	struct pci_device_info info = {
		.vendor_id = VIRTIO_PCI_VENDOR_ID,
		.device_id = (uint16_t)(VIRTIO_PCI_DEVICE_ID_BASE + ops->device_id),
		.subsystem_vendor_id = VIRTIO_PCI_VENDOR_ID,
		.subsystem_id = 0x40, /* non-transitional: any value */
		.class_code = (uint32_t)ops->pci_class << 8,
		.revision = 1, /* modern only */
		.interrupt_pin = 0,
		.name = vdev->name,
		.owner = cfg->owner,
	};
	int rc = pci_device_create(&info, &vp->pdev);
	if (rc) {
		virtio_pci_destroy(vp);
		return rc;
	}
	struct pci_device *p = vp->pdev;
	rc = pci_device_add_bar(p, VIRTIO_PCI_BAR, PCI_BAR_MEM64, VIRTIO_PCI_BAR_SIZE, false);
	if (!rc)
		rc = pci_bar_add_region(p, VIRTIO_PCI_BAR, VIRTIO_PCI_COMMON_OFF, VIRTIO_PCI_REGION_SIZE, &common_ops, vp);
	if (!rc)
		rc = pci_bar_add_region(p, VIRTIO_PCI_BAR, VIRTIO_PCI_ISR_OFF, VIRTIO_PCI_REGION_SIZE, &isr_ops, vp);
	if (!rc && ops->config_size)
		rc = pci_bar_add_region(p, VIRTIO_PCI_BAR, VIRTIO_PCI_DEVICE_OFF, VIRTIO_PCI_REGION_SIZE, &devcfg_ops, vp);
	if (!rc)
		rc = pci_bar_add_region(p, VIRTIO_PCI_BAR, VIRTIO_PCI_NOTIFY_OFF, VIRTIO_PCI_REGION_SIZE, &notify_ops, vp);
	if (!rc)
		rc = pci_device_add_bar(p, VIRTIO_PCI_PIO_BAR, PCI_BAR_IO, VIRTIO_PCI_PIO_SIZE, false);
	if (!rc)
		rc = pci_bar_add_region(p, VIRTIO_PCI_PIO_BAR, 0, VIRTIO_PCI_PIO_SIZE, &notify_ops, vp);
	uint32_t notify_len = ops->nr_queues * VIRTIO_PCI_NOTIFY_MULT;
	if (!rc) /* first: the driver's preferred notify structure */
		rc = add_cap(p, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_PIO_BAR, 0, notify_len, true);
	if (!rc)
		rc = add_cap(p, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_BAR, VIRTIO_PCI_COMMON_OFF, VIRTIO_PCI_COMMON_SIZE,
			     false);
	if (!rc)
		rc = add_cap(p, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_BAR, VIRTIO_PCI_ISR_OFF, 1, false);
	if (!rc && ops->config_size)
		rc = add_cap(p, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_BAR, VIRTIO_PCI_DEVICE_OFF, ops->config_size,
			     false);
	if (!rc)
		rc = add_cap(p, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_BAR, VIRTIO_PCI_NOTIFY_OFF, notify_len, true);
	if (!rc) {
		struct msix_config mc = {
			.nr_vectors = (uint16_t)(ops->nr_queues + 1),
			.table_bar = VIRTIO_PCI_BAR,
			.table_offset = VIRTIO_PCI_MSIX_TABLE_OFF,
			.pba_bar = VIRTIO_PCI_BAR,
			.pba_offset = VIRTIO_PCI_MSIX_PBA_OFF,
			.deliver = cfg->deliver,
			.route_changed = cfg->route_changed,
			.ctx = cfg->ctx,
		};
		rc = msix_create(p, &mc, &vp->msix);
	}
	if (!rc)
		rc = add_pci_cfg_cap(vp);
	if (rc) {
		virtio_pci_destroy(vp);
		return rc;
	}
	vdev->transport = (struct virtio_transport){signal_queue, signal_config, vp};
	*out = vp;
	return 0;
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	if (!vp)
		return;
	if (vp->pdev && !vp->pdev_on_bus)
		pci_device_destroy(vp->pdev);
	if (vp->msix)
		msix_destroy(vp->msix);
	pthread_mutex_destroy(&vp->lock);
	free(vp);
}

int virtio_pci_add_to_bus(struct virtio_pci *vp, struct pci_bus *bus, int slot)
{
	int rc = pci_bus_add_device(bus, vp->pdev, slot);
	if (!rc)
		vp->pdev_on_bus = true;
	return rc;
}

struct pci_device *virtio_pci_pci_device(struct virtio_pci *vp) { return vp->pdev; }
struct virtio_device *virtio_pci_virtio_device(struct virtio_pci *vp) { return vp->vdev; }
struct msix *virtio_pci_msix(struct virtio_pci *vp) { return vp->msix; }

uint64_t virtio_pci_notify_addr(uint64_t bar_addr, unsigned q)
{
	return bar_addr + VIRTIO_PCI_NOTIFY_OFF + (uint64_t)q * VIRTIO_PCI_NOTIFY_MULT;
}

uint64_t virtio_pci_notify_port(uint64_t base, unsigned q)
{
	return base + (uint64_t)q * VIRTIO_PCI_NOTIFY_MULT;
}

uint8_t virtio_pci_status(struct virtio_pci *vp)
{
	return atomic_load(&vp->vdev->status);
}
