/* Unit tests for vmm/config.c: command-line parsing and validation. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/config.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define HOST_LIMIT (8 * GiB)
#define MAX_ARGS 32

struct result {
	int rc;
	struct vm_config cfg;
	enum config_action action;
	char err[256];
};

/* Parse a NULL-terminated list of arguments (argv[0] is added). */
static void parse_v(struct result *r, uint64_t limit, va_list ap)
{
	char *argv[MAX_ARGS + 1];
	int argc = 0;
	argv[argc++] = (char *)"nimbus";
	const char *a;
	while ((a = va_arg(ap, const char *)) != NULL) {
		assert_true(argc < MAX_ARGS);
		argv[argc++] = (char *)a;
	}
	argv[argc] = NULL;
	memset(r, 0, sizeof(*r));
	r->action = (enum config_action)99;
	r->rc = config_parse_args(argc, argv, limit, &r->cfg, &r->action, r->err, sizeof(r->err));
}

static void parse_lim(struct result *r, uint64_t limit, ...)
{
	va_list ap;
	va_start(ap, limit);
	parse_v(r, limit, ap);
	va_end(ap);
}

#define parse(r, ...) parse_lim(r, HOST_LIMIT, __VA_ARGS__, (const char *)NULL)

/* Expect success (action RUN). */
static void ok(struct result *r)
{
	if (r->rc != 0)
		fail_msg("expected success, got %d: %s", r->rc, r->err);
	assert_int_equal(r->action, CONFIG_RUN);
}

/* Expect -EINVAL with a one-line message containing `needle` (may be NULL). */
static void bad(struct result *r, const char *needle)
{
	if (r->rc != -EINVAL)
		fail_msg("expected -EINVAL, got %d", r->rc);
	assert_true(strlen(r->err) > 0);
	if (strchr(r->err, '\n'))
		fail_msg("message has a newline: '%s'", r->err);
	if (needle && !strstr(r->err, needle))
		fail_msg("message '%s' does not mention '%s'", r->err, needle);
	config_free(&r->cfg);
}

static void test_defaults(void **state)
{
	struct result r;
	parse(&r, "--kernel", "/boot/vmlinux");
	ok(&r);
	assert_string_equal(r.cfg.kernel, "/boot/vmlinux");
	assert_null(r.cfg.initramfs);
	assert_string_equal(r.cfg.cmdline, CONFIG_DEFAULT_CMDLINE);
	assert_int_equal(r.cfg.boot_vcpus, 1);
	assert_int_equal(r.cfg.max_vcpus, 1);
	assert_int_equal(r.cfg.cpu_template, CPU_TEMPLATE_DEFAULT);
	assert_int_equal(r.cfg.mem_size, 512 * MiB);
	assert_int_equal(r.cfg.serial.mode, CONSOLE_TTY);
	assert_null(r.cfg.serial.path);
	assert_int_equal(r.cfg.boot_entry, BOOT_ENTRY_AUTO);
	assert_null(r.cfg.log_file);
	assert_int_equal(r.cfg.verbosity, 0);
	config_free(&r.cfg);
	assert_null(r.cfg.kernel);
	assert_null(r.cfg.cmdline);
}

/* All options, as separate words. */
static void test_all_options_separate(void **state)
{
	struct result r;
	parse(&r, "--kernel", "k", "--initramfs", "/i.cpio", "--cmdline", "console=hvc0 x=y", "--cpus",
	      "boot=2", "--memory", "size=1G", "--serial", "file=/tmp/ser.log", "--boot-entry", "pvh", "--log-file",
	      "/tmp/n.log");
	ok(&r);
	assert_string_equal(r.cfg.kernel, "k");
	assert_string_equal(r.cfg.initramfs, "/i.cpio");
	assert_string_equal(r.cfg.cmdline, "console=hvc0 x=y");
	assert_int_equal(r.cfg.boot_vcpus, 2);
	assert_int_equal(r.cfg.max_vcpus, 2);
	assert_int_equal(r.cfg.mem_size, GiB);
	assert_int_equal(r.cfg.serial.mode, CONSOLE_FILE);
	assert_string_equal(r.cfg.serial.path, "/tmp/ser.log");
	assert_int_equal(r.cfg.boot_entry, BOOT_ENTRY_PVH);
	assert_string_equal(r.cfg.log_file, "/tmp/n.log");
	config_free(&r.cfg);
}

/* The same with --opt=value; a value may itself contain '='. */
static void test_all_options_equals(void **state)
{
	struct result r;
	parse(&r, "--kernel=k", "--initramfs=/i.cpio", "--cmdline=console=hvc0 x=y", "--cpus=boot=2",
	      "--memory=size=1G", "--serial=file=/tmp/ser.log", "--boot-entry=pvh", "--log-file=/tmp/n.log");
	ok(&r);
	assert_string_equal(r.cfg.kernel, "k");
	assert_string_equal(r.cfg.initramfs, "/i.cpio");
	assert_string_equal(r.cfg.cmdline, "console=hvc0 x=y");
	assert_int_equal(r.cfg.boot_vcpus, 2);
	assert_int_equal(r.cfg.mem_size, GiB);
	assert_int_equal(r.cfg.serial.mode, CONSOLE_FILE);
	assert_string_equal(r.cfg.serial.path, "/tmp/ser.log");
	assert_int_equal(r.cfg.boot_entry, BOOT_ENTRY_PVH);
	assert_string_equal(r.cfg.log_file, "/tmp/n.log");
	config_free(&r.cfg);

	/* empty cmdline is allowed, and differs from the default */
	parse(&r, "--kernel=k", "--cmdline=");
	ok(&r);
	assert_string_equal(r.cfg.cmdline, "");
	config_free(&r.cfg);
	parse(&r, "--kernel", "k", "--cmdline", "");
	ok(&r);
	assert_string_equal(r.cfg.cmdline, "");
	config_free(&r.cfg);
}

static void test_cpus(void **state)
{
	struct result r;
	parse(&r, "--kernel", "k", "--cpus", "boot=4,max=8,template=host");
	ok(&r);
	assert_int_equal(r.cfg.boot_vcpus, 4);
	assert_int_equal(r.cfg.max_vcpus, 8);
	assert_int_equal(r.cfg.cpu_template, CPU_TEMPLATE_HOST);
	config_free(&r.cfg);

	parse(&r, "--kernel", "k", "--cpus=template=default,max=254,boot=254");
	ok(&r);
	assert_int_equal(r.cfg.boot_vcpus, 254);
	assert_int_equal(r.cfg.max_vcpus, 254);
	assert_int_equal(r.cfg.cpu_template, CPU_TEMPLATE_DEFAULT);
	config_free(&r.cfg);

	parse(&r, "--kernel", "k", "--cpus", "max=3");
	ok(&r);
	assert_int_equal(r.cfg.boot_vcpus, 1);
	assert_int_equal(r.cfg.max_vcpus, 3);
	config_free(&r.cfg);

	parse(&r, "--kernel", "k", "--cpus", "boot=007");
	ok(&r);
	assert_int_equal(r.cfg.boot_vcpus, 7);
	config_free(&r.cfg);

	/* repeated: the last one wins */
	parse(&r, "--kernel", "k", "--cpus", "boot=8", "--cpus", "boot=2");
	ok(&r);
	assert_int_equal(r.cfg.boot_vcpus, 2);
	assert_int_equal(r.cfg.max_vcpus, 2);
	config_free(&r.cfg);
}

static void test_cpus_bad(void **state)
{
	static const char *const vals[] = {
		"boot=0",     "boot=255",  "boot=99999999999999999999", "boot=abc", "boot=", "boot=-1",
		"boot=4x",    "boot=+4",   "boot= 4",  "max=0",   "max=255", "max=1.5",
		"template=",  "template=Host", "template=x86", "cores=2", "boot", "4",
		"",           "boot=2,,foo",    "=2",
	};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		struct result r;
		parse(&r, "--kernel", "k", "--cpus", vals[i]);
		if (r.rc != -EINVAL)
			fail_msg("--cpus '%s': got %d", vals[i], r.rc);
		bad(&r, "--cpus");
	}
	struct result r;
	parse(&r, "--kernel", "k", "--cpus", "boot=4,max=2");
	bad(&r, "max");
	parse(&r, "--kernel", "k", "--cpus", "max=2", "--cpus", "boot=3");
	bad(&r, "max");
}

static void test_memory(void **state)
{
	static const struct {
		const char *arg;
		uint64_t size;
	} cases[] = {
		{"size=64M", 64 * MiB},          {"size=65536K", 64 * MiB},  {"size=2G", 2 * GiB},
		{"size=2g", 2 * GiB},            {"size=67108864", 64 * MiB}, {"size=8G", 8 * GiB},
		{"size=100m", 100 * MiB},        {"size=67112960", 64 * MiB + 4096},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct result r;
		parse(&r, "--kernel", "k", "--memory", cases[i].arg);
		ok(&r);
		assert_int_equal(r.cfg.mem_size, cases[i].size);
		config_free(&r.cfg);
	}
}

static void test_memory_bad(void **state)
{
	static const char *const vals[] = {"size=", "size=abc", "size=1X", "size=1.5G", "size=-1", "512M", "sz=1G",
					   "", "size=1G,foo=2", "size=0x100000"};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		struct result r;
		parse(&r, "--kernel", "k", "--memory", vals[i]);
		if (r.rc != -EINVAL)
			fail_msg("--memory '%s': got %d", vals[i], r.rc);
		bad(&r, "--memory");
	}
	struct result r;
	parse(&r, "--kernel", "k", "--memory", "size=32M"); /* too small */
	bad(&r, "too small");
	parse(&r, "--kernel", "k", "--memory", "size=67104768"); /* 64M - 4K */
	bad(&r, "too small");
	parse(&r, "--kernel", "k", "--memory", "size=0");
	bad(&r, "too small");
	parse(&r, "--kernel", "k", "--memory", "size=67108865"); /* 64M + 1 */
	bad(&r, "4K");
	parse(&r, "--kernel", "k", "--memory", "size=9G"); /* above the host */
	bad(&r, "host");
	parse(&r, "--kernel", "k", "--memory", "size=8193M");
	bad(&r, "host");
	/* exactly the host limit is fine */
	parse(&r, "--kernel", "k", "--memory", "size=8G");
	ok(&r);
	config_free(&r.cfg);
	/* limit 0 disables the check */
	parse_lim(&r, 0, "--kernel", "k", "--memory", "size=1T", (const char *)NULL);
	ok(&r);
	assert_int_equal(r.cfg.mem_size, 1ULL << 40);
	config_free(&r.cfg);
	/* a small host */
	parse_lim(&r, 256 * MiB, "--kernel", "k", (const char *)NULL);
	bad(&r, "host");
	/* a limit that is not page aligned: one byte short */
	parse_lim(&r, 128 * MiB - 1, "--kernel", "k", "--memory", "size=128M", (const char *)NULL);
	bad(&r, "host");
	parse_lim(&r, 128 * MiB - 1, "--kernel", "k", "--memory", "size=127M", (const char *)NULL);
	ok(&r);
	config_free(&r.cfg);
}

static void test_serial(void **state)
{
	static const struct {
		const char *arg;
		enum console_mode mode;
	} cases[] = {{"off", CONSOLE_OFF}, {"null", CONSOLE_NULL}, {"tty", CONSOLE_TTY}, {"file=x", CONSOLE_FILE}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct result r;
		parse(&r, "--kernel", "k", "--serial", cases[i].arg);
		ok(&r);
		assert_int_equal(r.cfg.serial.mode, cases[i].mode);
		if (cases[i].mode == CONSOLE_FILE)
			assert_string_equal(r.cfg.serial.path, "x");
		config_free(&r.cfg);
	}
	static const char *const badv[] = {"", "file=", "file", "TTY", "pty", "off,", "socket=/x"};
	for (size_t i = 0; i < sizeof(badv) / sizeof(badv[0]); i++) {
		struct result r;
		parse(&r, "--kernel", "k", "--serial", badv[i]);
		if (r.rc != -EINVAL)
			fail_msg("--serial '%s': got %d", badv[i], r.rc);
		bad(&r, "--serial");
	}
	/* file twice: the second path wins (and the first is not leaked) */
	struct result r;
	parse(&r, "--kernel", "k", "--serial", "file=/a", "--serial=file=/b");
	ok(&r);
	assert_string_equal(r.cfg.serial.path, "/b");
	config_free(&r.cfg);
}

static void test_boot_entry(void **state)
{
	static const struct {
		const char *arg;
		enum boot_entry e;
	} cases[] = {{"auto", BOOT_ENTRY_AUTO}, {"linux64", BOOT_ENTRY_LINUX64}, {"pvh", BOOT_ENTRY_PVH}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct result r;
		parse(&r, "--kernel", "k", "--boot-entry", cases[i].arg);
		ok(&r);
		assert_int_equal(r.cfg.boot_entry, cases[i].e);
		config_free(&r.cfg);
	}
	static const char *const badv[] = {"", "PVH", "linux", "bzimage", "pvh "};
	for (size_t i = 0; i < sizeof(badv) / sizeof(badv[0]); i++) {
		struct result r;
		parse(&r, "--kernel", "k", "--boot-entry", badv[i]);
		if (r.rc != -EINVAL)
			fail_msg("--boot-entry '%s': got %d", badv[i], r.rc);
		bad(&r, "--boot-entry");
	}
}

/* --seccomp true|false|log as cloud-hypervisor; default true (filters on). */
static void test_seccomp(void **state)
{
	struct result r;
	parse(&r, "--kernel", "k");
	ok(&r);
	assert_int_equal(r.cfg.seccomp, THREAD_FILTER_TRAP);
	config_free(&r.cfg);
	static const struct {
		const char *arg;
		enum thread_filter_mode m;
	} cases[] = {{"true", THREAD_FILTER_TRAP}, {"false", THREAD_FILTER_OFF}, {"log", THREAD_FILTER_LOG}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parse(&r, "--kernel", "k", "--seccomp", cases[i].arg);
		ok(&r);
		assert_int_equal(r.cfg.seccomp, cases[i].m);
		config_free(&r.cfg);
		char eq[32];
		snprintf(eq, sizeof(eq), "--seccomp=%s", cases[i].arg);
		parse(&r, "--kernel", "k", eq);
		ok(&r);
		assert_int_equal(r.cfg.seccomp, cases[i].m);
		config_free(&r.cfg);
	}
	static const char *const badv[] = {"", "on", "TRUE", "1", "trap", "log "};
	for (size_t i = 0; i < sizeof(badv) / sizeof(badv[0]); i++) {
		parse(&r, "--kernel", "k", "--seccomp", badv[i]);
		if (r.rc != -EINVAL)
			fail_msg("--seccomp '%s': got %d", badv[i], r.rc);
		bad(&r, "--seccomp");
	}
	parse(&r, "--kernel", "k", "--seccomp");
	bad(&r, "--seccomp");
}

static void test_unknown_and_missing(void **state)
{
	struct result r;
	parse(&r, "--kernel", "k", "--frobnicate", "1");
	bad(&r, "--frobnicate");
	parse(&r, "--kernel", "k", "--frobnicate=1");
	bad(&r, "--frobnicate");
	parse(&r, "--kernel", "k", "--help=1"); /* flags take no value */
	bad(&r, "--help");
	parse(&r, "--kernel", "k", "stray");
	bad(&r, "stray");
	parse(&r, "--kernel", "k", "-x");
	bad(&r, "-x");
	parse(&r, "--kernel", "k", "-");
	bad(&r, NULL);
	parse(&r, "--kernel", "k", "-vx");
	bad(&r, "-vx");
	parse(&r, "--kernel", "k", "--");
	bad(&r, NULL);
	parse(&r, "--kernel", "k", "--kernelx", "y");
	bad(&r, "--kernelx");
	parse(&r, "--kernel", "k", "--an-option-name-much-longer-than-thirty-two-bytes=1");
	bad(&r, NULL);
	/* missing values */
	parse(&r, "--kernel");
	bad(&r, "--kernel");
	parse(&r, "--kernel", "k", "--memory");
	bad(&r, "--memory");
	parse(&r, "--kernel", "k", "--cpus");
	bad(&r, "--cpus");
	/* no kernel at all */
	parse(&r, "--memory", "size=1G");
	bad(&r, "--kernel");
	struct vm_config cfg;
	enum config_action action;
	char err[128] = "";
	char *argv[] = {(char *)"nimbus", NULL};
	assert_int_equal(config_parse_args(1, argv, HOST_LIMIT, &cfg, &action, err, sizeof(err)), -EINVAL);
	assert_true(strlen(err) > 0);
	assert_null(strchr(err, '\n'));
	config_free(&cfg);
}

static void test_cmdline_length(void **state)
{
	char *arg = malloc(4096 + 16);
	assert_non_null(arg);
	strcpy(arg, "--cmdline=");
	memset(arg + 10, 'a', 4095);
	arg[10 + 4095] = '\0';
	struct result r;
	parse(&r, "--kernel", "k", arg);
	ok(&r);
	assert_int_equal(strlen(r.cfg.cmdline), 4095);
	config_free(&r.cfg);
	arg[10 + 4095] = 'a';
	arg[10 + 4096] = '\0';
	parse(&r, "--kernel", "k", arg);
	bad(&r, "--cmdline");
	free(arg);
}

static void test_verbosity(void **state)
{
	struct result r;
	parse(&r, "-v", "--kernel", "k");
	ok(&r);
	assert_int_equal(r.cfg.verbosity, 1);
	config_free(&r.cfg);
	parse(&r, "--kernel", "k", "-vv");
	ok(&r);
	assert_int_equal(r.cfg.verbosity, 2);
	config_free(&r.cfg);
	parse(&r, "-v", "--kernel", "k", "-vv");
	ok(&r);
	assert_int_equal(r.cfg.verbosity, 3);
	config_free(&r.cfg);
}

static void test_actions(void **state)
{
	static const struct {
		const char *arg;
		enum config_action action;
	} cases[] = {{"--help", CONFIG_HELP}, {"-h", CONFIG_HELP}, {"--version", CONFIG_VERSION}, {"-V", CONFIG_VERSION}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct result r;
		/* alone: no --kernel needed */
		parse(&r, cases[i].arg);
		assert_int_equal(r.rc, 0);
		assert_int_equal(r.action, cases[i].action);
		config_free(&r.cfg);
		/* after other options, and before a bad one that is never reached */
		parse(&r, "--kernel", "k", cases[i].arg, "--bogus");
		assert_int_equal(r.rc, 0);
		assert_int_equal(r.action, cases[i].action);
		config_free(&r.cfg);
	}
}

static void test_repeat_no_leak(void **state)
{
	struct result r;
	parse(&r, "--kernel", "a", "--kernel=b", "--initramfs", "i1", "--initramfs", "i2", "--cmdline", "c1",
	      "--cmdline", "c2", "--log-file", "l1", "--log-file", "l2");
	ok(&r);
	assert_string_equal(r.cfg.kernel, "b");
	assert_string_equal(r.cfg.initramfs, "i2");
	assert_string_equal(r.cfg.cmdline, "c2");
	assert_string_equal(r.cfg.log_file, "l2");
	config_free(&r.cfg);
}

static void test_small_err_buffer(void **state)
{
	struct vm_config cfg;
	enum config_action action;
	char err[8];
	memset(err, 'Z', sizeof(err));
	char *argv[] = {(char *)"nimbus", (char *)"--bogus-option", NULL};
	assert_int_equal(config_parse_args(2, argv, 0, &cfg, &action, err, sizeof(err)), -EINVAL);
	assert_int_equal(strlen(err), sizeof(err) - 1); /* truncated, terminated */
	config_free(&cfg);
}

/* ---- config_parse_size ---------------------------------------------------- */

static void test_parse_size(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
		{"0", 0},
		{"1", 1},
		{"1048576", 1048576},
		{"64K", 64 * 1024},
		{"64k", 64 * 1024},
		{"512M", 512 * MiB},
		{"2G", 2 * GiB},
		{"1T", 1ULL << 40},
		{"1t", 1ULL << 40},
		{"0G", 0},
		{"18446744073709551609", 18446744073709551609ULL},
		{"17179869183G", 17179869183ULL << 30},  /* 2^64 - 2^30 */
		{"16777215T", 16777215ULL << 40},         /* 2^64 - 2^40 */
		{"18014398509481983K", 18014398509481983ULL << 10},
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint64_t v = 12345;
		if (config_parse_size(good[i].s, &v) != 0)
			fail_msg("'%s' rejected", good[i].s);
		assert_int_equal(v, good[i].v);
	}
	static const char *const badv[] = {
		"",   "K",  "M1",  "1MB", "1.5G", " 1G", "1G ", "-1",  "+1",  "0x10", "1KK", "1P",
		"1e9", "abc", "1 G",
		"18446744073709551616",       /* 2^64 */
		"99999999999999999999999999", /* far beyond */
		"17179869184G",               /* 2^64 */
		"16777216T",                  /* 2^64 */
		"18014398509481984K",         /* 2^64 */
	};
	for (size_t i = 0; i < sizeof(badv) / sizeof(badv[0]); i++) {
		uint64_t v = 12345;
		if (config_parse_size(badv[i], &v) != -EINVAL)
			fail_msg("'%s' accepted", badv[i]);
		assert_int_equal(v, 12345); /* untouched */
	}
	uint64_t v = 7;
	assert_int_equal(config_parse_size(NULL, &v), -EINVAL);
	assert_int_equal(v, 7);
}

/* BUG (disabled until fixed): config_parse_size rejects the largest numbers
 * that fit in 64 bits. src/vmm/config.c:29 checks
 * `v > (UINT64_MAX - 9) / 10` before every digit, whatever the digit, so
 * "18446744073709551610" .. "18446744073709551615" (UINT64_MAX) return
 * -EINVAL although they do not overflow (the header promises -EINVAL only
 * for junk and overflow). Expected: 0 and the value; actual: -EINVAL.
 * Harmless for --memory (such sizes fail the host check anyway), but wrong.
 * To enable: change both `#if 0` (here and in main()) to `#if 1`. */
#if 1 /* was a bug, fixed */
static void test_parse_size_u64_max(void **state)
{
	uint64_t v = 0;
	assert_int_equal(config_parse_size("18446744073709551615", &v), 0);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(config_parse_size("18446744073709551610", &v), 0);
	assert_int_equal(v, UINT64_MAX - 5);
}
#endif

/* BUG (disabled until fixed): error messages are not always one line. The
 * messages in src/vmm/config.c embed the user's value verbatim (e.g. line 141
 * "%s %s: expected off, null, tty or file=PATH", line 92 "expected key=value,
 * got '%s'", line 249 "unknown option '%s'"), so a value containing '\n'
 * yields a multi-line message; the header promises "a one-line message".
 * Input: --serial $'a\nb'. Expected: -EINVAL and no '\n' in err; actual:
 * err = "--serial a\nb: expected off, null, tty or file=PATH".
 * To enable: change both `#if 0` (here and in main()) to `#if 1`. */
#if 1 /* was a bug, fixed */
static void test_error_one_line_with_newline_input(void **state)
{
	struct result r;
	parse(&r, "--kernel", "k", "--serial", "a\nb");
	bad(&r, "--serial");
	parse(&r, "--kernel", "k", "--cpus", "boot=1\n2");
	bad(&r, "--cpus");
	parse(&r, "--kernel", "k", "--x\ny=1");
	bad(&r, NULL);
}
#endif

/* ---- --rng and --console ---------------------------------------------------- */

static void test_rng_and_console_defaults(void **state)
{
	struct result r;
	parse(&r, "--kernel", "k");
	ok(&r);
	assert_string_equal(r.cfg.rng_src, CONFIG_DEFAULT_RNG_SRC);
	assert_string_equal(r.cfg.rng_src, "/dev/urandom");
	assert_int_equal(r.cfg.console.mode, CONSOLE_OFF);
	assert_null(r.cfg.console.path);
	config_free(&r.cfg);
	assert_null(r.cfg.rng_src);
}

static void test_rng(void **state)
{
	struct result r;
	parse(&r, "--kernel", "k", "--rng", "src=/dev/random");
	ok(&r);
	assert_string_equal(r.cfg.rng_src, "/dev/random");
	config_free(&r.cfg);
	parse(&r, "--kernel", "k", "--rng=src=/dev/hwrng");
	ok(&r);
	assert_string_equal(r.cfg.rng_src, "/dev/hwrng");
	config_free(&r.cfg);
	/* the path is everything after the first '=' */
	parse(&r, "--kernel", "k", "--rng", "src=/tmp/a=b");
	ok(&r);
	assert_string_equal(r.cfg.rng_src, "/tmp/a=b");
	config_free(&r.cfg);
	/* the file is opened by the VMM, not here: any path parses */
	parse(&r, "--kernel", "k", "--rng", "src=relative/no such file");
	ok(&r);
	assert_string_equal(r.cfg.rng_src, "relative/no such file");
	config_free(&r.cfg);
	/* repeated, in one list or as two options: the last one wins (no leak) */
	parse(&r, "--kernel", "k", "--rng", "src=/a,src=/b");
	ok(&r);
	assert_string_equal(r.cfg.rng_src, "/b");
	config_free(&r.cfg);
	parse(&r, "--kernel", "k", "--rng", "src=/a", "--rng=src=/c");
	ok(&r);
	assert_string_equal(r.cfg.rng_src, "/c");
	config_free(&r.cfg);
}

static void test_net(void **state)
{
	struct result r;
	parse(&r, "--kernel", "k", "--net", "tap=tap7,mac=52:54:00:AB:cd:01,queue_size=512,id=n0", "--net",
	      "ip=192.168.9.1,mask=255.255.255.0,num_queues=8", "--net", "fd=5,num_queues=2", "--net",
	      "fd=[6,7],mac=52:54:00:00:00:07", "--net", "num_queues=4,fd=[8,9],id=x");
	ok(&r);
	assert_int_equal(r.cfg.nr_nets, 5);
	assert_string_equal(r.cfg.nets[0].tap, "tap7");
	assert_true(r.cfg.nets[0].has_mac);
	static const uint8_t mac[6] = {0x52, 0x54, 0, 0xab, 0xcd, 1};
	assert_memory_equal(r.cfg.nets[0].mac, mac, 6);
	assert_int_equal(r.cfg.nets[0].queue_size, 512);
	assert_int_equal(r.cfg.nets[0].nr_fds, 0);
	assert_int_equal(r.cfg.nets[0].num_queues, 2);
	assert_int_equal(r.cfg.nets[1].num_queues, 8);
	assert_string_equal(r.cfg.nets[0].id, "n0");
	assert_null(r.cfg.nets[1].tap);
	assert_false(r.cfg.nets[1].has_mac);
	assert_string_equal(r.cfg.nets[1].ip, "192.168.9.1");
	assert_string_equal(r.cfg.nets[1].mask, "255.255.255.0");
	assert_int_equal(r.cfg.nets[1].queue_size, CONFIG_NET_DEFAULT_QUEUE_SIZE);
	assert_int_equal(r.cfg.nets[2].nr_fds, 1);
	assert_int_equal(r.cfg.nets[2].fds[0], 5);
	assert_int_equal(r.cfg.nets[2].num_queues, 2);
	/* fd=[..]: one tap queue per pair; num_queues follows (or must match) */
	assert_int_equal(r.cfg.nets[3].nr_fds, 2);
	assert_int_equal(r.cfg.nets[3].fds[0], 6);
	assert_int_equal(r.cfg.nets[3].fds[1], 7);
	assert_int_equal(r.cfg.nets[3].num_queues, 4);
	assert_true(r.cfg.nets[3].has_mac);
	assert_int_equal(r.cfg.nets[4].nr_fds, 2);
	assert_int_equal(r.cfg.nets[4].fds[1], 9);
	assert_int_equal(r.cfg.nets[4].num_queues, 4);
	assert_string_equal(r.cfg.nets[4].id, "x");
	config_free(&r.cfg);
}

static void test_net_bad(void **state)
{
	static const struct {
		const char *v, *needle;
	} cases[] = {
		{"mac=01:00:00:00:00:01", "mac"},       {"mac=52:54:00:12:34", "mac"},
		{"mac=52-54-00-12-34-56", "mac"},       {"mac=52:54:00:12:34:5g", "mac"},
		{"tap=abcdefghijklmnop", "tap"},        {"ip=10.0.0.1", "mask"},
		{"ip=10.0.0.300,mask=255.0.0.0", "ip"}, {"ip=10.0.0.1,mask=x", "mask"},
		{"fd=2", "fd"},                         {"fd=x", "fd"},
		{"fd=4,tap=t0", "fd="},                 {"num_queues=3", "num_queues"},
		{"num_queues=0", "num_queues"},         {"num_queues=18", "num_queues"},
		{"fd=[3,4],num_queues=2", "1 queue pair"}, {"fd=[3,4],num_queues=6", "3 queue pair"},
		{"fd=[3,,4]", "--net"},                 {"fd=[]", "fd="},
		{"fd=[3,4", "fd="},                     {"fd=[,3]", "fd="},
		{"fd=[3,]", "fd="},                     {"fd=[3,x]", "fd="},
		{"fd=[3,4,5,6,7,8,9,10,11]", "at most"}, {"fd=3,4", "expected key=value"},
		{"queue_size=100", "queue_size"},       {"queue_size=2048", "queue_size"},
		{"vhost_user=on", "unknown key"},       {"", "--net"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct result r;
		parse(&r, "--kernel", "k", "--net", cases[i].v);
		if (r.rc != -EINVAL)
			fail_msg("--net '%s': got %d", cases[i].v, r.rc);
		bad(&r, cases[i].needle);
	}
	struct result r;
	parse(&r, "--kernel", "k", "--net", "tap=a", "--net", "tap=b", "--net", "tap=c", "--net", "tap=d", "--net",
	      "tap=e", "--net", "tap=f", "--net", "tap=g", "--net", "tap=h", "--net", "tap=i");
	bad(&r, "at most");
}

static void test_event_monitor(void **state)
{
	struct result r;
	parse(&r, "--kernel", "k", "--event-monitor", "path=/tmp/ev");
	ok(&r);
	assert_string_equal(r.cfg.event_monitor_path, "/tmp/ev");
	config_free(&r.cfg);
	parse(&r, "--api-socket", "/tmp/s", "--event-monitor=fd=7");
	ok(&r);
	assert_int_equal(r.cfg.event_monitor_fd, 7);
	assert_null(r.cfg.event_monitor_path);
	config_free(&r.cfg);
	static const struct {
		const char *v, *needle;
	} cases[] = {
		{"fd=2", "fd=2"}, {"fd=x", "fd=x"}, {"file=/x", "unknown key 'file'"}, {"path=/a,fd=5", "not both"},
		{"", "--event-monitor"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parse(&r, "--kernel", "k", "--event-monitor", cases[i].v);
		if (r.rc != -EINVAL)
			fail_msg("--event-monitor '%s': got %d", cases[i].v, r.rc);
		bad(&r, cases[i].needle);
	}
	parse(&r, "--kernel", "k", "--event-monitor");
	bad(&r, "needs a value");
}

static void test_rng_bad(void **state)
{
	static const char *const vals[] = {
		"",	   "src=",     "src",	"/dev/random", "source=/x", "SRC=/x", "src=/a,foo=1",
		"=/x", "src=/a,=", "path=/x", "src=/a,src=",
	};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		struct result r;
		parse(&r, "--kernel", "k", "--rng", vals[i]);
		if (r.rc != -EINVAL)
			fail_msg("--rng '%s': got %d", vals[i], r.rc);
		bad(&r, "--rng");
	}
	struct result r;
	parse(&r, "--kernel", "k", "--rng");
	bad(&r, "--rng");
	parse(&r, "--kernel", "k", "--rng", "src=/a\nb,x=1");
	bad(&r, "--rng");
	parse(&r, "--kernel", "k", "--rng", "src=");
	bad(&r, "empty");
	parse(&r, "--kernel", "k", "--rng", "file=/x");
	bad(&r, "file");
}

static void test_console(void **state)
{
	static const struct {
		const char *arg;
		enum console_mode mode;
	} cases[] = {{"off", CONSOLE_OFF}, {"null", CONSOLE_NULL}, {"tty", CONSOLE_TTY}, {"file=/tmp/hvc0.log", CONSOLE_FILE}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* tty needs the serial port off the terminal */
		struct result r;
		parse(&r, "--kernel", "k", "--serial", "null", "--console", cases[i].arg);
		ok(&r);
		assert_int_equal(r.cfg.console.mode, cases[i].mode);
		assert_int_equal(r.cfg.serial.mode, CONSOLE_NULL);
		if (cases[i].mode == CONSOLE_FILE)
			assert_string_equal(r.cfg.console.path, "/tmp/hvc0.log");
		config_free(&r.cfg);
		/* --console=VALUE form */
		char arg[64];
		snprintf(arg, sizeof(arg), "--console=%s", cases[i].arg);
		parse(&r, "--kernel", "k", "--serial=off", arg);
		ok(&r);
		assert_int_equal(r.cfg.console.mode, cases[i].mode);
		assert_int_equal(r.cfg.serial.mode, CONSOLE_OFF);
		if (cases[i].mode == CONSOLE_FILE)
			assert_string_equal(r.cfg.console.path, "/tmp/hvc0.log");
		config_free(&r.cfg);
	}
	/* everything but tty goes with the default serial (tty) */
	struct result r;
	parse(&r, "--kernel", "k", "--console", "null");
	ok(&r);
	assert_int_equal(r.cfg.serial.mode, CONSOLE_TTY);
	assert_int_equal(r.cfg.console.mode, CONSOLE_NULL);
	config_free(&r.cfg);
	parse(&r, "--kernel", "k", "--console", "file=out.txt");
	ok(&r);
	assert_int_equal(r.cfg.console.mode, CONSOLE_FILE);
	assert_string_equal(r.cfg.console.path, "out.txt");
	config_free(&r.cfg);
	/* serial to a file, console on the terminal */
	parse(&r, "--kernel", "k", "--serial", "file=/tmp/s", "--console", "tty");
	ok(&r);
	assert_int_equal(r.cfg.console.mode, CONSOLE_TTY);
	assert_string_equal(r.cfg.serial.path, "/tmp/s");
	config_free(&r.cfg);
	/* file twice: the second path wins (and the first is not leaked);
	 * a path may contain ',' and '=' */
	parse(&r, "--kernel", "k", "--console", "file=/a", "--console=file=/b,c=d");
	ok(&r);
	assert_int_equal(r.cfg.console.mode, CONSOLE_FILE);
	assert_string_equal(r.cfg.console.path, "/b,c=d");
	config_free(&r.cfg);
	/* the last --console wins */
	parse(&r, "--kernel", "k", "--console", "file=/a", "--console", "off");
	ok(&r);
	assert_int_equal(r.cfg.console.mode, CONSOLE_OFF);
	config_free(&r.cfg);
}

static void test_console_bad(void **state)
{
	static const char *const vals[] = {"",    "file=", "file", "TTY",  "pty",	     "on",	"off,",
					   "tty,", " tty", "null ", "socket=/x", "file:/x", "src=/x"};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		struct result r;
		parse(&r, "--kernel", "k", "--serial", "off", "--console", vals[i]);
		if (r.rc != -EINVAL)
			fail_msg("--console '%s': got %d", vals[i], r.rc);
		bad(&r, "--console");
	}
	struct result r;
	parse(&r, "--kernel", "k", "--console");
	bad(&r, "--console");
	parse(&r, "--kernel", "k", "--console", "fi\nle=/x");
	bad(&r, "--console");
}

static void test_serial_and_console_tty_refused(void **state)
{
	struct result r;
	/* the serial port is on the terminal by default */
	parse(&r, "--kernel", "k", "--console", "tty");
	bad(&r, "terminal");
	parse(&r, "--kernel", "k", "--serial", "tty", "--console", "tty");
	bad(&r, "--console tty");
	parse(&r, "--kernel", "k", "--console=tty", "--serial=tty");
	bad(&r, "--serial tty");
	/* decided on the final values, not option by option */
	parse(&r, "--kernel", "k", "--console", "tty", "--serial", "tty", "--serial", "off");
	ok(&r);
	assert_int_equal(r.cfg.console.mode, CONSOLE_TTY);
	assert_int_equal(r.cfg.serial.mode, CONSOLE_OFF);
	config_free(&r.cfg);
	parse(&r, "--kernel", "k", "--serial", "off", "--console", "tty", "--console", "null", "--serial", "tty");
	ok(&r);
	assert_int_equal(r.cfg.console.mode, CONSOLE_NULL);
	assert_int_equal(r.cfg.serial.mode, CONSOLE_TTY);
	config_free(&r.cfg);
}

/* Was a bug (fixed): a key=value list made only of commas was
 * accepted and changed nothing. src/vmm/config.c parse_kv_list() rejects an
 * empty list ("" → "empty value") but strtok_r skips empty tokens, so for
 * "," (or ",,") the loop body never runs and rc stays 0. Input:
 * --rng , (also --cpus , and --memory ,). Expected: -EINVAL with a one-line
 * message naming the option; actual: 0 with the defaults (rng_src
 * /dev/urandom). (Trailing or doubled commas after a real pair, e.g.
 * "src=/x,", are also silently accepted, like "boot=2," for --cpus.)
 * To enable: change both `#if 0` (here and in main()) to `#if 1`. */
#if 1
static void test_kv_list_only_commas(void **state)
{
	static const char *const opts[] = {"--rng", "--cpus", "--memory"};
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		struct result r;
		parse(&r, "--kernel", "k", opts[i], ",");
		bad(&r, opts[i]);
		parse(&r, "--kernel", "k", opts[i], ",,");
		bad(&r, opts[i]);
	}
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_options_separate),
		cmocka_unit_test(test_all_options_equals),
		cmocka_unit_test(test_cpus),
		cmocka_unit_test(test_cpus_bad),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_memory_bad),
		cmocka_unit_test(test_serial),
		cmocka_unit_test(test_boot_entry),
		cmocka_unit_test(test_seccomp),
		cmocka_unit_test(test_unknown_and_missing),
		cmocka_unit_test(test_cmdline_length),
		cmocka_unit_test(test_verbosity),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_repeat_no_leak),
		cmocka_unit_test(test_small_err_buffer),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_rng_and_console_defaults),
		cmocka_unit_test(test_rng),
		cmocka_unit_test(test_rng_bad),
		cmocka_unit_test(test_net),
		cmocka_unit_test(test_net_bad),
		cmocka_unit_test(test_event_monitor),
		cmocka_unit_test(test_console),
		cmocka_unit_test(test_console_bad),
		cmocka_unit_test(test_serial_and_console_tty_refused),
#if 1 /* was a bug, fixed: see test_kv_list_only_commas */
		cmocka_unit_test(test_kv_list_only_commas),
#endif
#if 1 /* was a bug, fixed */
		cmocka_unit_test(test_parse_size_u64_max),
#endif
#if 1 /* was a bug, fixed */
		cmocka_unit_test(test_error_one_line_with_newline_input),
#endif
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
