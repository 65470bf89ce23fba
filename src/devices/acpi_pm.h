/* devices/acpi_pm.h — the hardware-reduced ACPI registers nimbus gives a
 * guest, on four I/O ports from ACPI_PM_PORT_BASE:
 *
 *   +0 sleep control (FADT SLEEP_CONTROL_REG): writing SLP_EN (bit 5) with
 *      SLP_TYP (bits 4:2) = ACPI_PM_S5_TYPE powers the VM off;
 *   +1 sleep status (FADT SLEEP_STATUS_REG): reads 0;
 *   +2 reset register (FADT RESET_REG): writing ACPI_PM_RESET_VALUE reboots;
 *   +3 GED event status: reading returns the pending events and clears them
 *      (bit 0: power button). The DSDT's GED _EVT method reads it when the
 *      GED interrupt fires and notifies the power button device.
 */
#ifndef NIMBUS_DEVICES_ACPI_PM_H
#define NIMBUS_DEVICES_ACPI_PM_H

#include <stdint.h>

#include "bus/bus.h"
#include "util/irq.h"

#define ACPI_PM_PORT_BASE 0x600
#define ACPI_PM_PORT_LEN 4
#define ACPI_PM_SLEEP_CONTROL (ACPI_PM_PORT_BASE + 0)
#define ACPI_PM_SLEEP_STATUS (ACPI_PM_PORT_BASE + 1)
#define ACPI_PM_RESET (ACPI_PM_PORT_BASE + 2)
#define ACPI_PM_GED_STATUS (ACPI_PM_PORT_BASE + 3)
#define ACPI_PM_S5_TYPE 5
#define ACPI_PM_RESET_VALUE 1
#define ACPI_PM_GED_GSI 5
#define ACPI_PM_EVENT_POWER_BUTTON 0x01

struct acpi_pm_config {
	void (*poweroff)(void *ctx); /* guest entered S5 */
	void (*reboot)(void *ctx);   /* guest wrote the reset register */
	void *ctx;
	struct irq_line ged_irq;     /* edge: pulsed on each event */
};

struct acpi_pm;

__attribute__((warn_unused_result)) int acpi_pm_create(const struct acpi_pm_config *cfg, struct acpi_pm **out);
void acpi_pm_destroy(struct acpi_pm *pm);
extern const struct bus_ops acpi_pm_bus_ops;
/* Press the power button: latch the event and pulse the GED interrupt. Any thread. */
void acpi_pm_power_button(struct acpi_pm *pm);

#endif
