/* Unit tests for devices/i8042, driven through its two bus_ops. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "devices/i8042.h"

#define STR_OBF 0x01
#define STR_SYS 0x04
#define STR_CMD 0x08
#define STR_UNLOCK 0x10
#define STR_AUXDATA 0x20

struct fake_irq {
	int level;
	int raises;
};

static void fake_set_level(void *ctx, uint32_t gsi, int level)
{
	struct fake_irq *f = ctx;

	(void)gsi;
	if (level && !f->level)
		f->raises++;
	f->level = level;
}

struct fixture {
	struct i8042 *dev;
	int resets;
	struct fake_irq kbd, aux;
};

static void on_reset(void *ctx)
{
	struct fixture *f = ctx;

	f->resets++;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct i8042_config cfg = {.reset_cb = on_reset};

	assert_non_null(f);
	cfg.reset_ctx = f;
	cfg.irq_kbd = (struct irq_line){fake_set_level, &f->kbd, I8042_KBD_IRQ};
	cfg.irq_aux = (struct irq_line){fake_set_level, &f->aux, I8042_AUX_IRQ};
	assert_int_equal(i8042_create(&cfg, &f->dev), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	i8042_destroy(f->dev);
	free(f);
	return 0;
}

static uint8_t status(struct fixture *f)
{
	uint8_t v = 0;

	i8042_cmd_bus_ops.read(f->dev, 0, &v, 1);
	return v;
}

static uint8_t data(struct fixture *f)
{
	uint8_t v = 0;

	i8042_data_bus_ops.read(f->dev, 0, &v, 1);
	return v;
}

static void cmd(struct fixture *f, uint8_t c)
{
	i8042_cmd_bus_ops.write(f->dev, 0, &c, 1);
}

static void put(struct fixture *f, uint8_t v)
{
	i8042_data_bus_ops.write(f->dev, 0, &v, 1);
}

/* Issue a command that returns one byte, check OBF, return the byte. */
static uint8_t query(struct fixture *f, uint8_t c)
{
	cmd(f, c);
	assert_true(status(f) & STR_OBF);
	return data(f);
}

static void test_status_after_create(void **state)
{
	struct fixture *f = *state;
	uint8_t st = status(f);

	assert_int_equal(st & STR_OBF, 0);
	assert_int_equal(st & 0x02, 0); /* input buffer never full */
	assert_true(st & STR_SYS);
	assert_true(st & STR_UNLOCK);
	assert_int_not_equal(st, 0xff);
	assert_int_equal(f->kbd.level, 0);
	assert_int_equal(f->aux.level, 0);
}

static void test_self_and_interface_tests(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(query(f, 0xaa), 0x55);
	assert_int_equal(status(f) & STR_OBF, 0);
	assert_true(status(f) & STR_CMD);
	assert_int_equal(query(f, 0xab), 0x00);
	assert_int_equal(query(f, 0xa9), 0x00);
	assert_int_equal(status(f) & STR_OBF, 0);
	/* Nothing queued: the data port repeats the last byte. */
	assert_int_equal(data(f), 0x00);
	assert_int_equal(f->resets, 0);
}

static void test_ctr_read_write(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(query(f, 0x20), 0x45); /* kbd int, SYS, translate */
	cmd(f, 0x60);
	put(f, 0x47);
	assert_int_equal(status(f) & (STR_OBF | STR_CMD), 0);
	assert_int_equal(query(f, 0x20), 0x47);
	/* Other RAM bytes via 0x21-0x3f / 0x61-0x7f. */
	cmd(f, 0x65);
	put(f, 0x99);
	assert_int_equal(query(f, 0x25), 0x99);
	assert_int_equal(query(f, 0x20), 0x47);
	/* SYS flag in the status follows CTR bit 2. */
	cmd(f, 0x60);
	put(f, 0x00);
	assert_int_equal(status(f) & STR_SYS, 0);
}

static void test_disable_enable_ports(void **state)
{
	struct fixture *f = *state;

	cmd(f, 0xad);
	assert_true(query(f, 0x20) & 0x10);
	cmd(f, 0xae);
	assert_false(query(f, 0x20) & 0x10);
	cmd(f, 0xa7);
	assert_true(query(f, 0x20) & 0x20);
	cmd(f, 0xa8);
	assert_false(query(f, 0x20) & 0x20);
	assert_int_equal(status(f) & STR_OBF, 0);
}

static void test_reset_only_on_fe(void **state)
{
	struct fixture *f = *state;

	for (unsigned c = 0; c < 256; c++) {
		if (c == 0xfe)
			continue;
		cmd(f, (uint8_t)c);
		put(f, 0xfe); /* as data byte too: never a reset */
		while (status(f) & STR_OBF)
			data(f);
	}
	assert_int_equal(f->resets, 0);
	assert_int_equal(i8042_reset_count(f->dev), 0);
	cmd(f, 0xfe);
	assert_int_equal(f->resets, 1);
	assert_int_equal(i8042_reset_count(f->dev), 1);
	put(f, 0xfe);
	assert_int_equal(f->resets, 1);
}

static void test_output_port(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(query(f, 0xd0), 0x03);
	cmd(f, 0xd1);
	put(f, 0x02); /* reset bit low: stored, not a reset */
	assert_int_equal(query(f, 0xd0), 0x02);
	assert_int_equal(f->resets, 0);
}

static void test_aux_loop_and_irqs(void **state)
{
	struct fixture *f = *state;

	/* Linux's aux check: 0xd3 echoes through the aux channel. */
	cmd(f, 0xd3);
	put(f, 0x5a);
	assert_int_equal(status(f) & (STR_OBF | STR_AUXDATA), STR_OBF | STR_AUXDATA);
	assert_int_equal(f->aux.level, 0); /* CTR aux int off by default */
	assert_int_equal(data(f), 0x5a);
	assert_int_equal(status(f) & (STR_OBF | STR_AUXDATA), 0);

	/* With aux interrupts on, the echo raises IRQ 12 until read. */
	cmd(f, 0x60);
	put(f, 0x47);
	cmd(f, 0xd3);
	put(f, 0xa5);
	assert_int_equal(f->aux.level, 1);
	assert_int_equal(f->kbd.level, 0);
	assert_int_equal(data(f), 0xa5);
	assert_int_equal(f->aux.level, 0);

	/* Keyboard-channel bytes raise IRQ 1. */
	cmd(f, 0xd2);
	put(f, 0x1c);
	assert_int_equal(status(f) & (STR_OBF | STR_AUXDATA), STR_OBF);
	assert_int_equal(f->kbd.level, 1);
	assert_int_equal(data(f), 0x1c);
	assert_int_equal(f->kbd.level, 0);
	assert_int_equal(query(f, 0xaa), 0x55);
	assert_int_equal(f->kbd.raises, 2);

	/* 0xd4 sends to a missing aux device: nothing comes back. */
	cmd(f, 0xd4);
	put(f, 0xf4);
	assert_int_equal(status(f) & STR_OBF, 0);
}

static void test_keyboard_bytes_ignored_and_queue_bounded(void **state)
{
	struct fixture *f = *state;
	int n = 0;

	put(f, 0xf2); /* keyboard "identify": no keyboard, no answer */
	assert_int_equal(status(f) & STR_OBF, 0);
	for (int i = 0; i < 100; i++)
		cmd(f, 0xaa);
	while (status(f) & STR_OBF) {
		assert_int_equal(data(f), 0x55);
		n++;
	}
	assert_true(n >= 1 && n <= 16);
}

static void test_wide_and_bad_offsets(void **state)
{
	struct fixture *f = *state;
	uint8_t d[4];
	uint8_t w[2] = {0xfe, 0xfe};

	i8042_cmd_bus_ops.read(f->dev, 0, d, 4);
	assert_true(d[0] & STR_SYS);
	assert_int_equal(d[1], 0xff);
	assert_int_equal(d[3], 0xff);
	i8042_cmd_bus_ops.write(f->dev, 1, w, 1); /* not the port: ignored */
	assert_int_equal(f->resets, 0);
	i8042_cmd_bus_ops.write(f->dev, 0, w, 2);
	assert_int_equal(f->resets, 1);
}

static void test_create_args(void **state)
{
	struct i8042 *d;
	struct i8042_config cfg = {0};

	(void)state;
	assert_int_equal(i8042_create(NULL, &d), -EINVAL);
	assert_int_equal(i8042_create(&cfg, &d), 0);
	cmd(&(struct fixture){.dev = d}, 0xfe); /* no callback: counted only */
	assert_int_equal(i8042_reset_count(d), 1);
	i8042_destroy(d);
	i8042_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_status_after_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_self_and_interface_tests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctr_read_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disable_enable_ports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_only_on_fe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_port, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aux_loop_and_irqs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keyboard_bytes_ignored_and_queue_bounded, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_wide_and_bad_offsets, setup, teardown),
		cmocka_unit_test(test_create_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
