/* Unit tests: the event monitor's stream (format, properties, escaping,
 * timestamps, a pipe nobody reads, bad fds and paths). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "util/event_monitor.h"

/* Read what is in the pipe and decode the objects one after another. */
static size_t read_events(int fd, json_t **ev, size_t max)
{
	static char buf[65536];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = 0;
	size_t count = 0, off = 0;
	while (off < (size_t)n && count < max) {
		json_error_t e;
		ev[count] = json_loadb(buf + off, (size_t)n - off, JSON_DISABLE_EOF_CHECK, &e);
		if (!ev[count])
			fail_msg("bad event JSON at %zu: %s", off, e.text);
		off += e.position;
		count++;
		while (off < (size_t)n && buf[off] == '\n')
			off++;
	}
	return count;
}

static void test_stream(void **state)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	char err[128];
	assert_int_equal(event_monitor_open(NULL, p[1], err, sizeof(err)), 0);
	event_emit("vmm", "starting", NULL);
	event_emit("virtio-device", "activated", "id", "_disk0", "quote", "a\"b\\c\n", NULL);
	json_t *ev[4];
	assert_int_equal(read_events(p[0], ev, 4), 2);
	json_int_t s0, n0, s1, n1;
	const char *src, *name;
	json_t *props;
	assert_int_equal(json_unpack(ev[0], "{s:{s:I, s:I}, s:s, s:s, s:o}", "timestamp", "secs", &s0, "nanos", &n0,
				     "source", &src, "event", &name, "properties", &props),
			 0);
	assert_string_equal(src, "vmm");
	assert_string_equal(name, "starting");
	assert_true(json_is_null(props));
	assert_true(n0 >= 0 && n0 < 1000000000);
	const char *id, *quote;
	assert_int_equal(json_unpack(ev[1], "{s:{s:I, s:I}, s:s, s:s, s:{s:s, s:s}}", "timestamp", "secs", &s1, "nanos",
				     &n1, "source", &src, "event", &name, "properties", "id", &id, "quote", &quote),
			 0);
	assert_string_equal(src, "virtio-device");
	assert_string_equal(id, "_disk0");
	assert_string_equal(quote, "a\"b\\c\n");
	assert_true(s1 * 1000000000 + n1 >= s0 * 1000000000 + n0);
	json_decref(ev[0]);
	json_decref(ev[1]);
	uint64_t w, d;
	event_monitor_stats(&w, &d);
	assert_int_equal(w, 2);
	assert_int_equal(d, 0);
	event_monitor_close();
	/* closed: nothing more is written, and the caller's fd stays open */
	event_emit("vm", "booted", NULL);
	assert_true(fcntl(p[1], F_GETFL) >= 0);
	close(p[1]);
	char c;
	assert_int_equal(read(p[0], &c, 1), 0); /* EOF: nothing was written after close */
	close(p[0]);
}

static void test_full_pipe_drops(void **state)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	char err[128];
	assert_int_equal(event_monitor_open(NULL, p[1], err, sizeof(err)), 0);
	/* Nobody reads: the VMM must not block; events beyond the pipe's room are dropped and counted. */
	for (int i = 0; i < 2000; i++)
		event_emit("vm", "paused", NULL);
	uint64_t w, d;
	event_monitor_stats(&w, &d);
	assert_int_equal(w + d, 2000);
	assert_true(d > 0);
	assert_true(w > 0);
	event_monitor_close();
	close(p[0]);
	close(p[1]);
}

static void test_bad_targets(void **state)
{
	char err[128];
	assert_int_equal(event_monitor_open(NULL, 987, err, sizeof(err)), -EBADF);
	assert_non_null(strstr(err, "fd=987"));
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(event_monitor_open(NULL, p[0], err, sizeof(err)), -EBADF); /* read end */
	close(p[0]);
	close(p[1]);
	assert_true(event_monitor_open("/nonexistent-dir/x/events", -1, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "path=/nonexistent-dir/x/events"));
}

static void test_path(void **state)
{
	char path[] = "/tmp/nimbus-evtest-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "old content", 11), 11);
	char err[128];
	assert_int_equal(event_monitor_open(path, -1, err, sizeof(err)), 0);
	event_emit("vm", "shutdown", NULL);
	event_monitor_close();
	json_t *ev[2];
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(read_events(fd, ev, 2), 1); /* truncated: only the new event */
	assert_string_equal(json_string_value(json_object_get(ev[0], "event")), "shutdown");
	json_decref(ev[0]);
	close(fd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_full_pipe_drops),
		cmocka_unit_test(test_bad_targets),
		cmocka_unit_test(test_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
