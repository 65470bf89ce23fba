/* Unit tests for devices/acpi_pm: S5 through the sleep control register, the
 * reset register, the GED event latch and its interrupt pulse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/acpi_pm.h"

struct record {
	int poweroffs, reboots;
	int levels[8];
	int nlevels;
};

static void on_poweroff(void *ctx) { ((struct record *)ctx)->poweroffs++; }
static void on_reboot(void *ctx) { ((struct record *)ctx)->reboots++; }
static void on_level(void *ctx, uint32_t gsi, int level)
{
	struct record *r = ctx;
	assert_int_equal(gsi, ACPI_PM_GED_GSI);
	if (r->nlevels < 8)
		r->levels[r->nlevels++] = level;
}

static struct acpi_pm *make(struct record *r)
{
	memset(r, 0, sizeof(*r));
	struct acpi_pm_config cfg = {on_poweroff, on_reboot, r, {on_level, r, ACPI_PM_GED_GSI}};
	struct acpi_pm *pm = NULL;
	assert_int_equal(acpi_pm_create(&cfg, &pm), 0);
	return pm;
}

static void wr(struct acpi_pm *pm, unsigned port, uint8_t v)
{
	acpi_pm_bus_ops.write(pm, port - ACPI_PM_PORT_BASE, &v, 1);
}

static uint8_t rd(struct acpi_pm *pm, unsigned port)
{
	uint8_t v = 0xaa;
	acpi_pm_bus_ops.read(pm, port - ACPI_PM_PORT_BASE, &v, 1);
	return v;
}

static void test_s5_powers_off(void **state)
{
	(void)state;
	struct record r;
	struct acpi_pm *pm = make(&r);
	wr(pm, ACPI_PM_SLEEP_CONTROL, (uint8_t)(ACPI_PM_S5_TYPE << 2)); /* no SLP_EN */
	assert_int_equal(r.poweroffs, 0);
	wr(pm, ACPI_PM_SLEEP_CONTROL, (uint8_t)(3 << 2 | 0x20)); /* S3: not supported */
	assert_int_equal(r.poweroffs, 0);
	wr(pm, ACPI_PM_SLEEP_CONTROL, (uint8_t)(ACPI_PM_S5_TYPE << 2 | 0x20));
	assert_int_equal(r.poweroffs, 1);
	assert_int_equal(r.reboots, 0);
	assert_int_equal(rd(pm, ACPI_PM_SLEEP_STATUS), 0);
	acpi_pm_destroy(pm);
}

static void test_reset_register(void **state)
{
	(void)state;
	struct record r;
	struct acpi_pm *pm = make(&r);
	for (unsigned v = 0; v < 256; v++)
		if (v != ACPI_PM_RESET_VALUE)
			wr(pm, ACPI_PM_RESET, (uint8_t)v);
	assert_int_equal(r.reboots, 0);
	wr(pm, ACPI_PM_RESET, ACPI_PM_RESET_VALUE);
	assert_int_equal(r.reboots, 1);
	assert_int_equal(r.poweroffs, 0);
	acpi_pm_destroy(pm);
}

static void test_power_button_latch(void **state)
{
	(void)state;
	struct record r;
	struct acpi_pm *pm = make(&r);
	assert_int_equal(rd(pm, ACPI_PM_GED_STATUS), 0);
	acpi_pm_power_button(pm);
	assert_int_equal(r.nlevels, 2); /* edge: pulse up then down */
	assert_int_equal(r.levels[0], 1);
	assert_int_equal(r.levels[1], 0);
	assert_int_equal(rd(pm, ACPI_PM_GED_STATUS), ACPI_PM_EVENT_POWER_BUTTON);
	assert_int_equal(rd(pm, ACPI_PM_GED_STATUS), 0); /* read clears */
	/* Writes to the latch do nothing. */
	acpi_pm_power_button(pm);
	wr(pm, ACPI_PM_GED_STATUS, 0);
	assert_int_equal(rd(pm, ACPI_PM_GED_STATUS), ACPI_PM_EVENT_POWER_BUTTON);
	assert_int_equal(r.poweroffs + r.reboots, 0);
	acpi_pm_destroy(pm);
}

static void test_wide_access(void **state)
{
	(void)state;
	struct record r;
	struct acpi_pm *pm = make(&r);
	uint8_t buf[4] = {0xaa, 0xaa, 0xaa, 0xaa};
	acpi_pm_bus_ops.read(pm, 0, buf, 4);
	assert_int_equal(buf[0] | buf[1] | buf[2] | buf[3], 0);
	acpi_pm_destroy(pm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s5_powers_off),
		cmocka_unit_test(test_reset_register),
		cmocka_unit_test(test_power_button_latch),
		cmocka_unit_test(test_wide_access),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
