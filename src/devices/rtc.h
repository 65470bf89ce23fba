/* devices/rtc.h — MC146818-style CMOS RTC at ports 0x70 (index) / 0x71 (data).
 *
 * 128 bytes of CMOS. The clock registers (0x00 seconds, 0x02 minutes, 0x04
 * hours, 0x06 day of week, 0x07 day of month, 0x08 month, 0x09 year, and the
 * PC century byte 0x32) are computed from the host's CLOCK_REALTIME (UTC) plus
 * a guest offset at the moment they are read, in the format register B asks
 * for (DM bit 2: binary or BCD; bit 1: 24- or 12-hour with bit 7 = PM).
 *
 * Register A: bits 0-6 are stored; UIP (bit 7) reads 1 only during the 244 us
 * that precede each second boundary of the guest clock (as on the real part),
 * and 0 while SET is on or the divider is not running, so a guest that waits
 * for UIP to clear never waits longer than that.
 * Register B: stored. Setting SET freezes a copy of the time the guest can
 * read and rewrite; clearing SET makes the written time the guest's clock,
 * kept as an offset from host time (whole seconds). A time register written
 * while SET is off takes effect at once the same way. Values that do not form
 * a valid date/time are ignored (and logged, rate-limited).
 * Register C: no RTC interrupts are modelled (no IRQ 8); reads 0.
 * Register D: reads 0x80 (VRT: battery good); writes ignored.
 * Alarm registers and the rest of the RAM are plain storage.
 *
 * Port 0x70: bit 7 of the written index is the NMI mask (ignored); reads 0xff.
 *
 * Threading: bus callbacks may run concurrently on several vCPU threads; one
 * mutex per device.
 */
#ifndef NIMBUS_DEVICES_RTC_H
#define NIMBUS_DEVICES_RTC_H

#include <stdint.h>
#include <time.h>

#include "bus/bus.h"

#define RTC_PORT_BASE 0x70
#define RTC_PORT_LEN 2

struct rtc_config {
	/* Optional guest RAM sizes, written into the CMOS bytes firmware reads
	 * (0x15/0x16 base KiB, 0x17/0x18 and 0x30/0x31 KiB above 1 MiB (max
	 * 0xffff), 0x34/0x35 64 KiB units above 16 MiB up to 4 GiB, 0x5b-0x5d
	 * 64 KiB units above 4 GiB). 0: leave the bytes 0. */
	uint64_t mem_below_4g;
	uint64_t mem_above_4g;
	/* Optional time source (tests); NULL: clock_gettime(CLOCK_REALTIME).
	 * Called with the device lock held, from vCPU threads. */
	void (*clock)(void *ctx, struct timespec *now);
	void *clock_ctx;
};

struct rtc;

/* cfg may be NULL. Returns 0, -EINVAL or -ENOMEM. */
__attribute__((warn_unused_result)) int rtc_create(const struct rtc_config *cfg, struct rtc **out);
void rtc_destroy(struct rtc *rtc);

/* bus_insert(pio, RTC_PORT_BASE, RTC_PORT_LEN, &rtc_bus_ops, rtc, "rtc") */
extern const struct bus_ops rtc_bus_ops;

/* Guest clock minus host clock, in seconds (0 until the guest sets the time). */
int64_t rtc_offset_seconds(struct rtc *rtc);

#endif
