/* devices/acpi_pm.c — ACPI sleep/reset registers and the GED event latch. */
#include "devices/acpi_pm.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "util/log.h"

#define SLP_EN 0x20
#define SLP_TYP_SHIFT 2
#define SLP_TYP_MASK 0x1c

struct acpi_pm {
	struct acpi_pm_config cfg;
	pthread_mutex_t lock;
	uint8_t events; /* pending GED events */
	struct log_ratelimit rl;
};

int acpi_pm_create(const struct acpi_pm_config *cfg, struct acpi_pm **out)
{
	struct acpi_pm *pm = calloc(1, sizeof(*pm));
	if (!pm)
		return -ENOMEM;
	pm->cfg = *cfg;
	pthread_mutex_init(&pm->lock, NULL);
	*out = pm;
	return 0;
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
	if (!pm)
		return;
	pthread_mutex_destroy(&pm->lock);
	free(pm);
}

static void acpi_pm_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
	struct acpi_pm *pm = opaque;
	for (uint32_t i = 0; i < len; i++)
		data[i] = 0;
	if (offset + ACPI_PM_PORT_BASE == ACPI_PM_GED_STATUS) {
		pthread_mutex_lock(&pm->lock);
		data[0] = pm->events;
		pm->events = 0;
		pthread_mutex_unlock(&pm->lock);
	}
}

/* Contract: data[0] is a guest-written byte; only exact values act. */
static void acpi_pm_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
	struct acpi_pm *pm = opaque;
	uint8_t v = data[0];
	switch (offset + ACPI_PM_PORT_BASE) {
	case ACPI_PM_SLEEP_CONTROL:
		if (!(v & SLP_EN))
			return;
		if (((v & SLP_TYP_MASK) >> SLP_TYP_SHIFT) == ACPI_PM_S5_TYPE) {
			if (pm->cfg.poweroff)
				pm->cfg.poweroff(pm->cfg.ctx);
		} else {
			log_ratelimited(&pm->rl, LOG_INFO, "acpi: sleep type %u not supported, ignored",
					(v & SLP_TYP_MASK) >> SLP_TYP_SHIFT);
		}
		return;
	case ACPI_PM_RESET:
		if (v == ACPI_PM_RESET_VALUE && pm->cfg.reboot)
			pm->cfg.reboot(pm->cfg.ctx);
		return;
	default:
		return;
	}
}

const struct bus_ops acpi_pm_bus_ops = {
	.read = acpi_pm_read,
	.write = acpi_pm_write,
};

void acpi_pm_power_button(struct acpi_pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->events |= ACPI_PM_EVENT_POWER_BUTTON;
	pthread_mutex_unlock(&pm->lock);
	irq_line_set(&pm->cfg.ged_irq, 1);
	irq_line_set(&pm->cfg.ged_irq, 0);
}
