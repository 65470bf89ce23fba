/* util/event_monitor.h — lifecycle events for orchestrators
 * (`--event-monitor path=PATH|fd=N`, cloud-hypervisor's format).
 *
 * One process-wide monitor (documented global state, like the logger): an
 * output fd and the monotonic time it was opened. Each event is one JSON
 * object, pretty-printed with two-space indentation and followed by an
 * empty line, written with a single write():
 *
 *   {
 *     "timestamp": {"secs": 1, "nanos": 5000},   (since the monitor opened)
 *     "source": "vm",
 *     "event": "booted",
 *     "properties": null                          (or {"key": "value", ...})
 *   }
 *
 * A reader concatenating the stream and decoding objects one after another
 * (as libvirt does with cloud-hypervisor's) gets every event. The fd is
 * non-blocking: when a pipe reader falls behind, the event is dropped and
 * counted rather than stalling the VMM. Thread-safe; without an open
 * monitor event_emit does nothing. */
#ifndef NIMBUS_UTIL_EVENT_MONITOR_H
#define NIMBUS_UTIL_EVENT_MONITOR_H

#include <stddef.h>
#include <stdint.h>

/* Open the monitor on PATH (created or truncated, mode 0640) or, with
 * path NULL, on the caller's open fd (kept open, made non-blocking).
 * 0, or -errno with a one-line message in err. */
__attribute__((warn_unused_result)) int event_monitor_open(const char *path, int fd, char *err, size_t errlen);
/* Close the monitor (the fd too when we opened it). */
void event_monitor_close(void);

/* Emit one event. The variadic part is key, value string pairs ended by
 * NULL (no pairs: "properties" is null). Values are JSON-escaped. */
void event_emit(const char *source, const char *event, ...) __attribute__((sentinel));

/* Events written and events dropped (reader too slow, write error). */
void event_monitor_stats(uint64_t *written, uint64_t *dropped);

#endif
