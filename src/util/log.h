/* util/log.h — logging for nimbus.
 *
 * One process-wide logger (documented global state): a level and an output
 * stream (stderr by default, or --log-file). Guest-triggered paths must use
 * log_ratelimited() so a guest cannot flood the log.
 */
#ifndef NIMBUS_UTIL_LOG_H
#define NIMBUS_UTIL_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Set the maximum level printed (default LOG_WARN). */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Send log output to PATH (appending). Returns 0 or -errno. */
__attribute__((warn_unused_result)) int log_open_file(const char *path);
void log_close(void);
/* The fd log lines go to (for async-signal-safe writers: seccomp's SIGSYS
 * handler). */
int log_fd(void);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* A rate limit for one call site: at most `burst` messages per second; the
 * number suppressed is reported with the next message that gets through.
 * Declare one `static struct log_ratelimit rl = LOG_RATELIMIT_INIT;` per site. */
struct log_ratelimit {
	int64_t window_start_ns;
	uint32_t printed;
	uint32_t suppressed;
};
#define LOG_RATELIMIT_INIT {0, 0, 0}
#define LOG_RATELIMIT_BURST 10

void log_ratelimited(struct log_ratelimit *rl, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Monotonic nanoseconds since the process started (first call to log or
 * log_time_init()). Used by the debug port for boot timestamps. */
void log_time_init(void);
int64_t log_elapsed_ns(void);
int64_t monotonic_ns(void);

#endif
