/* Unit tests for util/log.c: output format, levels, and the rate limiter.
 * Output goes to a temporary file through log_open_file(). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/log.h"

static char path[64];

static int setup(void **state)
{
	strcpy(path, "/tmp/nimbus-test-log-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	log_set_level(LOG_WARN);
	return log_open_file(path);
}

static int teardown(void **state)
{
	log_close();
	unlink(path);
	log_set_level(LOG_WARN);
	return 0;
}

/* Read the whole log; returns a malloc'd NUL-terminated string. */
static char *slurp(void)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *s = strdup(buf);
	assert_non_null(s);
	return s;
}

static unsigned count_lines(const char *s)
{
	unsigned n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static unsigned count_substr(const char *s, const char *needle)
{
	unsigned n = 0;
	for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void test_format_and_levels(void **state)
{
	log_set_level(LOG_WARN);
	assert_int_equal(log_get_level(), LOG_WARN);
	log_error("first %d", 1);
	log_warn("second %s", "x");
	log_info("hidden info");
	log_debug("hidden debug");
	log_set_level(LOG_DEBUG);
	log_debug("shown debug");
	char *s = slurp();
	assert_int_equal(count_lines(s), 3);
	assert_non_null(strstr(s, "] error: first 1\n"));
	assert_non_null(strstr(s, "] warn: second x\n"));
	assert_non_null(strstr(s, "] debug: shown debug\n"));
	assert_null(strstr(s, "hidden"));
	assert_int_equal(strncmp(s, "nimbus [", 8), 0);
	/* every line has the prefix */
	assert_int_equal(count_substr(s, "nimbus ["), 3);
	free(s);
}

static void test_open_file_errors(void **state)
{
	assert_int_equal(log_open_file("/nonexistent-dir-nimbus/x.log"), -ENOENT);
	/* the previous file is still in use */
	log_warn("still here");
	char *s = slurp();
	assert_non_null(strstr(s, "still here"));
	free(s);
}

static void test_open_file_appends(void **state)
{
	log_warn("one");
	assert_int_equal(log_open_file(path), 0); /* reopen: appends */
	log_warn("two");
	char *s = slurp();
	assert_int_equal(count_lines(s), 2);
	assert_true(strstr(s, "one") < strstr(s, "two"));
	free(s);
}

static void test_ratelimit_burst(void **state)
{
	struct log_ratelimit rl = LOG_RATELIMIT_INIT;
	for (int i = 0; i < 25; i++)
		log_ratelimited(&rl, LOG_WARN, "guest did thing %d", i);
	char *s = slurp();
	assert_int_equal(count_lines(s), LOG_RATELIMIT_BURST);
	/* the first BURST messages are the ones printed */
	assert_non_null(strstr(s, "guest did thing 0\n"));
	assert_non_null(strstr(s, "guest did thing 9\n"));
	assert_null(strstr(s, "guest did thing 10\n"));
	assert_null(strstr(s, "suppressed"));
	free(s);
	assert_int_equal(rl.printed, LOG_RATELIMIT_BURST);
	assert_int_equal(rl.suppressed, 25 - LOG_RATELIMIT_BURST);

	/* the next window (simulated by moving the window start back) prints
	 * the suppressed count, then the message */
	rl.window_start_ns -= 2000000000LL;
	log_ratelimited(&rl, LOG_WARN, "guest did thing %d", 100);
	s = slurp();
	assert_int_equal(count_lines(s), LOG_RATELIMIT_BURST + 2);
	const char *sup = strstr(s, "(15 similar messages suppressed)\n");
	assert_non_null(sup);
	const char *msg = strstr(s, "guest did thing 100\n");
	assert_non_null(msg);
	assert_true(sup < msg);
	free(s);
	assert_int_equal(rl.suppressed, 0);
	assert_int_equal(rl.printed, 1);

	/* and the count is reported only once */
	log_ratelimited(&rl, LOG_WARN, "guest did thing %d", 101);
	s = slurp();
	assert_int_equal(count_lines(s), LOG_RATELIMIT_BURST + 3);
	assert_int_equal(count_substr(s, "suppressed"), 1);
	free(s);
}

static void test_ratelimit_real_time(void **state)
{
	struct log_ratelimit rl = LOG_RATELIMIT_INIT;
	for (int i = 0; i < LOG_RATELIMIT_BURST + 3; i++)
		log_ratelimited(&rl, LOG_ERROR, "flood %d", i);
	struct timespec ts = {.tv_sec = 1, .tv_nsec = 100 * 1000 * 1000};
	nanosleep(&ts, NULL);
	log_ratelimited(&rl, LOG_ERROR, "after the window");
	char *s = slurp();
	assert_int_equal(count_lines(s), LOG_RATELIMIT_BURST + 2);
	assert_non_null(strstr(s, "(3 similar messages suppressed)"));
	assert_non_null(strstr(s, "after the window"));
	free(s);
}

static void test_ratelimit_level_filtered(void **state)
{
	struct log_ratelimit rl = LOG_RATELIMIT_INIT;
	log_set_level(LOG_WARN);
	for (int i = 0; i < 50; i++)
		log_ratelimited(&rl, LOG_DEBUG, "debug %d", i);
	char *s = slurp();
	assert_int_equal(count_lines(s), 0);
	free(s);
	/* filtered messages do not use up the burst */
	assert_int_equal(rl.printed, 0);
	assert_int_equal(rl.suppressed, 0);
	log_ratelimited(&rl, LOG_WARN, "visible");
	s = slurp();
	assert_int_equal(count_lines(s), 1);
	free(s);
}

static void test_ratelimit_independent_sites(void **state)
{
	struct log_ratelimit a = LOG_RATELIMIT_INIT, b = LOG_RATELIMIT_INIT;
	for (int i = 0; i < 30; i++) {
		log_ratelimited(&a, LOG_WARN, "site a");
		log_ratelimited(&b, LOG_WARN, "site b");
	}
	char *s = slurp();
	assert_int_equal(count_substr(s, "site a"), LOG_RATELIMIT_BURST);
	assert_int_equal(count_substr(s, "site b"), LOG_RATELIMIT_BURST);
	free(s);
}

#define THREADS 4
#define PER_THREAD 200
static struct log_ratelimit shared_rl = LOG_RATELIMIT_INIT;

static void *flood(void *arg)
{
	for (int i = 0; i < PER_THREAD; i++)
		log_ratelimited(&shared_rl, LOG_WARN, "thread flood");
	return NULL;
}

static void test_ratelimit_threads(void **state)
{
	pthread_t t[THREADS];
	int64_t start = monotonic_ns();
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, flood, NULL), 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	int64_t elapsed = monotonic_ns() - start;
	char *s = slurp();
	if (elapsed < 900000000LL) {
		/* all in one window */
		assert_int_equal(count_lines(s), LOG_RATELIMIT_BURST);
		assert_int_equal(shared_rl.printed + shared_rl.suppressed, THREADS * PER_THREAD);
	} else {
		assert_true(count_lines(s) < THREADS * PER_THREAD);
	}
	free(s);
}

static void test_time(void **state)
{
	log_time_init();
	int64_t a = log_elapsed_ns();
	int64_t m1 = monotonic_ns();
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 2 * 1000 * 1000};
	nanosleep(&ts, NULL);
	int64_t b = log_elapsed_ns();
	int64_t m2 = monotonic_ns();
	assert_true(a >= 0);
	assert_true(b - a >= 2000000);
	assert_true(m2 - m1 >= 2000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_format_and_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_file_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_file_appends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ratelimit_burst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ratelimit_real_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ratelimit_level_filtered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ratelimit_independent_sites, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ratelimit_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
