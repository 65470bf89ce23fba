/* Unit tests for devices/serial (16550A UART), driven through its bus_ops. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/serial.h"

#define RBR 0
#define THR 0
#define DLL 0
#define IER 1
#define DLM 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

struct fake_irq {
	int level;
	int raises, lowers;
	uint32_t gsi;
};

static void fake_set_level(void *ctx, uint32_t gsi, int level)
{
	struct fake_irq *f = ctx;

	f->gsi = gsi;
	if (level && !f->level)
		f->raises++;
	if (!level && f->level)
		f->lowers++;
	f->level = level;
}

struct out_buf {
	uint8_t data[256];
	size_t len;
};

static void out_cb(void *ctx, const uint8_t *buf, size_t len)
{
	struct out_buf *o = ctx;

	for (size_t i = 0; i < len && o->len < sizeof(o->data); i++)
		o->data[o->len++] = buf[i];
}

struct fixture {
	struct serial *s;
	struct fake_irq irq;
	struct out_buf out;
	int rx_space_calls;
};

static void rx_space(void *ctx)
{
	struct fixture *f = ctx;

	f->rx_space_calls++;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct serial_config cfg = {
		.out_fd = -1,
		.out_cb = out_cb,
		.irq = {fake_set_level, NULL, SERIAL_COM1_IRQ},
		.rx_space_cb = rx_space,
	};

	assert_non_null(f);
	cfg.out_ctx = &f->out;
	cfg.irq.ctx = &f->irq;
	cfg.rx_space_ctx = f;
	assert_int_equal(serial_create(&cfg, &f->s), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	serial_destroy(f->s);
	free(f);
	return 0;
}

static uint8_t rd(struct serial *s, unsigned off)
{
	uint8_t v = 0x5a;

	serial_bus_ops.read(s, off, &v, 1);
	return v;
}

static void wr(struct serial *s, unsigned off, uint8_t v)
{
	serial_bus_ops.write(s, off, &v, 1);
}

static void test_reset_values(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f->s, IER), 0x00);
	assert_int_equal(rd(f->s, IIR), 0x01);
	assert_int_equal(rd(f->s, LCR), 0x00);
	assert_int_equal(rd(f->s, MCR), 0x00);
	assert_int_equal(rd(f->s, LSR), 0x60);
	assert_int_equal(rd(f->s, MSR), 0xb0); /* DCD, DSR, CTS */
	assert_int_equal(rd(f->s, SCR), 0x00);
	assert_int_equal(f->irq.level, 0);
	assert_int_equal(f->irq.raises, 0);
}

/* The sequence Linux's 8250 autoconfig() runs on a port at 0x3f8. */
static void test_linux_probe(void **state)
{
	struct fixture *f = *state;
	struct serial *s = f->s;
	uint8_t save, status1, status2;

	/* Scratch test on IER. */
	save = rd(s, IER);
	wr(s, IER, 0);
	assert_int_equal(rd(s, IER) & 0x0f, 0);
	wr(s, IER, 0x0f);
	assert_int_equal(rd(s, IER) & 0x0f, 0x0f);
	wr(s, IER, save);

	/* Loopback test: LOOP | OUT2 | RTS must read back DCD | CTS. */
	save = rd(s, MCR);
	wr(s, MCR, 0x10 | 0x08 | 0x02);
	assert_int_equal(rd(s, MSR) & 0xf0, 0x90);
	wr(s, MCR, save);

	/* "EFR" clear with LCR = 0xbf writes FCR on a 16550A. */
	wr(s, LCR, 0xbf);
	wr(s, 2, 0);
	wr(s, LCR, 0);
	wr(s, FCR, 0x01);
	assert_int_equal(rd(s, IIR) >> 6, 3); /* 16550A */

	/* autoconfig_16550a: no EFR under LCR 0x80 or 0xbf (IIR shows). */
	wr(s, LCR, 0x80);
	assert_int_not_equal(rd(s, 2), 0);
	wr(s, LCR, 0xbf);
	assert_int_not_equal(rd(s, 2), 0);

	/* Not an NS SuperIO: IIR bit 4 under LCR 0xe0 does not follow MCR.LOOP. */
	wr(s, LCR, 0);
	status1 = rd(s, MCR);
	wr(s, LCR, 0xe0);
	status2 = rd(s, 2);
	assert_int_equal((status1 ^ status2) & 0x10, 0);
	wr(s, LCR, 0);
	wr(s, MCR, status1 ^ 0x10);
	wr(s, LCR, 0xe0);
	status2 = rd(s, 2);
	wr(s, LCR, 0);
	wr(s, MCR, status1);
	assert_int_equal((status1 ^ status2) & 0x10, 0); /* IIR bit 4 stays 0 */

	/* Not a 16750: 64-byte FIFO bit never shows in IIR. */
	wr(s, LCR, 0);
	wr(s, FCR, 0x01 | 0x20);
	assert_int_equal(rd(s, IIR) & 0x20, 0);
	wr(s, FCR, 0x01);
	wr(s, LCR, 0x80);
	wr(s, FCR, 0x01 | 0x20);
	assert_int_equal(rd(s, IIR) & 0x20, 0);
	wr(s, FCR, 0x01);
	wr(s, LCR, 0);

	/* Not an XScale: IER bit 6 (UUE) does not stick. */
	save = rd(s, IER);
	wr(s, IER, save | 0x40);
	assert_int_equal(rd(s, IER) & 0x40, 0);
	wr(s, IER, save);

	/* Port reset at the end of autoconfig. */
	wr(s, FCR, 0x01 | 0x02 | 0x04);
	wr(s, FCR, 0);
	rd(s, RBR);
	wr(s, IER, 0);
	assert_int_not_equal(rd(s, LSR), 0xff);

	/* serial8250_do_startup's THRE re-assert test. */
	wr(s, IER, 0x02);
	status1 = rd(s, IIR);
	wr(s, IER, 0);
	wr(s, IER, 0x02);
	status2 = rd(s, IIR);
	wr(s, IER, 0);
	assert_int_equal(status1 & 0x01, 0);
	assert_int_equal(status2 & 0x01, 0);
	/* And the TXEN test: with THRI enabled, LSR.TEMT and an interrupt. */
	wr(s, IER, 0x02);
	assert_true(rd(s, LSR) & 0x40);
	assert_int_equal(rd(s, IIR) & 0x01, 0);
	wr(s, IER, 0);
	assert_int_equal(f->irq.level, 0);
	assert_int_equal(f->out.len, 0);
}

static void test_scratch(void **state)
{
	struct fixture *f = *state;

	for (unsigned v = 0; v < 256; v += 17) {
		wr(f->s, SCR, (uint8_t)v);
		assert_int_equal(rd(f->s, SCR), v);
	}
	wr(f->s, SCR, 0xa5);
	wr(f->s, LCR, 0x80);
	assert_int_equal(rd(f->s, SCR), 0xa5);
}

static void test_dlab_divisor(void **state)
{
	struct fixture *f = *state;

	wr(f->s, IER, 0x05);
	wr(f->s, LCR, 0x83);
	wr(f->s, DLL, 0x01);
	wr(f->s, DLM, 0x02);
	assert_int_equal(rd(f->s, DLL), 0x01);
	assert_int_equal(rd(f->s, DLM), 0x02);
	assert_int_equal(rd(f->s, LCR), 0x83);
	assert_int_equal(f->out.len, 0); /* DLL write is no transmit */
	wr(f->s, LCR, 0x03);
	assert_int_equal(rd(f->s, IER), 0x05);
	wr(f->s, THR, 'A');
	assert_int_equal(f->out.len, 1);
	assert_int_equal(f->out.data[0], 'A');
	wr(f->s, LCR, 0x83);
	assert_int_equal(rd(f->s, DLL), 0x01); /* unchanged by THR write */
	assert_int_equal(rd(f->s, DLM), 0x02);
}

static void test_loopback(void **state)
{
	struct fixture *f = *state;
	const char *msg = "loop";

	wr(f->s, FCR, 0x01);
	wr(f->s, MCR, 0x10);
	assert_int_equal(serial_rx_room(f->s), 0); /* input pin disconnected */
	for (size_t i = 0; i < strlen(msg); i++)
		wr(f->s, THR, (uint8_t)msg[i]);
	assert_int_equal(f->out.len, 0);
	assert_int_equal(rd(f->s, LSR), 0x61);
	for (size_t i = 0; i < strlen(msg); i++)
		assert_int_equal(rd(f->s, RBR), (uint8_t)msg[i]);
	assert_int_equal(rd(f->s, LSR), 0x60);

	/* MSR mapping: CTS<-RTS, DSR<-DTR, RI<-OUT1, DCD<-OUT2, with deltas. */
	rd(f->s, MSR);
	wr(f->s, MCR, 0x10 | 0x01);
	assert_int_equal(rd(f->s, MSR), 0x20 | 0x02);
	wr(f->s, MCR, 0x10 | 0x02);
	assert_int_equal(rd(f->s, MSR), 0x10 | 0x01 | 0x02);
	wr(f->s, MCR, 0x10 | 0x04);
	assert_int_equal(rd(f->s, MSR), 0x40 | 0x01);
	wr(f->s, MCR, 0x10 | 0x08);
	assert_int_equal(rd(f->s, MSR), 0x80 | 0x08 | 0x04); /* RI fell: TERI */
	assert_int_equal(rd(f->s, MSR), 0x80);

	/* Modem status interrupt from a delta. */
	wr(f->s, IER, 0x08);
	assert_int_equal(f->irq.level, 0);
	wr(f->s, MCR, 0x10 | 0x08 | 0x02);
	assert_int_equal(f->irq.level, 1);
	assert_int_equal(rd(f->s, IIR), 0xc0);
	assert_int_equal(rd(f->s, MSR), 0x90 | 0x01);
	assert_int_equal(f->irq.level, 0);
	assert_int_equal(rd(f->s, IIR), 0xc1);

	/* Leaving loopback: transmit goes out again. */
	wr(f->s, IER, 0);
	wr(f->s, MCR, 0x0b);
	wr(f->s, THR, 'x');
	assert_int_equal(f->out.len, 1);
	assert_int_equal(f->out.data[0], 'x');
	assert_int_equal(rd(f->s, MSR) & 0xf0, 0xb0);
}

static void test_fifo_overflow(void **state)
{
	struct fixture *f = *state;

	wr(f->s, FCR, 0x01);
	wr(f->s, MCR, 0x10);
	for (unsigned i = 0; i < SERIAL_FIFO_SIZE + 3; i++)
		wr(f->s, THR, (uint8_t)i);
	assert_int_equal(rd(f->s, LSR), 0x60 | 0x02 | 0x01); /* OE, DR */
	assert_int_equal(rd(f->s, LSR), 0x61);                /* OE cleared */
	for (unsigned i = 0; i < SERIAL_FIFO_SIZE; i++)
		assert_int_equal(rd(f->s, RBR), i); /* overflowing bytes lost */
	assert_int_equal(rd(f->s, LSR), 0x60);

	/* FCR clear-RX empties the FIFO. */
	wr(f->s, THR, 1);
	wr(f->s, THR, 2);
	wr(f->s, FCR, 0x01 | 0x02);
	assert_int_equal(rd(f->s, LSR), 0x60);

	/* FIFO off: a one-byte holding register, overwritten on overrun. */
	wr(f->s, FCR, 0x00);
	assert_int_equal(rd(f->s, IIR) & 0xc0, 0);
	wr(f->s, THR, 'a');
	assert_int_equal(rd(f->s, LSR), 0x61);
	wr(f->s, THR, 'b');
	assert_int_equal(rd(f->s, LSR), 0x63);
	assert_int_equal(rd(f->s, RBR), 'b');
	assert_int_equal(rd(f->s, LSR), 0x60);

	/* Toggling FIFO enable clears the receiver. */
	wr(f->s, THR, 'c');
	wr(f->s, FCR, 0x01);
	assert_int_equal(rd(f->s, LSR), 0x60);
}

static void test_iir_priority(void **state)
{
	struct fixture *f = *state;

	wr(f->s, FCR, 0x01); /* trigger level 1 */
	wr(f->s, MCR, 0x10);
	for (unsigned i = 0; i < SERIAL_FIFO_SIZE + 1; i++)
		wr(f->s, THR, (uint8_t)i); /* rx data + overrun */
	wr(f->s, MCR, 0x10 | 0x02);    /* modem status delta (DCTS) */
	assert_int_equal(f->irq.level, 0);
	wr(f->s, IER, 0x0f);
	assert_int_equal(f->irq.level, 1);

	assert_int_equal(rd(f->s, IIR), 0xc6); /* line status first */
	rd(f->s, LSR);
	assert_int_equal(rd(f->s, IIR), 0xc4); /* then received data */
	assert_int_equal(rd(f->s, IIR), 0xc4); /* reading IIR does not clear it */
	for (unsigned i = 0; i < SERIAL_FIFO_SIZE; i++)
		rd(f->s, RBR);
	assert_int_equal(f->irq.level, 1);
	assert_int_equal(rd(f->s, IIR), 0xc2); /* THRE; this read clears it */
	assert_int_equal(rd(f->s, IIR), 0xc0); /* modem status last */
	assert_int_equal(f->irq.level, 1);
	rd(f->s, MSR);
	assert_int_equal(rd(f->s, IIR), 0xc1);
	assert_int_equal(f->irq.level, 0);
	assert_int_equal(f->irq.gsi, SERIAL_COM1_IRQ);
}

static void test_thre_interrupt(void **state)
{
	struct fixture *f = *state;

	wr(f->s, IER, 0x02);
	assert_int_equal(f->irq.level, 1);
	assert_int_equal(f->irq.raises, 1);
	assert_int_equal(rd(f->s, IIR), 0x02);
	assert_int_equal(f->irq.level, 0);
	assert_int_equal(rd(f->s, IIR), 0x01);
	wr(f->s, THR, 'z');
	assert_int_equal(f->irq.level, 1);
	assert_int_equal(f->irq.raises, 2);
	wr(f->s, THR, 'y'); /* writing THR clears then re-sets: stays high */
	assert_int_equal(f->irq.level, 1);
	wr(f->s, IER, 0x00);
	assert_int_equal(f->irq.level, 0);
	assert_int_equal(rd(f->s, IIR), 0x01);
	assert_int_equal(f->out.len, 2);
	assert_memory_equal(f->out.data, "zy", 2);
}

static void test_rx_input(void **state)
{
	struct fixture *f = *state;
	uint8_t big[40];

	wr(f->s, FCR, 0x01);
	wr(f->s, IER, 0x01);
	assert_int_equal(serial_rx_room(f->s), SERIAL_FIFO_SIZE);
	assert_int_equal(serial_push_input(f->s, (const uint8_t *)"hello", 5), 5);
	assert_int_equal(f->irq.level, 1);
	assert_int_equal(rd(f->s, IIR), 0xc4);
	assert_int_equal(serial_rx_room(f->s), SERIAL_FIFO_SIZE - 5);
	for (int i = 0; i < 5; i++) {
		assert_true(rd(f->s, LSR) & 0x01);
		assert_int_equal(rd(f->s, RBR), (uint8_t)"hello"[i]);
	}
	assert_false(rd(f->s, LSR) & 0x01);
	assert_int_equal(f->irq.level, 0);
	assert_int_equal(rd(f->s, IIR), 0xc1);

	/* More than fits: the rest stays with the caller, who is told of room. */
	for (unsigned i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(0x30 + i);
	assert_int_equal(serial_push_input(f->s, big, sizeof(big)), SERIAL_FIFO_SIZE);
	assert_int_equal(serial_rx_room(f->s), 0);
	assert_int_equal(serial_push_input(f->s, big + SERIAL_FIFO_SIZE, 4), 0);
	assert_int_equal(f->rx_space_calls, 0);
	assert_int_equal(rd(f->s, RBR), big[0]);
	assert_int_equal(f->rx_space_calls, 1);
	assert_int_equal(rd(f->s, RBR), big[1]);
	assert_int_equal(f->rx_space_calls, 1); /* once per short push */
	assert_int_equal(serial_push_input(f->s, big + SERIAL_FIFO_SIZE, 4), 2);
	for (unsigned i = 2; i < SERIAL_FIFO_SIZE + 2; i++)
		assert_int_equal(rd(f->s, RBR), big[i]);
	assert_int_equal(rd(f->s, LSR), 0x60);
	assert_int_equal(f->irq.level, 0);
	/* Empty RBR reads repeat the last byte. */
	assert_int_equal(rd(f->s, RBR), big[SERIAL_FIFO_SIZE + 1]);
}

static void test_rx_room_modes(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(serial_rx_room(f->s), 1); /* FIFOs off after reset */
	assert_int_equal(serial_push_input(f->s, (const uint8_t *)"ab", 2), 1);
	assert_int_equal(serial_rx_room(f->s), 0);
	wr(f->s, FCR, 0x01); /* enabling FIFOs clears them; room appears */
	assert_int_equal(f->rx_space_calls, 1);
	assert_int_equal(serial_rx_room(f->s), SERIAL_FIFO_SIZE);
	wr(f->s, MCR, 0x10);
	assert_int_equal(serial_rx_room(f->s), 0);
	assert_int_equal(serial_push_input(f->s, (const uint8_t *)"x", 1), 0);
	wr(f->s, MCR, 0x00);
	assert_int_equal(f->rx_space_calls, 2);
	assert_int_equal(serial_rx_room(f->s), SERIAL_FIFO_SIZE);
}

static void test_trigger_levels(void **state)
{
	struct fixture *f = *state;
	static const struct {
		uint8_t fcr;
		unsigned level;
	} t[] = {{0x01, 1}, {0x41, 4}, {0x81, 8}, {0xc1, 14}};

	wr(f->s, IER, 0x01);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		wr(f->s, FCR, t[i].fcr | 0x02);
		for (unsigned n = 1; n <= t[i].level; n++) {
			assert_int_equal(serial_push_input(f->s, (const uint8_t *)"q", 1), 1);
			/* below the trigger: character timeout; at it: data available */
			assert_int_equal(rd(f->s, IIR), n < t[i].level ? 0xcc : 0xc4);
			assert_int_equal(f->irq.level, 1);
		}
	}
}

static void test_wide_access(void **state)
{
	struct fixture *f = *state;
	uint8_t d[4];
	uint8_t w[2] = {0x03, 0x0b};

	serial_bus_ops.write(f->s, LCR, w, 2);
	serial_bus_ops.read(f->s, LCR, d, 2);
	assert_int_equal(d[0], 0x03);
	assert_int_equal(d[1], 0x0b);
	serial_bus_ops.read(f->s, 6, d, 4); /* MSR, SCR, then past the end */
	assert_int_equal(d[0], 0xb0);
	assert_int_equal(d[1], 0x00);
	assert_int_equal(d[2], 0xff);
	assert_int_equal(d[3], 0xff);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_fd_output_and_stall(void **state)
{
	int p[2];
	struct serial *s;
	struct serial_config cfg = {.out_fd = -1};
	uint8_t buf[4096];
	int64_t t0;
	ssize_t n;

	(void)state;
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	cfg.out_fd = p[1];
	assert_int_equal(serial_create(&cfg, &s), 0);
	wr(s, THR, 'o');
	wr(s, THR, 'k');
	assert_int_equal(read(p[0], buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "ok", 2);

	/* Fill the pipe: the next byte waits a bounded time, then drops. */
	memset(buf, 'f', sizeof(buf));
	while (write(p[1], buf, sizeof(buf)) > 0)
		;
	while (write(p[1], buf, 1) > 0)
		;
	t0 = now_ms();
	wr(s, THR, '1');
	assert_true(now_ms() - t0 >= SERIAL_TX_STALL_MS - 1);
	assert_true(now_ms() - t0 < SERIAL_TX_STALL_MS + 500);
	assert_int_equal(serial_tx_dropped(s), 1);
	t0 = now_ms();
	for (int i = 0; i < 50; i++)
		wr(s, THR, '2'); /* stalled: dropped without waiting */
	assert_true(now_ms() - t0 < 50 * SERIAL_TX_STALL_MS / 2); /* not 50 waits */
	assert_int_equal(serial_tx_dropped(s), 51);

	/* Drain: output resumes. */
	while ((n = read(p[0], buf, sizeof(buf))) > 0)
		;
	wr(s, THR, '3');
	assert_int_equal(read(p[0], buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], '3');
	assert_int_equal(serial_tx_dropped(s), 51);

	/* A blocking fd works the same way (poll before write). */
	serial_destroy(s);
	close(p[0]);
	close(p[1]);
	assert_int_equal(pipe(p), 0);
	cfg.out_fd = p[1];
	assert_int_equal(serial_create(&cfg, &s), 0);
	wr(s, THR, 'b');
	assert_int_equal(read(p[0], buf, 1), 1);
	assert_int_equal(buf[0], 'b');
	assert_int_equal(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	while (write(p[1], buf, 1) > 0)
		;
	assert_int_equal(fcntl(p[1], F_SETFL, 0), 0);
	t0 = now_ms();
	wr(s, THR, 'c'); /* would block forever without the poll */
	assert_true(now_ms() - t0 < SERIAL_TX_STALL_MS + 500);
	assert_int_equal(serial_tx_dropped(s), 1);
	serial_destroy(s);
	close(p[0]);
	close(p[1]);
}

static void test_output_errors(void **state)
{
	int p[2];
	struct serial *s;
	struct serial_config cfg = {.out_fd = -1};

	(void)state;
	/* Discard: no fd, no callback. */
	assert_int_equal(serial_create(&cfg, &s), 0);
	wr(s, THR, 'x');
	assert_int_equal(serial_tx_dropped(s), 0);
	serial_destroy(s);

	/* A bad fd is refused at create. */
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	close(p[1]);
	cfg.out_fd = p[1];
	assert_int_equal(serial_create(&cfg, &s), -EBADF);
	assert_int_equal(serial_create(NULL, &s), -EINVAL);
}

struct hammer {
	struct serial *s;
	int writes;
};

static void *hammer_thread(void *arg)
{
	struct hammer *h = arg;

	for (int i = 0; i < h->writes; i++) {
		wr(h->s, THR, (uint8_t)i);
		rd(h->s, LSR);
		rd(h->s, IIR);
	}
	return NULL;
}

static void count_cb(void *ctx, const uint8_t *buf, size_t len)
{
	(void)buf;
	*(size_t *)ctx += len; /* called under the device lock */
}

/* Several vCPU threads and the control thread at once: every byte out, no
 * deadlock, input accounting stays within the FIFO. */
static void test_concurrent_access(void **state)
{
	struct serial *s;
	size_t sent = 0, pushed = 0, drained = 0;
	struct serial_config cfg = {.out_fd = -1, .out_cb = count_cb, .out_ctx = &sent};
	pthread_t th[4];
	struct hammer h = {.writes = 5000};

	(void)state;
	assert_int_equal(serial_create(&cfg, &s), 0);
	h.s = s;
	wr(s, FCR, 0x01);
	wr(s, IER, 0x0f);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer_thread, &h), 0);
	for (int i = 0; i < 20000; i++) {
		size_t room = serial_rx_room(s);
		assert_true(room <= SERIAL_FIFO_SIZE);
		pushed += serial_push_input(s, (const uint8_t *)"abc", 3);
		while (rd(s, LSR) & 0x01) {
			rd(s, RBR);
			drained++;
		}
	}
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	while (rd(s, LSR) & 0x01) {
		rd(s, RBR);
		drained++;
	}
	assert_int_equal(sent, 4 * 5000);
	assert_int_equal(drained, pushed);
	serial_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reset_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linux_probe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scratch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dlab_divisor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loopback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iir_priority, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thre_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_room_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trigger_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wide_access, setup, teardown),
		cmocka_unit_test(test_fd_output_and_stall),
		cmocka_unit_test(test_output_errors),
		cmocka_unit_test(test_concurrent_access),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
