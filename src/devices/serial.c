/* devices/serial.c — 16550A UART model. See serial.h for the contract.
 *
 * Register map (offset from base; DLAB = LCR bit 7):
 *   0  R: RBR (DLAB=0) / DLL (DLAB=1)      W: THR (DLAB=0) / DLL (DLAB=1)
 *   1  R/W: IER (DLAB=0) / DLM (DLAB=1)
 *   2  R: IIR                              W: FCR
 *   3  LCR   4  MCR   5  LSR   6  MSR   7  SCR
 */
#include "devices/serial.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

enum {
	REG_RBR_THR = 0,
	REG_IER = 1,
	REG_IIR_FCR = 2,
	REG_LCR = 3,
	REG_MCR = 4,
	REG_LSR = 5,
	REG_MSR = 6,
	REG_SCR = 7,
};

#define IER_ERBFI 0x01 /* received data available */
#define IER_ETBEI 0x02 /* transmitter holding register empty */
#define IER_ELSI 0x04  /* receiver line status */
#define IER_EDSSI 0x08 /* modem status */
#define IER_MASK 0x0f  /* bits 4-7 read as 0 on a 16550A */

#define IIR_NO_INT 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_CTI 0x0c
#define IIR_FIFO_ON 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define FCR_DMA 0x08
#define FCR_TRIG_MASK 0xc0

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f /* bits 5-7 read as 0 on a 16550A */

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_PE 0x04
#define LSR_FE 0x08
#define LSR_BI 0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_ERRORS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80
/* Outside loopback the "modem" is always connected and ready. */
#define MSR_LINES_DEFAULT (MSR_DCD | MSR_DSR | MSR_CTS)

#define DIVISOR_DEFAULT 12 /* 9600 baud from the 1.8432 MHz clock */

struct serial {
	pthread_mutex_t lock;
	struct serial_config cfg;
	bool out_nonblock; /* out_fd has O_NONBLOCK: skip poll() before write */

	uint8_t ier, lcr, mcr, scr, dll, dlm;
	uint8_t fcr;       /* FCR_ENABLE | FCR_DMA | trigger bits, as last written */
	uint8_t lsr_err;   /* sticky LSR error bits, cleared by reading LSR */
	uint8_t msr_delta; /* MSR bits 0-3, cleared by reading MSR */
	bool thre_pending; /* THRE interrupt condition (cleared by IIR read/THR write) */

	uint8_t rx[SERIAL_FIFO_SIZE];
	unsigned rx_head, rx_count;
	uint8_t rbr_last; /* what RBR reads when the FIFO is empty */

	int irq_level;    /* last level given to cfg.irq */
	bool rx_wanted;   /* a caller is waiting for receive room */
	bool tx_stalled;  /* out_fd timed out; drop without waiting until it drains */
	bool tx_dropping; /* the last byte was dropped (for logging episodes) */
	uint64_t tx_dropped;
	struct log_ratelimit rl_tx; /* per device, used under lock */
};

/* ---- helpers (all called with s->lock held) ---- */

static bool fifo_on(const struct serial *s)
{
	return s->fcr & FCR_ENABLE;
}

static bool loopback(const struct serial *s)
{
	return s->mcr & MCR_LOOP;
}

static unsigned rx_capacity(const struct serial *s)
{
	return fifo_on(s) ? SERIAL_FIFO_SIZE : 1;
}

/* Room for bytes from the outside world: none while in loopback (the serial
 * input pin is disconnected from the receiver then). */
static size_t rx_room_locked(const struct serial *s)
{
	if (loopback(s))
		return 0;
	return rx_capacity(s) - s->rx_count;
}

static unsigned rx_trigger(const struct serial *s)
{
	static const unsigned levels[4] = {1, 4, 8, 14};
	return levels[(s->fcr & FCR_TRIG_MASK) >> 6];
}

/* A character arrives at the receiver. With FIFOs on, a full FIFO loses the
 * new character; with FIFOs off the holding register is overwritten. Either
 * way LSR.OE is set. */
static void rx_put(struct serial *s, uint8_t byte)
{
	unsigned cap = rx_capacity(s);

	if (s->rx_count < cap) {
		s->rx[(s->rx_head + s->rx_count) % SERIAL_FIFO_SIZE] = byte;
		s->rx_count++;
		return;
	}
	s->lsr_err |= LSR_OE;
	if (!fifo_on(s))
		s->rx[s->rx_head] = byte;
}

static uint8_t rx_get(struct serial *s)
{
	if (s->rx_count == 0)
		return s->rbr_last;
	s->rbr_last = s->rx[s->rx_head];
	s->rx_head = (s->rx_head + 1) % SERIAL_FIFO_SIZE;
	s->rx_count--;
	return s->rbr_last;
}

static void rx_clear(struct serial *s)
{
	s->rx_head = 0;
	s->rx_count = 0;
}

static uint8_t lsr_value(const struct serial *s)
{
	uint8_t v = LSR_THRE | LSR_TEMT | s->lsr_err;

	if (s->rx_count)
		v |= LSR_DR;
	return v;
}

/* MSR bits 4-7: in loopback the MCR outputs feed the modem inputs. */
static uint8_t msr_lines(const struct serial *s)
{
	uint8_t v = 0;

	if (!loopback(s))
		return MSR_LINES_DEFAULT;
	if (s->mcr & MCR_RTS)
		v |= MSR_CTS;
	if (s->mcr & MCR_DTR)
		v |= MSR_DSR;
	if (s->mcr & MCR_OUT1)
		v |= MSR_RI;
	if (s->mcr & MCR_OUT2)
		v |= MSR_DCD;
	return v;
}

/* Interrupt identification, highest priority first. */
static uint8_t iir_value(const struct serial *s)
{
	uint8_t id = IIR_NO_INT;

	if ((s->ier & IER_ELSI) && (s->lsr_err & LSR_ERRORS))
		id = IIR_RLSI;
	else if ((s->ier & IER_ERBFI) && s->rx_count)
		/* No clock is modelled: data below the trigger level reports
		 * as a character timeout straight away. */
		id = (fifo_on(s) && s->rx_count < rx_trigger(s)) ? IIR_CTI : IIR_RDI;
	else if ((s->ier & IER_ETBEI) && s->thre_pending)
		id = IIR_THRI;
	else if ((s->ier & IER_EDSSI) && (s->msr_delta & 0x0f))
		id = IIR_MSI;
	if (fifo_on(s))
		id |= IIR_FIFO_ON;
	return id;
}

static void update_irq(struct serial *s)
{
	int level = !(iir_value(s) & IIR_NO_INT);

	if (level != s->irq_level) {
		s->irq_level = level;
		irq_line_set(&s->cfg.irq, level);
	}
}

static int64_t now_ms(void)
{
	return monotonic_ns() / 1000000;
}

/* Write one byte to out_fd, waiting at most SERIAL_TX_STALL_MS (0 while
 * stalled) for it to become writable. Returns 0 or -errno. */
static int fd_write_byte(struct serial *s, uint8_t byte)
{
	int fd = s->cfg.out_fd;
	int64_t deadline = now_ms() + (s->tx_stalled ? 0 : SERIAL_TX_STALL_MS);
	bool need_poll = !s->out_nonblock;

	for (;;) {
		if (need_poll) {
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};
			int64_t left = deadline - now_ms();
			int r;

			r = poll(&pfd, 1, left > 0 ? (int)left : 0);
			if (r < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			if (r == 0) {
				s->tx_stalled = true;
				return -EAGAIN;
			}
			if (pfd.revents & POLLNVAL)
				return -EBADF;
			/* POLLERR/POLLHUP: let write() report the error. */
		}
		ssize_t n = write(fd, &byte, 1);
		if (n == 1) {
			s->tx_stalled = false;
			return 0;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (now_ms() >= deadline) {
				s->tx_stalled = true;
				return -EAGAIN;
			}
			need_poll = true;
			continue;
		}
		return n < 0 ? -errno : -EIO;
	}
}

static void emit(struct serial *s, uint8_t byte)
{
	int r;

	if (s->cfg.out_cb) {
		s->cfg.out_cb(s->cfg.out_ctx, &byte, 1);
		return;
	}
	if (s->cfg.out_fd < 0)
		return;
	r = fd_write_byte(s, byte);
	if (r < 0) {
		s->tx_dropped++;
		/* One line per episode (rate-limited), not one per byte. */
		if (!s->tx_dropping)
			log_ratelimited(&s->rl_tx, LOG_WARN, "serial: output %s, dropping output",
					r == -EAGAIN ? "not writable" : strerror(-r));
		s->tx_dropping = true;
	} else if (s->tx_dropping) {
		s->tx_dropping = false;
		log_ratelimited(&s->rl_tx, LOG_INFO,
				"serial: output resumed (%llu bytes dropped so far)",
				(unsigned long long)s->tx_dropped);
	}
}

static void write_thr(struct serial *s, uint8_t v)
{
	if (loopback(s))
		rx_put(s, v);
	else
		emit(s, v);
	/* Transmission is instantaneous: THR is empty again right away. */
	s->thre_pending = true;
}

static void write_fcr(struct serial *s, uint8_t v)
{
	if ((v & FCR_ENABLE) != (s->fcr & FCR_ENABLE))
		rx_clear(s); /* toggling FIFO mode resets both FIFOs */
	if (!(v & FCR_ENABLE)) {
		s->fcr = 0; /* other bits are only programmed with bit 0 set */
		return;
	}
	if (v & FCR_CLEAR_RX)
		rx_clear(s);
	/* FCR_CLEAR_TX: the transmit FIFO is always empty. Bit 5 (16750
	 * 64-byte FIFO) is ignored, as on a 16550A. */
	s->fcr = v & (FCR_ENABLE | FCR_DMA | FCR_TRIG_MASK);
}

static void write_mcr(struct serial *s, uint8_t v)
{
	uint8_t before = msr_lines(s), after, changed;

	s->mcr = v & MCR_MASK;
	after = msr_lines(s);
	changed = before ^ after;
	if (changed & MSR_CTS)
		s->msr_delta |= MSR_DCTS;
	if (changed & MSR_DSR)
		s->msr_delta |= MSR_DDSR;
	if (changed & MSR_DCD)
		s->msr_delta |= MSR_DDCD;
	if ((before & MSR_RI) && !(after & MSR_RI))
		s->msr_delta |= MSR_TERI; /* trailing edge of ring indicator */
}

static void write_ier(struct serial *s, uint8_t v)
{
	uint8_t old = s->ier;

	s->ier = v & IER_MASK;
	/* Enabling the THRE interrupt while THR is empty (always, here)
	 * raises it, as the Linux driver's THRE re-assert test expects. */
	if ((s->ier & IER_ETBEI) && !(old & IER_ETBEI))
		s->thre_pending = true;
}

static uint8_t reg_read(struct serial *s, unsigned off)
{
	uint8_t v;

	switch (off) {
	case REG_RBR_THR:
		return (s->lcr & LCR_DLAB) ? s->dll : rx_get(s);
	case REG_IER:
		return (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
	case REG_IIR_FCR:
		v = iir_value(s);
		if ((v & 0x0f) == IIR_THRI)
			s->thre_pending = false;
		return v;
	case REG_LCR:
		return s->lcr;
	case REG_MCR:
		return s->mcr;
	case REG_LSR:
		v = lsr_value(s);
		s->lsr_err = 0;
		return v;
	case REG_MSR:
		v = msr_lines(s) | s->msr_delta;
		s->msr_delta = 0;
		return v;
	case REG_SCR:
		return s->scr;
	default:
		return 0xff;
	}
}

static void reg_write(struct serial *s, unsigned off, uint8_t v)
{
	switch (off) {
	case REG_RBR_THR:
		if (s->lcr & LCR_DLAB)
			s->dll = v;
		else
			write_thr(s, v);
		break;
	case REG_IER:
		if (s->lcr & LCR_DLAB)
			s->dlm = v;
		else
			write_ier(s, v);
		break;
	case REG_IIR_FCR:
		write_fcr(s, v);
		break;
	case REG_LCR:
		s->lcr = v;
		break;
	case REG_MCR:
		write_mcr(s, v);
		break;
	case REG_SCR:
		s->scr = v;
		break;
	default:
		/* LSR and MSR are read-only (factory test writes ignored). */
		break;
	}
}

/* Called with the lock held at the end of a guest access: decide whether to
 * tell the input side that room appeared. */
static bool take_rx_notify(struct serial *s)
{
	if (s->rx_wanted && rx_room_locked(s) > 0) {
		s->rx_wanted = false;
		return s->cfg.rx_space_cb != NULL;
	}
	return false;
}

/* ---- bus interface ---- */

/* Contract: offset is relative to base, len 1..8, data has len bytes. Wider
 * accesses are split into byte accesses at consecutive registers; bytes past
 * the last register read 0xff and are dropped on write. */
static void serial_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
	struct serial *s = opaque;
	bool notify;

	pthread_mutex_lock(&s->lock);
	for (uint32_t i = 0; i < len; i++) {
		uint64_t off = offset + i;
		data[i] = off < SERIAL_PORT_LEN ? reg_read(s, (unsigned)off) : 0xff;
	}
	update_irq(s);
	notify = take_rx_notify(s);
	pthread_mutex_unlock(&s->lock);
	if (notify)
		s->cfg.rx_space_cb(s->cfg.rx_space_ctx);
}

static void serial_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
	struct serial *s = opaque;
	bool notify;

	pthread_mutex_lock(&s->lock);
	for (uint32_t i = 0; i < len; i++) {
		uint64_t off = offset + i;
		if (off < SERIAL_PORT_LEN)
			reg_write(s, (unsigned)off, data[i]);
	}
	update_irq(s);
	notify = take_rx_notify(s);
	pthread_mutex_unlock(&s->lock);
	if (notify)
		s->cfg.rx_space_cb(s->cfg.rx_space_ctx);
}

const struct bus_ops serial_bus_ops = {
	.read = serial_read,
	.write = serial_write,
};

/* ---- control-thread interface ---- */

size_t serial_rx_room(struct serial *s)
{
	size_t room;

	pthread_mutex_lock(&s->lock);
	room = rx_room_locked(s);
	if (room == 0)
		s->rx_wanted = true;
	pthread_mutex_unlock(&s->lock);
	return room;
}

size_t serial_push_input(struct serial *s, const uint8_t *buf, size_t n)
{
	size_t room, take;

	pthread_mutex_lock(&s->lock);
	room = rx_room_locked(s);
	take = n < room ? n : room;
	for (size_t i = 0; i < take; i++)
		rx_put(s, buf[i]);
	if (take < n)
		s->rx_wanted = true;
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return take;
}

uint64_t serial_tx_dropped(struct serial *s)
{
	uint64_t v;

	pthread_mutex_lock(&s->lock);
	v = s->tx_dropped;
	pthread_mutex_unlock(&s->lock);
	return v;
}

int serial_create(const struct serial_config *cfg, struct serial **out)
{
	struct serial *s;
	int fl = 0;

	if (!cfg || !out)
		return -EINVAL;
	if (!cfg->out_cb && cfg->out_fd >= 0) {
		fl = fcntl(cfg->out_fd, F_GETFL);
		if (fl < 0)
			return -errno;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		free(s);
		return -ENOMEM;
	}
	s->cfg = *cfg;
	s->out_nonblock = fl & O_NONBLOCK;
	s->dll = DIVISOR_DEFAULT;
	s->dlm = 0;
	s->rl_tx = (struct log_ratelimit)LOG_RATELIMIT_INIT;
	*out = s;
	return 0;
}

void serial_destroy(struct serial *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s);
}
