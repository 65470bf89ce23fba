/* vmm/config.c — command-line parsing into a validated vm_config. */
#include "vmm/config.h"
#include "util/errmsg.h"

#include "net/tap.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/sysinfo.h>

static int errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	errmsg_vset(err, errlen, -EINVAL, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int config_parse_size(const char *s, uint64_t *out)
{
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	uint64_t v = 0;
	const char *p = s;
	for (; *p >= '0' && *p <= '9'; p++) {
		uint64_t d = (uint64_t)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	unsigned shift = 0;
	switch (*p) {
	case '\0': break;
	case 'K': case 'k': shift = 10; p++; break;
	case 'M': case 'm': shift = 20; p++; break;
	case 'G': case 'g': shift = 30; p++; break;
	case 'T': case 't': shift = 40; p++; break;
	default: return -EINVAL;
	}
	if (*p != '\0')
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = v << shift;
	return 0;
}

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	unsigned long v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

static int set_string(char **dst, const char *value)
{
	char *copy = strdup(value);
	if (!copy)
		return -ENOMEM;
	free(*dst);
	*dst = copy;
	return 0;
}

/* Walks "k1=v1,k2=v2": calls fn for each pair; keys without '=' get value "". */
typedef int (*kv_fn)(struct vm_config *cfg, const char *key, const char *value, char *err, size_t errlen);

/* Length of the next item of a comma-separated list; commas inside [...]
 * do not end an item (fd=[3,4]). */
static size_t item_len(const char *s)
{
	size_t i = 0;
	for (int depth = 0; s[i] && (s[i] != ',' || depth > 0); i++)
		depth += s[i] == '[' ? 1 : s[i] == ']' ? -1 : 0;
	return i;
}

static int parse_kv_list(const char *opt, const char *list, struct vm_config *cfg, kv_fn fn, char *err,
			 size_t errlen)
{
	char *copy = strdup(list);
	if (!copy)
		return errf(err, errlen, "out of memory");
	int rc = 0;
	size_t n = strlen(list);
	if (n == 0 || list[0] == ',' || list[n - 1] == ',' || strstr(list, ",,"))
		rc = errf(err, errlen, "%s: empty item in '%s'", opt, list);
	for (char *tok = copy; !rc && *tok;) {
		size_t len = item_len(tok);
		char *next = tok[len] ? tok + len + 1 : tok + len;
		tok[len] = '\0';
		char *eq = strchr(tok, '=');
		if (!eq) {
			rc = errf(err, errlen, "%s: expected key=value, got '%s'", opt, tok);
			break;
		}
		*eq = '\0';
		rc = fn(cfg, tok, eq + 1, err, errlen);
		tok = next;
	}
	free(copy);
	return rc;
}

static int cpus_kv(struct vm_config *cfg, const char *key, const char *value, char *err, size_t errlen)
{
	if (!strcmp(key, "boot")) {
		if (parse_uint(value, CONFIG_MAX_VCPUS, &cfg->boot_vcpus) || cfg->boot_vcpus == 0)
			return errf(err, errlen, "--cpus boot=%s: expected 1..%d", value, CONFIG_MAX_VCPUS);
	} else if (!strcmp(key, "max")) {
		if (parse_uint(value, CONFIG_MAX_VCPUS, &cfg->max_vcpus) || cfg->max_vcpus == 0)
			return errf(err, errlen, "--cpus max=%s: expected 1..%d", value, CONFIG_MAX_VCPUS);
	} else if (!strcmp(key, "template")) {
		if (cpu_template_parse(value, &cfg->cpu_template))
			return errf(err, errlen, "--cpus template=%s: expected default or host", value);
	} else {
		return errf(err, errlen, "--cpus: unknown key '%s' (known: boot, max, template)", key);
	}
	return 0;
}

static int memory_kv(struct vm_config *cfg, const char *key, const char *value, char *err, size_t errlen)
{
	if (strcmp(key, "size"))
		return errf(err, errlen, "--memory: unknown key '%s' (known: size)", key);
	if (config_parse_size(value, &cfg->mem_size))
		return errf(err, errlen, "--memory size=%s: expected a number with optional K/M/G suffix", value);
	return 0;
}

static int parse_console(const char *opt, const char *value, struct console_config *c, char *err, size_t errlen)
{
	if (!strcmp(value, "off"))
		c->mode = CONSOLE_OFF;
	else if (!strcmp(value, "null"))
		c->mode = CONSOLE_NULL;
	else if (!strcmp(value, "tty"))
		c->mode = CONSOLE_TTY;
	else if (!strncmp(value, "file=", 5) && value[5]) {
		c->mode = CONSOLE_FILE;
		if (set_string(&c->path, value + 5))
			return errf(err, errlen, "out of memory");
	} else
		return errf(err, errlen, "%s %s: expected off, null, tty or file=PATH", opt, value);
	return 0;
}

static int rng_kv(struct vm_config *cfg, const char *key, const char *value, char *err, size_t errlen)
{
	if (strcmp(key, "src"))
		return errf(err, errlen, "--rng: unknown key '%s' (known: src)", key);
	if (!*value)
		return errf(err, errlen, "--rng src: empty path");
	return set_string(&cfg->rng_src, value) ? errf(err, errlen, "out of memory") : 0;
}

static int parse_on_off(const char *key, const char *value, int *out, char *err, size_t errlen)
{
	if (!strcmp(value, "on") || !strcmp(value, "true"))
		*out = 1;
	else if (!strcmp(value, "off") || !strcmp(value, "false"))
		*out = 0;
	else
		return errf(err, errlen, "--disk %s=%s: expected on or off", key, value);
	return 0;
}

/* Fills cfg->disks[cfg->nr_disks] (counted once the whole option parsed). */
static int disk_kv(struct vm_config *cfg, const char *key, const char *value, char *err, size_t errlen)
{
	struct disk_config *d = &cfg->disks[cfg->nr_disks];
	if (!strcmp(key, "path")) {
		if (!*value)
			return errf(err, errlen, "--disk path: empty path");
		return set_string(&d->path, value) ? errf(err, errlen, "out of memory") : 0;
	}
	if (!strcmp(key, "readonly"))
		return parse_on_off(key, value, &d->readonly, err, errlen);
	if (!strcmp(key, "direct"))
		return parse_on_off(key, value, &d->direct, err, errlen);
	if (!strcmp(key, "num_queues")) {
		if (parse_uint(value, CONFIG_DISK_MAX_QUEUES, &d->num_queues) || d->num_queues == 0)
			return errf(err, errlen, "--disk num_queues=%s: expected 1..%d", value, CONFIG_DISK_MAX_QUEUES);
		return 0;
	}
	if (!strcmp(key, "queue_size")) {
		if (parse_uint(value, 1024, &d->queue_size) || d->queue_size < 2 ||
		    (d->queue_size & (d->queue_size - 1)))
			return errf(err, errlen, "--disk queue_size=%s: expected a power of two, 2..1024", value);
		return 0;
	}
	if (!strcmp(key, "id")) {
		if (strlen(value) > 20)
			return errf(err, errlen, "--disk id=%s: at most 20 bytes", value);
		return set_string(&d->id, value) ? errf(err, errlen, "out of memory") : 0;
	}
	if (!strcmp(key, "image_type")) {
		if (strcmp(value, "raw"))
			return errf(err, errlen, "--disk image_type=%s: only raw is supported", value);
		return set_string(&d->image_type, value) ? errf(err, errlen, "out of memory") : 0;
	}
	return errf(err, errlen,
		    "--disk: unknown key '%s' (known: path, readonly, direct, num_queues, queue_size, id, image_type)",
		    key);
}

static int parse_disk(struct vm_config *cfg, const char *value, char *err, size_t errlen)
{
	if (cfg->nr_disks >= CONFIG_MAX_DISKS)
		return errf(err, errlen, "--disk: at most %d disks", CONFIG_MAX_DISKS);
	struct disk_config *d = &cfg->disks[cfg->nr_disks];
	d->num_queues = 1;
	d->queue_size = CONFIG_DISK_DEFAULT_QUEUE_SIZE;
	int rc = parse_kv_list("--disk", value, cfg, disk_kv, err, errlen);
	if (!rc && !d->path)
		rc = errf(err, errlen, "--disk %s: path=FILE is required", value);
	cfg->nr_disks++; /* freed by config_free even when incomplete */
	return rc;
}

/* fd=N or fd=[N,M,...]: one open tap fd (>= 3) per queue pair. */
static int parse_net_fds(struct net_config *n, const char *what, const char *value, char *err, size_t errlen)
{
	size_t len = strlen(value);
	bool list = len >= 2 && value[0] == '[' && value[len - 1] == ']';
	char buf[128];
	if (len >= sizeof(buf))
		return errf(err, errlen, "%s fd=%s: too long", what, value);
	snprintf(buf, sizeof(buf), "%.*s", (int)(list ? len - 2 : len), value + list);
	n->nr_fds = 0;
	char *save = NULL;
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned fd;
		if (n->nr_fds >= CONFIG_NET_MAX_PAIRS)
			return errf(err, errlen, "%s fd=%s: at most %d fds (one per queue pair)", what, value,
				    CONFIG_NET_MAX_PAIRS);
		if (parse_uint(tok, 1u << 20, &fd) || fd < 3)
			return errf(err, errlen, "%s fd=%s: expected open file descriptors >= 3", what, value);
		n->fds[n->nr_fds++] = (int)fd;
	}
	if (n->nr_fds == 0 || (list ? strstr(value, ",,") || value[1] == ',' || value[len - 2] == ',' : 0))
		return errf(err, errlen, "%s fd=%s: expected open file descriptors >= 3", what, value);
	return 0;
}

void config_net_defaults(struct net_config *n)
{
	memset(n, 0, sizeof(*n));
	n->num_queues = 0; /* set by config_net_check */
	n->queue_size = CONFIG_NET_DEFAULT_QUEUE_SIZE;
}

int config_net_set(struct net_config *n, const char *what, const char *key, const char *value, char *err,
		   size_t errlen)
{
	char **str = NULL;
	if (!strcmp(key, "tap")) {
		if (strlen(value) >= TAP_NAME_MAX)
			return errf(err, errlen, "%s tap=%s: at most %d characters", what, value, TAP_NAME_MAX - 1);
		str = &n->tap;
	} else if (!strcmp(key, "ip"))
		str = &n->ip;
	else if (!strcmp(key, "mask"))
		str = &n->mask;
	else if (!strcmp(key, "id"))
		str = &n->id;
	else if (!strcmp(key, "mac")) {
		if (tap_parse_mac(value, n->mac))
			return errf(err, errlen, "%s mac=%s: expected a unicast MAC like 52:54:00:12:34:56", what, value);
		n->has_mac = 1;
		return 0;
	} else if (!strcmp(key, "fd")) {
		return parse_net_fds(n, what, value, err, errlen);
	} else if (!strcmp(key, "num_queues")) {
		if (parse_uint(value, 2 * CONFIG_NET_MAX_PAIRS, &n->num_queues) || n->num_queues < 2 ||
		    n->num_queues % 2)
			return errf(err, errlen, "%s num_queues=%s: expected an even number 2..%d (2 per queue pair)",
				    what, value, 2 * CONFIG_NET_MAX_PAIRS);
		return 0;
	} else if (!strcmp(key, "queue_size")) {
		if (parse_uint(value, 1024, &n->queue_size) || n->queue_size < 2 ||
		    (n->queue_size & (n->queue_size - 1)))
			return errf(err, errlen, "%s queue_size=%s: expected a power of two, 2..1024", what, value);
		return 0;
	} else {
		return errf(err, errlen,
			    "%s: unknown key '%s' (known: tap, fd, mac, ip, mask, num_queues, queue_size, id)", what, key);
	}
	return set_string(str, value) ? errf(err, errlen, "out of memory") : 0;
}

int config_net_check(struct net_config *n, const char *what, char *err, size_t errlen)
{
	if (n->nr_fds && (n->tap || n->ip || n->mask))
		return errf(err, errlen, "%s: fd= excludes tap=, ip= and mask=", what);
	if (n->num_queues == 0)
		n->num_queues = n->nr_fds ? 2 * n->nr_fds : 2;
	if (n->nr_fds && n->num_queues != 2 * n->nr_fds)
		return errf(err, errlen, "%s: num_queues=%u is %u queue pair(s), but fd= gives %u tap fds (one per pair)",
			    what, n->num_queues, n->num_queues / 2, n->nr_fds);
	if (!n->ip != !n->mask)
		return errf(err, errlen, "%s: ip= and mask= go together", what);
	if (n->ip) {
		struct in_addr a;
		if (inet_pton(AF_INET, n->ip, &a) != 1)
			return errf(err, errlen, "%s ip=%s: not an IPv4 address", what, n->ip);
		if (inet_pton(AF_INET, n->mask, &a) != 1)
			return errf(err, errlen, "%s mask=%s: not an IPv4 netmask", what, n->mask);
	}
	return 0;
}

/* Fills cfg->nets[cfg->nr_nets]. */
static int net_kv(struct vm_config *cfg, const char *key, const char *value, char *err, size_t errlen)
{
	return config_net_set(&cfg->nets[cfg->nr_nets], "--net", key, value, err, errlen);
}

static int parse_net(struct vm_config *cfg, const char *value, char *err, size_t errlen)
{
	if (cfg->nr_nets >= CONFIG_MAX_NETS)
		return errf(err, errlen, "--net: at most %d network devices", CONFIG_MAX_NETS);
	struct net_config *n = &cfg->nets[cfg->nr_nets];
	config_net_defaults(n);
	int rc = parse_kv_list("--net", value, cfg, net_kv, err, errlen);
	cfg->nr_nets++; /* freed by config_free even when incomplete */
	if (rc)
		return rc;
	char what[64];
	snprintf(what, sizeof(what), "--net %.50s", value);
	return config_net_check(n, what, err, errlen);
}

static int parse_boot_entry(const char *value, enum boot_entry *out, char *err, size_t errlen)
{
	if (!strcmp(value, "auto"))
		*out = BOOT_ENTRY_AUTO;
	else if (!strcmp(value, "linux64"))
		*out = BOOT_ENTRY_LINUX64;
	else if (!strcmp(value, "pvh"))
		*out = BOOT_ENTRY_PVH;
	else
		return errf(err, errlen, "--boot-entry %s: expected auto, linux64 or pvh", value);
	return 0;
}

/* KEY=VALUE of an option taking path=PATH | fd=N (fd >= 3). */
static int path_or_fd(const char *opt, const char *key, const char *value, char **path, int *fd, char *err,
		      size_t errlen)
{
	if (!strcmp(key, "path"))
		return set_string(path, value) ? errf(err, errlen, "out of memory") : 0;
	if (!strcmp(key, "fd")) {
		unsigned n;
		if (parse_uint(value, 1 << 20, &n) || n < 3)
			return errf(err, errlen, "%s fd=%s: expected a file descriptor >= 3", opt, value);
		*fd = (int)n;
		return 0;
	}
	return errf(err, errlen, "%s: unknown key '%s' (expected path or fd)", opt, key);
}

/* --api-socket path=PATH | fd=N */
static int api_socket_kv(struct vm_config *cfg, const char *key, const char *value, char *err, size_t errlen)
{
	return path_or_fd("--api-socket", key, value, &cfg->api_socket_path, &cfg->api_socket_fd, err, errlen);
}

/* --event-monitor path=PATH | fd=N */
static int event_monitor_kv(struct vm_config *cfg, const char *key, const char *value, char *err, size_t errlen)
{
	return path_or_fd("--event-monitor", key, value, &cfg->event_monitor_path, &cfg->event_monitor_fd, err,
			  errlen);
}

void config_defaults(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->boot_vcpus = 1;
	cfg->mem_size = CONFIG_DEFAULT_MEM;
	cfg->serial.mode = CONSOLE_TTY;
	cfg->cpu_template = CPU_TEMPLATE_DEFAULT;
	cfg->seccomp = THREAD_FILTER_TRAP;
}

/* Options that take a value; the value is argv[i+1] or after '='. */
static int apply_option(struct vm_config *cfg, const char *name, const char *value, char *err, size_t errlen)
{
	if (!strcmp(name, "--kernel"))
		return set_string(&cfg->kernel, value) ? errf(err, errlen, "out of memory") : 0;
	if (!strcmp(name, "--initramfs"))
		return set_string(&cfg->initramfs, value) ? errf(err, errlen, "out of memory") : 0;
	if (!strcmp(name, "--cmdline"))
		return set_string(&cfg->cmdline, value) ? errf(err, errlen, "out of memory") : 0;
	if (!strcmp(name, "--log-file"))
		return set_string(&cfg->log_file, value) ? errf(err, errlen, "out of memory") : 0;
	if (!strcmp(name, "--sigterm-grace")) {
		if (parse_uint(value, 3600, &cfg->sigterm_grace))
			return errf(err, errlen, "--sigterm-grace %s: expected seconds, 0..3600", value);
		return 0;
	}
	if (!strcmp(name, "--cpus"))
		return parse_kv_list(name, value, cfg, cpus_kv, err, errlen);
	if (!strcmp(name, "--memory"))
		return parse_kv_list(name, value, cfg, memory_kv, err, errlen);
	if (!strcmp(name, "--serial"))
		return parse_console(name, value, &cfg->serial, err, errlen);
	if (!strcmp(name, "--console"))
		return parse_console(name, value, &cfg->console, err, errlen);
	if (!strcmp(name, "--rng"))
		return parse_kv_list(name, value, cfg, rng_kv, err, errlen);
	if (!strcmp(name, "--disk"))
		return parse_disk(cfg, value, err, errlen);
	if (!strcmp(name, "--net"))
		return parse_net(cfg, value, err, errlen);
	if (!strcmp(name, "--api-socket")) {
		if (strchr(value, '=') == NULL) /* cloud-hypervisor also takes a bare path */
			return set_string(&cfg->api_socket_path, value) ? errf(err, errlen, "out of memory") : 0;
		return parse_kv_list(name, value, cfg, api_socket_kv, err, errlen);
	}
	if (!strcmp(name, "--event-monitor"))
		return parse_kv_list(name, value, cfg, event_monitor_kv, err, errlen);
	if (!strcmp(name, "--boot-entry"))
		return parse_boot_entry(value, &cfg->boot_entry, err, errlen);
	if (!strcmp(name, "--seccomp")) {
		if (thread_filter_parse_mode(value, &cfg->seccomp))
			return errf(err, errlen, "--seccomp %s: expected true, false or log", value);
		return 0;
	}
	return errf(err, errlen, "unknown option '%s' (see --help)", name);
}

static bool takes_value(const char *name)
{
	static const char *const with_value[] = {"--kernel", "--initramfs", "--cmdline", "--log-file", "--cpus",
						 "--memory", "--serial", "--console", "--rng", "--boot-entry",
						 "--sigterm-grace", "--disk", "--api-socket", "--net",
						 "--event-monitor", "--seccomp"};
	for (size_t i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++)
		if (!strcmp(name, with_value[i]))
			return true;
	return false;
}

static int validate(struct vm_config *cfg, uint64_t host_mem_limit, char *err, size_t errlen)
{
	if (cfg->api_socket_path && cfg->api_socket_fd)
		return errf(err, errlen, "--api-socket: give path= or fd=, not both");
	if (cfg->event_monitor_path && cfg->event_monitor_fd)
		return errf(err, errlen, "--event-monitor: give path= or fd=, not both");
	if (!cfg->kernel && !cfg->api_socket_path && !cfg->api_socket_fd)
		return errf(err, errlen, "no kernel given: use --kernel PATH or --api-socket (see --help)");
	return config_validate(cfg, host_mem_limit, err, errlen);
}

int config_validate(struct vm_config *cfg, uint64_t host_mem_limit, char *err, size_t errlen)
{
	if (cfg->max_vcpus == 0)
		cfg->max_vcpus = cfg->boot_vcpus;
	if (cfg->max_vcpus < cfg->boot_vcpus)
		return errf(err, errlen, "--cpus: max (%u) is less than boot (%u)", cfg->max_vcpus, cfg->boot_vcpus);
	if (cfg->mem_size < (64ULL << 20))
		return errf(err, errlen, "--memory size: %llu bytes is too small (minimum 64M)",
			    (unsigned long long)cfg->mem_size);
	if (cfg->mem_size % 4096)
		return errf(err, errlen, "--memory size: must be a multiple of 4K");
	if (host_mem_limit && cfg->mem_size > host_mem_limit)
		return errf(err, errlen, "--memory size: %lluM is more than this host can back (%lluM of RAM and swap)",
			    (unsigned long long)(cfg->mem_size >> 20), (unsigned long long)(host_mem_limit >> 20));
	if (cfg->serial.mode == CONSOLE_TTY && cfg->console.mode == CONSOLE_TTY)
		return errf(err, errlen, "--serial tty and --console tty: only one of them can use the terminal");
	if (!cfg->rng_src && set_string(&cfg->rng_src, CONFIG_DEFAULT_RNG_SRC))
		return errf(err, errlen, "out of memory");
	if (!cfg->cmdline && set_string(&cfg->cmdline, CONFIG_DEFAULT_CMDLINE))
		return errf(err, errlen, "out of memory");
	if (strlen(cfg->cmdline) >= 4096)
		return errf(err, errlen, "--cmdline: longer than 4095 bytes");
	return 0;
}

int config_parse_args(int argc, char **argv, uint64_t host_mem_limit, struct vm_config *cfg,
		      enum config_action *action, char *err, size_t errlen)
{
	config_defaults(cfg);
	*action = CONFIG_RUN;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			*action = CONFIG_HELP;
			return 0;
		}
		if (!strcmp(arg, "-V") || !strcmp(arg, "--version")) {
			*action = CONFIG_VERSION;
			return 0;
		}
		if (arg[0] == '-' && arg[1] == 'v' && strspn(arg + 1, "v") == strlen(arg + 1)) {
			cfg->verbosity += (int)strlen(arg + 1);
			continue;
		}
		char name[32];
		const char *eq = strchr(arg, '=');
		size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
		if (nlen >= sizeof(name) || strncmp(arg, "--", 2))
			return errf(err, errlen, "unexpected argument '%.64s' (see --help)", arg);
		memcpy(name, arg, nlen);
		name[nlen] = '\0';
		if (!takes_value(name))
			return errf(err, errlen, "unknown option '%s' (see --help)", name);
		const char *value = eq ? eq + 1 : NULL;
		if (!value) {
			if (i + 1 >= argc)
				return errf(err, errlen, "option %s needs a value", name);
			value = argv[++i];
		}
		int rc = apply_option(cfg, name, value, err, errlen);
		if (rc)
			return rc;
	}
	return validate(cfg, host_mem_limit, err, errlen);
}

void config_free(struct vm_config *cfg)
{
	free(cfg->kernel);
	free(cfg->initramfs);
	free(cfg->cmdline);
	free(cfg->log_file);
	free(cfg->serial.path);
	free(cfg->console.path);
	free(cfg->rng_src);
	free(cfg->api_socket_path);
	free(cfg->event_monitor_path);
	for (unsigned i = 0; i < cfg->nr_disks && i < CONFIG_MAX_DISKS; i++) {
		free(cfg->disks[i].path);
		free(cfg->disks[i].id);
		free(cfg->disks[i].image_type);
	}
	for (unsigned i = 0; i < cfg->nr_nets && i < CONFIG_MAX_NETS; i++) {
		free(cfg->nets[i].tap);
		free(cfg->nets[i].ip);
		free(cfg->nets[i].mask);
		free(cfg->nets[i].id);
	}
	memset(cfg, 0, sizeof(*cfg));
}

uint64_t config_host_mem_limit(void)
{
	struct sysinfo si;
	if (sysinfo(&si) < 0)
		return 0;
	return ((uint64_t)si.totalram + (uint64_t)si.totalswap) * si.mem_unit;
}

void config_print_help(const char *prog)
{
	printf("Usage: %s --kernel PATH [options]\n"
	       "nimbus: a light virtual machine monitor for Linux/KVM.\n\n"
	       "  --kernel PATH            vmlinux (ELF) or bzImage to boot\n"
	       "  --initramfs PATH         initramfs to load\n"
	       "  --api-socket path=PATH|fd=N\n"
	       "                           serve the REST API (cloud-hypervisor's) on a Unix socket;\n"
	       "                           without --kernel, wait for vm.create + vm.boot\n"
	       "  --event-monitor path=PATH|fd=N\n"
	       "                           write lifecycle events (JSON, cloud-hypervisor's format) there\n"
	       "  --cmdline \"...\"          kernel command line (default \"%s\")\n"
	       "  --cpus boot=N[,max=M][,template=default|host]\n"
	       "                           vCPUs (default 1); template masks CPU features:\n"
	       "                           default hides XSAVE/AVX and CMPXCHG16B, host passes all\n"
	       "  --memory size=SIZE       guest RAM, K/M/G suffixes (default 512M, minimum 64M)\n"
	       "  --serial tty|file=PATH|null|off\n"
	       "                           16550 serial port at 0x3f8 (default tty)\n"
	       "  --console tty|file=PATH|null|off\n"
	       "                           virtio-console (hvc0) (default off; tty needs --serial\n"
	       "                           other than tty)\n"
	       "  --rng src=PATH           virtio-rng entropy source (default %s)\n"
	       "  --disk path=FILE[,readonly=on|off][,direct=on|off][,num_queues=N][,queue_size=N]\n"
	       "         [,id=NAME][,image_type=raw]\n"
	       "                           virtio-blk disk (repeatable); raw images, locked while in use\n"
	       "  --net tap=NAME|fd=N|fd=[N,M..][,mac=MAC][,ip=IP,mask=MASK][,num_queues=N][,queue_size=N][,id=NAME]\n"
	       "                           virtio-net on a tap (repeatable): the named tap, or a new one\n"
	       "                           (host end configured with ip/mask); fd= a tap opened by the caller;\n"
	       "                           num_queues=2N: N queue pairs (multi-queue tap, one fd and one\n"
	       "                           I/O thread per pair; fd=[..] then gives N fds)\n"
	       "  --boot-entry auto|linux64|pvh\n"
	       "                           ELF entry: PVH note if present (auto), or startup_64\n"
	       "  --sigterm-grace SECS     on SIGTERM press the ACPI power button and give the guest\n"
	       "                           SECS seconds to power off before stopping it (default 0)\n"
	       "  --seccomp true|false|log per-thread seccomp filters (default true: a forbidden\n"
	       "                           system call kills nimbus with a log line; log: the kernel\n"
	       "                           logs it and it is allowed; false: no filters)\n"
	       "  --log-file PATH          write nimbus's log there instead of stderr\n"
	       "  -v                       more logging (-v info, -vv debug)\n"
	       "  -h, --help               this help\n"
	       "  -V, --version            print the version\n",
	       prog, CONFIG_DEFAULT_CMDLINE, CONFIG_DEFAULT_RNG_SRC);
}
