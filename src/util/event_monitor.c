/* util/event_monitor.c — see event_monitor.h. */
#include "util/event_monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "util/log.h"

/* The process-wide monitor; guarded by lock. */
static struct {
	pthread_mutex_t lock;
	int fd; /* -1: closed */
	bool owned;
	int64_t start_ns;
	uint64_t written, dropped;
} mon = {PTHREAD_MUTEX_INITIALIZER, -1, false, 0, 0, 0};

int event_monitor_open(const char *path, int fd, char *err, size_t errlen)
{
	bool owned = path != NULL;
	if (path) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
		if (fd < 0) {
			int rc = -errno;
			snprintf(err, errlen, "--event-monitor path=%s: %s", path, strerror(-rc));
			return rc;
		}
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		int rc = fl < 0 ? -errno : -EBADF;
		snprintf(err, errlen, "--event-monitor fd=%d: not an open, writable file descriptor", fd);
		if (owned)
			close(fd);
		return rc;
	}
	pthread_mutex_lock(&mon.lock);
	mon.fd = fd;
	mon.owned = owned;
	mon.start_ns = monotonic_ns();
	mon.written = mon.dropped = 0;
	pthread_mutex_unlock(&mon.lock);
	return 0;
}

void event_monitor_close(void)
{
	pthread_mutex_lock(&mon.lock);
	if (mon.fd >= 0 && mon.owned)
		close(mon.fd);
	mon.fd = -1;
	pthread_mutex_unlock(&mon.lock);
}

/* The event as text (malloc'd), or NULL when out of memory. */
static char *format_event(int64_t ns, const char *source, const char *event, va_list ap)
{
	json_t *props = json_null();
	const char *key;
	while ((key = va_arg(ap, const char *)) != NULL) {
		const char *value = va_arg(ap, const char *);
		if (json_is_null(props))
			props = json_object();
		if (props)
			json_object_set_new(props, key, json_string(value ? value : ""));
	}
	json_t *j = json_pack("{s:{s:I, s:I}, s:s, s:s, s:o}", "timestamp", "secs", (json_int_t)(ns / 1000000000),
			      "nanos", (json_int_t)(ns % 1000000000), "source", source, "event", event, "properties",
			      props);
	char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	char *out = NULL;
	if (s && asprintf(&out, "%s\n\n", s) < 0)
		out = NULL;
	free(s);
	return out;
}

void event_emit(const char *source, const char *event, ...)
{
	pthread_mutex_lock(&mon.lock);
	if (mon.fd < 0) {
		pthread_mutex_unlock(&mon.lock);
		return;
	}
	int64_t ns = monotonic_ns() - mon.start_ns;
	va_list ap;
	va_start(ap, event);
	char *s = format_event(ns < 0 ? 0 : ns, source, event, ap);
	va_end(ap);
	size_t len = s ? strlen(s) : 0;
	ssize_t w = s ? write(mon.fd, s, len) : -1;
	int e = s ? errno : ENOMEM;
	if (w == (ssize_t)len)
		mon.written++;
	else
		mon.dropped++;
	pthread_mutex_unlock(&mon.lock);
	free(s);
	if (w != (ssize_t)len) {
		static struct log_ratelimit rl = LOG_RATELIMIT_INIT;
		log_ratelimited(&rl, LOG_WARN, "event monitor: event %s/%s dropped (%s)", source, event,
				w < 0 ? strerror(e) : "short write");
	}
}

void event_monitor_stats(uint64_t *written, uint64_t *dropped)
{
	pthread_mutex_lock(&mon.lock);
	*written = mon.written;
	*dropped = mon.dropped;
	pthread_mutex_unlock(&mon.lock);
}
