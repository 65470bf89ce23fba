/* devices/i8042.h — a minimal i8042 keyboard controller (ports 0x60/0x64).
 *
 * Enough for a Linux guest's i8042 driver to probe the controller without
 * timeouts, and for the guest to reboot: command 0xFE ("pulse output port bit
 * 0", the CPU reset line) written to 0x64 calls `reset_cb` — with reboot=k the
 * VMM treats that as a clean guest shutdown.
 *
 * Controller commands handled (written to 0x64):
 *   0x20-0x3f  read internal RAM byte (0x20 = command byte, CTR)
 *   0x60-0x7f  write internal RAM byte (next data byte; 0x60 = CTR)
 *   0xa7/0xa8  disable/enable aux port (CTR bit 5)
 *   0xa9       aux interface test -> 0x00 (ok)
 *   0xaa       self-test -> 0x55
 *   0xab       keyboard interface test -> 0x00 (ok)
 *   0xad/0xae  disable/enable keyboard (CTR bit 4)
 *   0xd0/0xd1  read/write output port (stored; no A20 or reset effect)
 *   0xd2/0xd3  next data byte comes back as if sent by the keyboard / aux
 *              device (loopback; Linux uses 0xd3 to probe aux and MUX)
 *   0xd4       next data byte goes to the aux device (there is none: dropped)
 *   0xfe       pulse reset -> reset_cb
 * Anything else, including other 0xf0-0xff pulse commands, is ignored.
 * There are no keyboard or mouse devices behind the ports: data written to
 * 0x60 outside a command goes nowhere (Linux's atkbd probe then times out
 * in the background; `i8042.dumbkbd i8042.noaux` on the guest command line
 * avoids even that).
 *
 * Interrupts (optional): `irq_kbd` (IRQ 1) is asserted while the output buffer
 * holds a keyboard byte and CTR bit 0 is set; `irq_aux` (IRQ 12) likewise for
 * aux bytes and CTR bit 1. Deasserted when the byte is read.
 *
 * Threading: the bus callbacks may run concurrently on several vCPU threads;
 * one mutex per device. reset_cb is called on the vCPU thread, without the
 * device lock held; it must be thread-safe and should only ask the VMM to stop
 * (it may be called more than once if the guest keeps writing 0xFE).
 */
#ifndef NIMBUS_DEVICES_I8042_H
#define NIMBUS_DEVICES_I8042_H

#include <stdint.h>

#include "bus/bus.h"
#include "util/irq.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT 0x64
#define I8042_KBD_IRQ 1
#define I8042_AUX_IRQ 12

struct i8042_config {
	void (*reset_cb)(void *ctx); /* guest pulsed the reset line */
	void *reset_ctx;
	struct irq_line irq_kbd; /* optional (set_level NULL: none) */
	struct irq_line irq_aux; /* optional */
};

struct i8042;

/* Returns 0, -EINVAL or -ENOMEM. */
__attribute__((warn_unused_result)) int i8042_create(const struct i8042_config *cfg,
						     struct i8042 **out);
void i8042_destroy(struct i8042 *dev);

/* Two one-port ranges with the same opaque:
 *   bus_insert(pio, I8042_DATA_PORT, 1, &i8042_data_bus_ops, dev, "i8042 data")
 *   bus_insert(pio, I8042_CMD_PORT, 1, &i8042_cmd_bus_ops, dev, "i8042 cmd")
 * (0x61-0x63 are not the controller's; 0x61 belongs to the PIT/speaker.) */
extern const struct bus_ops i8042_data_bus_ops;
extern const struct bus_ops i8042_cmd_bus_ops;

/* How many times the guest has pulsed reset (for logs and tests). */
uint64_t i8042_reset_count(struct i8042 *dev);

#endif
