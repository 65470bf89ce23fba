/* libFuzzer target: drive the 16550A model with arbitrary guest register
 * accesses and host input, checking invariants after every step.
 *
 * Input: a sequence of 3-byte records {op, arg, val}:
 *   op % 4 == 0  read  register arg % 8, width 1 << (val % 4), offset may run
 *                past the device (arg & 8)
 *   op % 4 == 1  write register arg % 8 := val (width as above when arg & 16)
 *   op % 4 == 2  serial_push_input() of val % 24 bytes
 *   op % 4 == 3  serial_rx_room()
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "devices/serial.h"

struct irq_state {
	int level;
	unsigned calls;
};

static void set_level(void *ctx, uint32_t gsi, int level)
{
	struct irq_state *st = ctx;

	/* The device only reports changes, and only 0/1. */
	if ((level != 0 && level != 1) || level == st->level || gsi != SERIAL_COM1_IRQ)
		abort();
	st->level = level;
	st->calls++;
}

static void out(void *ctx, const uint8_t *buf, size_t len)
{
	size_t *n = ctx;

	(void)buf;
	*n += len;
}

static void rx_space(void *ctx)
{
	(void)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct irq_state irq = {0};
	size_t sent = 0;
	struct serial_config cfg = {
		.out_fd = -1,
		.out_cb = out,
		.out_ctx = &sent,
		.irq = {set_level, &irq, SERIAL_COM1_IRQ},
		.rx_space_cb = rx_space,
	};
	struct serial *s;
	static const uint8_t input[24] = "fuzzing the uart input!";

	if (serial_create(&cfg, &s) != 0)
		return 0;
	for (size_t i = 0; i + 3 <= size; i += 3) {
		uint8_t op = data[i], arg = data[i + 1], val = data[i + 2];
		uint8_t buf[8] = {val, val, val, val, val, val, val, val};
		uint32_t len = 1u << (val % 4);
		uint64_t off = arg % 8 + ((arg & 8) ? 5 : 0);

		switch (op % 4) {
		case 0:
			serial_bus_ops.read(s, off, buf, len);
			break;
		case 1:
			serial_bus_ops.write(s, arg % 8, buf, (arg & 16) ? len : 1);
			break;
		case 2: {
			size_t room = serial_rx_room(s);
			size_t n = serial_push_input(s, input, val % 24);
			if (n > room || n > val % 24 || n > SERIAL_FIFO_SIZE)
				abort();
			break;
		}
		default:
			if (serial_rx_room(s) > SERIAL_FIFO_SIZE)
				abort();
			break;
		}
		/* LSR always shows an empty transmitter; unused IER bits stay 0. */
		uint8_t lcr, v;
		serial_bus_ops.read(s, 3, &lcr, 1);
		if (!(lcr & 0x80)) {
			serial_bus_ops.read(s, 1, &v, 1);
			if (v & 0xf0)
				abort();
		}
		serial_bus_ops.read(s, 4, &v, 1);
		if (v & 0xe0)
			abort();
	}
	serial_destroy(s);
	return 0;
}
