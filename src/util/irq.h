/* util/irq.h — an interrupt line as a device sees it.
 *
 * Devices raise interrupts through this small indirection so that they can be
 * unit-tested without KVM. The VMM wires it to KVM_IRQ_LINE (legacy GSIs) and
 * later to irqfd/MSI-X.
 */
#ifndef NIMBUS_UTIL_IRQ_H
#define NIMBUS_UTIL_IRQ_H

#include <stdint.h>

struct irq_line {
	/* level: 1 = assert, 0 = deassert. Must be safe from any thread. */
	void (*set_level)(void *ctx, uint32_t gsi, int level);
	void *ctx;
	uint32_t gsi;
};

static inline void irq_line_set(const struct irq_line *irq, int level)
{
	if (irq && irq->set_level)
		irq->set_level(irq->ctx, irq->gsi, level);
}

#endif
