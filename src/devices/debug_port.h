/* devices/debug_port.h — the POST/debug port at 0x80.
 *
 * Each byte the guest writes is a progress code. Codes are grouped by range:
 * 0x00-0x1f firmware, 0x20-0x3f bootloader, 0x40-0x5f kernel, 0x60-0x7f
 * userspace, 0x80-0xff unknown. Every write is logged at info level with the
 * time since the VMM started (log_elapsed_ns()), rate-limited, e.g.
 *   "debug port: Userspace code 0x41 at 0.123456 s"
 * and the first time each range was seen is kept so the VMM can report boot
 * milestones (e.g. time to the first userspace code).
 *
 * Note: Linux guests built with io_delay=0x80 also write garbage to this port
 * as an I/O delay (outb_p/inb_p); those writes are counted and logged the
 * same way, so the guest should boot with io_delay=none (or 0xed) when the
 * timestamps matter. Reads return 0xff.
 *
 * Threading: the bus callbacks may run concurrently on several vCPU threads;
 * the accessors on any thread. One mutex per device.
 */
#ifndef NIMBUS_DEVICES_DEBUG_PORT_H
#define NIMBUS_DEVICES_DEBUG_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include "bus/bus.h"

#define DEBUG_PORT_BASE 0x80
#define DEBUG_PORT_LEN 1

enum debug_port_range {
	DEBUG_PORT_FIRMWARE = 0,   /* 0x00-0x1f */
	DEBUG_PORT_BOOTLOADER = 1, /* 0x20-0x3f */
	DEBUG_PORT_KERNEL = 2,     /* 0x40-0x5f */
	DEBUG_PORT_USERSPACE = 3,  /* 0x60-0x7f */
	DEBUG_PORT_UNKNOWN = 4,    /* 0x80-0xff */
	DEBUG_PORT_NR_RANGES
};

/* The range a code belongs to, and its name ("Firmware", "Bootloader",
 * "Kernel", "Userspace", "Unknown"). */
enum debug_port_range debug_port_classify(uint8_t code);
const char *debug_port_range_name(enum debug_port_range range);

struct debug_port;

/* Returns 0 or -ENOMEM / -EINVAL. */
__attribute__((warn_unused_result)) int debug_port_create(struct debug_port **out);
void debug_port_destroy(struct debug_port *dp);

/* bus_insert(pio, DEBUG_PORT_BASE, DEBUG_PORT_LEN, &debug_port_bus_ops, dp,
 * "debug port") */
extern const struct bus_ops debug_port_bus_ops;

/* If a code of `range` has been written, store the log_elapsed_ns() of the
 * first one in *ns and return true; else return false. */
bool debug_port_first_ns(struct debug_port *dp, enum debug_port_range range, int64_t *ns);
/* Number of codes written in `range` so far. */
uint64_t debug_port_count(struct debug_port *dp, enum debug_port_range range);

#endif
