/* util/log.c — process-wide logger (documented global state: level, stream). */
#include "util/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static enum log_level g_level = LOG_WARN;
static FILE *g_file; /* NULL = stderr */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t g_start_ns = -1;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int64_t monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void log_time_init(void)
{
	if (g_start_ns < 0)
		g_start_ns = monotonic_ns();
}

int64_t log_elapsed_ns(void)
{
	log_time_init();
	return monotonic_ns() - g_start_ns;
}

void log_set_level(enum log_level level) { g_level = level; }
enum log_level log_get_level(void) { return g_level; }

int log_open_file(const char *path)
{
	FILE *f = fopen(path, "ae");
	if (!f)
		return -errno;
	setvbuf(f, NULL, _IOLBF, 0);
	pthread_mutex_lock(&g_lock);
	if (g_file)
		fclose(g_file);
	g_file = f;
	pthread_mutex_unlock(&g_lock);
	return 0;
}

int log_fd(void)
{
	FILE *f = g_file; /* set before threads start, see log_open_file */
	return f ? fileno(f) : STDERR_FILENO;
}

void log_close(void)
{
	pthread_mutex_lock(&g_lock);
	if (g_file)
		fclose(g_file);
	g_file = NULL;
	pthread_mutex_unlock(&g_lock);
}

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	int64_t t = log_elapsed_ns();
	pthread_mutex_lock(&g_lock);
	FILE *out = g_file ? g_file : stderr;
	fprintf(out, "nimbus [%5lld.%06lld] %s: ", (long long)(t / 1000000000LL),
		(long long)(t % 1000000000LL) / 1000, level_names[level]);
	if (fmt) /* never NULL; keeps gcc -fsanitize happy */
		vfprintf(out, fmt, ap);
	fputc('\n', out);
	fflush(out);
	pthread_mutex_unlock(&g_lock);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level > g_level)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void log_ratelimited(struct log_ratelimit *rl, enum log_level level, const char *fmt, ...)
{
	if (level > g_level)
		return;
	int64_t now = monotonic_ns();
	pthread_mutex_lock(&g_lock);
	if (now - rl->window_start_ns >= 1000000000LL) {
		rl->window_start_ns = now;
		rl->printed = 0;
	}
	int allowed = rl->printed < LOG_RATELIMIT_BURST;
	uint32_t suppressed = 0;
	if (allowed) {
		rl->printed++;
		suppressed = rl->suppressed;
		rl->suppressed = 0;
	} else {
		rl->suppressed++;
	}
	pthread_mutex_unlock(&g_lock);
	if (!allowed)
		return;
	if (suppressed)
		log_msg(level, "(%u similar messages suppressed)", suppressed);
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
