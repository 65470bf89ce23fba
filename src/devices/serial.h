/* devices/serial.h — 16550A UART (COM1 at 0x3f8, IRQ 4).
 *
 * A software model of a National Semiconductor 16550A as a Linux guest's 8250
 * driver probes it: scratch register, loopback (MCR bit 4, MSR mapping), IIR
 * FIFO bits 11 when FIFOs are on, no EFR and no 64-byte mode (so the driver
 * settles on "16550A" with a 16-byte FIFO).
 *
 * Transmit is instantaneous: a byte written to THR goes straight to the output
 * (or, in loopback, to the receive FIFO), so LSR.THRE and LSR.TEMT are always
 * set and the THRE interrupt re-arms on every THR write.
 *
 * Output: every transmitted byte is handed to `out_cb` if set, else written to
 * `out_fd` if >= 0, else discarded. Writes to out_fd happen on the vCPU thread
 * that wrote THR, under the device lock (so bytes from several vCPUs keep
 * their order). To never hang a vCPU on a slow or stopped terminal the device
 * polls out_fd for POLLOUT before writing (bounded by SERIAL_TX_STALL_MS); if
 * the fd stays unwritable that long the byte is dropped and counted, and
 * later bytes are dropped without waiting until a write succeeds again (see
 * serial_tx_dropped()). EINTR is retried. A blocking fd is fine; a
 * non-blocking one saves the poll() call per byte. If out_fd can be a pipe
 * or socket whose reader goes away, the VMM must ignore SIGPIPE (the write
 * then fails with EPIPE and the byte is dropped).
 *
 * Input: the VMM's control thread feeds terminal bytes with
 * serial_push_input(); the device accepts at most serial_rx_room() bytes
 * (the 16-byte receive FIFO, 1 byte when FIFOs are off, 0 in loopback mode)
 * and the caller keeps the rest. When the guest later makes room after a
 * short push (or after serial_rx_room() returned 0), `rx_space_cb` is called
 * once so the caller can push again.
 *
 * Interrupts: level semantics on `irq` — asserted while any enabled interrupt
 * condition is pending, deasserted when none is. The PC's OUT2 gate on the
 * interrupt pin is not modelled (the line follows IER/IIR alone).
 *
 * Threading: bus_ops callbacks may run concurrently on several vCPU threads;
 * serial_push_input()/serial_rx_room() on the control thread. One mutex per
 * device serialises them all. Callbacks (irq, out_cb) are invoked with the
 * device lock held and must not call back into this device; rx_space_cb is
 * invoked without the lock.
 */
#ifndef NIMBUS_DEVICES_SERIAL_H
#define NIMBUS_DEVICES_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#include "bus/bus.h"
#include "util/irq.h"

#define SERIAL_COM1_BASE 0x3f8
#define SERIAL_COM1_IRQ 4
#define SERIAL_PORT_LEN 8 /* registers at base+0 .. base+7 */
#define SERIAL_FIFO_SIZE 16
/* Longest a vCPU waits for out_fd to become writable before dropping. */
#define SERIAL_TX_STALL_MS 20

struct serial_config {
	int out_fd; /* -1: discard output (unless out_cb is set) */
	/* Optional; when set it gets every transmitted byte instead of out_fd. */
	void (*out_cb)(void *ctx, const uint8_t *buf, size_t len);
	void *out_ctx;
	struct irq_line irq; /* set_level may be NULL: no interrupt */
	/* Optional: room appeared in the receive FIFO after a short push. */
	void (*rx_space_cb)(void *ctx);
	void *rx_space_ctx;
};

struct serial;

/* Allocate a UART in its power-on state. The device does not own out_fd
 * (it is not closed by serial_destroy). Returns 0 or -ENOMEM / -EINVAL. */
__attribute__((warn_unused_result)) int serial_create(const struct serial_config *cfg,
						      struct serial **out);
void serial_destroy(struct serial *s);

/* Register with bus_insert(pio, SERIAL_COM1_BASE, SERIAL_PORT_LEN,
 * &serial_bus_ops, s, "serial"). */
extern const struct bus_ops serial_bus_ops;

/* Bytes serial_push_input() would accept now. */
size_t serial_rx_room(struct serial *s);
/* Queue up to n received bytes (at most serial_rx_room()); returns the number
 * taken. Raises the receive interrupt if enabled. */
size_t serial_push_input(struct serial *s, const uint8_t *buf, size_t n);
/* Transmitted bytes dropped because out_fd was not writable or failed. */
uint64_t serial_tx_dropped(struct serial *s);

#endif
