/* kvm/irq_routing.c — GSI routing table, irqfd, ioeventfd. */
#include "kvm/irq_routing.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "util/log.h"

#define IRQCHIP_ENTRIES (16 * 2 + 8) /* PIC+IOAPIC for 0-15, IOAPIC for 16-23 */

int gsi_routes_init(struct gsi_routes *r, struct kvm_vm *vm)
{
	memset(r, 0, sizeof(*r));
	r->vm = vm;
	pthread_mutex_init(&r->lock, NULL);
	return ra_init(&r->gsis, KVM_IRQ_FIRST_MSI_GSI, KVM_IRQ_MAX_GSI);
}

void gsi_routes_destroy(struct gsi_routes *r)
{
	ra_destroy(&r->gsis);
	free(r->routes);
	pthread_mutex_destroy(&r->lock);
	memset(r, 0, sizeof(*r));
}

int kvm_irq_alloc_msi_gsi(struct gsi_routes *r, uint32_t *gsi)
{
	uint64_t g;
	pthread_mutex_lock(&r->lock);
	int rc = ra_alloc(&r->gsis, 1, 1, &g);
	if (!rc && r->nr == r->cap) {
		unsigned cap = r->cap ? r->cap * 2 : 32;
		struct kvm_msi_route *n = realloc(r->routes, cap * sizeof(*n));
		if (!n) {
			int freed = ra_free(&r->gsis, g); /* just allocated: cannot fail */
			(void)freed;
			rc = -ENOMEM;
		} else {
			r->routes = n;
			r->cap = cap;
		}
	}
	if (!rc) {
		r->routes[r->nr++] = (struct kvm_msi_route){.gsi = (uint32_t)g};
		*gsi = (uint32_t)g;
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static void irqchip_entry(struct kvm_irq_routing_entry *e, uint32_t gsi, uint32_t chip, uint32_t pin)
{
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

/* Caller holds the lock. */
static int push_table(struct gsi_routes *r)
{
	size_t n = IRQCHIP_ENTRIES + r->nr;
	struct kvm_irq_routing *t = calloc(1, sizeof(*t) + n * sizeof(struct kvm_irq_routing_entry));
	if (!t)
		return -ENOMEM;
	unsigned k = 0;
	for (uint32_t gsi = 0; gsi < 24; gsi++) {
		if (gsi < 16)
			irqchip_entry(&t->entries[k++], gsi, gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
				      gsi % 8);
		irqchip_entry(&t->entries[k++], gsi, KVM_IRQCHIP_IOAPIC, gsi);
	}
	for (unsigned i = 0; i < r->nr; i++) {
		if (!r->routes[i].active)
			continue;
		struct kvm_irq_routing_entry *e = &t->entries[k++];
		e->gsi = r->routes[i].gsi;
		e->type = KVM_IRQ_ROUTING_MSI;
		e->u.msi.address_lo = (uint32_t)r->routes[i].addr;
		e->u.msi.address_hi = (uint32_t)(r->routes[i].addr >> 32);
		e->u.msi.data = r->routes[i].data;
	}
	t->nr = k;
	int rc = ioctl(r->vm->vm_fd, KVM_SET_GSI_ROUTING, t) < 0 ? -errno : 0;
	free(t);
	return rc;
}

void kvm_irq_free_msi_gsi(struct gsi_routes *r, uint32_t gsi)
{
	pthread_mutex_lock(&r->lock);
	for (unsigned i = 0; i < r->nr; i++) {
		if (r->routes[i].gsi != gsi)
			continue;
		bool was_active = r->routes[i].active;
		r->routes[i] = r->routes[--r->nr];
		int freed = ra_free(&r->gsis, gsi);
		(void)freed;
		if (was_active && push_table(r))
			log_warn("KVM_SET_GSI_ROUTING failed while freeing GSI %u", gsi);
		break;
	}
	pthread_mutex_unlock(&r->lock);
}

int kvm_irq_set_msi_route(struct gsi_routes *r, uint32_t gsi, uint64_t addr, uint32_t data, bool active)
{
	int rc = -ENOENT;
	pthread_mutex_lock(&r->lock);
	for (unsigned i = 0; i < r->nr; i++) {
		struct kvm_msi_route *m = &r->routes[i];
		if (m->gsi != gsi)
			continue;
		if (m->active == active && m->addr == addr && m->data == data) {
			rc = 0;
			break;
		}
		m->addr = addr;
		m->data = data;
		m->active = active;
		rc = push_table(r);
		break;
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int kvm_irqfd(struct kvm_vm *vm, int efd, uint32_t gsi, bool assign)
{
	struct kvm_irqfd req = {.fd = (uint32_t)efd, .gsi = gsi, .flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN};
	return ioctl(vm->vm_fd, KVM_IRQFD, &req) < 0 ? -errno : 0;
}

int kvm_ioeventfd(struct kvm_vm *vm, int efd, uint64_t addr, uint32_t len, bool pio, bool assign)
{
	struct kvm_ioeventfd req = {.addr = addr, .len = len, .fd = efd};
	if (pio)
		req.flags |= KVM_IOEVENTFD_FLAG_PIO;
	if (!assign)
		req.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
	return ioctl(vm->vm_fd, KVM_IOEVENTFD, &req) < 0 ? -errno : 0;
}
