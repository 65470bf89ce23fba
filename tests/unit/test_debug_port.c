/* Unit tests for devices/debug_port. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/debug_port.h"
#include "util/log.h"

static int setup(void **state)
{
	struct debug_port *dp;

	assert_int_equal(debug_port_create(&dp), 0);
	*state = dp;
	return 0;
}

static int teardown(void **state)
{
	debug_port_destroy(*state);
	return 0;
}

static void out(struct debug_port *dp, uint8_t code)
{
	debug_port_bus_ops.write(dp, 0, &code, 1);
}

static void test_classify(void **state)
{
	(void)state;
	for (unsigned c = 0; c < 256; c++) {
		enum debug_port_range want = c < 0x20   ? DEBUG_PORT_FIRMWARE
					     : c < 0x40 ? DEBUG_PORT_BOOTLOADER
					     : c < 0x60 ? DEBUG_PORT_KERNEL
					     : c < 0x80 ? DEBUG_PORT_USERSPACE
							: DEBUG_PORT_UNKNOWN;
		assert_int_equal(debug_port_classify((uint8_t)c), want);
	}
	assert_int_equal(debug_port_classify(0x1f), DEBUG_PORT_FIRMWARE);
	assert_int_equal(debug_port_classify(0x20), DEBUG_PORT_BOOTLOADER);
	assert_int_equal(debug_port_classify(0x5f), DEBUG_PORT_KERNEL);
	assert_int_equal(debug_port_classify(0x60), DEBUG_PORT_USERSPACE);
	assert_int_equal(debug_port_classify(0x80), DEBUG_PORT_UNKNOWN);
	assert_int_equal(debug_port_classify(0xff), DEBUG_PORT_UNKNOWN);
	assert_string_equal(debug_port_range_name(DEBUG_PORT_FIRMWARE), "Firmware");
	assert_string_equal(debug_port_range_name(DEBUG_PORT_BOOTLOADER), "Bootloader");
	assert_string_equal(debug_port_range_name(DEBUG_PORT_KERNEL), "Kernel");
	assert_string_equal(debug_port_range_name(DEBUG_PORT_USERSPACE), "Userspace");
	assert_string_equal(debug_port_range_name(DEBUG_PORT_UNKNOWN), "Unknown");
	assert_string_equal(debug_port_range_name((enum debug_port_range)42), "Unknown");
}

static void test_first_timestamp(void **state)
{
	struct debug_port *dp = *state;
	int64_t t0, t1, first, again;

	for (int r = 0; r < DEBUG_PORT_NR_RANGES; r++) {
		assert_false(debug_port_first_ns(dp, (enum debug_port_range)r, &first));
		assert_int_equal(debug_port_count(dp, (enum debug_port_range)r), 0);
	}
	t0 = log_elapsed_ns();
	out(dp, 0x41);
	t1 = log_elapsed_ns();
	assert_true(debug_port_first_ns(dp, DEBUG_PORT_KERNEL, &first));
	assert_true(first >= t0 && first <= t1);
	usleep(2000);
	out(dp, 0x42);
	assert_true(debug_port_first_ns(dp, DEBUG_PORT_KERNEL, &again));
	assert_int_equal(again, first);
	assert_int_equal(debug_port_count(dp, DEBUG_PORT_KERNEL), 2);
	assert_false(debug_port_first_ns(dp, DEBUG_PORT_USERSPACE, &first));
	out(dp, 0x7f);
	assert_true(debug_port_first_ns(dp, DEBUG_PORT_USERSPACE, &first));
	assert_true(first >= again);
	out(dp, 0x00);
	out(dp, 0x3f);
	out(dp, 0x80);
	assert_int_equal(debug_port_count(dp, DEBUG_PORT_FIRMWARE), 1);
	assert_int_equal(debug_port_count(dp, DEBUG_PORT_BOOTLOADER), 1);
	assert_int_equal(debug_port_count(dp, DEBUG_PORT_UNKNOWN), 1);
	assert_false(debug_port_first_ns(dp, DEBUG_PORT_NR_RANGES, &first));
	assert_true(debug_port_first_ns(dp, DEBUG_PORT_UNKNOWN, NULL));
}

static void test_reads_and_odd_accesses(void **state)
{
	struct debug_port *dp = *state;
	uint8_t d[4] = {0};
	uint8_t w[2] = {0x61, 0x01};

	debug_port_bus_ops.read(dp, 0, d, 4);
	assert_int_equal(d[0], 0xff);
	assert_int_equal(d[3], 0xff);
	debug_port_bus_ops.write(dp, 0, w, 2); /* first byte is the code */
	assert_int_equal(debug_port_count(dp, DEBUG_PORT_USERSPACE), 1);
	assert_int_equal(debug_port_count(dp, DEBUG_PORT_FIRMWARE), 0);
	debug_port_bus_ops.write(dp, 1, w, 1); /* not our port */
	assert_int_equal(debug_port_count(dp, DEBUG_PORT_USERSPACE), 1);
}

/* A guest hammering the port produces a bounded number of log lines. */
static void test_log_rate_limited(void **state)
{
	struct debug_port *dp = *state;
	char path[] = "/tmp/nimbus-test-debug-port-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;
	char line[256];
	int lines = 0, matched = 0;
	enum log_level old = log_get_level();

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(log_open_file(path), 0);
	log_set_level(LOG_INFO);
	out(dp, 0x65);
	for (int i = 0; i < 5000; i++)
		out(dp, (uint8_t)i);
	log_close();
	log_set_level(old);

	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		lines++;
		if (strstr(line, "debug port: Userspace code 0x65 at ") && strstr(line, " s\n"))
			matched++;
	}
	fclose(f);
	unlink(path);
	assert_int_equal(matched, 1);
	assert_true(lines >= 1);
	assert_true(lines <= 2 * LOG_RATELIMIT_BURST + 2); /* at most two 1 s windows */
	assert_int_equal(debug_port_count(dp, DEBUG_PORT_USERSPACE), 1 + 5000 / 256 * 32 + 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test_setup_teardown(test_first_timestamp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reads_and_odd_accesses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_rate_limited, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
