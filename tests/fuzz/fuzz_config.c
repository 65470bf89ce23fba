/* libFuzzer target: command-line parsing (config_parse_args, config_parse_size).
 *
 * The input is split on NUL bytes into argv[1..]; argv[0] is "nimbus". On
 * success the invariants the parser promises are checked; on failure the
 * message must be non-empty and fit the buffer. Every argument is also fed
 * to config_parse_size and compared with a 128-bit reference. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/config.h"

#define MAX_ARGS 64
#define HOST_LIMIT (8ULL << 30)

static int ref_parse_size(const char *s, uint64_t *out)
{
	unsigned __int128 v = 0;
	const char *p = s;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > UINT64_MAX)
			return -1;
	}
	unsigned shift = 0;
	switch (*p) {
	case 'K': case 'k': shift = 10; p++; break;
	case 'M': case 'm': shift = 20; p++; break;
	case 'G': case 'g': shift = 30; p++; break;
	case 'T': case 't': shift = 40; p++; break;
	default: break;
	}
	if (*p)
		return -1;
	v <<= shift;
	if (v > UINT64_MAX)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

static void check_size(const char *s)
{
	uint64_t got = 0, want = 0;
	if (config_parse_size(s, &got) == 0) {
		/* anything accepted must be exactly what it says */
		if (ref_parse_size(s, &want) != 0 || got != want)
			__builtin_trap();
	}
}

static void check_ok(const struct vm_config *c)
{
	/* A kernel is required unless the VM comes later through the API. */
	if ((!c->kernel && !c->api_socket_path && !c->api_socket_fd) || !c->cmdline)
		__builtin_trap();
	if (c->boot_vcpus < 1 || c->boot_vcpus > c->max_vcpus || c->max_vcpus > CONFIG_MAX_VCPUS)
		__builtin_trap();
	if (c->mem_size < (64ULL << 20) || c->mem_size % 4096 || c->mem_size > HOST_LIMIT)
		__builtin_trap();
	if (strlen(c->cmdline) >= 4096)
		__builtin_trap();
	if (c->serial.mode == CONSOLE_FILE && (!c->serial.path || !c->serial.path[0]))
		__builtin_trap();
	if (c->cpu_template != CPU_TEMPLATE_DEFAULT && c->cpu_template != CPU_TEMPLATE_HOST)
		__builtin_trap();
	if (c->verbosity < 0)
		__builtin_trap();
	for (unsigned i = 0; i < c->nr_nets; i++) {
		const struct net_config *n = &c->nets[i];
		/* num_queues: 2 per pair; fd= gives exactly one tap fd per pair */
		if (n->num_queues < 2 || n->num_queues % 2 || n->num_queues > 2 * CONFIG_NET_MAX_PAIRS ||
		    n->nr_fds > CONFIG_NET_MAX_PAIRS || (n->nr_fds && n->num_queues != 2 * n->nr_fds))
			__builtin_trap();
		for (unsigned q = 0; q < n->nr_fds; q++)
			if (n->fds[q] < 3)
				__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';

	char *argv[MAX_ARGS + 2];
	int argc = 0;
	argv[argc++] = (char *)"nimbus";
	int has_newline = memchr(data, '\n', size) != NULL;
	if (size) {
		for (char *p = buf; p <= buf + size && argc <= MAX_ARGS; p += strlen(p) + 1)
			argv[argc++] = p;
	}
	argv[argc] = NULL;

	for (int i = 1; i < argc; i++)
		check_size(argv[i]);

	struct vm_config cfg;
	enum config_action action = CONFIG_RUN;
	char err[160];
	memset(err, 0, sizeof(err));
	int rc = config_parse_args(argc, argv, HOST_LIMIT, &cfg, &action, err, sizeof(err));
	if (rc == 0) {
		if (action == CONFIG_RUN)
			check_ok(&cfg);
		else if (action != CONFIG_HELP && action != CONFIG_VERSION)
			__builtin_trap();
	} else {
		if (rc != -EINVAL || err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL)
			__builtin_trap();
		/* one line, unless the user's own input carried the newline
		 * (known issue: values are echoed verbatim) */
		if (!has_newline && strchr(err, '\n'))
			__builtin_trap();
	}
	config_free(&cfg);
	if (cfg.kernel || cfg.cmdline || cfg.serial.path)
		__builtin_trap();
	free(buf);
	return 0;
}
