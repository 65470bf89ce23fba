/* devices/i8042.c — minimal i8042 controller. See i8042.h for the contract. */
#include "devices/i8042.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "util/log.h"

/* Status register (read from 0x64). */
#define STR_OBF 0x01    /* output buffer full */
#define STR_SYS 0x04    /* system flag (mirrors CTR bit 2) */
#define STR_CMD 0x08    /* last write was to 0x64 */
#define STR_UNLOCK 0x10 /* keyboard not inhibited */
#define STR_AUXDATA 0x20

/* Controller command byte (CTR, RAM byte 0). */
#define CTR_KBDINT 0x01
#define CTR_AUXINT 0x02
#define CTR_SYS 0x04
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20
#define CTR_XLATE 0x40
#define CTR_DEFAULT (CTR_KBDINT | CTR_SYS | CTR_XLATE)

#define OUTPORT_DEFAULT 0x03 /* reset line inactive, A20 on */

#define CMD_NONE 0x00
#define CMD_READ_RAM 0x20  /* ..0x3f */
#define CMD_WRITE_RAM 0x60 /* ..0x7f */
#define CMD_AUX_DISABLE 0xa7
#define CMD_AUX_ENABLE 0xa8
#define CMD_AUX_TEST 0xa9
#define CMD_SELF_TEST 0xaa
#define CMD_KBD_TEST 0xab
#define CMD_KBD_DISABLE 0xad
#define CMD_KBD_ENABLE 0xae
#define CMD_READ_OUTPORT 0xd0
#define CMD_WRITE_OUTPORT 0xd1
#define CMD_KBD_LOOP 0xd2
#define CMD_AUX_LOOP 0xd3
#define CMD_AUX_SEND 0xd4
#define CMD_PULSE_RESET 0xfe

#define RAM_SIZE 32
#define OUTQ_SIZE 8

struct outbyte {
	uint8_t val;
	bool aux;
};

struct i8042 {
	pthread_mutex_t lock;
	struct i8042_config cfg;
	uint8_t ram[RAM_SIZE]; /* ram[0] is the CTR */
	uint8_t outport;
	uint8_t pending;   /* command waiting for its data byte, or CMD_NONE */
	bool last_was_cmd; /* STR_CMD */
	struct outbyte outq[OUTQ_SIZE];
	unsigned outq_head, outq_count;
	uint8_t data_last; /* what 0x60 reads with nothing queued */
	int kbd_level, aux_level;
	uint64_t resets;
	struct log_ratelimit rl; /* per device, used under lock */
};

/* ---- helpers (lock held) ---- */

static void outq_push(struct i8042 *d, uint8_t val, bool aux)
{
	if (d->outq_count == OUTQ_SIZE) {
		log_ratelimited(&d->rl, LOG_DEBUG, "i8042: output buffer full, dropping 0x%02x", val);
		return;
	}
	d->outq[(d->outq_head + d->outq_count) % OUTQ_SIZE] = (struct outbyte){val, aux};
	d->outq_count++;
}

static uint8_t outq_pop(struct i8042 *d)
{
	if (d->outq_count == 0)
		return d->data_last;
	d->data_last = d->outq[d->outq_head].val;
	d->outq_head = (d->outq_head + 1) % OUTQ_SIZE;
	d->outq_count--;
	return d->data_last;
}

static uint8_t status(const struct i8042 *d)
{
	uint8_t v = STR_UNLOCK;

	if (d->ram[0] & CTR_SYS)
		v |= STR_SYS;
	if (d->last_was_cmd)
		v |= STR_CMD;
	if (d->outq_count) {
		v |= STR_OBF;
		if (d->outq[d->outq_head].aux)
			v |= STR_AUXDATA;
	}
	return v;
}

static void update_irqs(struct i8042 *d)
{
	int kbd = 0, aux = 0;

	if (d->outq_count) {
		if (d->outq[d->outq_head].aux)
			aux = !!(d->ram[0] & CTR_AUXINT);
		else
			kbd = !!(d->ram[0] & CTR_KBDINT);
	}
	if (kbd != d->kbd_level) {
		d->kbd_level = kbd;
		irq_line_set(&d->cfg.irq_kbd, kbd);
	}
	if (aux != d->aux_level) {
		d->aux_level = aux;
		irq_line_set(&d->cfg.irq_aux, aux);
	}
}

/* A command byte written to 0x64. Returns true if the reset line was pulsed. */
static bool do_command(struct i8042 *d, uint8_t cmd)
{
	d->pending = CMD_NONE;
	if (cmd >= CMD_READ_RAM && cmd < CMD_READ_RAM + RAM_SIZE) {
		outq_push(d, d->ram[cmd - CMD_READ_RAM], false);
		return false;
	}
	if (cmd >= CMD_WRITE_RAM && cmd < CMD_WRITE_RAM + RAM_SIZE) {
		d->pending = cmd;
		return false;
	}
	switch (cmd) {
	case CMD_AUX_DISABLE:
		d->ram[0] |= CTR_AUXDIS;
		break;
	case CMD_AUX_ENABLE:
		d->ram[0] &= ~CTR_AUXDIS;
		break;
	case CMD_AUX_TEST:
	case CMD_KBD_TEST:
		outq_push(d, 0x00, false); /* no clock/data line errors */
		break;
	case CMD_SELF_TEST:
		outq_push(d, 0x55, false);
		break;
	case CMD_KBD_DISABLE:
		d->ram[0] |= CTR_KBDDIS;
		break;
	case CMD_KBD_ENABLE:
		d->ram[0] &= ~CTR_KBDDIS;
		break;
	case CMD_READ_OUTPORT:
		outq_push(d, d->outport, false);
		break;
	case CMD_WRITE_OUTPORT:
	case CMD_KBD_LOOP:
	case CMD_AUX_LOOP:
	case CMD_AUX_SEND:
		d->pending = cmd;
		break;
	case CMD_PULSE_RESET:
		d->resets++;
		return true;
	default:
		log_ratelimited(&d->rl, LOG_DEBUG, "i8042: ignoring command 0x%02x", cmd);
		break;
	}
	return false;
}

/* A byte written to 0x60. */
static void do_data(struct i8042 *d, uint8_t val)
{
	uint8_t cmd = d->pending;

	d->pending = CMD_NONE;
	if (cmd >= CMD_WRITE_RAM && cmd < CMD_WRITE_RAM + RAM_SIZE) {
		d->ram[cmd - CMD_WRITE_RAM] = val;
		return;
	}
	switch (cmd) {
	case CMD_WRITE_OUTPORT:
		/* Stored only: A20 is always on and reset goes through 0xfe. */
		d->outport = val;
		break;
	case CMD_KBD_LOOP:
		outq_push(d, val, false);
		break;
	case CMD_AUX_LOOP:
		outq_push(d, val, true);
		break;
	case CMD_AUX_SEND:
		break; /* no aux device */
	default:
		/* A byte for the keyboard: there is none. */
		log_ratelimited(&d->rl, LOG_DEBUG, "i8042: no keyboard, dropping 0x%02x", val);
		break;
	}
}

/* ---- bus interface ---- */

/* Contract: both ranges are one port wide; only data[0] is the port's value,
 * any further bytes of a wider access read 0xff and are ignored on write. */
static void i8042_data_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
	struct i8042 *d = opaque;

	pthread_mutex_lock(&d->lock);
	data[0] = offset == 0 ? outq_pop(d) : 0xff;
	update_irqs(d);
	pthread_mutex_unlock(&d->lock);
	for (uint32_t i = 1; i < len; i++)
		data[i] = 0xff;
}

static void i8042_data_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
	struct i8042 *d = opaque;

	if (offset != 0 || len == 0)
		return;
	pthread_mutex_lock(&d->lock);
	d->last_was_cmd = false;
	do_data(d, data[0]);
	update_irqs(d);
	pthread_mutex_unlock(&d->lock);
}

static void i8042_cmd_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
	struct i8042 *d = opaque;

	pthread_mutex_lock(&d->lock);
	data[0] = offset == 0 ? status(d) : 0xff;
	pthread_mutex_unlock(&d->lock);
	for (uint32_t i = 1; i < len; i++)
		data[i] = 0xff;
}

static void i8042_cmd_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
	struct i8042 *d = opaque;
	bool reset;

	if (offset != 0 || len == 0)
		return;
	pthread_mutex_lock(&d->lock);
	d->last_was_cmd = true;
	reset = do_command(d, data[0]);
	update_irqs(d);
	pthread_mutex_unlock(&d->lock);
	if (reset && d->cfg.reset_cb)
		d->cfg.reset_cb(d->cfg.reset_ctx);
}

const struct bus_ops i8042_data_bus_ops = {
	.read = i8042_data_read,
	.write = i8042_data_write,
};

const struct bus_ops i8042_cmd_bus_ops = {
	.read = i8042_cmd_read,
	.write = i8042_cmd_write,
};

uint64_t i8042_reset_count(struct i8042 *d)
{
	uint64_t v;

	pthread_mutex_lock(&d->lock);
	v = d->resets;
	pthread_mutex_unlock(&d->lock);
	return v;
}

int i8042_create(const struct i8042_config *cfg, struct i8042 **out)
{
	struct i8042 *d;

	if (!cfg || !out)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	if (pthread_mutex_init(&d->lock, NULL) != 0) {
		free(d);
		return -ENOMEM;
	}
	d->cfg = *cfg;
	d->ram[0] = CTR_DEFAULT;
	d->outport = OUTPORT_DEFAULT;
	d->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT;
	*out = d;
	return 0;
}

void i8042_destroy(struct i8042 *d)
{
	if (!d)
		return;
	pthread_mutex_destroy(&d->lock);
	free(d);
}
